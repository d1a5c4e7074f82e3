// This module imports no tfjs.
/**
 * The trainer's one random number generator: xoshiro128** (Blackman and Vigna 2018), seeded
 * through SplitMix32. Its whole state is four 32-bit words, so a checkpoint stores it and a resumed
 * run draws exactly the numbers the uninterrupted run would have drawn.
 *
 * @module
 */

/** A seeded generator whose state can be saved and restored. */
export class Rng {
  #s: Uint32Array;

  /**
   * Creates a generator from an integer seed (any safe integer; equal seeds give equal streams).
   *
   * @example Two generators with one seed agree
   * ```ts
   * import assert from "node:assert/strict";
   * import { Rng } from "./rng.ts";
   * assert.equal(new Rng(1337).uint32(), new Rng(1337).uint32());
   * ```
   */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new RangeError(`Cannot seed the generator: seed must be a safe integer, got ${seed}`);
    }
    // SplitMix32 over both halves of the seed fills the state; it is never all zero.
    let x = (seed | 0) ^ Math.imul(Math.floor(seed / 2 ** 32) | 0, 0x9e3779b9);
    const s = new Uint32Array(4);
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      s[i] = z ^ (z >>> 16);
    }
    if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
    this.#s = s;
  }

  /** The next 32 random bits as an unsigned integer. */
  uint32(): number {
    const s = this.#s;
    const r = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return r;
  }

  /**
   * A uniform integer in 0..n−1, without modulo bias, for 1 ≤ n ≤ 2^53.
   *
   * @param n The number of possible values.
   * @returns An integer in `[0, n)`.
   */
  int(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new RangeError(`Cannot draw an integer below ${n}: n must be a positive safe integer`);
    }
    if (n <= 2 ** 32) {
      // Rejection keeps every value equally likely: accept draws below the largest multiple of n.
      const limit = 2 ** 32 - (2 ** 32 % n);
      for (;;) {
        const r = this.uint32();
        if (r < limit) return r % n;
      }
    }
    for (;;) {
      const r = (this.uint32() >>> 11) * 2 ** 32 + this.uint32(); // 53 bits
      const limit = 2 ** 53 - (2 ** 53 % n);
      if (r < limit) return r % n;
    }
  }

  /** The generator's state, four unsigned 32-bit words, for a checkpoint. */
  getState(): number[] {
    return Array.from(this.#s);
  }

  /**
   * Restores a state returned by {@link Rng.getState}.
   *
   * @param state Four unsigned 32-bit integers, not all zero.
   */
  setState(state: readonly number[]): void {
    if (
      state.length !== 4 || state.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff) ||
      state.every((w) => w === 0)
    ) {
      throw new RangeError(
        "Cannot restore the generator: state must be four 32-bit unsigned integers, not all zero",
      );
    }
    this.#s = Uint32Array.from(state);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
