/**
 * Every WebAssembly kernel against the scalar reference, bit for bit, on random shapes that hit
 * both the vector paths and the scalar tails.
 *
 * @module
 */
import assert from "node:assert/strict";
import { WasmKernels } from "../../lib/engine/kernels.ts";
import { expf, geluf, rsqrtf, tanhf } from "../../lib/engine/f32_math.ts";
import { quantizeMatrix } from "../../lib/engine/prepared_model.ts";
import {
  attendRow,
  type Epilogue,
  freqsFromLogits,
  qmatmulRow,
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

Deno.test("qmatmul() matches reference.qmatmulRow bit for bit for every epilogue and tail", () => {
  const k = new WasmKernels();
  const rng = new Rng(6);
  const epilogues: Epilogue[] = ["store", "residual", "gelu"];
  for (let trial = 0; trial < 45; trial++) {
    const m = 1 + rng.int(11), kk = 1 + rng.int(80), n = 1 + rng.int(40);
    const epilogue = epilogues[trial % 3];
    const wm = quantizeMatrix(rng.floats(kk * n, 0.5), kk, n);
    const { w, ws, kp } = k.packMatrix(wm);
    const x = rng.floats(m * kk, 2);
    const res = rng.floats(m * n);
    const xp = put(k, x), aq = k.alloc(m * kp * 2), sc = k.alloc(m * 4), op = put(k, res);
    k.quantize(xp, kk, m, kk, kp, wm.qa, aq, sc);
    k.qmatmul(aq, sc, m, kp, w, ws, n, op, n, epilogue);
    const expected = res.slice();
    const q = new Int16Array(kp);
    for (let r = 0; r < m; r++) {
      const s = quantizeRow(x.subarray(r * kk, (r + 1) * kk), wm.qa, q);
      qmatmulRow(q, s, wm, expected.subarray(r * n, (r + 1) * n), epilogue);
    }
    assertBits(k.f32(op, m * n), expected, `qmatmul ${epilogue} m=${m} k=${kk} n=${n}`);
    for (const p of [w, ws, xp, aq, sc, op]) k.free(p);
  }
});

Deno.test("qmatmul() accumulates the worst case k·qa·qw without overflow", () => {
  const k = new WasmKernels();
  for (const kk of [1, 127, 128, 2048]) {
    const n = 8;
    const wm = quantizeMatrix(new Float32Array(kk * n).fill(-1), kk, n); // every q = −qw
    const { w, ws, kp } = k.packMatrix(wm);
    const x = new Float32Array(kk).fill(3); // every q = qa
    const xp = put(k, x), aq = k.alloc(kp * 2), sc = k.alloc(4), op = k.alloc(n * 4);
    k.quantize(xp, kk, 1, kk, kp, wm.qa, aq, sc);
    k.qmatmul(aq, sc, 1, kp, w, ws, n, op, n, "store");
    const expected = new Float32Array(n);
    const q = new Int16Array(kp);
    qmatmulRow(q, quantizeRow(x, wm.qa, q), wm, expected, "store");
    assertBits(k.f32(op, n), expected, `worst case k=${kk}`);
    assert.ok(Math.abs(expected[0] + 3 * kk) < 1e-3 * 3 * kk, `value ${expected[0]} for k=${kk}`);
  }
});

Deno.test("attention() matches reference.attendRow bit for bit, with caches filled earlier", () => {
  const k = new WasmKernels();
  const rng = new Rng(7);
  for (let trial = 0; trial < 30; trial++) {
    const heads = 1 + rng.int(3), hs = 1 + rng.int(20), w = heads * hs;
    const nb = 1 + rng.int(3), nr = 1 + rng.int(5), pos0 = rng.int(trial < 25 ? 20 : 70);
    const cap = Math.ceil((pos0 + nr) / 16) * 16 + 16 * rng.int(2);
    // Earlier positions 0..pos0−1 of every sequence, as if stored by previous calls.
    const oldK = rng.floats(nb * pos0 * w, 1.5), oldV = rng.floats(nb * pos0 * w);
    const qkv = rng.floats(nb * nr * 3 * w, 1.5);
    const kt = k.alloc(nb * w * cap * 4), vc = k.alloc(nb * cap * w * 4);
    k.f32(kt, nb * w * cap).fill(NaN); // never-written slots must not matter
    // The cache layout of wasm/kernels.ts: keys [head][cap/16][hs][16], values [head][cap][hs].
    const kts = k.f32(kt, nb * w * cap), vcs = k.f32(vc, nb * w * cap);
    for (let b = 0; b < nb; b++) {
      for (let j = 0; j < pos0; j++) {
        for (let h = 0; h < heads; h++) {
          for (let d = 0; d < hs; d++) {
            const head = b * w * cap + h * hs * cap;
            kts[head + (j >> 4) * hs * 16 + d * 16 + (j & 15)] =
              oldK[(b * pos0 + j) * w + h * hs + d];
            vcs[head + j * hs + d] = oldV[(b * pos0 + j) * w + h * hs + d];
          }
        }
      }
    }
    const qp = put(k, qkv), op = k.alloc(nb * nr * w * 4), sc = k.alloc(cap * 4);
    k.attention(qp, 3 * w, nb, nr, heads, hs, kt, vc, cap, pos0, op, w, sc);
    const expected = new Float32Array(nb * nr * w);
    for (let b = 0; b < nb; b++) {
      const key = (j: number, h: number) =>
        j < pos0
          ? oldK.subarray((b * pos0 + j) * w + h * hs, (b * pos0 + j) * w + (h + 1) * hs)
          : qkv.subarray(
            (b * nr + j - pos0) * 3 * w + w + h * hs,
            (b * nr + j - pos0) * 3 * w + w + (h + 1) * hs,
          );
      const value = (j: number, h: number) =>
        j < pos0
          ? oldV.subarray((b * pos0 + j) * w + h * hs, (b * pos0 + j) * w + (h + 1) * hs)
          : qkv.subarray(
            (b * nr + j - pos0) * 3 * w + 2 * w + h * hs,
            (b * nr + j - pos0) * 3 * w + 2 * w + (h + 1) * hs,
          );
      for (let i = 0; i < nr; i++) {
        const row = (b * nr + i) * 3 * w;
        for (let h = 0; h < heads; h++) {
          attendRow(
            qkv.subarray(row + h * hs, row + (h + 1) * hs),
            (j) => key(j, h),
            (j) => value(j, h),
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
    for (const p of [kt, vc, qp, op, sc]) k.free(p);
  }
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
