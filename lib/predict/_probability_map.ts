// This module imports no tfjs.
/**
 * What the two secondary-estimation stages (`sse.ts`, method 5, and `sse2.ts`, method 6) share:
 * the log2 odds and their inverse, the adaptive probability map, and the match length's bucket.
 * Every step is a float64 +, −, ×, ÷, comparison, floor or table lookup in a fixed order.
 *
 * @module
 */
import { exp2neg } from "./mixer.ts";

/** Log2 odds of a map's first point; its last is −LOWEST. */
export const LOWEST = -16;
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
export function clampPosition(pos: number, limit: number): number {
  return pos < 0 ? 0 : pos > limit ? limit : pos;
}

/** `1 / (1 + 2^−d)`, from `exp2neg`. */
export function squash(d: number): number {
  if (d >= 0) return 1 / (1 + exp2neg(d));
  const e = exp2neg(-d);
  return e / (1 + e);
}

/** Length bucket l of a match of length `6 + e`. */
export function lengthBucket(e: number): number {
  return e < 4 ? e : e < 8 ? 4 + ((e - 4) >> 1) : e < 16 ? 6 : 7;
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
