// This module imports no tfjs.
/**
 * The match row of the local input (`lib/model/ARCHITECTURE.md`, step 5): for the byte at
 * position t, what followed the most recent earlier occurrence of the k bytes before t, and how
 * long that match is. A context-mixing compressor's match model predicts from the same thing; the
 * transformer, measured, hardly copies from earlier in its window (models/training/README.md), so
 * it is handed the copy as an input, looked up in `local.match_emb`, (length bucket × 256) rows.
 *
 * The row is defined exactly (the most recent verified match, not whatever a hash table last held)
 * so that the tfjs model, the trainer and the engines can compute it each their own way and agree.
 *
 * @module
 */

import { MATCH_MAX_LENGTH, matchTableRows } from "./config.ts";

export { MATCH_MAX_LENGTH, matchTableRows };

/**
 * The match row of the byte at position t of `x`, by its definition: let s be the largest
 * position with k ≤ s < t and x[s−k..s−1] = x[t−k..t−1]; none (−1) when there is no such s (or
 * t < k + 1). Else L is the number of i = 1, 2, … with s − i ≥ 0 and x[s−i] = x[t−i], counted up to
 * {@link MATCH_MAX_LENGTH} (so k ≤ L ≤ 32), and the row is `(L − k)·256 + x[s]`.
 *
 * This scans back from t (O(t·k)); {@link matchRows} gives the same rows in about O(1) per byte.
 *
 * @param x The segment's bytes (integers 0..255).
 * @param t The position whose input the row feeds, 0 ≤ t ≤ x.length (only x[0..t−1] is read).
 * @param k The minimum match length, 1..{@link MATCH_MAX_LENGTH}.
 * @returns A row in 0..matchTableRows(k)−1, or −1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { matchRow } from "./match.ts";
 *
 * const x = new TextEncoder().encode("abcdXabcdY abc");
 * // Before position 9 ("Y"): "abcd" last occurred before position 4, which holds "X".
 * assert.equal(matchRow(x, 9, 4), 0 * 256 + "X".charCodeAt(0));
 * // Before position 14: " abc" never occurred before, so with k = 4 there is no match;
 * // with k = 3, "abc" last occurred before position 8 ("d"), preceded by "X" there, not " ": L = 3.
 * assert.equal(matchRow(x, 14, 4), -1);
 * assert.equal(matchRow(x, 14, 3), 0 * 256 + "d".charCodeAt(0));
 * ```
 */
export function matchRow(x: ArrayLike<number>, t: number, k: number): number {
  for (let s = t - 1; s >= k; s--) {
    const row = rowIfMatch(x, s, t, k);
    if (row >= 0) return row;
  }
  return -1;
}

/**
 * The row of {@link matchRow} for candidate s, or −1 when x[s−k..s−1] ≠ x[t−k..t−1]: L counts the
 * equal bytes back from s − 1 and t − 1, up to {@link MATCH_MAX_LENGTH}.
 */
function rowIfMatch(x: ArrayLike<number>, s: number, t: number, k: number): number {
  return sameContext(x, s, t, k) ? rowAt(x, s, t, k, 0) : -1;
}

/** Whether x[s−k..s−1] = x[t−k..t−1]. */
function sameContext(x: ArrayLike<number>, s: number, t: number, k: number): boolean {
  for (let i = 1; i <= k; i++) if (x[s - i] !== x[t - i]) return false;
  return true;
}

/**
 * The row of a verified match at s for position t: L counts the equal bytes back from s − 1 and
 * t − 1, up to {@link MATCH_MAX_LENGTH}, reading no byte before `from`.
 */
function rowAt(x: ArrayLike<number>, s: number, t: number, k: number, from: number): number {
  let length = k;
  while (
    length < MATCH_MAX_LENGTH && s - length - 1 >= from && x[s - length - 1] === x[t - length - 1]
  ) {
    length++;
  }
  return (length - k) * 256 + x[s];
}

/**
 * Bits of the hash that chains the positions of one segment: 13 for a window, more for a longer
 * one (17 for 1 MiB, up to 24 for a whole training file), so that chains stay short (about 8
 * positions per head). The rows do not depend on it.
 */
function hashBits(capacity: number): number {
  return Math.min(24, Math.max(13, Math.ceil(Math.log2(Math.max(1, capacity))) - 3));
}

/**
 * {@link matchRow} of one segment, position after position, in about O(1) each: the segment's
 * positions are hashed by the k bytes before them and chained to the previous position of the
 * same hash; a lookup walks its chain from the newest, verifying each candidate byte for byte, so
 * the first verified one is the s of the definition, whatever the hash collides on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MatchIndex, matchRow } from "./match.ts";
 *
 * const x = new TextEncoder().encode("abcdXabcdY");
 * const index = new MatchIndex(4, x.length);
 * for (let t = 0; t < x.length; t++) assert.equal(index.row(x, t), matchRow(x, t, 4));
 * ```
 */
export class MatchIndex {
  readonly k: number;
  readonly #bits: number;
  readonly #head: Int32Array;
  /** previous[p]: the last position before p of p's hash, −1 for none (grows past the capacity). */
  #previous: Int32Array;
  /** Positions k..indexed−1 are in the chains. */
  #indexed: number;
  /** The last position asked for, −1 after a reset. */
  #last = -1;

  /**
   * @param k The minimum match length, 1..{@link MATCH_MAX_LENGTH}.
   * @param capacity The longest segment it expects (it sizes the hash by it; a longer one grows it).
   */
  constructor(k: number, capacity: number) {
    if (!(Number.isInteger(k) && k >= 1 && k <= MATCH_MAX_LENGTH)) {
      throw new RangeError(`The match length k must be in 1..${MATCH_MAX_LENGTH}, got ${k}`);
    }
    this.k = k;
    this.#bits = hashBits(capacity);
    this.#head = new Int32Array(1 << this.#bits).fill(-1);
    this.#previous = new Int32Array(capacity + 1);
    this.#indexed = k;
  }

  /** Forgets the segment, for the next one. */
  reset(): void {
    this.#head.fill(-1);
    this.#indexed = this.k;
    this.#last = -1;
  }

  /** The hash of the k bytes before position p. */
  #key(x: ArrayLike<number>, p: number): number {
    let h = 0x811c9dc5;
    for (let i = p - this.k; i < p; i++) h = Math.imul(h ^ x[i], 0x01000193);
    return (h ^ (h >>> 16)) & ((1 << this.#bits) - 1);
  }

  /**
   * `matchRow(x, t, k)`. Positions are indexed as t grows; asking for a t lower than one asked
   * before needs a {@link reset} first (x[0..t−1] must be the same bytes as before).
   *
   * @param x The segment's bytes, at least its first t.
   * @param t The position, 0 ≤ t ≤ x.length.
   */
  row(x: ArrayLike<number>, t: number): number {
    const s = this.source(x, t);
    return s < 0 ? -1 : rowAt(x, s, t, this.k, 0);
  }

  /**
   * The s of {@link matchRow}'s definition for position t (the most recent earlier position with
   * the same k bytes before it), or −1 for none; the same order rules as {@link row}.
   */
  source(x: ArrayLike<number>, t: number): number {
    const k = this.k;
    if (t < this.#last) throw new RangeError(`MatchIndex went back to ${t}: reset() first`);
    this.#last = t;
    if (t >= this.#previous.length) {
      const grown = new Int32Array(Math.max(t + 1, 2 * this.#previous.length));
      grown.set(this.#previous);
      this.#previous = grown;
    }
    for (let p = this.#indexed; p < t; p++) { // chain the positions k..t−1
      const h = this.#key(x, p);
      this.#previous[p] = this.#head[h];
      this.#head[h] = p;
    }
    this.#indexed = Math.max(this.#indexed, t);
    if (t < k + 1) return -1;
    for (let s = this.#head[this.#key(x, t)]; s >= 0; s = this.#previous[s]) {
      if (sameContext(x, s, t, k)) return s;
    }
    return -1;
  }
}

/**
 * The match rows of any window of one file with any history, from one pass over the file: for
 * each position p, the most recent earlier position with the same k bytes before it (4 bytes per
 * byte of the file). A window's row at p is then that position if it lies within the history, and
 * none otherwise (every earlier one lies further back), so `windowRows` costs O(32) per byte
 * whatever the history, where {@link fileWindowMatchRows} chains the whole history for each window.
 * The trainer's `--match-history` and `--valid-history` use it; the rows are the same (tested).
 */
export class FileMatchIndex {
  readonly k: number;
  readonly #file: Uint8Array;
  /** previous[p]: the s of `matchRow(file, p, k)` over the whole file, −1 for none. */
  readonly #previous: Int32Array;

  /**
   * @param file The whole file.
   * @param k The minimum match length, 1..{@link MATCH_MAX_LENGTH}.
   */
  constructor(file: Uint8Array, k: number) {
    this.k = k;
    this.#file = file;
    this.#previous = new Int32Array(file.length);
    const index = new MatchIndex(k, file.length);
    for (let p = 0; p < file.length; p++) this.#previous[p] = index.source(file, p);
  }

  /**
   * `fileWindowMatchRows(file, start, T, k, maxHistory)`: the rows (−1: none) of the T-byte window
   * at `start`, found also in up to `maxHistory` bytes of the file before it.
   */
  windowRows(start: number, T: number, maxHistory: number): Int32Array {
    const from = start - Math.min(start, maxHistory); // the history's first byte
    const out = new Int32Array(T).fill(-1);
    for (let t = 0; t < T; t++) {
      const p = start + t;
      const s = this.#previous[p];
      if (s >= from + this.k) out[t] = rowAt(this.#file, s, p, this.k, from);
    }
    return out;
  }
}

/**
 * {@link matchRow} for every position of a batch of windows, each its own segment: entry
 * [b·T + t] is `matchRow(window b, t, k)`, with −1 written as `none` (the tfjs model's `gramRows`
 * then sends each "no match" to one of the zero rows appended to the table). Built with a
 * {@link MatchIndex}.
 *
 * @param x The windows, B·T bytes, window b at [b·T, (b+1)·T).
 * @param B Windows.
 * @param T Bytes per window.
 * @param k The minimum match length, 1..{@link MATCH_MAX_LENGTH}.
 * @param none What to write for "no match".
 * @returns B·T int32 rows.
 */
export function matchRows(
  x: ArrayLike<number>,
  B: number,
  T: number,
  k: number,
  none: number,
): Int32Array {
  const out = new Int32Array(B * T);
  const index = new MatchIndex(k, T);
  const w = new Int32Array(T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) w[t] = x[b * T + t];
    index.reset();
    for (let t = 0; t < T; t++) {
      const r = index.row(w, t);
      out[b * T + t] = r < 0 ? none : r;
    }
  }
  return out;
}

/**
 * The match rows of a window that has history before it: entry t is `matchRow(x, history + t, k)`
 * for t in 0..T−1, where x[0..history−1] are bytes that came before the window (earlier in the
 * same file or codec segment) and x[history..history+T−1] the window. The match may lie anywhere
 * in x before the position, and its length counts back into the history. With history 0 this is
 * {@link matchRows} of one window.
 *
 * @param x History then window, at least history + T bytes.
 * @param history Bytes of history at the start of `x`.
 * @param T Bytes of the window.
 * @param k The minimum match length, 1..{@link MATCH_MAX_LENGTH}.
 * @param none What to write for "no match".
 * @returns T int32 rows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { matchRow, matchRowsAfter } from "./match.ts";
 *
 * const x = new TextEncoder().encode("abcdX" + "abcdY");
 * const rows = matchRowsAfter(x, 5, 5, 4, -1); // window "abcdY" after history "abcdX"
 * assert.equal(rows[4], matchRow(x, 9, 4)); // "abcd" before Y: last seen in the history, then X
 * assert.equal(rows[4], "X".charCodeAt(0));
 * ```
 */
export function matchRowsAfter(
  x: ArrayLike<number>,
  history: number,
  T: number,
  k: number,
  none: number,
): Int32Array {
  const out = new Int32Array(T);
  const index = new MatchIndex(k, history + T);
  for (let t = 0; t < T; t++) {
    const r = index.row(x, history + t);
    out[t] = r < 0 ? none : r;
  }
  return out;
}

/**
 * The match rows (−1: none) of the `T`-byte window of `file` at `start`, found also in up to
 * `maxHistory` bytes of the file before it: {@link matchRowsAfter} of that history and the window.
 *
 * @param file The whole file.
 * @param start Where the window starts.
 * @param T Bytes of the window.
 * @param k The minimum match length, 1..{@link MATCH_MAX_LENGTH}.
 * @param maxHistory Bytes before the window that a match may lie in (fewer near the file's start).
 * @returns T int32 rows.
 */
export function fileWindowMatchRows(
  file: Uint8Array,
  start: number,
  T: number,
  k: number,
  maxHistory: number,
): Int32Array {
  const history = Math.min(start, maxHistory);
  return matchRowsAfter(file.subarray(start - history, start + T), history, T, k, -1);
}
