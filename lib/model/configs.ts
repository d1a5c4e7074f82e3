// This module imports no tfjs.
/**
 * The named model levels: one table, a "why" per entry. The measurements behind the sizes are in
 * `lib/model/README.md`; `flopsPerByte` and `paramCount` (`flops.ts`) give the figures quoted.
 *
 * @module
 */
import type { MegabyteConfig } from "./config.ts";

/** `LEVELS.tiny`, which `tinyhash` extends. */
const TINY: MegabyteConfig = {
  patchSize: 4,
  globalDim: 8,
  globalLayers: 2,
  globalHeads: 2,
  localDim: 16,
  localLayers: 2,
  localHeads: 2,
  context: 64,
  mlpRatio: 4,
};

/** `LEVELS.local4`, which `local4hash` extends. */
const LOCAL4: MegabyteConfig = {
  patchSize: 8,
  globalDim: 64,
  globalLayers: 3,
  globalHeads: 8,
  localDim: 80,
  localLayers: 4,
  localHeads: 2,
  context: 4096,
  mlpRatio: 4,
};

/**
 * Model levels by name, for `megazip train --config NAME`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { flopsPerByte } from "./flops.ts";
 * import { LEVELS } from "./configs.ts";
 *
 * assert.ok(flopsPerByte(LEVELS.default) <= 3e6);
 * ```
 */
export const LEVELS: Readonly<Record<string, MegabyteConfig>> = Object.freeze({
  /**
   * Tests and the committed engine fixture: every feature at its smallest useful size (two
   * layers and two heads in both models, so per-layer and per-head indexing is exercised;
   * K = 16 patches). ~42 K parameters, ~34 KFLOP per byte: a CPU test trains it in seconds.
   * Frozen: the committed tiny model and the engine's golden digests depend on it.
   */
  tiny: TINY,
  /**
   * Minutes of CPU training (wasm backend, 3–7 KB/s on this shared 2-core machine): the `p8`
   * sizing run of README.md, 0.46 MFLOP per byte, 1.0 M parameters, 4.86–5.11 valid bpb after
   * 2 MB of training (two seeds).
   */
  small: {
    patchSize: 8,
    globalDim: 24,
    globalLayers: 2,
    globalHeads: 4,
    localDim: 64,
    localLayers: 2,
    localHeads: 2,
    context: 512,
    mlpRatio: 4,
  },
  /**
   * The shipped model's base (runs 2–5; run 6 grew it to `local4`), sized for the CPU engine:
   * 2.92 MFLOP per byte (≤ 3, so ~15 GFLOP/s per core codes ≥ 10 KB/s on 2 cores), 9.92 M
   * parameters, 95% of them in the global model, which runs once per patch of P = 8 (the paper's
   * patch size for text); a small local model, as the sizing runs of README.md gained nothing from
   * a heavier one; ~9.5 MiB as int8. Frozen: `local4` and the shipped model derive from it.
   */
  default: {
    patchSize: 8,
    globalDim: 64,
    globalLayers: 3,
    globalHeads: 8,
    localDim: 80,
    localLayers: 2,
    localHeads: 2,
    context: 4096,
    mlpRatio: 4,
  },
  /**
   * The shipped model since run 6: `default` with four local layers instead of two, grown from
   * run 5's model by `megazip train --config local4 --init …` (the added blocks start as the
   * identity). Why: run 5's model predicted the last bytes of a patch worst (MODEL_CARD.md, patch
   * positions), the local model's job; 3.23 MFLOP per byte (+11%), +154 K parameters. Frozen
   * while `models/default.mgb` is trained from it.
   */
  local4: LOCAL4,
  /**
   * `tiny` with two hashed n-gram tables of 64 rows (orders 2 and 3), so that collisions, the
   * "fewer than n bytes" rule and patch-crossing n-grams all occur in a few bytes. Tests and the
   * engine's hashed fixture only. Frozen.
   */
  tinyhash: { ...TINY, hashOrders: 2, hashRows: 64 },
  /**
   * `local4` with hashed n-gram embeddings of orders 2..6 in the local input (`ngram.ts`), 32,768
   * rows each: +13.1 M parameters (+13.1 MB as int8, 23 MB in all, under the 24 MiB a shipped model
   * may take) for a lookup and an add per table and byte. Why: the engine's speed target leaves no
   * room for more FLOPs per byte (even one more global layer costs 18% of the CLI's speed), and the
   * shipped model is small for its job. Grown from `local4` with the tables at zero (the same
   * function at the start).
   */
  local4hash: { ...LOCAL4, hashOrders: 5, hashRows: 32768 },
  /**
   * `local4hash` with twice the rows per table (65,536), for half the collisions: +13.1 M
   * parameters at no FLOPs (36 MB as int8: over the shipped model's 24 MiB). Grown from
   * `local4hash` with each table repeated (the same function). Run 10 trained it and it was not
   * shipped: the tables memorized more than they generalized (models/training/README.md).
   */
  local4hash64k: { ...LOCAL4, hashOrders: 5, hashRows: 65536 },
  /**
   * `tinyhash` with the match row of minimum length 3 (`match.ts`; 30·256 rows). Tests only.
   */
  tinymatch: { ...TINY, hashOrders: 2, hashRows: 64, matchLength: 3 },
  /**
   * `local4hash` with the match row of minimum length 6 in the local input (`match.ts`): 27·256
   * rows of DL, +0.55 M parameters, a lookup and an add per byte. Why: the model hardly copies
   * from earlier in its window (models/training/README.md). Grown from `local4hash` with the table
   * at zero (the same function at the start).
   */
  local4hashmatch: { ...LOCAL4, hashOrders: 5, hashRows: 32768, matchLength: 6 },
});
