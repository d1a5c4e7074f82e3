// This module imports no tfjs.
/**
 * What the two secondary-estimation stages (`sse.ts`, method 5, and `sse2.ts`, method 6) share:
 * the log2 odds and their inverse, the adaptive probability map, the node tree, the match map's
 * contexts, and maps 0–3 with their fixed average ({@link BaseMaps}). Every step is a float64 +,
 * −, ×, ÷, comparison, floor or table lookup in a fixed order.
 *
 * @module
 */
import { exp2neg } from "./mixer.ts";
import { ALPHABET } from "./predictor.ts";

/** Log2 odds of a map's first point; its last is −LOWEST. */
const LOWEST = -16;
/** Intervals of the dense maps (one per unit of log2 odds) and of the hashed maps (8/3 each). */
const INTERVALS = 32;
export const INTERVALS_H = 12;
/** Points per unit of log2 odds in the hashed maps. */
export const SCALE_H = 0.375;
/** Where a position stops, so that its interval's upper point j + 1 exists. */
const POS_LIMIT = INTERVALS - 1 / (1 << 20);
const POS_LIMIT_H = INTERVALS_H - 1 / (1 << 20);
/** Minimum match length of the match context (the default model's `matchLength`). */
export const SSE_MATCH_LENGTH = 6;
/** Contexts of the match map: no match / off the path, then 2 bits × 8 length buckets. */
const MATCH_CONTEXTS = 17;
/** 2654435761 as an int32, for `Math.imul`: the product mod 2^32 is exact. */
export const GOLDEN = -1640531535;
const RATE_FLOOR = 0.01;
const COUNT_LIMIT = 255;

/** `st(r)`: the log2 odds of r, from the table L of `log2Table` (`mixer.ts`). */
export function stretch(log: Float64Array, r: number): number {
  let c = Math.floor(r * 65536);
  if (c < 1) c = 1;
  else if (c > 65535) c = 65535;
  return log[c]! - log[65536 - c]!;
}

/** `pos` limited to [0, limit]. */
function clampPosition(pos: number, limit: number): number {
  return pos < 0 ? 0 : pos > limit ? limit : pos;
}

/** `1 / (1 + 2^−d)`, from `exp2neg`. */
export function squash(d: number): number {
  if (d >= 0) return 1 / (1 + exp2neg(d));
  const e = exp2neg(-d);
  return e / (1 + e);
}

/** Length bucket l of a match of length `6 + e`. */
function lengthBucket(e: number): number {
  return e < 4 ? e : e < 8 ? 4 + ((e - 4) >> 1) : e < 16 ? 6 : 7;
}

/**
 * The match map's context m of every node for one byte, from the segment's match row `row`
 * (`(len − 6) · 256 + byte`, or < 0 for none): 0 off the match byte's path, else
 * `1 + 8 · b + l` (b the byte's bit at the node, l the length's bucket).
 */
export function fillMatchContexts(row: number, ms: Int32Array): void {
  ms.fill(0);
  if (row < 0) return;
  const matchByte = row & 255, bucket = lengthBucket(row >> 8), path = matchByte + 256;
  for (let d = 0; d < 8; d++) ms[path >> (8 - d)] = 1 + 8 * ((matchByte >> (7 - d)) & 1) + bucket;
}

/**
 * One adaptive map: per context, `intervals + 1` probabilities with their counts. A context's row
 * is written with the starting values when first read, so that a segment pays for the rows it
 * uses, not for all of them.
 */
export class ProbabilityMap {
  readonly t: Float64Array;
  readonly n: Uint8Array;
  readonly #start: Float64Array;
  readonly #ready: Uint8Array;
  readonly #points: number;

  constructor(contexts: number, intervals: number, scale: number) {
    const points = this.#points = intervals + 1;
    this.#start = new Float64Array(points);
    for (let k = 0; k < points; k++) {
      // 1 / (1 + 2^−(LOWEST + k / scale)), k / scale an integer for scale 1 and exact there.
      this.#start[k] = squash(LOWEST + k / scale);
    }
    this.t = new Float64Array(contexts * points);
    this.n = new Uint8Array(contexts * points);
    this.#ready = new Uint8Array(contexts);
  }

  /** Offset of context c's row in `t` and `n`, its starting values written on first use. */
  row(c: number): number {
    const at = c * this.#points;
    if (this.#ready[c] === 0) {
      this.#ready[c] = 1;
      this.t.set(this.#start, at);
    }
    return at;
  }

  /** The map's estimate at entry `base` (= row + j), interpolated with weight w. */
  read(base: number, w: number): number {
    return this.t[base]! * (1 - w) + this.t[base + 1]! * w;
  }

  /** Learns bit y at entry `base` with weight w (the count-based rates, floor 0.01). */
  update(base: number, w: number, y: number): void {
    const t = this.t, n = this.n;
    const n0 = n[base]!, n1 = n[base + 1]!;
    let r0 = 1 / (n0 + 1.5), r1 = 1 / (n1 + 1.5);
    if (r0 < RATE_FLOOR) r0 = RATE_FLOOR;
    if (r1 < RATE_FLOOR) r1 = RATE_FLOOR;
    t[base] = t[base]! + r0 * (1 - w) * (y - t[base]!);
    t[base + 1] = t[base + 1]! + r1 * w * (y - t[base + 1]!);
    if (w < 0.5) {
      if (n0 < COUNT_LIMIT) n[base] = n0 + 1;
    } else if (n1 < COUNT_LIMIT) n[base + 1] = n1 + 1;
  }
}

/** Bits of map 3's hashed context (the two previous bytes and the node). */
const ORDER2_BITS = 18;
/** The input's own weight in the fixed average, and the average's divisor. */
const INPUT_WEIGHT = 0.25;
const WEIGHT_SUM = 3.25;
/**
 * Nodes with less mass than this (of 65536) are not refined: they hardly change the code length
 * (+0.06% on text when none is skipped, measured), and skipping them makes a stage ~3× faster.
 */
export const SKIP_BELOW = 256;

/** Subtree sums of the table `f[at..at+256)`: `s[256 + v] = f[v]`, `s[n] = s[2n] + s[2n + 1]`. */
export function fillTree(s: Float64Array, f: Uint32Array, at: number): void {
  for (let v = 0; v < ALPHABET; v++) s[256 + v] = f[at + v]!;
  for (let n = 255; n >= 1; n--) s[n] = s[2 * n]! + s[2 * n + 1]!;
}

/**
 * Maps 0–3 of both stages (FORMAT.md, Appendix E, steps 2–3): the node's position in them from
 * its input x, their estimates in the contexts node, previous byte, match and order-2 hash, the
 * fixed average of step 4, and their update after the byte.
 */
export class BaseMaps {
  readonly #map0 = new ProbabilityMap(256, INTERVALS, 1);
  readonly #map1 = new ProbabilityMap(256 * 256, INTERVALS, 1);
  readonly #map2 = new ProbabilityMap(MATCH_CONTEXTS * 256, INTERVALS, 1);
  readonly #map3 = new ProbabilityMap(1 << ORDER2_BITS, INTERVALS_H, SCALE_H);
  /** Per node of the last prediction: the entries read (j), −1 when it was not refined. */
  readonly #bases = new Int32Array(256 * 4);
  readonly #w = new Float64Array(256);
  /** Per node of the last prediction: wh, the weight of the hashed maps' upper point. */
  readonly wh = new Float64Array(256);
  /** The estimates r_0 … r_3 of the last {@link read}. */
  readonly r = new Float64Array(4);
  /** jh of the last {@link read}: the hashed maps' lower point. */
  jh = 0;

  /**
   * Reads node n, whose input has log2 odds x: `prevBase` is 256 × the previous byte, `pair` the
   * two previous bytes (p2 · 256 + p), m the match context.
   */
  read(n: number, x: number, prevBase: number, pair: number, m: number): void {
    const pos = clampPosition(x - LOWEST, POS_LIMIT);
    const j = Math.floor(pos), w = pos - j;
    const posH = clampPosition((x - LOWEST) * SCALE_H, POS_LIMIT_H);
    const jh = Math.floor(posH), wh = posH - jh;
    this.#w[n] = w;
    this.wh[n] = wh;
    this.jh = jh;
    const b0 = this.#map0.row(n) + j;
    const b1 = this.#map1.row(prevBase + n) + j;
    const b2 = this.#map2.row(m * 256 + n) + j;
    const b3 = this.#map3.row(Math.imul(pair * 256 + n, GOLDEN) >>> (32 - ORDER2_BITS)) + jh;
    const bases = this.#bases, r = this.r;
    bases[4 * n] = b0;
    bases[4 * n + 1] = b1;
    bases[4 * n + 2] = b2;
    bases[4 * n + 3] = b3;
    r[0] = this.#map0.read(b0, w);
    r[1] = this.#map1.read(b1, w);
    r[2] = this.#map2.read(b2, w);
    r[3] = this.#map3.read(b3, wh);
  }

  /** The fixed average `(0.25 · input + r_0 + r_1 + r_2) / 3.25` of the last read, in order. */
  average(input: number): number {
    const r = this.r;
    let a = INPUT_WEIGHT * input;
    a = a + r[0]!;
    a = a + r[1]!;
    a = a + r[2]!;
    return a / WEIGHT_SUM;
  }

  /** Marks node n as not refined in this prediction. */
  skip(n: number): void {
    this.#bases[4 * n] = -1;
  }

  /** Whether node n was refined in the last prediction. */
  refined(n: number): boolean {
    return this.#bases[4 * n]! >= 0;
  }

  /** Learns bit y at node n, which was refined: maps 0–3 in order. */
  update(n: number, y: number): void {
    const bases = this.#bases, w = this.#w[n]!;
    this.#map0.update(bases[4 * n]!, w, y);
    this.#map1.update(bases[4 * n + 1]!, w, y);
    this.#map2.update(bases[4 * n + 2]!, w, y);
    this.#map3.update(bases[4 * n + 3]!, this.wh[n]!, y);
  }
}
