import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { setBackend } from "./backend.ts";
import { LEVELS } from "./configs.ts";
import { Megabyte } from "./megabyte.ts";
import { readModelFile } from "./model_file_read.ts";
import { writeModelFile } from "./model_file_write.ts";
import { tensorShapes } from "./tensor_shapes.ts";

await setBackend("cpu");

const tiny = LEVELS.tiny; // P = 4, context 64 (16 patches)

/** Deterministic pseudo-random bytes. */
function bytes(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  });
}

/** Logits of one row of bytes as a flat array. */
function logitsOf(model: Megabyte, row: number[]): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor2d(row, [1, row.length], "int32");
    return model.logits(x).dataSync() as Float32Array;
  });
}

/** A model whose weights are larger than at init, so that every path visibly matters. */
function scrambled(seed: number): Megabyte {
  const model = new Megabyte(tiny, { seed });
  tf.tidy(() => {
    for (const v of model.variables.values()) {
      if (v.rank === 2) v.assign(tf.mul(v, 10));
      else v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.5, "float32", seed)));
    }
  });
  return model;
}

Deno.test("Megabyte.logits() returns (B, T, 256) for a full context and for lengths that are not a multiple of P", () => {
  const model = new Megabyte(tiny, { seed: 1 });
  for (const T of [tiny.context, 1, 5, 33]) {
    const x = tf.tensor2d(bytes(2 * T, T), [2, T], "int32");
    const y = model.logits(x);
    assert.deepEqual(y.shape, [2, T, 256]);
    assert.equal(y.dtype, "float32");
    tf.dispose([x, y]);
  }
  model.dispose();
});

Deno.test("Megabyte.logits() rejects a context overflow, a bad rank and float input", () => {
  const model = new Megabyte(tiny, { seed: 1 });
  const long = tf.zeros([1, tiny.context + 1], "int32") as tf.Tensor2D;
  assert.throws(() => model.logits(long), RangeError);
  const flat = tf.zeros([4], "int32");
  assert.throws(() => model.logits(flat as unknown as tf.Tensor2D), RangeError);
  const floats = tf.zeros([1, 4], "float32") as tf.Tensor2D;
  assert.throws(() => model.logits(floats), TypeError);
  tf.dispose([long, flat, floats]);
  model.dispose();
});

Deno.test("Megabyte() creates the tensors of ARCHITECTURE.md, the same for the same seed", () => {
  const a = new Megabyte(tiny, { seed: 7 });
  const b = new Megabyte(tiny, { seed: 7 });
  const c = new Megabyte(tiny, { seed: 8 });
  const shapes = tensorShapes(tiny);
  assert.deepEqual([...a.variables.keys()], [...shapes.keys()]);
  for (const [name, v] of a.variables) assert.deepEqual(v.shape, shapes.get(name));
  const ea = a.exportTensors();
  const eb = b.exportTensors();
  const ec = c.exportTensors();
  assert.deepEqual(ea.get("global.h0.wqkv")!.data, eb.get("global.h0.wqkv")!.data);
  assert.notDeepEqual(ea.get("global.h0.wqkv")!.data, ec.get("global.h0.wqkv")!.data);
  assert.ok(ea.get("global.h1.ln2")!.data.every((g) => g === 1));
  // GPT-2 init: residual projections shrink by 1/sqrt(2·layers).
  const std = (d: Float32Array) => Math.sqrt(d.reduce((s, x) => s + x * x, 0) / d.length);
  const ratio = std(ea.get("global.h0.wo")!.data) / std(ea.get("global.h0.wqkv")!.data);
  assert.ok(Math.abs(ratio - 1 / Math.sqrt(2 * tiny.globalLayers)) < 0.1, `ratio ${ratio}`);
  for (const m of [a, b, c]) m.dispose();
});

Deno.test("Megabyte.logits() at positions ≤ t never depend on byte t, inside a patch and across patch boundaries", () => {
  const model = scrambled(3);
  const T = tiny.context;
  const base = bytes(T, 11);
  const before = logitsOf(model, base);
  const P = tiny.patchSize;
  // First, middle and last byte of a patch; the first and last byte of the window.
  for (const t of [0, P - 1, P, P + 1, 2 * P - 1, 5 * P + 2, T - P, T - 1]) {
    const changed = base.slice();
    changed[t] = (changed[t] + 101) % 256;
    const after = logitsOf(model, changed);
    for (let i = 0; i < (t + 1) * 256; i++) {
      assert.equal(
        after[i],
        before[i],
        `byte ${t} changed the logits of position ${Math.floor(i / 256)}`,
      );
    }
    if (t < T - 1) {
      const later = after.subarray((t + 1) * 256);
      assert.ok(
        later.some((v, i) => v !== before[(t + 1) * 256 + i]),
        `byte ${t} changed nothing after it`,
      );
    }
  }
  model.dispose();
});

Deno.test("Megabyte.logits() of a prefix equal the first positions of the whole window", () => {
  const model = scrambled(5);
  const row = bytes(tiny.context, 2);
  const whole = logitsOf(model, row);
  for (const T of [1, 3, tiny.patchSize, 21]) {
    const prefix = logitsOf(model, row.slice(0, T));
    for (let i = 0; i < prefix.length; i++) {
      assert.ok(
        Math.abs(prefix[i] - whole[i]) <= 1e-4 * (1 + Math.abs(whole[i])),
        `T=${T} index ${i}`,
      );
    }
  }
  model.dispose();
});

Deno.test("Megabyte.logits() of a sequence do not depend on the others in the batch", () => {
  const model = scrambled(6);
  const a = bytes(40, 1);
  const b = bytes(40, 2);
  const alone = logitsOf(model, a);
  const batched = tf.tidy(() =>
    model.logits(tf.tensor2d([...b, ...a], [2, 40], "int32")).dataSync()
  );
  const second = batched.subarray(40 * 256);
  for (let i = 0; i < alone.length; i++) {
    assert.ok(Math.abs(alone[i] - second[i]) <= 1e-4 * (1 + Math.abs(alone[i])));
  }
  model.dispose();
});

Deno.test("Megabyte.loss() is the mean cross-entropy of the logits, near ln 256 at init", () => {
  const model = scrambled(9);
  const row = bytes(30, 4);
  const logits = logitsOf(model, row);
  let expected = 0;
  for (let t = 0; t < row.length; t++) {
    const z = logits.subarray(t * 256, (t + 1) * 256);
    const max = Math.max(...z);
    const lse = max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0));
    expected += lse - z[row[t]];
  }
  expected /= row.length;
  const loss = tf.tidy(() => model.loss(tf.tensor2d(row, [1, 30], "int32")).dataSync()[0]);
  assert.ok(Math.abs(loss - expected) < 1e-4 * expected, `${loss} vs ${expected}`);
  model.dispose();
  const fresh = new Megabyte(tiny, { seed: 1 });
  const initial = tf.tidy(() => fresh.loss(tf.tensor2d(row, [1, 30], "int32")).dataSync()[0]);
  assert.ok(Math.abs(initial - Math.log(256)) < 0.05, `initial loss ${initial}`);
  fresh.dispose();
});

Deno.test("Megabyte.loss() gradients match finite differences along a random direction", () => {
  const model = scrambled(12);
  model.variables.forEach((v) => tf.tidy(() => v.assign(tf.mul(v, 0.3)))); // keep the loss smooth
  const x = tf.tensor2d(bytes(2 * 24, 8), [2, 24], "int32");
  const vars = [...model.variables.values()];
  const { grads } = tf.variableGrads(() => model.loss(x), vars);
  const directions = vars.map((v, i) => tf.randomNormal(v.shape, 0, 1, "float32", 100 + i));
  let analytic = 0;
  vars.forEach((v, i) => (analytic += tf.sum(tf.mul(grads[v.name], directions[i])).dataSync()[0]));
  const lossAt = (eps: number) => {
    const saved = vars.map((v) => tf.clone(v));
    vars.forEach((v, i) => tf.tidy(() => v.assign(tf.add(v, tf.mul(directions[i], eps)))));
    const l = tf.tidy(() => model.loss(x).dataSync()[0]);
    vars.forEach((v, i) => v.assign(saved[i]));
    tf.dispose(saved);
    return l;
  };
  const eps = 1e-3;
  const numeric = (lossAt(eps) - lossAt(-eps)) / (2 * eps);
  assert.ok(Math.abs(analytic) > 1e-2, `degenerate direction: ${analytic}`);
  assert.ok(
    Math.abs(numeric - analytic) < 0.02 * Math.abs(analytic),
    `numeric ${numeric}, analytic ${analytic}`,
  );
  tf.dispose([x, ...directions, ...Object.values(grads)]);
  model.dispose();
});

Deno.test("Megabyte.loss() falls on a small repetitive corpus in a few dozen Adam steps", () => {
  const model = new Megabyte(tiny, { seed: 1 });
  const text = new TextEncoder().encode(
    "the cat sat on the mat. the dog sat on the log. ".repeat(8),
  );
  const rows = [0, 9, 21, 33].map((start) => Array.from(text.subarray(start, start + 48)));
  const x = tf.tensor2d(rows.flat(), [4, 48], "int32");
  const optimizer = tf.train.adam(1e-2, 0.9, 0.98);
  const losses: number[] = [];
  for (let step = 0; step < 40; step++) {
    const cost = optimizer.minimize(() => model.loss(x), true)!;
    losses.push(cost.dataSync()[0]);
    cost.dispose();
  }
  assert.ok(losses[0] > 5, `first loss ${losses[0]}`);
  assert.ok(losses[39] < 1.5, `loss after 40 steps ${losses[39]} (first ${losses[0]})`);
  optimizer.dispose();
  x.dispose();
  model.dispose();
});

Deno.test("Megabyte.logits() and loss() leave no tensors behind", () => {
  const model = new Megabyte(tiny, { seed: 1 });
  const x = tf.tensor2d(bytes(20, 1), [1, 20], "int32");
  model.logits(x).dispose(); // warm the mask cache
  const before = tf.memory().numTensors;
  model.logits(x).dispose();
  model.loss(x).dispose();
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
  model.dispose();
});

Deno.test("Megabyte export → writeModelFile → readModelFile → import gives identical logits", () => {
  const a = scrambled(21);
  const row = bytes(tiny.context, 3);
  const bytesOut = writeModelFile({
    name: "tiny-test",
    config: tiny,
    tensors: a.exportTensors(),
    metadata: { data: "test", steps: 1, bytesSeen: 64, validBpb: NaN },
  }, { dtype: "float32" });
  const file = readModelFile(bytesOut);
  const b = new Megabyte(file.config, { seed: 99 });
  assert.notDeepEqual(logitsOf(b, row), logitsOf(a, row));
  b.importTensors(file.tensors);
  assert.deepEqual(logitsOf(b, row), logitsOf(a, row));
  a.dispose();
  b.dispose();
});

Deno.test("Megabyte.importTensors() rejects a missing, extra or misshapen tensor and changes nothing", () => {
  const model = new Megabyte(tiny, { seed: 1 });
  const good = model.exportTensors();
  const row = bytes(10, 1);
  const before = logitsOf(model, row);
  const changed = new Map(
    [...good].map(([k, t]) => [k, { shape: t.shape, data: t.data.map((v) => v + 1) }]),
  );
  const missing = new Map(changed);
  missing.delete("local.head");
  assert.throws(() => model.importTensors(missing), /local\.head is missing/);
  const extra = new Map(changed).set("global.bias", { shape: [1], data: new Float32Array(1) });
  assert.throws(() => model.importTensors(extra), RangeError);
  const misshapen = new Map(changed).set("g2l.w", { shape: [16, 8], data: new Float32Array(128) });
  assert.throws(() => model.importTensors(misshapen), /g2l\.w: shape \[16,8\]/);
  assert.deepEqual(logitsOf(model, row), before);
  model.dispose();
});
