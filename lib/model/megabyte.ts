/**
 * MEGABYTE in tfjs, for training and float evaluation: the whole model in one file, in reading
 * order (patch embedder → global model → local model → {@link Megabyte}).
 *
 * References: Yu et al. 2023, "MEGABYTE: Predicting Million-byte Sequences with Multiscale
 * Transformers": section 2.1 (patch embedder), 2.2 (global model, its input shifted by one patch
 * behind a trainable pad), 2.3 (local model, the previous byte's embedding behind a pad). The
 * exact forward pass, tensor names and shapes are `lib/model/ARCHITECTURE.md`: this file computes
 * that and nothing else (RMSNorm, pre-norm blocks, GELU in its tanh form, fused wqkv, no biases).
 * Init follows GPT-2 (Radford et al. 2019, section 2.3: residual projections scaled by
 * 1/sqrt(N) for N residual layers; nanoGPT's `model.py` uses 0.02/sqrt(2·n_layer)).
 *
 * Shape letters: B batch, T bytes, K = T/P patches, P patch size, DG global width per byte,
 * E = P·DG global width, DL local width, V = 256, H heads, hs head size, N = B·K (patches of the
 * batch), G hashed n-gram tables (`hashOrders`, ARCHITECTURE.md's H), R rows of each
 * (`hashRows`).
 *
 * GPU notes (../shared/DEVICE.md): pads are broadcast or gathered, never `tf.tile`d (the tile
 * gradient is one Slice + Add per repetition); batched matmuls are split at 65,535 matrices
 * (`_batch_mat_mul.ts`); every projection is one 2-D matmul over all positions of the batch.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { hashTables, matchTable, type MegabyteConfig, validateConfig } from "./config.ts";
import { matchRows } from "./match.ts";
import { isLookupTable } from "./_format.ts";
import type { ModelTensor } from "./model_file_types.ts";
import { ngramRows } from "./ngram.ts";
import { tensorShapes } from "./tensor_shapes.ts";
import { batchMatMul } from "./_batch_mat_mul.ts";
import "./_gradients.ts";

export { flopsPerByte, type ParamCount, paramCount } from "./flops.ts";

/** RMSNorm epsilon (ARCHITECTURE.md). */
const RMS_EPS = 1e-5;
/** Init standard deviation of every weight and embedding (GPT-2). */
const INIT_STD = 0.02;
/** sqrt(2/π), the GELU tanh-form constant. */
const GELU_C = Math.sqrt(2 / Math.PI);
/** Added to the scores of future positions: exp() of it is exactly 0 in float32. */
const MASKED = -1e9;

// ---------------------------------------------------------------------------------------------
// Building blocks

/** `RMSNorm(v, g) = v · g / sqrt(mean(v²) + 1e-5)` over the last axis. */
function rmsNorm(v: tf.Tensor, gain: tf.Tensor1D): tf.Tensor {
  const ms = tf.mean(tf.square(v), -1, true); // (..., D) -> (..., 1)
  return tf.mul(tf.mul(v, tf.rsqrt(tf.add(ms, RMS_EPS))), gain); // (..., D) · (..., 1) · (D) -> (..., D)
}

/** `GELU(z) = 0.5·z·(1 + tanh(sqrt(2/π)·(z + 0.044715·z³)))`, elementwise. */
function gelu(z: tf.Tensor): tf.Tensor {
  const z3 = tf.mul(tf.square(z), z); // (...) -> (...)
  const inner = tf.mul(tf.add(z, tf.mul(z3, 0.044715)), GELU_C); // (...) -> (...)
  return tf.mul(tf.mul(z, 0.5), tf.add(tf.tanh(inner), 1)); // (...) -> (...)
}

/** The weights of one pre-norm block (`{prefix}.h{i}.*`). */
interface BlockWeights {
  ln1: tf.Tensor1D;
  wqkv: tf.Tensor2D;
  wo: tf.Tensor2D;
  ln2: tf.Tensor1D;
  w1: tf.Tensor2D;
  w2: tf.Tensor2D;
}

/**
 * Causal multi-head self-attention of `u` (N, S, D) with `heads` heads; `mask` (S, S) holds 0
 * where key j ≤ query i and {@link MASKED} elsewhere.
 */
function attention(
  u: tf.Tensor3D,
  w: BlockWeights,
  heads: number,
  mask: tf.Tensor2D,
): tf.Tensor3D {
  const [N, S, D] = u.shape;
  const hs = D / heads;
  const qkv = tf.matMul(tf.reshape(u, [N * S, D]), w.wqkv); // (N·S, D) @ (D, 3D) -> (N·S, 3D)
  const heads5 = tf.transpose(tf.reshape(qkv, [N, S, 3, heads, hs]), [2, 0, 3, 1, 4]); // (N·S, 3D) -> (3, N, H, S, hs)
  const [q, k, v] = tf.split(heads5, 3, 0).map((t) => tf.reshape(t, [N, heads, S, hs])); // (3, N, H, S, hs) -> 3 × (N, H, S, hs)
  const scores = tf.add(tf.mul(batchMatMul(q, k, true), 1 / Math.sqrt(hs)), mask); // (N, H, S, hs) @ (N, H, hs, S) -> (N, H, S, S)
  const probs = tf.softmax(scores, -1); // (N, H, S, S), rows sum to 1 over keys j ≤ i
  const y = batchMatMul(probs, v, false); // (N, H, S, S) @ (N, H, S, hs) -> (N, H, S, hs)
  const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [N * S, D]); // (N, H, S, hs) -> (N·S, D)
  return tf.reshape(tf.matMul(merged, w.wo), [N, S, D]); // (N·S, D) @ (D, D) -> (N, S, D)
}

/** `MLP(u) = GELU(u @ w1) @ w2` over every position of `u` (N, S, D). */
function mlp(u: tf.Tensor3D, w: BlockWeights): tf.Tensor3D {
  const [N, S, D] = u.shape;
  const up = gelu(tf.matMul(tf.reshape(u, [N * S, D]), w.w1)); // (N·S, D) @ (D, r·D) -> (N·S, r·D)
  return tf.reshape(tf.matMul(up, w.w2), [N, S, D]); // (N·S, r·D) @ (r·D, D) -> (N, S, D)
}

/** One pre-norm block: `a + Attn(RMSNorm(a, ln1))`, then `a + MLP(RMSNorm(a, ln2))`. */
function block(a: tf.Tensor3D, w: BlockWeights, heads: number, mask: tf.Tensor2D): tf.Tensor3D {
  const b = tf.add(a, attention(rmsNorm(a, w.ln1) as tf.Tensor3D, w, heads, mask)); // (N, S, D)
  return tf.add(b, mlp(rmsNorm(b, w.ln2) as tf.Tensor3D, w)); // (N, S, D)
}

/** A causal transformer: the blocks, then the final RMSNorm. */
function transformer(
  a: tf.Tensor3D,
  blocks: BlockWeights[],
  lnF: tf.Tensor1D,
  heads: number,
  mask: tf.Tensor2D,
): tf.Tensor3D {
  for (const w of blocks) a = block(a, w, heads, mask); // (N, S, D) -> (N, S, D)
  return rmsNorm(a, lnF) as tf.Tensor3D; // (N, S, D)
}

/** A 32-bit FNV-1a hash, to give every tensor its own init seed from the model seed. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * The hashed n-gram rows (and the match row, for a model with one) that {@link Megabyte.logits}
 * and {@link Megabyte.loss} take, built on the host from the caller's copy of the bytes
 * (`ngram.ts`, `match.ts`): the webgpu backend cannot read `x` back synchronously under Deno, so a
 * caller that trains or evaluates there passes these.
 *
 * @param config The model's sizes.
 * @param x The windows, B·T bytes, window b at [b·T, (b+1)·T), each its own segment.
 * @param B Windows.
 * @param T Bytes per window.
 * @param matchRows The B·T match rows found elsewhere (−1: none), as {@link gramRows} takes them.
 * @returns (B, T, G) int32 rows, G = {@link gramColumns}: the H n-gram columns (R for "none"),
 *   then the match column (M + i mod {@link NO_MATCH_ROWS} for "none" at flat position i, M the
 *   table's row count); undefined for a model without tables.
 */
export function ngramTensor(
  config: MegabyteConfig,
  x: ArrayLike<number>,
  B: number,
  T: number,
  matchRows?: Int32Array,
): tf.Tensor3D | undefined {
  const G = gramColumns(config);
  if (G === 0) return undefined;
  return tf.tensor3d(gramRows(x, B, T, config, matchRows), [B, T, G], "int32"); // (B, T, G)
}

/** Columns of {@link ngramTensor}: H n-gram orders, then the match row's when the model has one. */
export function gramColumns(config: MegabyteConfig): number {
  return hashTables(config).orders + (matchTable(config).rows > 0 ? 1 : 0);
}

/**
 * Zero rows after the match table that stand for "no match": flat position i reads row
 * M + (i mod S). About half of all positions have no match, and the gather's gradient is a
 * segment sum that webgpu adds with float atomics; one row for all of them serialized those
 * adds (run 15 on the H200: 25 KB/s against 200 KB/s without the match row).
 */
export const NO_MATCH_ROWS = 256;

/**
 * The rows of {@link ngramTensor}, flattened: for each position the H n-gram rows (`ngramRows`,
 * R for none) and then, with a match row, `matchRows` (M + i mod {@link NO_MATCH_ROWS} for none).
 * `given`: the B·T match rows (−1 for none) found elsewhere, as the codec's "mix-long" method finds
 * them in the whole segment (`lib/predict/long_match.ts`), instead of each window's own.
 */
export function gramRows(
  x: ArrayLike<number>,
  B: number,
  T: number,
  config: MegabyteConfig,
  given?: Int32Array,
): Int32Array {
  const H = hashTables(config).orders;
  const match = matchTable(config);
  if (match.rows === 0) return ngramRows(x, B, T, config);
  const G = H + 1;
  const grams = ngramRows(x, B, T, config); // (B·T·H)
  const matched = given ?? matchRows(x, B, T, match.length, -1); // (B·T)
  const out = new Int32Array(B * T * G);
  for (let i = 0; i < B * T; i++) {
    for (let j = 0; j < H; j++) out[i * G + j] = grams[i * H + j];
    out[i * G + H] = matched[i] < 0 ? match.rows + i % NO_MATCH_ROWS : matched[i];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The model

/** Options of the {@link Megabyte} constructor. */
export interface MegabyteOptions {
  /**
   * Seed of the initial weights: the same seed and config give the same weights.
   * @default 1337
   */
  seed?: number;
}

/**
 * A MEGABYTE model held in tfjs variables on the current backend (see `backend.ts`).
 *
 * `logits` and `loss` accept any length T of 1..`config.context` bytes: the last patch is padded
 * internally with zero bytes, which (the model being causal) changes no output at positions < T.
 *
 * @example Loss of a fresh model is near ln 256 nats per byte
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { Megabyte } from "./megabyte.ts";
 *
 * const model = new Megabyte({
 *   patchSize: 4, globalDim: 8, globalLayers: 1, globalHeads: 2,
 *   localDim: 16, localLayers: 1, localHeads: 2, context: 32, mlpRatio: 4,
 * }, { seed: 1 });
 * const x = tf.tensor2d([[104, 101, 108, 108, 111]], [1, 5], "int32");
 * const loss = model.loss(x);
 * assert.ok(Math.abs(loss.dataSync()[0] - Math.log(256)) < 0.1);
 * tf.dispose([x, loss]);
 * model.dispose();
 * ```
 */
export class Megabyte {
  /** The model's sizes (a frozen copy of the constructor's argument). */
  readonly config: MegabyteConfig;
  /** Every weight, by the names of `lib/model/ARCHITECTURE.md`, in its canonical order. */
  readonly variables: Map<string, tf.Variable>;
  /** Causal masks (S, S) by sequence length S, kept across calls. */
  #masks = new Map<number, tf.Tensor2D>();

  /**
   * Creates a model with GPT-2 initial weights: normal(0, 0.02) for every matrix, embedding and
   * pad, 0.02/sqrt(2·layers) for the residual projections `wo` and `w2` (layers of their own
   * transformer), 1 for the RMSNorm gains, 0 for the hashed n-gram tables.
   *
   * @param config The model's sizes; a RangeError names the first broken invariant.
   * @param options The init seed.
   */
  constructor(config: MegabyteConfig, options: MegabyteOptions = {}) {
    validateConfig(config);
    this.config = Object.freeze({ ...config });
    const seed = options.seed ?? 1337;
    this.variables = new Map();
    for (const [name, shape] of tensorShapes(config)) {
      const part = name.split(".")[2];
      const layers = name.startsWith("global.") ? config.globalLayers : config.localLayers;
      const init = tf.tidy(() => {
        if (part === "ln1" || part === "ln2" || name.endsWith(".ln_f")) return tf.ones(shape);
        // Zero: an added input needs no symmetry breaking (each row's gradient is its own), and
        // the model then starts as its table-less twin, as a model grown from one does.
        if (isLookupTable(name)) return tf.zeros(shape);
        const std = part === "wo" || part === "w2" ? INIT_STD / Math.sqrt(2 * layers) : INIT_STD;
        return tf.randomNormal(shape, 0, std, "float32", fnv1a(`${seed}/${name}`));
      });
      this.variables.set(name, tf.variable(init, true)); // tfjs names it uniquely
      init.dispose();
    }
  }

  /** The variable `name`, typed as the caller expects. */
  #v<R extends tf.Rank>(name: string): tf.Tensor<R> {
    return this.variables.get(name) as unknown as tf.Tensor<R>;
  }

  /** The weights of block `i` of the `prefix` ("global" or "local") transformer. */
  #blocks(prefix: string, layers: number): BlockWeights[] {
    return Array.from({ length: layers }, (_, i) => ({
      ln1: this.#v<tf.Rank.R1>(`${prefix}.h${i}.ln1`),
      wqkv: this.#v<tf.Rank.R2>(`${prefix}.h${i}.wqkv`),
      wo: this.#v<tf.Rank.R2>(`${prefix}.h${i}.wo`),
      ln2: this.#v<tf.Rank.R1>(`${prefix}.h${i}.ln2`),
      w1: this.#v<tf.Rank.R2>(`${prefix}.h${i}.w1`),
      w2: this.#v<tf.Rank.R2>(`${prefix}.h${i}.w2`),
    }));
  }

  /** The additive causal mask (S, S), made once per S and kept until {@link dispose}. */
  #mask(S: number): tf.Tensor2D {
    let mask = this.#masks.get(S);
    if (mask === undefined) {
      const values = new Float32Array(S * S);
      for (let i = 0; i < S; i++) values.fill(MASKED, i * S + i + 1, (i + 1) * S); // keys j > i
      mask = tf.keep(tf.tensor2d(values, [S, S])); // (S, S)
      this.#masks.set(S, mask);
    }
    return mask;
  }

  /**
   * The rows of the hashed n-gram tables for `x`: `grams` checked, or built from `x` read back
   * synchronously (cpu and wasm only).
   */
  #grams(x: tf.Tensor2D, grams: tf.Tensor3D | undefined): tf.Tensor3D {
    const [B, T] = x.shape;
    const G = gramColumns(this.config);
    if (grams === undefined) {
      if (tf.getBackend() === "webgpu") {
        throw new Error(
          "Cannot run a model with hashed n-gram tables on webgpu without its rows: pass ngramTensor(config, bytes, B, T)",
        );
      }
      return ngramTensor(this.config, x.dataSync(), B, T)!; // (B, T, G)
    }
    const [gb, gt, gg] = grams.shape;
    if (grams.rank !== 3 || gb !== B || gt !== T || gg !== G || grams.dtype !== "int32") {
      throw new RangeError(
        `Cannot run the model: the n-gram rows must be (${B}, ${T}, ${G}) int32, got (${grams.shape}) ${grams.dtype}`,
      );
    }
    return grams;
  }

  /**
   * The byte logits: `logits[b, t]` predicts `x[b, t]` from `x[b, 0..t-1]`.
   *
   * @param x Shape (B, T), int32 byte values 0..255, 1 ≤ T ≤ `config.context`.
   * @param grams Models with hashed n-gram tables only: the rows of {@link ngramTensor} for the
   *   bytes of `x`, (B, T, G) int32 (not disposed here). Needed on webgpu; elsewhere, built from
   *   `x` when left out. Ignored by a model without tables.
   * @param keep Training with n-gram dropout only: (B, T, G) float32, 1 to keep a lookup of
   *   `grams`, 0 to read it as the zero row (not disposed here).
   * @returns Shape (B, T, 256), float32 logits (unnormalized log-probabilities).
   */
  logits(x: tf.Tensor2D, grams?: tf.Tensor3D, keep?: tf.Tensor3D): tf.Tensor3D {
    const { patchSize: P, globalDim: DG, localDim: DL, context } = this.config;
    const { orders: H, rows: R } = hashTables(this.config);
    const M = matchTable(this.config).rows; // 0 without a match row
    const G = gramColumns(this.config);
    if (x.rank !== 2) {
      throw new RangeError(`Cannot run the model: x must be (B, T), got rank ${x.rank}`);
    }
    if (x.dtype !== "int32") {
      throw new TypeError(`Cannot run the model: x must be int32, got ${x.dtype}`);
    }
    const [B, T] = x.shape;
    if (B < 1 || T < 1 || T > context) {
      throw new RangeError(`Cannot run the model on ${B}×${T} bytes: T must be in 1..${context}`);
    }
    const K = Math.ceil(T / P);
    const E = P * DG;
    const N = B * K;
    return tf.tidy(() => {
      const rows = G > 0 ? this.#grams(x, grams) : undefined; // (B, T, G)
      if (
        keep !== undefined && (rows === undefined || keep.dtype !== "float32" ||
          keep.shape.join() !== rows.shape.join())
      ) {
        throw new RangeError(
          `Cannot run the model: the n-gram keep mask must be (${
            rows?.shape ?? "no tables"
          }) float32, got (${keep.shape}) ${keep.dtype}`,
        );
      }
      // Pad the last patch with zero bytes: outputs before T do not see them (causal).
      const xp = K * P > T ? tf.pad(x, [[0, 0], [0, K * P - T]]) : x; // (B, T) -> (B, K·P)

      // 1. Patch embedder (paper 2.1): byte + position embeddings, P of them concatenated.
      const posG = tf.slice(this.#v<tf.Rank.R2>("global.pos_emb"), [0, 0], [K * P, DG]); // (context, DG) -> (K·P, DG)
      const h = tf.add(tf.gather(this.#v("global.byte_emb"), xp), posG); // (256, DG)[(B, K·P)] + (K·P, DG) -> (B, K·P, DG)
      const patches = tf.reshape(h, [B, K, E]); // (B, K·P, DG) -> (B, K, E)

      // 2. Shift by one patch (paper 2.2): the trainable pad first, the last patch dropped.
      // Broadcast by an add, not tf.broadcastTo/tf.tile: their gradient is a Slice + Add per copy.
      const pad = tf.add(tf.zeros([B, 1, E]), tf.reshape(this.#v("global.pad"), [1, 1, E])); // (B, 1, E) + (1, 1, E) -> (B, 1, E)
      const gIn = K === 1
        ? pad // (B, 1, E)
        : tf.concat([pad, tf.slice(patches, [0, 0, 0], [B, K - 1, E])], 1); // (B, 1, E) ++ (B, K-1, E) -> (B, K, E)

      // 3. Global transformer over the K patches.
      const gOut = transformer(
        gIn as tf.Tensor3D,
        this.#blocks("global", this.config.globalLayers),
        this.#v("global.ln_f"),
        this.config.globalHeads,
        this.#mask(K),
      ); // (B, K, E) -> (B, K, E)

      // 4. Each patch's output cut into P slices of DG, each projected to DL.
      const lGlob = tf.matMul(tf.reshape(gOut, [N * P, DG]), this.#v<tf.Rank.R2>("g2l.w")); // (B·K·P, DG) @ (DG, DL) -> (N·P, DL)

      // 5. Local input (paper 2.3): previous byte's local embedding, the pad at p = 0.
      const xs = tf.reshape(xp, [N, P]); // (B, K·P) -> (N, P)
      const prevIdx = P === 1
        ? tf.fill([N, 1], 256, "int32") // (N, 1): every byte is first of its patch
        : tf.pad(tf.slice(xs, [0, 0], [N, P - 1]), [[0, 0], [1, 0]], 256); // (N, P-1) -> (N, P), 256 = pad row
      const table = tf.concat([
        this.#v<tf.Rank.R2>("local.byte_emb"),
        tf.reshape(this.#v("local.pad"), [1, DL]),
      ], 0); // (256, DL) ++ (1, DL) -> (257, DL)
      const prev = tf.gather(table, prevIdx); // (257, DL)[(N, P)] -> (N, P, DL)
      let lIn = tf.add(
        tf.add(tf.reshape(lGlob, [N, P, DL]), this.#v("local.pos_emb")),
        prev,
      ); // (N, P, DL) + (P, DL) + (N, P, DL) -> (N, P, DL)
      if (rows !== undefined) {
        // Then the hashed n-gram embeddings, orders 2..H+1 in turn, and the match row last. Row R,
        // a zero row appended to each n-gram table, is read where fewer than n bytes precede; the
        // match table has NO_MATCH_ROWS zero rows appended for "no match".
        // The padding positions' outputs are cut off below (and, causal, reach no other): they read
        // row R, or with a match table row 0, which every table has.
        const padded = K * P > T
          ? tf.pad(rows, [[0, 0], [0, K * P - T], [0, 0]], M > 0 ? 0 : R)
          : rows; // (B, T, G) -> (B, K·P, G)
        const byOrder = tf.unstack(tf.reshape(padded, [N, P, G]), 2); // (N, P, G) -> G × (N, P)
        // Dropped lookups are multiplied by 0 rather than sent to row R: see lib/train/ngram_dropout.ts.
        const keepPadded = keep && K * P > T
          ? tf.pad(keep, [[0, 0], [0, K * P - T], [0, 0]])
          : keep; // (B, T, G) -> (B, K·P, G)
        const kept = keepPadded && tf.unstack(tf.reshape(keepPadded, [N, P, G, 1]), 2); // (B, K·P, G) -> G × (N, P, 1)
        for (let j = 0; j < G; j++) {
          // Columns 0..H−1: the n-gram tables, row R for none; column H: the match table, rows ≥ M.
          const ngram = j < H
            ? tf.pad(this.#v<tf.Rank.R2>(`local.ngram${j + 2}_emb`), [[0, 1], [0, 0]]) // (R, DL) -> (R+1, DL)
            : tf.pad(this.#v<tf.Rank.R2>("local.match_emb"), [[0, NO_MATCH_ROWS], [0, 0]]); // (M, DL) -> (M+S, DL)
          const looked = tf.gather(ngram, byOrder[j]); // (R+1 or M+S, DL)[(N, P)] -> (N, P, DL)
          lIn = tf.add(lIn, kept ? tf.mul(looked, kept[j]) : looked); // (N, P, DL) + (N, P, DL)·(N, P, 1) -> (N, P, DL)
        }
      }

      // 6. Local transformer within each patch, then the byte head.
      const lOut = transformer(
        lIn as tf.Tensor3D,
        this.#blocks("local", this.config.localLayers),
        this.#v("local.ln_f"),
        this.config.localHeads,
        this.#mask(P),
      ); // (N, P, DL) -> (N, P, DL)
      const logits = tf.matMul(tf.reshape(lOut, [N * P, DL]), this.#v<tf.Rank.R2>("local.head")); // (N·P, DL) @ (DL, V) -> (N·P, V)
      const full = tf.reshape(logits, [B, K * P, 256]); // (N·P, V) -> (B, K·P, V)
      return (K * P > T ? tf.slice(full, [0, 0, 0], [B, T, 256]) : full) as tf.Tensor3D; // (B, K·P, V) -> (B, T, V)
    });
  }

  /**
   * The mean cross-entropy of every byte of `x` given the bytes before it, in nats per byte
   * (divide by ln 2 for bits per byte), over all B·T positions.
   *
   * @param x Shape (B, T), int32 byte values, 1 ≤ T ≤ `config.context`.
   * @param grams The n-gram rows of `x`, as for {@link logits}.
   * @param keep Training with n-gram dropout only: the lookups to keep, as for {@link logits}.
   * @returns A scalar; differentiable with respect to {@link variables}.
   */
  loss(x: tf.Tensor2D, grams?: tf.Tensor3D, keep?: tf.Tensor3D): tf.Scalar {
    return tf.tidy(() => {
      const [B, T] = x.shape;
      const logits = tf.reshape(this.logits(x, grams, keep), [B * T, 256]); // (B, T, V) -> (B·T, V)
      // int32 one-hot, then cast: the wasm backend's float32 OneHot writes integer bit patterns.
      const labels = tf.cast(tf.oneHot(tf.reshape(x, [B * T]), 256), "float32"); // (B·T) -> (B·T, V)
      return tf.losses.softmaxCrossEntropy(labels, logits, undefined, 0, tf.Reduction.MEAN); // (B·T, V) -> ()
    });
  }

  /**
   * Copies every weight out as float32, by the names of ARCHITECTURE.md, in canonical order.
   * Reads the backend synchronously, which the webgpu backend cannot do under Deno (it reads
   * through a canvas): there, use {@link exportTensorsAsync}.
   *
   * @returns New arrays, owned by the caller.
   */
  exportTensors(): Map<string, ModelTensor> {
    if (tf.getBackend() === "webgpu") {
      throw new Error(
        "Cannot export tensors synchronously on the webgpu backend: use await model.exportTensorsAsync()",
      );
    }
    const out = new Map<string, ModelTensor>();
    for (const [name, v] of this.variables) {
      out.set(name, { shape: [...v.shape], data: new Float32Array(v.dataSync()) });
    }
    return out;
  }

  /**
   * {@link exportTensors} on any backend: the same copies, read asynchronously.
   *
   * @returns New arrays, owned by the caller.
   */
  async exportTensorsAsync(): Promise<Map<string, ModelTensor>> {
    const out = new Map<string, ModelTensor>();
    for (const [name, v] of this.variables) {
      out.set(name, { shape: [...v.shape], data: new Float32Array(await v.data()) });
    }
    return out;
  }

  /**
   * Replaces every weight. `tensors` must hold exactly the model's names with its shapes;
   * otherwise a RangeError names the first mismatch and no weight has changed.
   *
   * @param tensors Weights by name (e.g. a read model file's `tensors`).
   */
  importTensors(tensors: Map<string, ModelTensor>): void {
    for (const name of tensors.keys()) {
      if (!this.variables.has(name)) {
        throw new RangeError(`Cannot import tensor ${name}: the model has no such tensor`);
      }
    }
    for (const [name, v] of this.variables) {
      const t = tensors.get(name);
      if (t === undefined) {
        throw new RangeError(`Cannot import the weights: tensor ${name} is missing`);
      }
      const size = t.shape.reduce((a, b) => a * b, 1);
      if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) {
        throw new RangeError(
          `Cannot import tensor ${name}: shape [${t.shape}] does not match the model's [${v.shape}]`,
        );
      }
      if (t.data.length !== size) {
        throw new RangeError(
          `Cannot import tensor ${name}: ${t.data.length} values for shape [${t.shape}]`,
        );
      }
    }
    for (const [name, v] of this.variables) {
      const t = tensors.get(name)!;
      tf.tidy(() => v.assign(tf.tensor(t.data, t.shape, "float32")));
    }
  }

  /** Frees every variable and cached mask. The model is unusable afterwards. */
  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
    for (const m of this.#masks.values()) m.dispose();
    this.variables.clear();
    this.#masks.clear();
  }
}
