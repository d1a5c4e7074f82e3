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
 * The keep mask of a batch's n-gram lookups: each entry is 0 (dropped) with probability `p`, else
 * 1, one draw of `rng` per entry (so the draws do not depend on the bytes). A mask, not the rows
 * moved to the zero row: on webgpu the tables' gradient is a segment sum with atomic adds, and 30%
 * of a batch's lookups adding into one row serialized the step (20 KB/s against 175 KB/s, on the
 * device on 2026-11-29). Multiplying a kept row by 1 and a dropped one by 0 reads the same as the
 * zero row and gives the tables the same gradient. Draws nothing when p is 0, so a run without
 * dropout keeps the random stream it had before this existed.
 *
 * @param n Entries: the (B, T, G) lookups of a batch, flattened.
 * @param p Drop probability, 0 ≤ p < 1.
 * @param rng The trainer's generator.
 * @returns (B·T·G) float32 ones and zeros, or undefined when p is 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "./rng.ts";
 * import { dropMask } from "./ngram_dropout.ts";
 *
 * const keep = dropMask(1000, 0.5, new Rng(1))!;
 * const dropped = keep.filter((k) => k === 0).length;
 * assert.ok(dropped > 400 && dropped < 600);
 * ```
 */
export function dropMask(n: number, p: number, rng: Rng): Float32Array | undefined {
  if (!(p >= 0 && p < 1)) {
    throw new RangeError(`Cannot drop n-grams: p must be in [0, 1), got ${p}`);
  }
  if (p === 0) return undefined;
  const threshold = Math.round(p * 2 ** 32); // uint32 draws below it: probability p
  const keep = new Float32Array(n);
  for (let i = 0; i < n; i++) keep[i] = rng.uint32() < threshold ? 0 : 1;
  return keep;
}
