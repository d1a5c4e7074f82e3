// This module imports no tfjs.
/**
 * Seeded randomness for the codec's tests and fuzzers (mulberry32): the same seed gives the
 * same bytes on every machine, so a failure reproduces from its printed seed.
 *
 * @module
 */

/** A seeded generator of 32-bit integers, floats and bytes. */
export class Random {
  #state: number;

  /** A generator started from `seed` (any 32-bit integer). */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** The next unsigned 32-bit integer. */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A float in [0, 1). */
  float(): number {
    return this.next() / 2 ** 32;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next() & 0xff;
    return out;
  }

  /** `n` bytes of a small order-1 Markov source: compressible, but not trivially. */
  text(n: number): Uint8Array {
    const words = ["the ", "codec ", "block ", "segment ", "archive ", "of ", "and ", "model "];
    const out = new Uint8Array(n);
    let i = 0;
    while (i < n) {
      const word = words[this.below(words.length)]!;
      for (let k = 0; k < word.length && i < n; k++) out[i++] = word.charCodeAt(k);
      if (this.below(16) === 0 && i < n) out[i++] = 10;
    }
    return out;
  }
}
