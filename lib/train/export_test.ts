import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { setBackend } from "../model/backend.ts";
import { Megabyte } from "../model/megabyte.ts";
import { loadModel } from "../model/model_file_read.ts";
import { loadCheckpoint } from "./checkpoint.ts";
import { exportModel } from "./export.ts";
import { decodeFixture } from "./fixture.ts";
import { train } from "./train.ts";
import { TEST_CONFIG } from "./_test_config.ts";

await setBackend("cpu");

const CONFIG = TEST_CONFIG;

Deno.test("exportModel() writes a readable model file with its training metadata, and a matching fixture", async () => {
  const dir = await Deno.makeTempDir({ prefix: "megazip_export_test_" });
  try {
    await Deno.writeTextFile(`${dir}/train.txt`, "abcabcabd, the cat sat on the mat. ".repeat(30));
    await Deno.writeTextFile(`${dir}/valid.txt`, "the mat sat on the cat. ".repeat(4));
    await train({
      config: { name: "test", config: CONFIG },
      data: [`${dir}/train.txt`],
      valid: [`${dir}/valid.txt`],
      out: `${dir}/run`,
      steps: 4,
      batch: 2,
      evalEvery: 4,
      validWindows: 2,
      quiet: true,
    });
    const ckpt = await loadCheckpoint(`${dir}/run/ckpt`);
    const result = await exportModel(`${dir}/run`, `${dir}/m.mgb`);
    assert.equal(result.name, "m");
    assert.equal(result.fixturePath, `${dir}/m_fixture.json`);
    assert.equal(result.step, 4);
    assert.equal(result.validBpb, ckpt.lastValid!.bpb);

    // The file reads back: config, metadata, weights close to the checkpoint's (int8 or float).
    const file = await loadModel(`${dir}/m.mgb`);
    assert.equal(file.name, "m");
    assert.deepEqual(file.config, CONFIG);
    assert.equal(file.metadata.steps, 4);
    assert.equal(file.metadata.bytesSeen, 4 * 2 * 32);
    assert.equal(file.metadata.validBpb, ckpt.lastValid!.bpb);
    assert.match(file.metadata.data, /^train \(1 files, 1050 bytes, identity [0-9a-f]{16}\)$/);
    assert.equal(
      Array.from(file.hash, (b) => b.toString(16).padStart(2, "0")).join(""),
      result.hash,
    );
    for (const [name, t] of ckpt.params) {
      const got = file.tensors.get(name)!;
      assert.deepEqual(got.shape, t.shape);
      const scale = Math.max(...t.data.map(Math.abs));
      for (let i = 0; i < t.data.length; i++) {
        assert.ok(Math.abs(got.data[i] - t.data[i]) <= scale / 100, `${name}[${i}]`);
      }
    }

    // The fixture: the model file's own weights, evaluated again here, give its logits exactly.
    const fixture = decodeFixture(await Deno.readTextFile(result.fixturePath!));
    assert.equal(fixture.modelHash, result.hash);
    assert.equal(fixture.input.length, 32);
    const model = new Megabyte(file.config);
    model.importTensors(file.tensors);
    const logits = tf.tidy(() =>
      model.logits(tf.tensor2d(Int32Array.from(fixture.input), [1, 32], "int32"))
    );
    assert.deepEqual(logits.dataSync(), fixture.logits);
    logits.dispose();
    model.dispose();
    // Its bits are −log2 softmax of its logits at the input bytes.
    for (let t = 0; t < 32; t++) {
      const row = fixture.logits.subarray(t * 256, (t + 1) * 256);
      const max = Math.max(...row);
      const logSum = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
      const bits = (logSum - row[fixture.input[t]]) / Math.LN2;
      assert.ok(
        Math.abs(bits - fixture.bits[t]) < 1e-4,
        `bits[${t}]: ${bits} vs ${fixture.bits[t]}`,
      );
    }
    assert.ok(Math.abs(fixture.bitsPerByte - fixture.bits.reduce((a, b) => a + b) / 32) < 1e-9);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("exportModel() fails on a folder without a checkpoint and writes nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "megazip_export_test_" });
  try {
    await assert.rejects(exportModel(dir, `${dir}/m.mgb`), /Cannot read the checkpoint/);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
