// This module imports no tfjs.
/**
 * The names and shapes of every weight tensor of a MEGABYTE model, in the canonical order of
 * `lib/model/ARCHITECTURE.md`. The tfjs model creates its variables from this table, the
 * model-file writer writes tensors in this order and the reader accepts exactly this set.
 *
 * @module
 */
import { hashTables, matchTable, type MegabyteConfig, validateConfig } from "./config.ts";

/** Names of the per-block tensors, in order (`{prefix}.h{i}.{name}`). */
const BLOCK_TENSORS = ["ln1", "wqkv", "wo", "ln2", "w1", "w2"] as const;

/** Shapes of one pre-norm transformer block of width `d`. */
function blockShapes(prefix: string, i: number, d: number, mlpRatio: number): [string, number[]][] {
  const shapes: Record<(typeof BLOCK_TENSORS)[number], number[]> = {
    ln1: [d], // RMSNorm gain before attention
    wqkv: [d, 3 * d], // fused q | k | v
    wo: [d, d], // attention output projection
    ln2: [d], // RMSNorm gain before the MLP
    w1: [d, mlpRatio * d], // MLP up
    w2: [mlpRatio * d, d], // MLP down
  };
  return BLOCK_TENSORS.map((name) => [`${prefix}.h${i}.${name}`, shapes[name]]);
}

/**
 * Returns every tensor of a model with `config`, name → shape, in the canonical order of
 * `lib/model/ARCHITECTURE.md` (global embedder, global blocks, `g2l.w`, local embedder, local
 * blocks, head). Throws a RangeError if the config is invalid.
 *
 * @param config The model's sizes.
 * @returns A new map from tensor name to shape (outermost dimension first).
 *
 * @example Tensors of a one-layer model
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensorShapes } from "./tensor_shapes.ts";
 *
 * const shapes = tensorShapes({
 *   patchSize: 4, globalDim: 8, globalLayers: 1, globalHeads: 2,
 *   localDim: 16, localLayers: 1, localHeads: 2, context: 64, mlpRatio: 4,
 * });
 * assert.deepEqual(shapes.get("global.h0.wqkv"), [32, 96]);
 * assert.deepEqual(shapes.get("local.head"), [16, 256]);
 * ```
 */
export function tensorShapes(config: MegabyteConfig): Map<string, number[]> {
  validateConfig(config);
  const { patchSize: P, globalDim: DG, localDim: DL, context: T, mlpRatio } = config;
  const E = P * DG;
  const shapes = new Map<string, number[]>();
  shapes.set("global.byte_emb", [256, DG]);
  shapes.set("global.pos_emb", [T, DG]);
  shapes.set("global.pad", [E]);
  for (let i = 0; i < config.globalLayers; i++) {
    for (const [name, shape] of blockShapes("global", i, E, mlpRatio)) shapes.set(name, shape);
  }
  shapes.set("global.ln_f", [E]);
  shapes.set("g2l.w", [DG, DL]);
  shapes.set("local.byte_emb", [256, DL]);
  shapes.set("local.pos_emb", [P, DL]);
  shapes.set("local.pad", [DL]);
  const hash = hashTables(config);
  for (let n = 2; n <= hash.orders + 1; n++) shapes.set(`local.ngram${n}_emb`, [hash.rows, DL]);
  const match = matchTable(config);
  if (match.rows > 0) shapes.set("local.match_emb", [match.rows, DL]);
  for (let i = 0; i < config.localLayers; i++) {
    for (const [name, shape] of blockShapes("local", i, DL, mlpRatio)) shapes.set(name, shape);
  }
  shapes.set("local.ln_f", [DL]);
  shapes.set("local.head", [DL, 256]);
  return shapes;
}
