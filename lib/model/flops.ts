// This module imports no tfjs.
/**
 * Parameter counts and forward FLOPs per byte of a MEGABYTE config, for sizing levels
 * (`lib/model/configs.ts`), model cards and the trainer's TFLOP/s figure (6 × forward FLOPs).
 *
 * @module
 */
import { hashTables, matchTable, type MegabyteConfig } from "./config.ts";
import { tensorShapes } from "./tensor_shapes.ts";

/** Parameters of a model, by the part that uses them. */
export interface ParamCount {
  /** Global transformer blocks, `global.pad` and `global.ln_f`: run once per patch. */
  global: number;
  /** `g2l.w`, `local.pad`, the local blocks, `local.ln_f` and `local.head`: run once per byte. */
  local: number;
  /** The four embedding tables (`*.byte_emb`, `*.pos_emb`): lookups, no FLOPs. */
  embeddings: number;
  /**
   * The hashed n-gram tables (`local.ngram{n}_emb`, H·R·DL): one row looked up and added per
   * table and byte. 0 without tables.
   */
  hash: number;
  /** The match table (`local.match_emb`): one row looked up and added per byte. 0 without. */
  match: number;
  /** Everything: the number of floats in the model file. */
  total: number;
}

/**
 * Counts the parameters of a model with `config`, split by where they are used.
 *
 * @param config The model's sizes.
 * @returns The counts; `total` is the sum of the others.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { paramCount } from "./flops.ts";
 *
 * const n = paramCount({
 *   patchSize: 4, globalDim: 8, globalLayers: 1, globalHeads: 2,
 *   localDim: 16, localLayers: 1, localHeads: 2, context: 64, mlpRatio: 4,
 * });
 * assert.equal(n.total, n.global + n.local + n.embeddings + n.hash + n.match);
 * ```
 */
export function paramCount(config: MegabyteConfig): ParamCount {
  const count = { global: 0, local: 0, embeddings: 0, hash: 0, match: 0, total: 0 };
  for (const [name, shape] of tensorShapes(config)) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (name.startsWith("local.ngram")) count.hash += size;
    else if (name === "local.match_emb") count.match += size;
    else if (name.endsWith("_emb")) count.embeddings += size;
    else if (name.startsWith("global.")) count.global += size;
    else count.local += size;
    count.total += size;
  }
  return count;
}

/**
 * Forward FLOPs per byte (a multiply-add counts 2) of a model with `config`, averaged over a
 * full context window:
 *
 * - global blocks: 2·(globalLayers·(4 + 2·mlpRatio)·E²) / P, E = P·DG (they run once per patch);
 * - global attention: 2·E·(K + 1) / P per layer, K = context / P (patch k reads k + 1 keys and
 *   values, 4·E FLOPs each, averaged over k);
 * - `g2l.w`: 2·DG·DL;
 * - local blocks: 2·localLayers·(4 + 2·mlpRatio)·DL²;
 * - local attention: 2·DL·(P + 1) per layer;
 * - head: 2·DL·256;
 * - hashed n-gram tables and the match table: H·DL (+ DL), one DL-wide add per table (the bytes
 *   that skip one, e.g. the first n − 1 of a segment, are not discounted).
 *
 * That is `2·(local + global/P) + head + attention` of DESIGN.md with the matrix weights only:
 * norms, softmax, GELU and the byte and position embedding adds are O(width) per byte and left
 * out. The n-gram adds are counted although as small, because they are all the tables cost.
 *
 * @param config The model's sizes.
 * @returns FLOPs per byte.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { flopsPerByte } from "./flops.ts";
 *
 * const flops = flopsPerByte({
 *   patchSize: 4, globalDim: 8, globalLayers: 1, globalHeads: 2,
 *   localDim: 16, localLayers: 1, localHeads: 2, context: 64, mlpRatio: 4,
 * });
 * assert.ok(flops > 0);
 * ```
 */
export function flopsPerByte(config: MegabyteConfig): number {
  tensorShapes(config); // validates
  const { patchSize: P, globalDim: DG, localDim: DL, mlpRatio: r } = config;
  const E = P * DG;
  const K = config.context / P;
  const globalBlocks = config.globalLayers * (4 + 2 * r) * E * E;
  const localBlocks = config.localLayers * (4 + 2 * r) * DL * DL;
  const globalAttention = config.globalLayers * 2 * E * (K + 1) / P;
  const localAttention = config.localLayers * 2 * DL * (P + 1);
  const ngramAdds = (hashTables(config).orders + (matchTable(config).rows > 0 ? 1 : 0)) * DL;
  return 2 * globalBlocks / P + globalAttention + 2 * DG * DL + 2 * localBlocks + localAttention +
    2 * DL * 256 + ngramAdds;
}
