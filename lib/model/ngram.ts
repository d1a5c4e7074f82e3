// This module imports no tfjs.
/**
 * The hashed n-gram rows of the local input (`lib/model/ARCHITECTURE.md`, step 5): which row of
 * table `local.ngram{n}_emb` the byte at position t reads. The tfjs model, the trainer and the
 * engine all take their rows from here, so they cannot disagree.
 *
 * Idea from the Byte Latent Transformer (Pagnoni et al. 2024, section 3.2.1): embeddings of the
 * hashed byte n-grams ending before each byte, added to its input. They add parameters but almost
 * no FLOPs per byte (a lookup and an add each), which is what the CPU engine's speed leaves room for.
 *
 * @module
 */
import { hashTables, type MegabyteConfig } from "./config.ts";

/**
 * The row of an order-n table for the byte at position t of `x`: a hash of the n bytes
 * x[t−n..t−1] (the n bytes before t, oldest first), or −1 when t < n (fewer than n bytes
 * precede t in the segment: the table adds nothing there).
 *
 * The hash, in 32-bit integer arithmetic: `h = imul(n, 0x9E3779B1)`, then for each
 * byte b in order `h = imul(h ^ b, 0x01000193)` (FNV-1a's step), then MurmurHash3's finalizer
 * (`h ^= h >>> 16; h = imul(h, 0x85EBCA6B); h ^= h >>> 13; h = imul(h, 0xC2B2AE35); h ^= h >>> 16`),
 * and the row is `h & (rows − 1)`.
 *
 * @param x The segment's bytes (any array of integers 0..255).
 * @param t The position whose input the row feeds, 0 ≤ t ≤ x.length (only x[t−n..t−1] is read).
 * @param n The order, ≥ 1.
 * @param rows Rows of the table, a power of two.
 * @returns A row in 0..rows−1, or −1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ngramRow } from "./ngram.ts";
 *
 * const x = new TextEncoder().encode("the cat");
 * assert.equal(ngramRow(x, 1, 2, 1024), -1); // one byte before position 1
 * assert.equal(ngramRow(x, 3, 2, 1024), ngramRow(new TextEncoder().encode("a he"), 4, 2, 1024));
 * ```
 */
export function ngramRow(x: ArrayLike<number>, t: number, n: number, rows: number): number {
  if (t < n) return -1;
  let h = Math.imul(n, 0x9e3779b1);
  for (let i = t - n; i < t; i++) h = Math.imul(h ^ x[i], 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & (rows - 1);
}

/**
 * The rows of every hashed table for every position of a batch of windows, for the tfjs model:
 * entry [b, t, j] is {@link ngramRow} of window b, position t, order n = j + 2, with −1 written as
 * `rows` (the model gathers from each table with a zero row appended).
 *
 * @param x The windows, B·T bytes, window b at [b·T, (b+1)·T).
 * @param B Windows.
 * @param T Bytes per window (each window is its own segment: position 0 has no bytes before it).
 * @param config The model's sizes; H = `hashOrders`.
 * @returns (B, T, H) int32, row-major; empty when H = 0.
 */
export function ngramRows(
  x: ArrayLike<number>,
  B: number,
  T: number,
  config: MegabyteConfig,
): Int32Array {
  const { orders: H, rows } = hashTables(config);
  const out = new Int32Array(B * T * H);
  if (H === 0) return out;
  const window = new Int32Array(T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) window[t] = x[b * T + t];
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < H; j++) {
        const row = ngramRow(window, t, j + 2, rows);
        out[(b * T + t) * H + j] = row < 0 ? rows : row;
      }
    }
  }
  return out;
}
