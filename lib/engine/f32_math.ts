// This module imports no tfjs.
/**
 * The engine's own float32 functions, built only from +, −, ×, ÷ (each rounded to float32 by
 * `Math.fround`, which is exact IEEE float32 arithmetic for these four operations), floor and
 * exact bit reinterpretation. No `Math.exp`, `Math.tanh` or `Math.sqrt`: their results may change
 * between JavaScript engines. `lib/engine/wasm/kernels.ts` computes the very same operations in
 * the same order, and `tests/engine/f32_math_test.ts` proves it bit for bit.
 *
 * @module
 */

const f = Math.fround;
const F32 = new Float32Array(1);
const I32 = new Int32Array(F32.buffer);

/** log2(e) as float32. */
export const LOG2E: number = f(1.4426950408889634);
/** ln(2), high part: 9 significant bits, so `t · LN2_HI` is exact for |t| < 2^15. */
export const LN2_HI = 0.693359375;
/** ln(2) − LN2_HI as float32. */
export const LN2_LO: number = f(0.6931471805599453 - 0.693359375);
/** Taylor coefficients 1/k! of exp, float32, k = 2..6 (1/0! and 1/1! are 1). */
export const EXP_C2 = 0.5;
/** 1/3! as float32. */
export const EXP_C3: number = f(1 / 6);
/** 1/4! as float32. */
export const EXP_C4: number = f(1 / 24);
/** 1/5! as float32. */
export const EXP_C5: number = f(1 / 120);
/** 1/6! as float32. */
export const EXP_C6: number = f(1 / 720);
/** Below this, `expf` returns 0 (e^−87 ≈ 1.6e−38, the float32 normal range ends near e^−87.3). */
export const EXP_MIN = -87;
/** The GELU cubic coefficient 0.044715 as float32. */
export const GELU_A: number = f(0.044715);
/** sqrt(2/π) as float32 (the literal, not a computed square root). */
export const GELU_C: number = f(0.7978845608028654);
/** RMSNorm epsilon 1e−5 as float32. */
export const RMS_EPS: number = f(1e-5);

/**
 * Rounds a float32 value to the nearest integer, ties to even, keeping the sign of zero, as
 * WebAssembly's `f32.nearest` does.
 *
 * @param x A float32 value.
 * @returns The rounded value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { roundEven } from "./f32_math.ts";
 *
 * assert.equal(roundEven(2.5), 2);
 * assert.equal(roundEven(3.5), 4);
 * assert.equal(roundEven(-2.5), -2);
 * ```
 */
export function roundEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const r = Math.floor(x);
  const d = x - r; // exact: x and r are close doubles
  let n = d > 0.5 ? r + 1 : d < 0.5 ? r : r % 2 === 0 ? r : r + 1;
  if (n === 0 && (x < 0 || Object.is(x, -0))) n = -0;
  return n;
}

/** 2^t for an integer t in −126..127, built from its bits. */
function pow2(t: number): number {
  I32[0] = (t + 127) << 23;
  return F32[0];
}

/**
 * e^x in float32 for x ≤ 0 (x > 0 is treated as 0; x < −87 or NaN gives 0): Cody–Waite reduction
 * `x = t·ln2 + r` with t = roundEven(x·log2e) and |r| ≤ ln2/2, a degree-6 Taylor polynomial in
 * Horner form, then the exact factor 2^t. Relative error about 2e−7.
 *
 * @param x A float32 value.
 * @returns e^x rounded by the fixed sequence of float32 operations above.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { expf } from "./f32_math.ts";
 *
 * assert.equal(expf(0), 1);
 * assert.ok(Math.abs(expf(-1) - Math.exp(-1)) < 1e-6);
 * ```
 */
export function expf(x: number): number {
  if (!(x >= EXP_MIN)) return 0;
  if (x > 0) x = 0;
  const t = roundEven(f(x * LOG2E));
  const r = f(f(x - f(t * LN2_HI)) - f(t * LN2_LO));
  let p = EXP_C6;
  p = f(f(p * r) + EXP_C5);
  p = f(f(p * r) + EXP_C4);
  p = f(f(p * r) + EXP_C3);
  p = f(f(p * r) + EXP_C2);
  p = f(f(p * r) + 1);
  p = f(f(p * r) + 1);
  return f(p * pow2(t));
}

/**
 * tanh(u) in float32: `t = (1 − e)/(1 + e)` with `e = expf(−2|u|)`, negated for u < 0.
 *
 * @param u A float32 value.
 * @returns tanh(u).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tanhf } from "./f32_math.ts";
 *
 * assert.equal(tanhf(0), 0);
 * assert.equal(tanhf(50), 1);
 * assert.ok(Math.abs(tanhf(-0.5) - Math.tanh(-0.5)) < 1e-6);
 * ```
 */
export function tanhf(u: number): number {
  const e = expf(f(Math.abs(u) * -2));
  const t = f(f(1 - e) / f(1 + e));
  return u < 0 ? -t : t;
}

/**
 * 1/sqrt(y) in float32 for y > 0: the bit-level first guess `0x5f3759df − (bits(y) >> 1)`, then
 * three Newton steps `z ← z·(1.5 − (y/2)·z·z)`.
 *
 * @param y A positive float32 value.
 * @returns 1/sqrt(y), relative error about 1e−7.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rsqrtf } from "./f32_math.ts";
 *
 * assert.ok(Math.abs(rsqrtf(4) - 0.5) < 1e-7);
 * ```
 */
export function rsqrtf(y: number): number {
  y = f(y);
  F32[0] = y;
  I32[0] = 0x5f3759df - (I32[0] >> 1);
  let z = F32[0];
  const h = f(0.5 * y);
  for (let i = 0; i < 3; i++) z = f(z * f(1.5 - f(f(h * z) * z)));
  return z;
}

/**
 * GELU in its tanh form, `0.5·z·(1 + tanh(sqrt(2/π)·(z + 0.044715·z³)))`, in float32 with the
 * operation order `z3 = (z·z)·z`, `u = C·(z + A·z3)`, `(0.5·z)·(1 + tanhf(u))`.
 *
 * @param z A float32 value.
 * @returns GELU(z).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { geluf } from "./f32_math.ts";
 *
 * assert.equal(geluf(0), 0);
 * assert.ok(Math.abs(geluf(1) - 0.8411920) < 1e-6);
 * ```
 */
export function geluf(z: number): number {
  const z3 = f(f(z * z) * z);
  const u = f(GELU_C * f(z + f(GELU_A * z3)));
  return f(f(0.5 * z) * f(1 + tanhf(u)));
}
