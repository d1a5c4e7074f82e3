import assert from "node:assert/strict";
import { setBackend } from "../model/backend.ts";
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { assembleCheckpoint, layoutForCarry, packCheckpoint } from "./checkpoint_transfer.ts";
import type { LogRecord } from "./run_log.ts";
import { train } from "./train.ts";
import { TEST_CONFIG, testCheckpoint } from "./_test_config.ts";

await setBackend("cpu");

const MIB = 1024 * 1024;

/** A checkpoint of two tensor files (15 MiB and ~3 MiB). */
function bigCheckpoint(): Checkpoint {
  const n = 1_500_000;
  const big = Float32Array.from({ length: n }, (_, i) => i * 0.5);
  return testCheckpoint(9, {
    lastValid: null,
    params: new Map([["x.big", { shape: [n], data: big }]]),
    moments: new Map([["x.big", { m: big.map((v) => -v), v: big.map((v) => v / 4) }]]),
  }, { schedule: "wsd", decaySteps: 0 });
}

Deno.test("packCheckpoint(), layoutForCarry() and assembleCheckpoint() move a checkpoint of several files exactly", async () => {
  const dir = await Deno.makeTempDir({ prefix: "megazip_transfer_test_" });
  try {
    const ckpt = bigCheckpoint();
    await saveCheckpoint(`${dir}/machine1/runs/a/ckpt`, ckpt);
    await Deno.writeTextFile(`${dir}/machine1/runs/a/log.jsonl`, '{"kind":"train","step":9}\n');
    // Two calls bring it back, one tensor file each; the last brings the log too.
    const p0 = await packCheckpoint(`${dir}/machine1/runs/a`, 0, `${dir}/out0/a`, 1);
    const p1 = await packCheckpoint(`${dir}/machine1/runs/a`, 1, `${dir}/out1/a`, 1);
    assert.deepEqual([p0.groups, p0.step, p1.groups], [2, 9, 2]);
    assert.deepEqual(p0.files, ["state.json", "tensors-00000009-000.bin"]);
    assert.deepEqual(p1.files, ["state.json", "tensors-00000009-001.bin", "log.jsonl"]);
    await assert.rejects(packCheckpoint(`${dir}/machine1/runs/a`, 2, `${dir}/x`, 1), /0\.\.1/);

    // Here: both groups, re-cut for carrying (16 MiB per call: one file each).
    await assert.rejects(layoutForCarry([`${dir}/out1/a`], `${dir}/.ckpt`, 16 * MIB), /missing/);
    const laid = await layoutForCarry([`${dir}/out1/a`, `${dir}/out0/a`], `${dir}/.ckpt`, 16 * MIB);
    assert.deepEqual(laid.dirs, [`${dir}/.ckpt/1`, `${dir}/.ckpt/2`]);
    assert.ok(laid.bytes.every((b) => b <= 16 * MIB));
    await Deno.stat(`${dir}/.ckpt/2/a/log.jsonl`); // the log where there was room: with the 3 MiB
    await assert.rejects(Deno.stat(`${dir}/.ckpt/1/a/log.jsonl`), Deno.errors.NotFound);
    const both = [`${dir}/out0/a`, `${dir}/out1/a`];
    await assert.rejects(layoutForCarry(both, `${dir}/.c`, 10 * MIB), /does not fit/);

    // The next machine: the first call's folder alone is checked but not installed.
    const run = `${dir}/machine2/runs/a`;
    const partial = await assembleCheckpoint([`${dir}/.ckpt/1/a`], run);
    assert.equal(partial.complete, false);
    assert.deepEqual(partial.missing, ["tensors-00000009-001.bin"]);
    await assert.rejects(Deno.stat(`${run}/ckpt`), Deno.errors.NotFound);
    const sources = [`${dir}/.ckpt/1/a`, `${dir}/.ckpt/2/a`];
    const whole = await assembleCheckpoint(sources, run);
    assert.equal(whole.complete, true);
    assert.deepEqual(await loadCheckpoint(`${run}/ckpt`), ckpt);
    assert.equal(await Deno.readTextFile(`${run}/log.jsonl`), '{"kind":"train","step":9}\n');
    // Again (a repeated call): the same checkpoint is already in place.
    assert.equal((await assembleCheckpoint(sources, run)).complete, true);
    // Another checkpoint in the way is not overwritten.
    await saveCheckpoint(`${dir}/machine2/runs/b/ckpt`, { ...ckpt, step: 3 });
    await assert.rejects(
      assembleCheckpoint(sources, `${dir}/machine2/runs/b`),
      /holds another checkpoint \(step 3\)/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("assembleCheckpoint() rejects a damaged part and parts of two checkpoints", async () => {
  const dir = await Deno.makeTempDir({ prefix: "megazip_transfer_test_" });
  try {
    const small = { ...bigCheckpoint(), params: new Map(), moments: new Map() };
    small.params.set("x", { shape: [3], data: new Float32Array([1, 2, 3]) });
    small.moments.set("x", { m: new Float32Array(3), v: new Float32Array(3) });
    await saveCheckpoint(`${dir}/runs/a/ckpt`, small);
    await packCheckpoint(`${dir}/runs/a`, 0, `${dir}/out/a`);
    const bin = `${dir}/out/a/tensors-00000009-000.bin`;
    const bytes = await Deno.readFile(bin);
    bytes[5] ^= 1;
    await Deno.writeFile(bin, bytes);
    await assert.rejects(assembleCheckpoint([`${dir}/out/a`], `${dir}/m2/a`), /checksum mismatch/);
    await saveCheckpoint(`${dir}/runs/c/ckpt`, { ...small, step: 10 });
    await packCheckpoint(`${dir}/runs/c`, 0, `${dir}/out2/a`);
    await assert.rejects(
      assembleCheckpoint([`${dir}/out/a`, `${dir}/out2/a`], `${dir}/m2/a`),
      /differs from/,
    );
    await assert.rejects(assembleCheckpoint([`${dir}/nothing`], `${dir}/m2/a`), /no state\.json/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a run packed, laid out and assembled elsewhere resumes with exactly the losses of the uninterrupted run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "megazip_transfer_test_" });
  try {
    const prose = "It was the best of times, it was the worst of times, it was the age of wisdom. ";
    await Deno.writeTextFile(`${dir}/train.txt`, prose.repeat(30));
    await Deno.writeTextFile(`${dir}/valid.txt`, prose.repeat(3));
    const options = {
      config: { name: "test", config: TEST_CONFIG },
      data: [`${dir}/train.txt`],
      valid: [`${dir}/valid.txt`],
      steps: 6,
      batch: 2,
      lr: 3e-3,
      schedule: "wsd" as const,
      decaySteps: 0,
      evalEvery: 3,
      validWindows: 2,
      quiet: true,
    };
    await train({ ...options, out: `${dir}/whole` });
    await train({ ...options, out: `${dir}/m1/runs/a`, stopAt: 4 });
    const pack = await packCheckpoint(`${dir}/m1/runs/a`, 0, `${dir}/out/a`);
    assert.equal(pack.groups, 1);
    await layoutForCarry([`${dir}/out/a`], `${dir}/.ckpt`, 64 * MIB);
    const done = await assembleCheckpoint([`${dir}/.ckpt/1/a`], `${dir}/m2/runs/a`);
    assert.equal(done.complete, true);
    const resumed = await train({ resume: `${dir}/m2/runs/a`, quiet: true });
    assert.equal(resumed.step, 6);
    const log = async (run: string) =>
      (await Deno.readTextFile(`${run}/log.jsonl`)).trim().split("\n").map((l) =>
        JSON.parse(l) as LogRecord
      ).flatMap((r) =>
        r.kind === "session" ? [] : [r.kind === "train" ? { ...r, bytesPerSecond: 0 } : r]
      );
    assert.deepEqual(await log(`${dir}/m2/runs/a`), await log(`${dir}/whole`));
    const a = await loadCheckpoint(`${dir}/whole/ckpt`);
    const b = await loadCheckpoint(`${dir}/m2/runs/a/ckpt`);
    assert.deepEqual(b.params, a.params);
    assert.deepEqual(b.moments, a.moments);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
