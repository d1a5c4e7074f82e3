// This module imports no tfjs.
/**
 * Mixing of several predictors, byte by byte: {@link createMixingPredictor}, and
 * {@link createWindowedPredictor}, which lets a model of bounded context (the neural model) run
 * over a longer segment by starting it afresh every `window` bytes.
 *
 * ## The mixer, for one segment
 *
 * The segment runs every part (n of them) on its own bytes. Before each byte, with `f_j` the
 * integer table of part j and `L(f) = log2(f / 65536)` (from {@link log2Table}):
 *
 * 1. **Weight sets.** `b_j` is the confidence of part j: 0 when its largest frequency is ≥ 57053
 *    (a top probability above 2^−0.2), 1 when it is ≥ 32769 (above 1/2), 2 otherwise. `p` is the
 *    previous byte (0 at the segment's start) and `k` its class (0: `a`–`z`; 1: space; 2: `A`–`Z`
 *    or `0`–`9`; 3: anything else, and the segment's start). Mix A uses the weight vector
 *    `a = (((b_0 · 3 + b_1) · 3 + …) · 3 + b_{n−1}) · 4 + k` of its 3^n · 4; mix B the vector
 *    `b = p · 3 + b_0` of its 768. Every vector holds n float64 weights, starting at
 *    `initialWeights`.
 * 2. **Geometric mixes.** For each of A and B, with its vector `w`: `s[v] = Σ_j w[j] · L(f_j[v])`
 *    (summed j = 0, 1, …, in that order, from `0 + w[0] · L(f_0[v])`), `M = max_v s[v]`,
 *    `e[v] = exp2neg(M − s[v])` (below), `Z = Σ_v e[v]` (v = 0..255 in order),
 *    `g[v] = e[v] · (1 / Z)`: the distributions `gA` and `gB`.
 * 3. **Switching mix.** The segment also holds `λ_0 … λ_{n+1}` (starting at 1/4, 1/4, then
 *    1/(2n) each): `m[v] = λ_0 · gA[v] + λ_1 · gB[v] + λ_2 · f_0[v] / 65536 + … +
 *    λ_{n+1} · f_{n−1}[v] / 65536`, summed left to right. It keeps each part's opinion available
 *    when the geometric mixes are badly wrong, and the other way round.
 * 4. **Frequencies** (the rule of `lib/engine/FREQS.md`, steps 3–6): `u[v] = floor(m[v] · 2^22)`,
 *    `U = Σ_v u[v]`, `freq[v] = 1 + floor(u[v] · 65280 / U)`, then the remainder
 *    `65536 − Σ_v freq[v]` (0..255) is added to the first v with the largest `u[v]`. Every entry is
 *    ≥ 1 and the table sums to 65536. `U ≥ 2^14` since `Σ m ≈ 1`; `u · 65280 < 2^38` is exact, and
 *    the float64 quotient of integers below 2^38 by `U ≤ 2^31` is never rounded up to the next
 *    integer, so the floors are exact integer divisions.
 *
 * After the byte x:
 *
 * 5. **Weights** (online gradient descent on `−log2 g[x]`), A then B, each with its own g and
 *    vector w: for each j in order, `G_j = Σ_v g[v] · L(f_j[v])` (v in order),
 *    `w[j] += learningRate · (L(f_j[x]) − G_j)`, then clamped to `[−weightLimit, weightLimit]`.
 * 6. **Switching weights** (Bayes, then a share for every model so that one can recover): with
 *    `P_0 = gA[x]`, `P_1 = gB[x]` and `P_{j+2} = f_j[x] / 65536`, `q = Σ_k λ_k · P_k` (k in
 *    order), `λ_k = (1 − ε) · (λ_k · P_k / q) + ε / (n + 2)`, ε = `switchRate`.
 *
 * `exp2neg(d)` for d ≥ 0 is 0 when d ≥ 32, else, with `i = floor(d · 4096)`:
 * `2^−(i >> 12) · F[i & 4095]`, where `F[r]` approximates `2^(−r/4096)` (a degree-20 Taylor
 * polynomial of `e^−t` at `t = (r / 4096) · ln 2`, in Horner form). `L` is built the same way from
 * a series (`log2Table`). Every step is a float64 +, −, ×, ÷, comparison, floor or table lookup in
 * a fixed order: IEEE 754 fixes each result, so the tables are the same on every machine, and a
 * segment's tables depend only on its own bytes, never on the batch or the slot.
 *
 * @module
 */
import { ALPHABET, FREQ_TOTAL, type Predictor, type PredictorBatch } from "./predictor.ts";
import { type SegmentStage, stagedPredictor, writeFrequencies } from "./_stage.ts";

/** Options of {@link createMixingPredictor}. They are part of every table: fix them for a format. */
export interface MixerOptions {
  /**
   * The predictor's name.
   *
   * @default "mix"
   */
  readonly name?: string;
  /**
   * Step of the geometric weights' gradient descent, per bit of loss.
   *
   * @default 0.003
   */
  readonly learningRate?: number;
  /**
   * Starting geometric weights, one per part.
   *
   * @default 0.7 for the first part and 0.3 shared by the others (1 for a single part)
   */
  readonly initialWeights?: readonly number[];
  /**
   * Share ε of the switching weights given back to every model after each byte, in (0, 1).
   *
   * @default 0.03125 (1/32)
   */
  readonly switchRate?: number;
  /**
   * Bound of the geometric weights' absolute values.
   *
   * @default 8
   */
  readonly weightLimit?: number;
}

/** Most parts a mixer takes (3^n · 4 + 768 weight vectors per segment). */
export const MAX_MIXER_PARTS = 6;

const SCALE = 1 / FREQ_TOTAL;
/** Largest frequency for confidence 0: > 65536 · 2^−0.2 = 57052.4. */
const SURE = 57053;
/** Largest frequency for confidence 1: > 32768. */
const LIKELY = 32769;
/** `exp2neg(d)` is 0 from this d on (far below one unit of 2^−22). */
const EXP_CUTOFF = 32;

/** Class of the previous byte, selecting a weight set. */
const BYTE_CLASS: Uint8Array = (() => {
  const c = new Uint8Array(256).fill(3);
  for (let v = 0x61; v <= 0x7a; v++) c[v] = 0;
  c[0x20] = 1;
  for (let v = 0x41; v <= 0x5a; v++) c[v] = 2;
  for (let v = 0x30; v <= 0x39; v++) c[v] = 2;
  return c;
})();

/**
 * `ln(m)` for m in [0.7, 1.42], from +, −, ×, ÷ only: `2 · atanh(y)` with `y = (m − 1) / (m + 1)`
 * (|y| ≤ 0.172), as the series `2 · y · Σ_{k=0..15} y^2k / (2k + 1)` in Horner form.
 */
function lnNearOne(m: number): number {
  const y = (m - 1) / (m + 1);
  const y2 = y * y;
  let sum = 1 / 31;
  for (let k = 14; k >= 0; k--) sum = sum * y2 + 1 / (2 * k + 1);
  return 2 * y * sum;
}

const INV_LN2 = 1.4426950408889634;
const LN2 = 0.6931471805599453;
const SQRT2 = 1.4142135623730951;

/**
 * The table `L[f] = log2(f / 65536)` for f = 1..65536 (L[0] = −16, unused), computed with
 * +, −, ×, ÷ only: `f = 2^k · m` with m in [1/√2, √2], `L[f] = k − 16 + ln(m) / ln 2`.
 * Accurate to about 1e−15.
 */
export function log2Table(): Float64Array {
  const table = new Float64Array(FREQ_TOTAL + 1);
  table[0] = -16;
  for (let f = 1; f <= FREQ_TOTAL; f++) {
    let k = 31 - Math.clz32(f);
    let m = f / (1 << k); // exact: a division by a power of two
    if (m > SQRT2) {
      m = m / 2;
      k += 1;
    }
    table[f] = k - 16 + lnNearOne(m) * INV_LN2;
  }
  return table;
}

/** `F[r] ≈ 2^(−r/4096)`, r = 0..4095: `e^−t`, t = (r / 4096) · ln 2, degree-20 Taylor polynomial. */
function exp2FractionTable(): Float64Array {
  const table = new Float64Array(4096);
  for (let r = 0; r < 4096; r++) {
    const t = (r / 4096) * LN2;
    let sum = 1;
    for (let k = 20; k >= 1; k--) sum = 1 - (t / k) * sum;
    table[r] = sum;
  }
  return table;
}

/** `2^−k`, k = 0..EXP_CUTOFF − 1, exact. */
function exp2IntegerTable(): Float64Array {
  const table = new Float64Array(EXP_CUTOFF);
  let p = 1;
  for (let k = 0; k < EXP_CUTOFF; k++) {
    table[k] = p;
    p = p / 2;
  }
  return table;
}

let LOG2: Float64Array | undefined;
let EXP_FRACTION: Float64Array | undefined;
let EXP_INTEGER: Float64Array | undefined;

/**
 * `exp2neg(d)` of the module's documentation: about `2^−d` for d ≥ 0, 0 from d = 32 on, from
 * exact tables and one product, so that it is the same on every machine.
 */
export function exp2neg(d: number): number {
  if (!(d < EXP_CUTOFF)) return 0;
  const i = Math.floor(d * 4096);
  EXP_INTEGER ??= exp2IntegerTable();
  EXP_FRACTION ??= exp2FractionTable();
  return EXP_INTEGER[i >>> 12]! * EXP_FRACTION[i & 4095]!;
}

/** A geometric mix: its weight vectors and its last distribution. */
interface GeometricMix {
  /** Weight vectors, (sets, n). */
  readonly w: Float64Array;
  /** The distribution of the last prediction. */
  readonly g: Float64Array;
  /** Offset in `w` of the vector of the last prediction. */
  base: number;
}

/** The mixing state of one segment. */
class SegmentMixer implements SegmentStage {
  readonly #n: number;
  readonly #rate: number;
  readonly #epsilon: number;
  readonly #limit: number;
  readonly #log: Float64Array;
  readonly #expFraction: Float64Array;
  readonly #expInteger: Float64Array;
  readonly #a: GeometricMix;
  readonly #b: GeometricMix;
  /** Switching weights: mix A, mix B, then each part. */
  readonly #lambda: Float64Array;
  readonly #s = new Float64Array(ALPHABET);
  readonly #m = new Float64Array(ALPHABET);
  readonly #u = new Float64Array(ALPHABET);
  /** The previous byte, or −1 at the segment's start. */
  #prev = -1;

  constructor(n: number, rate: number, weights: readonly number[], epsilon: number, limit: number) {
    this.#n = n;
    this.#rate = rate;
    this.#epsilon = epsilon;
    this.#limit = limit;
    this.#log = LOG2 ??= log2Table();
    this.#expFraction = EXP_FRACTION ??= exp2FractionTable();
    this.#expInteger = EXP_INTEGER ??= exp2IntegerTable();
    const mix = (sets: number): GeometricMix => {
      const w = new Float64Array(sets * n);
      for (let c = 0; c < sets; c++) w.set(weights, c * n);
      return { w, g: new Float64Array(ALPHABET), base: 0 };
    };
    let sets = 4;
    for (let j = 0; j < n; j++) sets *= 3;
    this.#a = mix(sets);
    this.#b = mix(256 * 3);
    this.#lambda = new Float64Array(n + 2);
    this.#lambda[0] = 1 / 4;
    this.#lambda[1] = 1 / 4;
    for (let j = 2; j < n + 2; j++) this.#lambda[j] = 1 / (2 * n);
  }

  /** Writes the mixed table of the parts' tables `parts[j][at..at+256)` to `out[at..at+256)`. */
  predict(parts: readonly Uint32Array[], at: number, out: Uint32Array): void {
    const n = this.#n, m = this.#m, u = this.#u, a = this.#a, b = this.#b;
    // 1. The weight sets.
    let c = 0;
    let first = 0;
    for (let j = 0; j < n; j++) {
      const f = parts[j]!;
      let peak = 0;
      for (let v = 0; v < ALPHABET; v++) if (f[at + v]! > peak) peak = f[at + v]!;
      const confidence = peak >= SURE ? 0 : peak >= LIKELY ? 1 : 2;
      if (j === 0) first = confidence;
      c = c * 3 + confidence;
    }
    const prev = this.#prev;
    a.base = (c * 4 + (prev < 0 ? 3 : BYTE_CLASS[prev]!)) * n;
    b.base = ((prev < 0 ? 0 : prev) * 3 + first) * n;
    // 2. The geometric mixes.
    this.#geometric(parts, at, a);
    this.#geometric(parts, at, b);
    // 3. The switching mix.
    const lambda = this.#lambda, ga = a.g, gb = b.g;
    const l0 = lambda[0]!, l1 = lambda[1]!;
    for (let v = 0; v < ALPHABET; v++) m[v] = l0 * ga[v]! + l1 * gb[v]!;
    for (let j = 0; j < n; j++) {
      const f = parts[j]!, lj = lambda[j + 2]!;
      for (let v = 0; v < ALPHABET; v++) m[v] = m[v]! + lj * (f[at + v]! * SCALE);
    }
    // 4. Frequencies.
    writeFrequencies(m, u, out, at);
  }

  /** Learns from byte `x`, after {@link predict} on the same tables. */
  update(parts: readonly Uint32Array[], at: number, x: number): void {
    const n = this.#n, a = this.#a, b = this.#b;
    // 5. The geometric weights.
    this.#learn(parts, at, x, a);
    this.#learn(parts, at, x, b);
    // 6. The switching weights.
    const lambda = this.#lambda;
    const pa = a.g[x]!, pb = b.g[x]!;
    let q = lambda[0]! * pa + lambda[1]! * pb;
    for (let j = 0; j < n; j++) q = q + lambda[j + 2]! * (parts[j]![at + x]! * SCALE);
    const keep = 1 - this.#epsilon, share = this.#epsilon / (n + 2);
    lambda[0] = keep * ((lambda[0]! * pa) / q) + share;
    lambda[1] = keep * ((lambda[1]! * pb) / q) + share;
    for (let j = 0; j < n; j++) {
      const pj = parts[j]![at + x]! * SCALE;
      lambda[j + 2] = keep * ((lambda[j + 2]! * pj) / q) + share;
    }
    this.#prev = x;
  }

  /** Step 2 for one mix: its distribution `mix.g` from its current weight vector. */
  #geometric(parts: readonly Uint32Array[], at: number, mix: GeometricMix): void {
    const n = this.#n, log = this.#log, s = this.#s, g = mix.g, w = mix.w, base = mix.base;
    s.fill(0);
    for (let j = 0; j < n; j++) {
      const f = parts[j]!, wj = w[base + j]!;
      for (let v = 0; v < ALPHABET; v++) s[v] = s[v]! + wj * log[f[at + v]!]!;
    }
    let top = s[0]!;
    for (let v = 1; v < ALPHABET; v++) if (s[v]! > top) top = s[v]!;
    const expFraction = this.#expFraction, expInteger = this.#expInteger;
    let z = 0;
    for (let v = 0; v < ALPHABET; v++) {
      const d = top - s[v]!;
      let e = 0;
      if (d < EXP_CUTOFF) {
        const i = Math.floor(d * 4096);
        e = expInteger[i >>> 12]! * expFraction[i & 4095]!;
      }
      g[v] = e;
      z += e;
    }
    const inverse = 1 / z;
    for (let v = 0; v < ALPHABET; v++) g[v] = g[v]! * inverse;
  }

  /** Step 5 for one mix. */
  #learn(parts: readonly Uint32Array[], at: number, x: number, mix: GeometricMix): void {
    const n = this.#n, log = this.#log, g = mix.g, w = mix.w, base = mix.base;
    for (let j = 0; j < n; j++) {
      const f = parts[j]!;
      let expected = 0;
      for (let v = 0; v < ALPHABET; v++) expected += g[v]! * log[f[at + v]!]!;
      let wj = w[base + j]! + this.#rate * (log[f[at + x]!]! - expected);
      if (wj > this.#limit) wj = this.#limit;
      else if (wj < -this.#limit) wj = -this.#limit;
      w[base + j] = wj;
    }
  }
}

/**
 * Creates a predictor that mixes the tables of `parts` byte by byte, as the module's
 * documentation specifies: two geometric mixes with weights learned per segment (selected by the
 * parts' confidence and the previous byte's class, and by the previous byte and the first part's
 * confidence), then a switching mix of them with every part, then the fixed rule of
 * `lib/engine/FREQS.md` to integer frequencies.
 *
 * Each segment of a batch runs every part in a batch of its own (the parts see the same bytes).
 * `predictSegment` is offered when every part has it; it equals the step path bit for bit.
 *
 * @param parts the predictors to mix, 1 to {@link MAX_MIXER_PARTS}
 * @param options see {@link MixerOptions}; they change every table
 * @returns a {@link Predictor} named `options.name` ("mix")
 *
 * @example Mixing two predictors
 * ```ts
 * import assert from "node:assert/strict";
 * import { createMixingPredictor } from "./mixer.ts";
 * import { createContextMixingPredictor } from "./context_mixing.ts";
 * const mix = createMixingPredictor([createContextMixingPredictor(), createContextMixingPredictor()]);
 * const batch = mix.start(1);
 * const table = new Uint32Array(256);
 * batch.predict(table);
 * assert.equal(table.reduce((a, b) => a + b, 0), 65536);
 * batch.close();
 * ```
 */
export function createMixingPredictor(
  parts: readonly Predictor[],
  options: MixerOptions = {},
): Predictor {
  return stagedPredictor(options.name ?? "mix", parts, mixingStage(parts.length, options));
}

/**
 * The per-segment state of {@link createMixingPredictor} over n parts, as a factory: for a stage
 * that runs the mixer inside itself (block method 6, `sse2.ts`). Throws as
 * {@link createMixingPredictor} does on bad options.
 *
 * @param n the number of parts, 1 to {@link MAX_MIXER_PARTS}
 * @param options see {@link MixerOptions} (`name` is unused)
 * @returns a function that makes a fresh segment's mixer
 */
export function mixingStage(n: number, options: MixerOptions = {}): () => SegmentStage {
  if (!Number.isInteger(n) || n < 1 || n > MAX_MIXER_PARTS) {
    throw new RangeError(`Cannot mix ${n} predictors: expected 1 to ${MAX_MIXER_PARTS}`);
  }
  const rate = options.learningRate ?? 0.003;
  const weights = options.initialWeights ??
    (n === 1 ? [1] : [0.7, ...new Array<number>(n - 1).fill(0.3 / (n - 1))]);
  const epsilon = options.switchRate ?? 1 / 32;
  const limit = options.weightLimit ?? 8;
  if (!(rate >= 0 && rate < 1)) {
    throw new RangeError(`Cannot mix with a learning rate of ${rate}: expected 0 ≤ rate < 1`);
  }
  if (weights.length !== n || !weights.every((x) => Number.isFinite(x))) {
    throw new RangeError(`Cannot mix with initial weights ${weights}: expected ${n} numbers`);
  }
  if (!(epsilon > 0 && epsilon < 1)) {
    throw new RangeError(`Cannot mix with a switch rate of ${epsilon}: expected 0 < rate < 1`);
  }
  if (!(limit > 0 && limit <= 64)) {
    throw new RangeError(`Cannot mix with a weight limit of ${limit}: expected 0 < limit ≤ 64`);
  }
  return () => new SegmentMixer(n, rate, weights, epsilon, limit);
}

/**
 * Runs `part` over segments of any length by starting it afresh every `window` bytes: the table
 * before byte i of a segment is the table `part` gives before byte `i mod window` of a segment
 * made of bytes `window · floor(i / window)` to i − 1. A model of bounded context (the neural
 * model, `window` = its context) then predicts every byte of a long segment.
 *
 * @param part the predictor to restart
 * @param window bytes between restarts, ≥ 1
 * @returns a {@link Predictor} of the same name; `predictSegment` when `part` has it
 *
 * @example Every window starts empty
 * ```ts
 * import assert from "node:assert/strict";
 * import { createWindowedPredictor } from "./mixer.ts";
 * import { createContextMixingPredictor } from "./context_mixing.ts";
 * const cm = createContextMixingPredictor();
 * const windowed = createWindowedPredictor(cm, 2);
 * const batch = windowed.start(1);
 * const first = new Uint32Array(256), third = new Uint32Array(256);
 * batch.predict(first);
 * batch.advance(new Uint8Array([97]));
 * batch.advance(new Uint8Array([97]));
 * batch.predict(third);
 * assert.deepEqual(third, first);
 * batch.close();
 * ```
 */
export function createWindowedPredictor(part: Predictor, window: number): Predictor {
  if (!Number.isInteger(window) || window < 1) {
    throw new RangeError(`Cannot restart every ${window} bytes: expected an integer ≥ 1`);
  }
  const predictor: Predictor = {
    name: part.name,
    start(count: number): PredictorBatch {
      let inner = part.start(count);
      let done = 0; // bytes advanced since `inner` started
      const fresh = () => {
        if (done === window) {
          inner.close();
          inner = part.start(count);
          done = 0;
        }
        return inner;
      };
      return {
        count,
        predict(tables: Uint32Array): void {
          fresh().predict(tables);
        },
        advance(bytes: Uint8Array): void {
          fresh().advance(bytes);
          done++;
        },
        close(): void {
          inner.close();
        },
      };
    },
  };
  const whole = part.predictSegment?.bind(part);
  if (whole !== undefined) {
    predictor.predictSegment = (bytes: Uint8Array): Uint32Array => {
      const out = new Uint32Array(bytes.length * ALPHABET);
      for (let at = 0; at < bytes.length; at += window) {
        out.set(whole(bytes.subarray(at, at + window)), at * ALPHABET);
      }
      return out;
    };
  }
  return predictor;
}
