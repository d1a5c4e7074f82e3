// This module imports no tfjs.
/**
 * A model file made ready for exact inference: shapes checked, every matrix quantized to 16-bit
 * integers with one scale per output column (or taken as stored when the file holds it as int8),
 * the attention scale folded into the query columns.
 *
 * For an int8 file the prepared model holds no weights of its own beyond the column scales: it
 * shares the file's stored integers (matrices and n-gram tables) and the float32 values of its
 * small tensors (norms, pads, embeddings), so preparing costs little memory, never computes the
 * float32 copy of a matrix or n-gram table (`ModelTensor.data`, computed on first read), and a
 * structured clone of it (what the codec sends its workers) is about a fifth of the file's
 * in-memory size with those copies.
 *
 * Both engines start from this object: the scalar reference (`reference.ts`) reads it directly,
 * the WebAssembly engine (`engine.ts`) packs it into its memory. Quantization happens once, here,
 * so the two cannot disagree about weights. The numeric rules are in `lib/engine/README.md`.
 *
 * @module
 */
import { hashTables, type MegabyteConfig } from "../model/config.ts";
import type { ModelFile, ModelTensor } from "../model/model_file_types.ts";
import { tensorShapes } from "../model/tensor_shapes.ts";
import { roundEven, rsqrtf } from "./f32_math.ts";

const f = Math.fround;

/** Largest |sum| an int32 accumulator may reach: 2^31 − 1. */
const ACC_LIMIT = 2147483647;

/** Integer ranges of one matrix product with inner size k. */
export interface QuantLevels {
  /** Weights are quantized to integers in [−qw, qw]. */
  qw: number;
  /** Activations are quantized to integers in [−qa, qa]. */
  qa: number;
}

/**
 * The integer ranges for a product with inner size `k`: the largest `qw = 2^b − 1` with
 * `b = floor(floor(log2((2^31 − 1) / k)) / 2)` (at most 2^15 − 1), then the largest `qa ≤ 2^15 − 1`
 * with `k · qa · qw ≤ 2^31 − 1`. So an int32 sum of k products can never overflow, whatever the
 * values, and both fit int16 lanes of `i32x4.dot_i16x8_s`.
 *
 * @param k Inner size of the product (rows of the weight matrix), ≥ 1.
 * @returns The weight and activation ranges.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quantLevels } from "./prepared_model.ts";
 *
 * assert.deepEqual(quantLevels(128), { qw: 2047, qa: 8196 });
 * ```
 */
export function quantLevels(k: number): QuantLevels {
  if (!Number.isInteger(k) || k < 1 || k > 1 << 24) {
    throw new RangeError(
      `Cannot quantize a product: inner size must be an integer in 1..2^24, got ${k}`,
    );
  }
  const budget = Math.floor(ACC_LIMIT / k);
  let bits = 0;
  while (2 ** (bits + 1) <= budget) bits++;
  const qw = Math.min(32767, 2 ** Math.floor(bits / 2) - 1);
  const qa = Math.min(32767, Math.floor(ACC_LIMIT / (k * qw)));
  return { qw, qa };
}

/** A weight matrix (k, n) quantized per output column: `W[i][j] ≈ q[i·n + j] · scale[j]`. */
export interface QuantMatrix {
  /** Rows (the inner size of `x @ W`). */
  k: number;
  /** Columns (outputs). */
  n: number;
  /** Weight range: every |q| ≤ qw. */
  qw: number;
  /** Range its input activations are quantized to. */
  qa: number;
  /** The integers, row-major (k, n): int8 when the file stores them so (the stored array). */
  q: Int16Array | Int8Array;
  /** One float32 scale per column (0 for an all-zero column). */
  scale: Float32Array;
}

/** One pre-norm transformer block. */
export interface PreparedBlock {
  /** RMSNorm gain before attention, (D). */
  ln1: Float32Array;
  /** Fused q | k | v projection (D, 3D); q columns carry 1/sqrt(hs). */
  wqkv: QuantMatrix;
  /** Attention output projection (D, D). */
  wo: QuantMatrix;
  /** RMSNorm gain before the MLP, (D). */
  ln2: Float32Array;
  /** MLP up projection (D, mlpRatio·D). */
  w1: QuantMatrix;
  /** MLP down projection (mlpRatio·D, D). */
  w2: QuantMatrix;
}

/**
 * One hashed n-gram table, (R, DL): the value at (r, d) is `values[r·DL + d]` when `scales` is
 * absent, else `fround(values[r·DL + d] · scales[d])`, which is the float32 value the model
 * file's reader hands out (the product of an int8 and a float32 is exact in binary64).
 */
export interface NgramTable {
  /** The entries, row-major (R, DL): stored int8 integers, or float32 values. */
  values: Int8Array | Float32Array;
  /** One float32 scale per column, (DL), exactly when `values` are int8. */
  scales?: Float32Array;
}

/**
 * Adds row `r` of an n-gram table to `out[o..o+DL)`: each value, rounded to float32, then the sum,
 * rounded to float32 (two roundings, as when the table is held as float32). The one place both
 * engines dequantize a table, so they add the same values.
 *
 * @param table The table, (R, DL).
 * @param r The row, 0..R−1.
 * @param out Receives the sums.
 * @param o Offset of the row in `out`.
 * @param DL Columns of the table (`localDim`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { addNgramRow } from "./prepared_model.ts";
 *
 * const table = { values: new Int8Array([0, 0, 3, -2]), scales: new Float32Array([0.5, 0.1]) };
 * const out = new Float32Array([1, 1]);
 * addNgramRow(table, 1, out, 0, 2); // row 1 of a (2, 2) table
 * assert.deepEqual([...out], [2.5, Math.fround(1 + Math.fround(-2 * Math.fround(0.1)))]);
 * ```
 */
export function addNgramRow(
  table: NgramTable,
  r: number,
  out: Float32Array,
  o: number,
  DL: number,
): void {
  const { values, scales } = table;
  const base = r * DL;
  if (scales) {
    // fround the value first: one rounding of the sum would differ from the float32 table's two.
    for (let d = 0; d < DL; d++) out[o + d] = f(out[o + d] + f(values[base + d] * scales[d]));
  } else {
    for (let d = 0; d < DL; d++) out[o + d] = f(out[o + d] + values[base + d]); // (DL)
  }
}

/** Everything the engines need, by the names of `lib/model/ARCHITECTURE.md`. */
export interface PreparedModel {
  /** The model's name (for messages). */
  name: string;
  /** The model's sizes. */
  config: MegabyteConfig;
  /** `global.byte_emb`, (256, DG). */
  globalByteEmb: Float32Array;
  /** `global.pos_emb`, (T, DG). */
  globalPosEmb: Float32Array;
  /** `global.pad`, (E). */
  globalPad: Float32Array;
  /** `global.h{i}`. */
  global: PreparedBlock[];
  /** `global.ln_f`, (E). */
  globalLnF: Float32Array;
  /** `g2l.w`, (DG, DL). */
  g2l: QuantMatrix;
  /** `local.byte_emb`, (256, DL). */
  localByteEmb: Float32Array;
  /** `local.pos_emb`, (P, DL). */
  localPosEmb: Float32Array;
  /** `local.pad`, (DL). */
  localPad: Float32Array;
  /**
   * `local.ngram{n}_emb` for n = 2..H+1 at index n − 2, each (R, DL); empty without tables. Int8
   * and int4 files: only the integers (int4 ones unpacked, one per byte) and column scales (H·R·DL bytes, 13 MB per worker for
   * `local4hash` instead of 52 MB as float32), dequantized per value by `addNgramRow`. Float files:
   * the reader's float32 values, not copied.
   */
  ngramEmb: NgramTable[];
  /**
   * `local.match_emb`, ((33 − k)·256, DL), stored as the n-gram tables are; null without a match
   * row (`matchLength` 0).
   */
  matchEmb: NgramTable | null;
  /** `local.h{i}`. */
  local: PreparedBlock[];
  /** `local.ln_f`, (DL). */
  localLnF: Float32Array;
  /** `local.head`, (DL, 256). */
  head: QuantMatrix;
}

/**
 * Quantizes a float32 matrix (k, n) per column: `scale[j] = max|W[·][j]| / qw` and
 * `q = roundEven(W · (qw / max))`, every step rounded to float32.
 *
 * @param data The matrix, row-major (k, n).
 * @param k Rows.
 * @param n Columns.
 * @param columnFactor Optional float32 factor applied to column j before quantizing, per column.
 * @returns The quantized matrix.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quantizeMatrix } from "./prepared_model.ts";
 *
 * const m = quantizeMatrix(new Float32Array([1, -2, 0.5, 1]), 2, 2);
 * assert.equal(m.q[0], m.qw); // column 0's largest entry maps to qw
 * ```
 */
export function quantizeMatrix(
  data: Float32Array,
  k: number,
  n: number,
  columnFactor?: (column: number) => number,
): QuantMatrix {
  if (data.length !== k * n) {
    throw new RangeError(`Cannot quantize a matrix: expected ${k}×${n} values, got ${data.length}`);
  }
  const { qw, qa } = quantLevels(k);
  const q = new Int16Array(k * n);
  const scale = new Float32Array(n);
  const column = new Float32Array(k);
  for (let j = 0; j < n; j++) {
    const factor = columnFactor ? f(columnFactor(j)) : 1;
    let max = 0;
    for (let i = 0; i < k; i++) {
      const w = f(data[i * n + j] * factor); // (k, n)[·, j] -> (k)
      column[i] = w;
      const a = Math.abs(w);
      if (a > max) max = a;
    }
    if (max === 0) continue; // all-zero column: q = 0, scale = 0
    const inv = f(qw / max);
    for (let i = 0; i < k; i++) {
      const v = roundEven(f(column[i] * inv));
      q[i * n + j] = v > qw ? qw : v < -qw ? -qw : v;
    }
    scale[j] = f(max / qw);
  }
  return { k, n, qw, qa, q, scale };
}

/**
 * Takes a matrix stored as int8 with one scale per column (`ModelTensor.quantized`, the model
 * file's int8 dtype) as it is: `q = values` (the same array, not a copy),
 * `scale[j] = f32(scales[j] · columnFactor(j))`, so the engine multiplies by exactly the stored
 * weights. Needs `quantLevels(k).qw ≥ 127`, true for k ≤ 2^17; returns undefined otherwise (the
 * caller quantizes the float values instead).
 *
 * @param values The stored integers, row-major (k, n), each in −127..127.
 * @param scales The stored column scales, (n).
 * @param k Rows.
 * @param n Columns.
 * @param columnFactor Optional float32 factor applied to column j's scale.
 * @returns The matrix, or undefined when k is too large for int8 values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { int8Matrix } from "./prepared_model.ts";
 *
 * const m = int8Matrix(new Int8Array([127, -3]), new Float32Array([0.5, 2]), 1, 2)!;
 * assert.deepEqual([...m.q], [127, -3]);
 * assert.deepEqual([...m.scale], [0.5, 2]);
 * ```
 */
export function int8Matrix(
  values: Int8Array,
  scales: Float32Array,
  k: number,
  n: number,
  columnFactor?: (column: number) => number,
): QuantMatrix | undefined {
  if (values.length !== k * n || scales.length !== n) {
    throw new RangeError(`Cannot use an int8 matrix: expected ${k}×${n} values and ${n} scales`);
  }
  const { qw, qa } = quantLevels(k);
  if (qw < 127) return undefined;
  const scale = new Float32Array(n);
  for (let j = 0; j < n; j++) scale[j] = f(scales[j] * (columnFactor ? f(columnFactor(j)) : 1));
  return { k, n, qw, qa, q: values, scale };
}

/** A lookup table as the engine keeps it, or null for a tensor the model lacks. */
function tableOf(t: ModelTensor | undefined): NgramTable | null {
  if (t === undefined) return null;
  // Not `data` when the integers exist: the float32 copy is 4× larger and can be collected.
  return t.quantized ? { ...t.quantized } : { values: t.data };
}

/**
 * Checks `model` against the tensor table of its config, as {@link prepareModel} does, without
 * preparing it: for callers that must reject a model the engines cannot run before any work.
 *
 * @param model A model file read into memory.
 * @throws {RangeError} For a missing, extra or misshapen tensor, or a non-finite weight.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkModelTensors } from "./prepared_model.ts";
 * import { loadModel } from "../model/model_file_read.ts";
 *
 * const model = await loadModel("tests/fixtures/tiny.mgb");
 * checkModelTensors(model);
 * model.tensors.delete("local.head");
 * assert.throws(() => checkModelTensors(model), /tensor local.head is missing/);
 * ```
 */
export function checkModelTensors(model: ModelFile): void {
  const shapes = tensorShapes(model.config);
  const fail = (detail: string): never => {
    throw new RangeError(`Cannot run model ${model.name}: ${detail}`);
  };
  for (const [name, shape] of shapes) {
    const t = model.tensors.get(name);
    if (!t) fail(`tensor ${name} is missing`);
    if (t!.shape.length !== shape.length || t!.shape.some((d, i) => d !== shape[i])) {
      fail(`tensor ${name} has shape [${t!.shape}], expected [${shape}]`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    // An int8 tensor is checked by its integers and scales, not `data`: a model file's `data` is
    // computed on first read (lib/model/model_file_read.ts) and the engine does not need it.
    // `data[r·C + c] = fround(values[r·C + c] · scales[c])` is finite exactly when the column's
    // largest |value| times its scale is (fround is monotonic).
    const q = t!.quantized;
    if (q) {
      const cols = shape[shape.length - 1];
      if (q.values.length !== size || q.scales.length !== cols) {
        fail(`tensor ${name} holds ${q.values.length} values and ${q.scales.length} scales`);
      }
      // |value| ≤ 128: when 128 · scale is finite for every column, so is every weight, and the
      // scan of the values (~40 ms for the shipped model, at every compress and decompress) is
      // not needed.
      let bounded = true;
      for (let c = 0; c < cols && bounded; c++) bounded = Number.isFinite(f(128 * q.scales[c]));
      if (bounded) continue;
      const largest = new Int32Array(cols);
      for (let i = 0; i < size; i++) {
        const c = i % cols;
        largest[c] = Math.max(largest[c], Math.abs(q.values[i]));
      }
      for (let c = 0; c < cols; c++) {
        if (!Number.isFinite(f(largest[c] * q.scales[c]))) {
          fail(`tensor ${name} holds a non-finite value in column ${c}`);
        }
      }
      continue;
    }
    if (t!.data.length !== size) {
      fail(`tensor ${name} holds ${t!.data.length} values, expected ${size}`);
    }
    for (let i = 0; i < size; i++) {
      if (!Number.isFinite(t!.data[i])) fail(`tensor ${name} holds a non-finite value at ${i}`);
    }
  }
  for (const name of model.tensors.keys()) {
    if (!shapes.has(name)) fail(`unexpected tensor ${name}`);
  }
}

/**
 * Checks `model` ({@link checkModelTensors}: a RangeError for a missing, extra or misshapen
 * tensor, or a non-finite weight) and prepares it for the engines.
 *
 * @param model A model file read into memory.
 * @returns The prepared model.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { prepareModel } from "./prepared_model.ts";
 * import { loadModel } from "../model/model_file_read.ts";
 *
 * const prepared = prepareModel(await loadModel("tests/fixtures/tiny.mgb"));
 * assert.equal(prepared.global.length, prepared.config.globalLayers);
 * ```
 */
export function prepareModel(model: ModelFile): PreparedModel {
  checkModelTensors(model);
  const config = model.config;
  const get = (name: string): Float32Array => model.tensors.get(name)!.data;
  /** A weight matrix: its stored int8 integers when it has them, else quantized here. */
  const matrix = (
    name: string,
    k: number,
    n: number,
    factor?: (j: number) => number,
  ): QuantMatrix => {
    const t = model.tensors.get(name)!;
    const stored = t.quantized && int8Matrix(t.quantized.values, t.quantized.scales, k, n, factor);
    return stored || quantizeMatrix(t.data, k, n, factor);
  };
  const { patchSize: P, globalDim: DG, localDim: DL, mlpRatio: r } = config;
  const E = P * DG;
  const block = (prefix: string, i: number, d: number, heads: number): PreparedBlock => {
    const qScale = rsqrtf(d / heads); // 1/sqrt(hs), folded into the q columns
    const p = `${prefix}.h${i}.`;
    return {
      ln1: get(p + "ln1"),
      wqkv: matrix(p + "wqkv", d, 3 * d, (j) => (j < d ? qScale : 1)), // (D, 3D)
      wo: matrix(p + "wo", d, d), // (D, D)
      ln2: get(p + "ln2"),
      w1: matrix(p + "w1", d, r * d), // (D, rD)
      w2: matrix(p + "w2", r * d, d), // (rD, D)
    };
  };
  const global: PreparedBlock[] = [];
  for (let i = 0; i < config.globalLayers; i++) {
    global.push(block("global", i, E, config.globalHeads));
  }
  const local: PreparedBlock[] = [];
  for (let i = 0; i < config.localLayers; i++) local.push(block("local", i, DL, config.localHeads));
  return {
    name: model.name,
    config: { ...config },
    globalByteEmb: get("global.byte_emb"),
    globalPosEmb: get("global.pos_emb"),
    globalPad: get("global.pad"),
    global,
    globalLnF: get("global.ln_f"),
    g2l: matrix("g2l.w", DG, DL), // (DG, DL)
    localByteEmb: get("local.byte_emb"),
    localPosEmb: get("local.pos_emb"),
    localPad: get("local.pad"),
    ngramEmb: Array.from({ length: hashTables(config).orders }, (_, j): NgramTable => {
      return tableOf(model.tensors.get(`local.ngram${j + 2}_emb`))!;
    }),
    matchEmb: tableOf(model.tensors.get("local.match_emb")),
    local,
    localLnF: get("local.ln_f"),
    head: matrix("local.head", DL, 256), // (DL, 256)
  };
}
