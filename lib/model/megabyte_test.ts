import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { setBackend } from "./backend.ts";
import { LEVELS } from "./configs.ts";
import { Megabyte, ngramTensor } from "./megabyte.ts";
import { ngramRow } from "./ngram.ts";
import { SEGMENT_SUM_GATHER_GRAD } from "./_gradients.ts";
import { readModelFile } from "./model_file_read.ts";
import { writeModelFile } from "./model_file_write.ts";
import { tensorShapes } from "./tensor_shapes.ts";

await setBackend("cpu");

const tiny = LEVELS.tiny; // P = 4, context 64 (16 patches)
const tinyhash = LEVELS.tinyhash; // tiny + hashed 2- and 3-grams, 64 rows each

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

/**
 * A model whose weights are larger than at init, so that every path visibly matters; the hashed
 * n-gram tables (zero at init) get normal(0, 0.2), the spread of the scaled byte embeddings.
 */
function scrambled(seed: number, config = tiny): Megabyte {
  const model = new Megabyte(config, { seed });
  tf.tidy(() => {
    for (const [name, v] of model.variables) {
      if (name.startsWith("local.ngram")) {
        v.assign(tf.randomNormal(v.shape, 0, 0.2, "float32", seed + v.size));
      } else if (v.rank === 2) v.assign(tf.mul(v, 10));
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

for (const config of [tiny, tinyhash]) {
  const level = config === tiny ? "tiny" : "tinyhash";

  Deno.test(`Megabyte.logits() at positions ≤ t never depend on byte t, inside a patch and across patch boundaries (${level})`, () => {
    const model = scrambled(3, config);
    const T = config.context;
    const base = bytes(T, 11);
    const before = logitsOf(model, base);
    const P = config.patchSize;
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

  Deno.test(`Megabyte.logits() of a prefix equal the first positions of the whole window (${level})`, () => {
    const model = scrambled(5, config);
    const row = bytes(config.context, 2);
    const whole = logitsOf(model, row);
    for (const T of [1, 3, config.patchSize, 21]) {
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

  Deno.test(`Megabyte.logits() of a sequence do not depend on the others in the batch (${level})`, () => {
    const model = scrambled(6, config);
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
}

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

/**
 * Asserts that the loss's gradient along a random direction in the variables `names` matches
 * central differences.
 */
function checkGradient(model: Megabyte, x: tf.Tensor2D, names: string[], seed: number): void {
  const vars = names.map((name) => model.variables.get(name)!);
  const { value, grads } = tf.variableGrads(() => model.loss(x), vars);
  const directions = vars.map((v, i) => tf.randomNormal(v.shape, 0, 1, "float32", seed + i));
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
    `${names.length} tensors: numeric ${numeric}, analytic ${analytic}`,
  );
  tf.dispose([value, ...directions, ...Object.values(grads)]);
}

Deno.test("Megabyte.loss() gradients match finite differences along a random direction", () => {
  const model = scrambled(12);
  model.variables.forEach((v) => tf.tidy(() => v.assign(tf.mul(v, 0.3)))); // keep the loss smooth
  const x = tf.tensor2d(bytes(2 * 24, 8), [2, 24], "int32");
  checkGradient(model, x, [...model.variables.keys()], 100);
  x.dispose();
  model.dispose();
});

Deno.test("Megabyte.loss() gradients of tinyhash, its tables included, match finite differences with either gather gradient", () => {
  const model = scrambled(12, tinyhash);
  model.variables.forEach((v) => tf.tidy(() => v.assign(tf.mul(v, 0.3)))); // keep the loss smooth
  const x = tf.tensor2d(bytes(2 * 24, 8), [2, 24], "int32");
  const tables = [...model.variables.keys()].filter((name) => name.startsWith("local.ngram"));
  assert.deepEqual(tables, ["local.ngram2_emb", "local.ngram3_emb"]);
  const saved = SEGMENT_SUM_GATHER_GRAD.minRows;
  // The one-hot product (tables of 65 rows), then UnsortedSegmentSum for every table.
  for (const minRows of [saved, 1]) {
    SEGMENT_SUM_GATHER_GRAD.minRows = minRows;
    try {
      checkGradient(model, x, [...model.variables.keys()], 100);
      checkGradient(model, x, tables, 200); // the tables alone, lest the rest hide them
    } finally {
      SEGMENT_SUM_GATHER_GRAD.minRows = saved;
    }
  }
  x.dispose();
  model.dispose();
});

Deno.test("Megabyte.logits() of tinyhash: the n-gram terms change the logits from position n on; tables at zero give tiny's logits exactly", () => {
  const row = bytes(tinyhash.context, 13);
  const plain = new Megabyte(tiny, { seed: 4 });
  const zero = new Megabyte(tinyhash, { seed: 4 }); // tables at zero, the rest as `plain`
  assert.ok(zero.exportTensors().get("local.ngram3_emb")!.data.every((v) => v === 0));
  const base = logitsOf(plain, row);
  assert.deepEqual(logitsOf(zero, row), base);
  // Only the 2-gram table, and only its row read at position 2: nothing changes before it.
  const r = ngramRow(row, 2, 2, tinyhash.hashRows!);
  tf.tidy(() => {
    const table = zero.variables.get("local.ngram2_emb")!;
    const values = new Float32Array(table.size);
    values.fill(0.5, r * tinyhash.localDim, (r + 1) * tinyhash.localDim);
    table.assign(tf.tensor2d(values, table.shape as [number, number]));
  });
  const one = logitsOf(zero, row);
  assert.deepEqual(one.subarray(0, 2 * 256), base.subarray(0, 2 * 256));
  assert.ok(one.subarray(2 * 256, 3 * 256).some((v, i) => v !== base[2 * 256 + i]));
  // With every table scrambled, the first patch of another window differs from tiny's from t = 2
  // on, and patch 1's first byte too (its n-grams end in patch 0; the global input is the same).
  const full = scrambled(4, tinyhash);
  const twin = new Megabyte(tiny, { seed: 4 });
  twin.importTensors(
    new Map([...full.exportTensors()].filter(([name]) => !name.startsWith("local.ngram"))),
  );
  const a = logitsOf(full, row);
  const b = logitsOf(twin, row);
  const P = tinyhash.patchSize;
  for (let t = 0; t <= P; t++) {
    const same = a.subarray(t * 256, (t + 1) * 256).every((v, i) => v === b[t * 256 + i]);
    assert.equal(same, t < 2, `position ${t}`);
  }
  for (const m of [plain, zero, full, twin]) m.dispose();
});

Deno.test("Megabyte.logits() takes the n-gram rows from the caller, checked, and equals its own", () => {
  const model = scrambled(8, tinyhash);
  const row = bytes(2 * 21, 5);
  const x = tf.tensor2d(row, [2, 21], "int32");
  const grams = ngramTensor(tinyhash, row, 2, 21)!;
  assert.deepEqual(grams.shape, [2, 21, 2]);
  const own = model.logits(x);
  const given = model.logits(x, grams);
  assert.deepEqual(given.dataSync(), own.dataSync());
  // Rows of other bytes change the result: the given rows are the ones used.
  const other = ngramTensor(tinyhash, bytes(2 * 21, 6), 2, 21)!;
  const wrong = model.logits(x, other);
  assert.notDeepEqual(wrong.dataSync(), own.dataSync());
  const short = ngramTensor(tinyhash, row, 2, 20)!;
  assert.throws(() => model.logits(x, short), /must be \(2, 21, 2\) int32, got \(2,20,2\)/);
  assert.equal(ngramTensor(tiny, row, 2, 21), undefined);
  tf.dispose([x, grams, own, given, other, wrong, short]);
  model.dispose();
});

Deno.test("Megabyte.loss() with a keep mask equals the dropped lookups read as the zero row, value and gradients", () => {
  const model = scrambled(9, tinyhash);
  const row = bytes(2 * 21, 7); // T = 21: the last patch padded
  const x = tf.tensor2d(row, [2, 21], "int32");
  const R = tinyhash.hashRows!;
  const rows = ngramTensor(tinyhash, row, 2, 21)!;
  const flat = rows.dataSync() as Int32Array;
  const mask = Float32Array.from(flat, (_, i) => (i % 3 === 1 ? 0 : 1));
  const moved = tf.tensor3d(flat.map((r, i) => (mask[i] === 0 ? R : r)), [2, 21, 2], "int32");
  const keep = tf.tensor3d(mask, [2, 21, 2], "float32");
  const vars = [...model.variables.values()];
  const viaMask = tf.variableGrads(() => model.loss(x, rows, keep), vars);
  const viaRow = tf.variableGrads(() => model.loss(x, moved), vars);
  const plain = model.loss(x, rows);
  assert.ok(Math.abs(viaMask.value.dataSync()[0] - viaRow.value.dataSync()[0]) < 1e-6);
  assert.ok(Math.abs(plain.dataSync()[0] - viaRow.value.dataSync()[0]) > 1e-4); // the drop matters
  for (const v of vars) {
    const a = viaMask.grads[v.name].dataSync();
    const b = viaRow.grads[v.name].dataSync();
    a.forEach((g, i) => assert.ok(Math.abs(g - b[i]) < 1e-6, `${v.name}[${i}]: ${g} vs ${b[i]}`));
  }
  const bad = tf.tensor3d(mask.subarray(0, 40), [2, 20, 1], "float32");
  assert.throws(
    () => model.logits(x, rows, bad),
    /keep mask must be \(2,21,2\) float32, got \(2,20,1\)/,
  );
  tf.dispose([x, rows, moved, keep, bad, plain, viaMask.value, viaRow.value]);
  tf.dispose([...Object.values(viaMask.grads), ...Object.values(viaRow.grads)]);
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
  for (const config of [tiny, tinyhash]) {
    const model = new Megabyte(config, { seed: 1 });
    const x = tf.tensor2d(bytes(20, 1), [1, 20], "int32");
    model.logits(x).dispose(); // warm the mask cache
    const before = tf.memory().numTensors;
    model.logits(x).dispose();
    model.loss(x).dispose();
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
    model.dispose();
  }
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
