/**
 * Every WebAssembly kernel against the scalar reference, bit for bit, on random shapes that hit
 * both the vector paths and the scalar tails.
 *
 * @module
 */
import assert from "node:assert/strict";
import { attentionScratchBytes, kvCacheBytes, WasmKernels } from "../../lib/engine/kernels.ts";
import { expf, geluf, rsqrtf, tanhf } from "../../lib/engine/f32_math.ts";
import { int8Matrix, quantizeMatrix } from "../../lib/engine/prepared_model.ts";
import {
  attendRow,
  type Epilogue,
  freqsFromLogits,
  qmatmulRow,
  quantizeKV,
  quantizeRow,
  rmsnormRow,
} from "../../lib/engine/reference.ts";
import { Rng } from "./_random_model.ts";

/** Asserts two float32 arrays are identical bit for bit (so −0 ≠ +0, NaN = NaN). */
function assertBits(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== e[i]) {
      assert.fail(
        `${what}: first difference at ${i}: ${actual[i]} (wasm) vs ${expected[i]} (reference)`,
      );
    }
  }
}

function put(k: WasmKernels, data: Float32Array): number {
  const p = k.alloc(data.length * 4 + 64);
  k.f32(p, data.length).set(data);
  return p;
}

/** Values over the ranges the kernels see, plus edge cases. */
function mathInputs(rng: Rng): Float32Array {
  const edge = [
    0,
    -0,
    1,
    -1,
    0.5,
    -0.5,
    -86.9,
    -87,
    -87.1,
    -88,
    -1000,
    1000,
    88,
    1e-30,
    -1e-30,
    1e-8,
    3,
    -3,
    9,
    -9,
  ];
  const out = new Float32Array(4003);
  out.set(edge);
  for (let i = edge.length; i < out.length; i++) {
    const scale = [0.01, 1, 5, 40, 100][i % 5];
    out[i] = rng.normal() * scale;
  }
  return out;
}

Deno.test("map_f32 (exp, tanh, gelu) matches f32_math bit for bit, vector and scalar lanes", () => {
  const k = new WasmKernels();
  const x = mathInputs(new Rng(1));
  const xp = put(k, x);
  const op = k.alloc(x.length * 4);
  for (const [name, fn] of [["exp", expf], ["tanh", tanhf], ["gelu", geluf]] as const) {
    const input = name === "exp" ? x.map((v) => -Math.abs(v)) : x; // exp is used for x ≤ 0
    k.f32(xp, x.length).set(input);
    k.mapF32(name, xp, x.length, op);
    assertBits(k.f32(op, x.length), input.map(fn), name);
  }
});

Deno.test("map_f32 (rsqrt) matches f32_math bit for bit", () => {
  const k = new WasmKernels();
  const rng = new Rng(2);
  const x = new Float32Array(1001).map(() =>
    Math.fround(1e-5 + Math.abs(rng.normal()) * 10 ** rng.int(8))
  );
  const xp = put(k, x);
  const op = k.alloc(x.length * 4);
  k.mapF32("rsqrt", xp, x.length, op);
  assertBits(k.f32(op, x.length), x.map(rsqrtf), "rsqrt");
});

Deno.test("rmsnorm() matches reference.rmsnormRow bit for bit on random shapes", () => {
  const k = new WasmKernels();
  const rng = new Rng(4);
  for (let trial = 0; trial < 40; trial++) {
    const m = 1 + rng.int(6), d = 1 + rng.int(70), xs = d + rng.int(3);
    const x = rng.floats(m * xs, [0.001, 1, 30][trial % 3]);
    const g = rng.floats(d, 0.3, 1);
    const xp = put(k, x), gp = put(k, g), op = k.alloc(m * d * 4);
    k.rmsnorm(xp, xs, m, d, gp, op, d);
    const expected = new Float32Array(m * d);
    for (let r = 0; r < m; r++) {
      rmsnormRow(x.subarray(r * xs, r * xs + d), g, expected.subarray(r * d, (r + 1) * d));
    }
    assertBits(k.f32(op, m * d), expected, `rmsnorm m=${m} d=${d}`);
    k.free(xp), k.free(gp), k.free(op);
  }
});

Deno.test("quantize() matches reference.quantizeRow bit for bit, zero rows and padding included", () => {
  const k = new WasmKernels();
  const rng = new Rng(5);
  for (let trial = 0; trial < 60; trial++) {
    const m = 1 + rng.int(5), kk = 1 + rng.int(75), kp = kk + (kk & 1) + 2 * rng.int(2);
    const qa = [32767, 8196, 2052, 7][trial % 4];
    const x = rng.floats(m * kk, [1e-3, 1, 50][trial % 3]);
    if (trial % 7 === 0) x.fill(0, 0, kk); // an all-zero row
    if (trial % 5 === 0) x[rng.int(x.length)] = 0.5 / (qa / Math.abs(x[0] || 1)); // near a tie
    const xp = put(k, x), aq = k.alloc(m * kp * 2), sc = k.alloc(m * 4);
    k.i16(aq, m * kp).fill(123);
    k.quantize(xp, kk, m, kk, kp, qa, aq, sc);
    const q = new Int16Array(kp);
    for (let r = 0; r < m; r++) {
      const scale = quantizeRow(x.subarray(r * kk, (r + 1) * kk), qa, q);
      assert.deepEqual(
        [...k.i16(aq + r * kp * 2, kp)],
        [...q],
        `quantize row ${r} k=${kk} kp=${kp}`,
      );
      assert.equal(k.f32(sc, m)[r], scale);
    }
    k.free(xp), k.free(aq), k.free(sc);
  }
});

Deno.test("qmatmul() matches reference.qmatmulRow bit for bit for every epilogue, tail and weight width", () => {
  const k = new WasmKernels();
  const rng = new Rng(6);
  const epilogues: Epilogue[] = ["store", "residual", "gelu"];
  for (let trial = 0; trial < 60; trial++) {
    const m = 1 + rng.int(11), kk = 1 + rng.int(80), n = 1 + rng.int(40);
    const epilogue = epilogues[trial % 3];
    const int8 = trial % 2 === 1; // a model file's int8 tensor: panels of int8
    const wm = int8
      ? int8Matrix(
        Int8Array.from({ length: kk * n }, () => rng.int(255) - 127),
        rng.floats(n, 0.01, 0.02),
        kk,
        n,
      )!
      : quantizeMatrix(rng.floats(kk * n, 0.5), kk, n);
    const packed = k.packMatrix(wm);
    assert.equal(packed.int8, int8);
    const { w, ws, kp } = packed;
    const x = rng.floats(m * kk, 2);
    const res = rng.floats(m * n);
    const xp = put(k, x), aq = k.alloc(m * kp * 2), sc = k.alloc(m * 4), op = put(k, res);
    k.quantize(xp, kk, m, kk, kp, wm.qa, aq, sc);
    k.qmatmul(aq, sc, m, packed, op, n, epilogue);
    const expected = res.slice();
    const q = new Int16Array(kp);
    for (let r = 0; r < m; r++) {
      const s = quantizeRow(x.subarray(r * kk, (r + 1) * kk), wm.qa, q);
      qmatmulRow(q, s, wm, expected.subarray(r * n, (r + 1) * n), epilogue);
    }
    assertBits(
      k.f32(op, m * n),
      expected,
      `qmatmul ${epilogue} int8=${int8} m=${m} k=${kk} n=${n}`,
    );
    for (const p of [w, ws, xp, aq, sc, op]) k.free(p);
  }
});

Deno.test("qmatmul() accumulates the worst case k·qa·qw without overflow", () => {
  const k = new WasmKernels();
  for (const kk of [1, 127, 128, 2048, 2049]) {
    const n = 8;
    const wm = kk === 2049 // int8 panels: every q = −127
      ? int8Matrix(new Int8Array(kk * n).fill(-127), new Float32Array(n).fill(1 / 127), kk, n)!
      : quantizeMatrix(new Float32Array(kk * n).fill(-1), kk, n); // every q = −qw
    const packed = k.packMatrix(wm);
    const { kp } = packed;
    const x = new Float32Array(kk).fill(3); // every q = qa
    const xp = put(k, x), aq = k.alloc(kp * 2), sc = k.alloc(4), op = k.alloc(n * 4);
    k.quantize(xp, kk, 1, kk, kp, wm.qa, aq, sc);
    k.qmatmul(aq, sc, 1, packed, op, n, "store");
    const expected = new Float32Array(n);
    const q = new Int16Array(kp);
    qmatmulRow(q, quantizeRow(x, wm.qa, q), wm, expected, "store");
    assertBits(k.f32(op, n), expected, `worst case k=${kk}`);
    assert.ok(Math.abs(expected[0] + 3 * kk) < 1e-3 * 3 * kk, `value ${expected[0]} for k=${kk}`);
  }
});

Deno.test("attention() matches reference.attendRow bit for bit, with caches filled by earlier calls", () => {
  const k = new WasmKernels();
  const rng = new Rng(7);
  for (let trial = 0; trial < 30; trial++) {
    const heads = 1 + rng.int(3), hs = 1 + rng.int(trial < 20 ? 20 : 70), w = heads * hs;
    const nb = 1 + rng.int(3), nr = 1 + rng.int(5), pos0 = rng.int(trial < 25 ? 20 : 70);
    const cap = Math.ceil((pos0 + nr) / 16) * 16 + 16 * rng.int(2);
    // Rows of positions 0..pos0−1 (one earlier call), then nr new rows, for each sequence.
    const old = rng.floats(nb * pos0 * 3 * w, [0.1, 1.5, 20][trial % 3]);
    const rows = rng.floats(nb * nr * 3 * w, [0.1, 1.5, 20][trial % 3]);
    const kv = k.alloc(nb * kvCacheBytes(heads, hs, cap));
    const sc = k.alloc(attentionScratchBytes(cap, hs));
    const op = k.alloc(nb * Math.max(pos0, nr) * w * 4);
    if (pos0 > 0) {
      const oldp = put(k, old);
      k.attention(oldp, 3 * w, nb, pos0, heads, hs, kv, cap, 0, op, w, sc);
      k.free(oldp);
    }
    const qp = put(k, rows);
    k.attention(qp, 3 * w, nb, nr, heads, hs, kv, cap, pos0, op, w, sc);
    const expected = new Float32Array(nb * nr * w);
    for (let b = 0; b < nb; b++) {
      const row = (j: number) =>
        j < pos0
          ? old.subarray((b * pos0 + j) * 3 * w, (b * pos0 + j + 1) * 3 * w)
          : rows.subarray((b * nr + j - pos0) * 3 * w, (b * nr + j - pos0 + 1) * 3 * w);
      for (let h = 0; h < heads; h++) {
        const cache = Array.from({ length: pos0 + nr }, (_, j) =>
          quantizeKV(
            row(j).subarray(w + h * hs, w + (h + 1) * hs),
            row(j).subarray(2 * w + h * hs, 2 * w + (h + 1) * hs),
          ));
        for (let i = 0; i < nr; i++) {
          attendRow(
            row(pos0 + i).subarray(h * hs, (h + 1) * hs),
            (j) => cache[j],
            pos0 + i + 1,
            expected.subarray((b * nr + i) * w + h * hs, (b * nr + i) * w + (h + 1) * hs),
          );
        }
      }
    }
    assertBits(
      k.f32(op, nb * nr * w),
      expected,
      `attention heads=${heads} hs=${hs} nb=${nb} nr=${nr} pos0=${pos0}`,
    );
    for (const p of [kv, qp, op, sc]) k.free(p);
  }
});

Deno.test("attention() keeps the worst-case integer sums of a long cache exact", () => {
  const k = new WasmKernels();
  const heads = 1, hs = 64, w = 64, n = 1040, cap = 1040;
  // Every key −1 and query 1: each score sum is −hs·qa·qw; every value 3: each value sum n·qw·511.
  const rows = new Float32Array(n * 3 * w);
  for (let j = 0; j < n; j++) {
    rows.fill(1, j * 3 * w, j * 3 * w + w);
    rows.fill(-1, j * 3 * w + w, j * 3 * w + 2 * w);
    rows.fill(3, j * 3 * w + 2 * w, (j + 1) * 3 * w);
  }
  const kv = k.alloc(kvCacheBytes(heads, hs, cap)), sc = k.alloc(attentionScratchBytes(cap, hs));
  const rp = put(k, rows), op = k.alloc(n * w * 4);
  k.attention(rp, 3 * w, 1, n, heads, hs, kv, cap, 0, op, w, sc);
  const cache = Array.from(
    { length: n },
    (_, j) =>
      quantizeKV(
        rows.subarray(j * 3 * w + w, j * 3 * w + 2 * w),
        rows.subarray(j * 3 * w + 2 * w, (j + 1) * 3 * w),
      ),
  );
  const expected = new Float32Array(w);
  attendRow(rows.subarray((n - 1) * 3 * w, (n - 1) * 3 * w + w), (j) => cache[j], n, expected);
  assertBits(k.f32(op + (n - 1) * w * 4, w), expected, "long cache");
  assert.ok(Math.abs(expected[0] - 3) < 1e-3, `mean of equal values: ${expected[0]}`);
});

Deno.test("freqs() matches reference.freqsFromLogits bit for bit; tables are ≥ 1 and sum to 65536", () => {
  const k = new WasmKernels();
  const rng = new Rng(8);
  const m = 64;
  const logits = new Float32Array(m * 256);
  for (let r = 0; r < m; r++) {
    const scale = [0, 0.1, 1, 5, 30, 300][r % 6];
    for (let v = 0; v < 256; v++) logits[r * 256 + v] = rng.normal() * scale;
    if (r % 4 === 1) logits[r * 256 + 7] = logits[r * 256 + 200] = 1000; // a tie for the maximum
  }
  const lp = put(k, logits), op = k.alloc(m * 256 * 4);
  k.freqs(lp, m, op);
  const got = k.u32(op, m * 256);
  const expected = new Uint32Array(256);
  for (let r = 0; r < m; r++) {
    freqsFromLogits(logits.subarray(r * 256, (r + 1) * 256), expected);
    const row = got.subarray(r * 256, (r + 1) * 256);
    assert.deepEqual([...row], [...expected], `freqs row ${r}`);
    assert.equal(row.reduce((a, b) => a + b, 0), 65536);
    assert.ok(row.every((x) => x >= 1));
  }
});
