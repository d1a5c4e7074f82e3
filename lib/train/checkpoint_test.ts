import assert from "node:assert/strict";
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { testCheckpoint } from "./_test_config.ts";

function sample(step: number): Checkpoint {
  const f = (n: number, k: number) =>
    Float32Array.from({ length: n }, (_, i) => Math.fround(i * k - 0.5));
  return testCheckpoint(step, {
    lastValid: { step, bpb: 7.5, categories: { b: 7.5 } },
    params: new Map([["x.w", { shape: [2, 3], data: f(6, 0.25) }], ["x.g", {
      shape: [3],
      data: f(3, 2),
    }]]),
    moments: new Map([["x.w", { m: f(6, 1), v: f(6, 3) }], ["x.g", { m: f(3, -1), v: f(3, 5) }]]),
  });
}

Deno.test("loadCheckpoint() reads back exactly what saveCheckpoint() wrote", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ckpt = sample(3);
    await saveCheckpoint(`${dir}/ckpt`, ckpt);
    assert.deepEqual(await loadCheckpoint(`${dir}/ckpt`), ckpt);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("saveCheckpoint() replaces the previous checkpoint and leaves one tensor file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await saveCheckpoint(dir, sample(3));
    await saveCheckpoint(dir, sample(5));
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names.sort(), ["state.json", "tensors-00000005-000.bin"]);
    assert.equal((await loadCheckpoint(dir)).step, 5);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("saveCheckpoint() cuts tensors into files of at most 15 MiB that load back as one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ckpt = sample(9);
    const n = 1_500_000; // 3 × 4 × n bytes = 18 MB: two files
    const big = Float32Array.from({ length: n }, (_, i) => i);
    ckpt.params.set("x.big", { shape: [n], data: big });
    ckpt.moments.set("x.big", { m: big.map((v) => -v), v: big.map((v) => v / 2) });
    await saveCheckpoint(dir, ckpt);
    const sizes = [];
    for await (const e of Deno.readDir(dir)) {
      if (e.name.endsWith(".bin")) sizes.push([e.name, (await Deno.stat(`${dir}/${e.name}`)).size]);
    }
    sizes.sort();
    assert.deepEqual(sizes.map((s) => s[0]), [
      "tensors-00000009-000.bin",
      "tensors-00000009-001.bin",
    ]);
    assert.equal(sizes[0][1], 15 * 1024 * 1024);
    assert.deepEqual(await loadCheckpoint(dir), ckpt);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadCheckpoint() rejects damaged tensors, another version and a missing folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await saveCheckpoint(dir, sample(3));
    const bin = `${dir}/tensors-00000003-000.bin`;
    const bytes = await Deno.readFile(bin);
    bytes[10] ^= 1;
    await Deno.writeFile(bin, bytes);
    await assert.rejects(loadCheckpoint(dir), /checksum mismatch/);
    bytes[10] ^= 1;
    await Deno.writeFile(bin, bytes);
    const state = JSON.parse(await Deno.readTextFile(`${dir}/state.json`));
    await Deno.writeTextFile(`${dir}/state.json`, JSON.stringify({ ...state, version: 99 }));
    await assert.rejects(loadCheckpoint(dir), RangeError);
    await assert.rejects(loadCheckpoint(`${dir}/nothing`), /Cannot read the checkpoint/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadCheckpoint() refuses a state.json that is JSON but not an object, in one line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const text of ["null", "42", '"x"']) {
      await Deno.writeTextFile(`${dir}/state.json`, text);
      await assert.rejects(loadCheckpoint(dir), /state\.json is not a megazip checkpoint/, text);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
