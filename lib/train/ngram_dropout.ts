// This module imports no tfjs.
/**
 * N-gram dropout: in training, each hashed n-gram lookup of each byte is dropped (read as the
 * zero row, as for an n-gram reaching before the window's start) with probability p. Run 10
 * (models/training/README.md) doubled the tables' rows and saw the training loss fall 0.09 bpb
 * while validation fell 0.01 and the benchmark's least familiar files (progp, trans, cp.html) got
 * worse: the tables memorize the corpus, which the runs have gone over about 11 times. Dropping
 * lookups makes the model keep predicting without a given n-gram's row, as it must for an
 * n-gram it has never seen. Inference never drops. Kept rows are not scaled up (as inverted
 * dropout would): a dropped lookup is an absent n-gram, an input the model already meets at every
 * window's first bytes, so a model continued with dropout starts from its own function.
 *
 * @module
 */
import type { Rng } from "./rng.ts";

/**
 * Replaces each entry of `rows` by `none` with probability `p`, one draw of `rng` per entry
 * (entries that are `none` already included, so the draws do not depend on the bytes). Draws
 * nothing when p is 0, so a run without dropout keeps the random stream it had before this
 * existed.
 *
 * @param rows Table rows of a batch, (B, T, H) flattened (`ngramRows`); changed in place.
 * @param none The row index that reads as no n-gram (`hashRows`, the zero row after the table).
 * @param p Drop probability, 0 ≤ p < 1.
 * @param rng The trainer's generator.
 * @returns How many entries were dropped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "./rng.ts";
 * import { dropNgrams } from "./ngram_dropout.ts";
 *
 * const rows = new Int32Array(1000).fill(3);
 * const dropped = dropNgrams(rows, 64, 0.5, new Rng(1));
 * assert.equal(rows.filter((r) => r === 64).length, dropped);
 * assert.ok(dropped > 400 && dropped < 600);
 * ```
 */
export function dropNgrams(rows: Int32Array, none: number, p: number, rng: Rng): number {
  if (!(p >= 0 && p < 1)) {
    throw new RangeError(`Cannot drop n-grams: p must be in [0, 1), got ${p}`);
  }
  if (p === 0) return 0;
  const threshold = Math.round(p * 2 ** 32); // uint32 draws below it: probability p
  let dropped = 0;
  for (let i = 0; i < rows.length; i++) {
    if (rng.uint32() < threshold) {
      rows[i] = none;
      dropped++;
    }
  }
  return dropped;
}
