import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { setBackend } from "./backend.ts";
import { LEVELS } from "./configs.ts";
import { gramColumns, gramRows, Megabyte, ngramTensor, NO_MATCH_ROWS } from "./megabyte.ts";
import { matchRow } from "./match.ts";
import { tensorShapes } from "./tensor_shapes.ts";

// The match row of the local input (`match.ts`) in the tfjs model: `tinymatch` is `tinyhash`
// with a match table of minimum length 3.
await setBackend("cpu");
const tinyhash = LEVELS.tinyhash;
const tinymatch = LEVELS.tinymatch;

/** Bytes with repeats, so that matches occur: a random block of 13 repeated with a few changes. */
function repetitive(n: number, seed: number): number[] {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24;
  const block = Array.from({ length: 13 }, next);
  return Array.from({ length: n }, (_, i) => (next() < 24 ? next() : block[i % 13]));
}

function logitsOf(model: Megabyte, row: number[]): Float32Array {
  return tf.tidy(() =>
    model.logits(tf.tensor2d(row, [1, row.length], "int32")).dataSync() as Float32Array
  );
}

Deno.test("tinymatch has local.match_emb of (30·256, DL) and one more gram column", () => {
  assert.deepEqual(tensorShapes(tinymatch).get("local.match_emb"), [30 * 256, tinymatch.localDim]);
  assert.equal(gramColumns(tinyhash), 2);
  assert.equal(gramColumns(tinymatch), 3);
  const row = repetitive(40, 3);
  const grams = ngramTensor(tinymatch, row, 1, 40)!;
  const values = grams.arraySync()[0];
  for (let t = 0; t < 40; t++) {
    const want = matchRow(row, t, 3);
    assert.equal(values[t][2], want < 0 ? 30 * 256 + t % NO_MATCH_ROWS : want, `position ${t}`);
  }
  grams.dispose();
});

Deno.test("gramRows spreads 'no match' over NO_MATCH_ROWS zero rows, position i to row M + i mod S", () => {
  // Random bytes rarely repeat 3 bytes, so most positions have no match: on webgpu, where the
  // gather's gradient adds with atomics, one shared row would serialize those adds.
  const B = 2, T = 700, G = gramColumns(tinymatch), M = 30 * 256;
  let s = 11;
  const x = Array.from(
    { length: B * T },
    () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24,
  );
  const rows = gramRows(x, B, T, tinymatch);
  const reads = new Map<number, number>();
  let none = 0;
  for (let i = 0; i < B * T; i++) {
    const want = matchRow(x.slice(Math.floor(i / T) * T, Math.floor(i / T) * T + T), i % T, 3);
    const got = rows[i * G + G - 1];
    if (want >= 0) {
      assert.equal(got, want, `position ${i}`);
      continue;
    }
    none++;
    assert.equal(got, M + i % NO_MATCH_ROWS, `position ${i}`);
    reads.set(got, (reads.get(got) ?? 0) + 1);
  }
  assert.ok(none > B * T / 2, `${none} positions without a match`);
  assert.ok(Math.max(...reads.values()) <= Math.ceil(B * T / NO_MATCH_ROWS));
});

Deno.test("Megabyte.logits() of tinymatch: the table at zero gives tinyhash's logits; a row changes them where it is read", () => {
  const row = repetitive(tinymatch.context, 5);
  const hashed = new Megabyte(tinyhash, { seed: 6 });
  const zero = new Megabyte(tinymatch, { seed: 6 });
  assert.ok(zero.exportTensors().get("local.match_emb")!.data.every((v) => v === 0));
  tf.tidy(() => {
    // Non-zero n-gram tables, the same in both, so that the comparison covers them too.
    for (const name of ["local.ngram2_emb", "local.ngram3_emb"]) {
      const v = tf.randomNormal(hashed.variables.get(name)!.shape, 0, 0.2, "float32", 7);
      hashed.variables.get(name)!.assign(v);
      zero.variables.get(name)!.assign(v);
    }
  });
  const base = logitsOf(hashed, row);
  assert.deepEqual(logitsOf(zero, row), base);
  // One match row set: the first position that reads it is the first that changes.
  const first = row.findIndex((_, t) => matchRow(row, t, 3) >= 0);
  assert.ok(first > 0);
  const r = matchRow(row, first, 3);
  tf.tidy(() => {
    const table = zero.variables.get("local.match_emb")!;
    const values = new Float32Array(table.size);
    values.fill(0.5, r * tinymatch.localDim, (r + 1) * tinymatch.localDim);
    table.assign(tf.tensor2d(values, table.shape as [number, number]));
  });
  const one = logitsOf(zero, row);
  assert.deepEqual(one.subarray(0, first * 256), base.subarray(0, first * 256));
  assert.ok(
    one.subarray(first * 256, (first + 1) * 256).some((v, i) => v !== base[first * 256 + i]),
  );
  // A window whose length is not a multiple of P (padding) still runs, and agrees with the prefix.
  const short = row.slice(0, 30);
  assert.deepEqual(logitsOf(zero, short), one.subarray(0, 30 * 256));
  for (const m of [hashed, zero]) m.dispose();
});

Deno.test("Megabyte.loss() of tinymatch sends a gradient to the match rows that were read", () => {
  const model = new Megabyte(tinymatch, { seed: 8 });
  const row = repetitive(tinymatch.context, 9);
  const x = tf.tensor2d(row, [1, row.length], "int32");
  const table = model.variables.get("local.match_emb")!;
  const { grads } = tf.variableGrads(() => model.loss(x) as tf.Scalar, [table]);
  const g = grads[table.name].arraySync() as number[][];
  const read = new Set<number>();
  for (let t = 0; t < row.length; t++) {
    const r = matchRow(row, t, 3);
    if (r >= 0) read.add(r);
  }
  assert.ok(read.size > 0);
  for (let r = 0; r < g.length; r++) {
    const nonzero = g[r].some((v) => v !== 0);
    if (!read.has(r)) assert.ok(!nonzero, `row ${r} was not read but has a gradient`);
  }
  assert.ok([...read].some((r) => g[r].some((v) => v !== 0)));
  x.dispose();
  model.dispose();
});
