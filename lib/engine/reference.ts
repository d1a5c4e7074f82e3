// This module imports no tfjs.
/**
 * The reference engine: the forward pass of `lib/model/ARCHITECTURE.md` in plain, scalar
 * TypeScript, written to be read, not to be fast. It defines the engine's numbers: every WebAssembly
 * kernel (`wasm/kernels.ts`) and the batched, incremental engine (`engine.ts`) must reproduce these
 * functions bit for bit (`tests/engine/`).
 *
 * The arithmetic, in one place (README.md says why):
 * - float32 everywhere (`Math.fround` after every +, −, ×, ÷), no fused multiply-add;
 * - every matrix product `x @ W` is integer: x is quantized per row (`quantizeRow`), W per column
 *   (`prepared_model.ts`), the int32 sum is exact whatever its order, then
 *   `y = f32(f32(f32(acc) · wScale[j]) · xScale)`;
 * - every float reduction runs in one order: index 0 upward (`sum = f32(sum + f32(a·b))`);
 * - exp, tanh, 1/sqrt are the own functions of `f32_math.ts`;
 * - probabilities become frequency tables by the rule of `FREQS.md` (`freqsFromLogits`).
 *
 * Shapes follow the shared letters: `T` bytes, `K` patches, `P` patch size, `DG`, `E = P·DG`,
 * `DL`, `H` heads, `hs` head size, `V = 256`.
 *
 * @module
 */
import { ALPHABET, FREQ_TOTAL } from "../predict/predictor.ts";
import { hashTables } from "../model/config.ts";
import type { ModelFile } from "../model/model_file_types.ts";
import { ngramRow } from "../model/ngram.ts";
import { matchRow } from "../model/match.ts";
import { expf, geluf, RMS_EPS, roundEven, rsqrtf } from "./f32_math.ts";
import {
  addNgramRow,
  type PreparedBlock,
  type PreparedModel,
  prepareModel,
  quantLevels,
  type QuantMatrix,
} from "./prepared_model.ts";

const f = Math.fround;

/** Scale of the exp values in the frequency rule: u = trunc(e · 2^22). */
export const FREQ_EXP_SCALE = 1 << 22;

/**
 * RMSNorm of one row: `out[i] = f32(f32(x[i] · r) · g[i])` with
 * `r = rsqrtf(f32(f32(Σ x[i]²) / D) + 1e−5)`, the sum taken from index 0 upward.
 *
 * @param x The row, (D).
 * @param g The gain, (D).
 * @param out Receives the normalized row, (D); may be `x`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rmsnormRow } from "./reference.ts";
 *
 * const out = new Float32Array(2);
 * rmsnormRow(new Float32Array([3, 4]), new Float32Array([1, 1]), out);
 * assert.ok(Math.abs(out[0] - 3 / Math.sqrt(12.5)) < 1e-5);
 * ```
 */
export function rmsnormRow(x: Float32Array, g: Float32Array, out: Float32Array): void {
  const d = x.length;
  let ss = 0;
  for (let i = 0; i < d; i++) ss = f(ss + f(x[i] * x[i]));
  const r = rsqrtf(f(f(ss / d) + RMS_EPS));
  for (let i = 0; i < d; i++) out[i] = f(f(x[i] * r) * g[i]);
}

/**
 * Quantizes one activation row to integers in [−qa, qa]: `max = max|x[i]|`,
 * `q[i] = clamp(roundEven(f32(x[i] · f32(qa / max))))`; the row's scale is `f32(max / qa)`
 * (0 and all-zero q for an all-zero row). Entries of `q` past `x.length` are set to 0.
 *
 * @param x The row, (K).
 * @param qa The integer range.
 * @param q Receives the integers, length ≥ K.
 * @returns The row's scale.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quantizeRow } from "./reference.ts";
 *
 * const q = new Int16Array(2);
 * const scale = quantizeRow(new Float32Array([1, -0.5]), 100, q);
 * assert.deepEqual([...q], [100, -50]);
 * assert.equal(scale, Math.fround(1 / 100));
 * ```
 */
export function quantizeRow(x: Float32Array, qa: number, q: Int16Array): number {
  let max = 0;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]);
    if (a > max) max = a;
  }
  q.fill(0);
  if (max === 0) return 0;
  const inv = f(qa / max);
  for (let i = 0; i < x.length; i++) {
    const v = roundEven(f(x[i] * inv));
    q[i] = v > qa ? qa : v < -qa ? -qa : v;
  }
  return f(max / qa);
}

/** What `qmatmulRow` does with each product y. */
export type Epilogue = "store" | "residual" | "gelu";

/**
 * One row of an integer matrix product: `y[j] = f32(f32(f32(Σ_i q[i]·W.q[i][j]) · W.scale[j]) ·
 * scale)`, then by `epilogue`: `out[j] = y` ("store"), `out[j] = f32(out[j] + y)` ("residual"),
 * or `out[j] = geluf(y)` ("gelu").
 *
 * @param q The quantized input row, length ≥ W.k (entries past W.k are ignored).
 * @param scale The input row's scale.
 * @param w The quantized weights, (k, n).
 * @param out Receives the row, (n).
 * @param epilogue What to do with each y.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { qmatmulRow } from "./reference.ts";
 * import { quantizeMatrix } from "./prepared_model.ts";
 *
 * const w = quantizeMatrix(new Float32Array([1, 2]), 1, 2); // (1, 2)
 * const out = new Float32Array(2);
 * qmatmulRow(new Int16Array([3]), 1, w, out, "store");
 * assert.ok(Math.abs(out[1] - 6) < 1e-3);
 * ```
 */
export function qmatmulRow(
  q: Int16Array,
  scale: number,
  w: QuantMatrix,
  out: Float32Array,
  epilogue: Epilogue,
): void {
  const { k, n } = w;
  for (let j = 0; j < n; j++) {
    let acc = 0; // exact: |acc| ≤ k·qa·qw ≤ 2^31 − 1 (quantLevels)
    for (let i = 0; i < k; i++) acc += q[i] * w.q[i * n + j];
    const y = f(f(f(acc) * w.scale[j]) * scale);
    out[j] = epilogue === "store" ? y : epilogue === "residual" ? f(out[j] + y) : geluf(y);
  }
}

/**
 * Largest |value| in the value cache: values are kept as int16 in [−511, 511] (9 bits and a sign).
 * Int8 values (range 127) were the largest source of disagreement with the float model
 * (README.md, "Accuracy"); 511 leaves the softmax weights `floor((2^31 − 1)/(511·n))` levels, 8208
 * at the longest global attention (n = 512).
 */
export const V_RANGE = 511;

/** One position's key and value of one head, as the engine's caches hold them. */
export interface KVEntry {
  /** The key quantized to [−qw, qw], qw = `quantLevels(hs).qw`. */
  k: Int16Array;
  /** The key's scale. */
  kScale: number;
  /** The value quantized to [−V_RANGE, V_RANGE]. */
  v: Int16Array;
  /** The value's scale. */
  vScale: number;
}

/**
 * Quantizes one position's key and value of one head for the cache, each like an activation row
 * (`quantizeRow`): the key to `quantLevels(hs).qw` (int16), the value to `V_RANGE` = 511 (int16).
 *
 * @param k The key, (hs).
 * @param v The value, (hs).
 * @returns The cache entry.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quantizeKV } from "./reference.ts";
 *
 * const e = quantizeKV(new Float32Array([1, -2]), new Float32Array([0.5, 0.25]));
 * assert.deepEqual([...e.v], [511, 256]);
 * ```
 */
export function quantizeKV(k: Float32Array, v: Float32Array): KVEntry {
  const { qw } = quantLevels(k.length);
  const kq = new Int16Array(k.length);
  const vq = new Int16Array(v.length);
  const kScale = quantizeRow(k, qw, kq);
  const vScale = quantizeRow(v, V_RANGE, vq);
  return { k: kq, kScale, v: vq, vScale };
}

/**
 * Causal attention of one query over the cache entries of positions 0..n−1, one head, in integer
 * dot products:
 * 1. the query is quantized to `quantLevels(hs).qa` (scale sq; it already carries 1/sqrt(hs));
 * 2. scores `s[j] = f32(f32(f32(Σ_d qq[d]·k_j[d]) · kScale_j) · sq)`;
 * 3. `m = max s`, `e[j] = expf(f32(s[j] − m))`, `S = Σ_j e[j]` (j from 0 up);
 * 4. weights `w[j] = f32(e[j] · vScale_j)`, quantized as a row to `min(32767, floor((2^31 − 1) /
 *    (511·n)))` (scale sw), so the value sums cannot overflow;
 * 5. `out[d] = f32(f32(f32(Σ_j wq[j]·v_j[d]) · sw) · f32(1 / S))`.
 *
 * @param q The query, (hs).
 * @param entry Returns the cache entry of position j.
 * @param n Number of positions.
 * @param out Receives the head's output, (hs).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { attendRow, quantizeKV } from "./reference.ts";
 *
 * const zero = new Float32Array(2);
 * const cache = [quantizeKV(zero, new Float32Array([1, 2])), quantizeKV(zero, new Float32Array([3, 4]))];
 * const out = new Float32Array(2);
 * attendRow(new Float32Array([1, 1]), (j) => cache[j], 2, out);
 * assert.ok(Math.abs(out[0] - 2) < 1e-3 && Math.abs(out[1] - 3) < 1e-3); // equal scores: the mean
 * ```
 */
export function attendRow(
  q: Float32Array,
  entry: (j: number) => KVEntry,
  n: number,
  out: Float32Array,
): void {
  const hs = q.length;
  const qq = new Int16Array(hs);
  const sq = quantizeRow(q, quantLevels(hs).qa, qq);
  const s = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    const { k, kScale } = entry(j);
    let acc = 0; // exact: |acc| ≤ hs·qa·qw ≤ 2^31 − 1
    for (let d = 0; d < hs; d++) acc += qq[d] * k[d];
    s[j] = f(f(f(acc) * kScale) * sq);
  }
  let m = s[0];
  for (let j = 1; j < n; j++) if (s[j] > m) m = s[j];
  let sum = 0;
  for (let j = 0; j < n; j++) {
    s[j] = expf(f(s[j] - m));
    sum = f(sum + s[j]);
  }
  const inv = f(1 / sum);
  for (let j = 0; j < n; j++) s[j] = f(s[j] * entry(j).vScale);
  const wq = new Int16Array(n);
  const sw = quantizeRow(s, Math.min(32767, Math.floor(2147483647 / (n * V_RANGE))), wq);
  for (let d = 0; d < hs; d++) {
    let acc = 0; // exact: |acc| ≤ n·qw·511 ≤ 2^31 − 1
    for (let j = 0; j < n; j++) acc += wq[j] * entry(j).v[d];
    out[d] = f(f(f(acc) * sw) * inv);
  }
}

/**
 * The frequency rule of `FREQS.md` for one row of 256 logits: `m = max l`,
 * `u[v] = trunc(expf(f32(l[v] − m)) · 2^22)`, `U = Σ u`, `freq[v] = 1 + floor(u[v] · 65280 / U)`,
 * and the remainder `65536 − Σ freq` goes to the first v with the largest u.
 *
 * @param logits The row, (256).
 * @param out Receives the table, (256): every entry ≥ 1, summing to `FREQ_TOTAL`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { freqsFromLogits } from "./reference.ts";
 *
 * const table = new Uint32Array(256);
 * freqsFromLogits(new Float32Array(256), table); // uniform
 * assert.equal(table[0], 256);
 * assert.equal(table.reduce((a, b) => a + b, 0), 65536);
 * ```
 */
export function freqsFromLogits(logits: Float32Array, out: Uint32Array): void {
  let m = logits[0];
  for (let v = 1; v < ALPHABET; v++) if (logits[v] > m) m = logits[v];
  const u = new Array<number>(ALPHABET);
  let total = 0;
  let best = 0;
  for (let v = 0; v < ALPHABET; v++) {
    u[v] = Math.trunc(f(expf(f(logits[v] - m)) * FREQ_EXP_SCALE));
    total += u[v];
    if (u[v] > u[best]) best = v;
  }
  const spread = FREQ_TOTAL - ALPHABET;
  let sum = 0;
  for (let v = 0; v < ALPHABET; v++) {
    const num = u[v] * spread; // < 2^38: exact
    let share = Math.floor(num / total);
    if (share * total > num) share--; // exact floor, whatever the division's rounding
    else if ((share + 1) * total <= num) share++;
    out[v] = 1 + share;
    sum += out[v];
  }
  out[best] += FREQ_TOTAL - sum;
}

/** Runs one pre-norm block over the rows of `a` (R rows of width D), causal over its rows. */
function blockForward(
  a: Float32Array[],
  blk: PreparedBlock,
  heads: number,
  groupSize: number,
): void {
  const R = a.length;
  const D = a[0].length;
  const hs = D / heads;
  const norm = new Float32Array(D);
  const qx = new Int16Array(blk.w2.k);
  const qkv = a.map(() => new Float32Array(3 * D));
  for (let t = 0; t < R; t++) {
    rmsnormRow(a[t], blk.ln1, norm); // (D) -> (D)
    const s = quantizeRow(norm, blk.wqkv.qa, qx);
    qmatmulRow(qx, s, blk.wqkv, qkv[t], "store"); // (D) @ (D, 3D) -> (3D)
  }
  // The caches: every row's key and value of every head, quantized.
  const cache = qkv.map((row) =>
    Array.from({ length: heads }, (_, h) =>
      quantizeKV(
        row.subarray(D + h * hs, D + (h + 1) * hs),
        row.subarray(2 * D + h * hs, 2 * D + (h + 1) * hs),
      ))
  ); // (R, H) entries
  const att = new Float32Array(D);
  for (let t = 0; t < R; t++) {
    const first = t - (t % groupSize); // causal within the group of rows (a patch, or all rows)
    for (let h = 0; h < heads; h++) {
      attendRow(
        qkv[t].subarray(h * hs, (h + 1) * hs),
        (j) => cache[first + j][h],
        t - first + 1,
        att.subarray(h * hs, (h + 1) * hs),
      ); // (hs) x (n) entries -> (hs)
    }
    const s = quantizeRow(att, blk.wo.qa, qx);
    qmatmulRow(qx, s, blk.wo, a[t], "residual"); // a += (D) @ (D, D)
  }
  const hidden = new Float32Array(blk.w1.n);
  for (let t = 0; t < R; t++) {
    rmsnormRow(a[t], blk.ln2, norm);
    let s = quantizeRow(norm, blk.w1.qa, qx);
    qmatmulRow(qx, s, blk.w1, hidden, "gelu"); // GELU((D) @ (D, rD)) -> (rD)
    s = quantizeRow(hidden, blk.w2.qa, qx);
    qmatmulRow(qx, s, blk.w2, a[t], "residual"); // a += (rD) @ (rD, D)
  }
}

/**
 * The logits of every position of `bytes` (a prefix of at most `context` bytes), computed
 * scalar and in full-sequence form. Row t predicts `bytes[t]` from `bytes[0..t−1]`.
 *
 * @param model A model file, or one already prepared.
 * @param bytes The segment, length ≤ `config.context`.
 * @param matchRows The match row of each position (−1: none) instead of the segment's own.
 * @returns Logits, (T, 256) row-major.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { referenceLogits } from "./reference.ts";
 * import { loadModel } from "../model/model_file_read.ts";
 *
 * const model = await loadModel("tests/fixtures/tiny.mgb");
 * const logits = referenceLogits(model, new TextEncoder().encode("abc")); // (3, 256)
 * assert.equal(logits.length, 3 * 256);
 * ```
 */
export function referenceLogits(
  model: ModelFile | PreparedModel,
  bytes: Uint8Array,
  matchRows?: Int32Array,
): Float32Array {
  const pm = "tensors" in model ? prepareModel(model) : model;
  const c = pm.config;
  const { patchSize: P, globalDim: DG, localDim: DL } = c;
  const E = P * DG;
  const T = bytes.length;
  if (T > c.context) {
    throw new RangeError(
      `Cannot run model ${pm.name}: ${T} bytes exceed its context of ${c.context}`,
    );
  }
  const logits = new Float32Array(T * ALPHABET);
  if (T === 0) return logits;
  const K = Math.ceil(T / P);

  // 1-2. Global input: pad patch, then the embeddings of patches 0..K−2 (paper 2.2).
  const a: Float32Array[] = [];
  for (let k = 0; k < K; k++) {
    const row = new Float32Array(E);
    if (k === 0) row.set(pm.globalPad); // (E)
    else {
      for (let i = 0; i < P; i++) {
        const t = (k - 1) * P + i;
        for (let d = 0; d < DG; d++) {
          row[i * DG + d] = f(pm.globalByteEmb[bytes[t] * DG + d] + pm.globalPosEmb[t * DG + d]); // (DG)
        }
      }
    }
    a.push(row); // (K, E)
  }
  // 3. Global transformer, causal over patches.
  for (const blk of pm.global) blockForward(a, blk, c.globalHeads, K);
  // 4. Final norm, split into P slices of DG, each projected to DL.
  const lglob = new Float32Array(K * P * DL); // (K, P, DL)
  const norm = new Float32Array(E);
  const qx = new Int16Array(DG);
  for (let k = 0; k < K; k++) {
    rmsnormRow(a[k], pm.globalLnF, norm); // (E) -> (E)
    for (let p = 0; p < P; p++) {
      const s = quantizeRow(norm.subarray(p * DG, (p + 1) * DG), pm.g2l.qa, qx);
      qmatmulRow(qx, s, pm.g2l, lglob.subarray((k * P + p) * DL, (k * P + p + 1) * DL), "store"); // (DG) @ (DG, DL) -> (DL)
    }
  }
  // 5. Local input: global slice + position + previous byte (the pad at p = 0, paper 2.3), then
  // the hashed n-grams of orders 2..H+1 ending at byte t − 1, across patches (none when t < n).
  const { rows: R } = hashTables(c);
  const x: Float32Array[] = [];
  for (let t = 0; t < T; t++) {
    const p = t % P;
    const prev = p === 0
      ? pm.localPad
      : pm.localByteEmb.subarray(bytes[t - 1] * DL, (bytes[t - 1] + 1) * DL);
    const row = new Float32Array(DL);
    for (let d = 0; d < DL; d++) {
      row[d] = f(f(lglob[t * DL + d] + pm.localPosEmb[p * DL + d]) + prev[d]); // (DL)
    }
    for (let j = 0; j < pm.ngramEmb.length; j++) {
      const r = ngramRow(bytes, t, j + 2, R);
      if (r < 0) continue;
      addNgramRow(pm.ngramEmb[j], r, row, 0, DL); // (DL)
    }
    // Then the match row (`match.ts`): what followed the last occurrence of the k bytes before t.
    // (Or the row given for t, as the "mix-long" method finds it before the segment too.)
    const m = pm.matchEmb === null ? -1 : matchRows?.[t] ?? matchRow(bytes, t, c.matchLength!);
    if (m >= 0) addNgramRow(pm.matchEmb!, m, row, 0, DL); // (DL)
    x.push(row); // (T, DL)
  }
  // 6. Local transformer, causal within each patch; final norm and head.
  for (const blk of pm.local) blockForward(x, blk, c.localHeads, P);
  const normL = new Float32Array(DL);
  const qh = new Int16Array(DL);
  for (let t = 0; t < T; t++) {
    rmsnormRow(x[t], pm.localLnF, normL);
    const s = quantizeRow(normL, pm.head.qa, qh);
    qmatmulRow(qh, s, pm.head, logits.subarray(t * ALPHABET, (t + 1) * ALPHABET), "store"); // (DL) @ (DL, V) -> (V)
  }
  return logits;
}

/**
 * The frequency tables of every position of `bytes`: `referenceLogits` then `freqsFromLogits`
 * per row. This is the engine's contract in its simplest form.
 *
 * @param model A model file, or one already prepared.
 * @param bytes The segment, length ≤ `config.context`.
 * @param matchRows The match row of each position (−1: none) instead of the segment's own.
 * @returns Tables, (T, 256) row-major.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { referenceTables } from "./reference.ts";
 * import { loadModel } from "../model/model_file_read.ts";
 *
 * const model = await loadModel("tests/fixtures/tiny.mgb");
 * const tables = referenceTables(model, new TextEncoder().encode("the")); // tables[t * 256 + v]
 * assert.ok(tables[2 * 256 + 101] > 256); // after "th", "e" is likelier than uniform
 * ```
 */
export function referenceTables(
  model: ModelFile | PreparedModel,
  bytes: Uint8Array,
  matchRows?: Int32Array,
): Uint32Array {
  const logits = referenceLogits(model, bytes, matchRows);
  const tables = new Uint32Array(logits.length);
  for (let t = 0; t < bytes.length; t++) {
    freqsFromLogits(
      logits.subarray(t * ALPHABET, (t + 1) * ALPHABET),
      tables.subarray(t * ALPHABET, (t + 1) * ALPHABET),
    );
  }
  return tables;
}
