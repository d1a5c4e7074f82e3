// This module imports no tfjs.
/**
 * Internal: constants and value codecs of the model file format (lib/model/FORMAT.md), shared by
 * `model_file_read.ts` and `model_file_write.ts`, which do not import each other.
 *
 * @module
 */
import { createHash } from "node:crypto";
import {
  CONFIG_FIELDS,
  HASH_FIELDS,
  hashTables,
  MATCH_FIELDS,
  matchTable,
  type MegabyteConfig,
} from "./config.ts";

/** `Magic_Number`: `\x89MGB\r\n\x1a\n`. */
export const MAGIC = new Uint8Array([0x89, 0x4d, 0x47, 0x42, 0x0d, 0x0a, 0x1a, 0x0a]);
/** The newest `Format_Version`; this module reads and writes 1 to 4. */
export const FORMAT_VERSION = 4;
/** A `Format_Version` this module knows. */
export type FormatVersion = 1 | 2 | 3 | 4;
/** Bytes of the `Preamble`. */
export const PREAMBLE_SIZE = 16;
/**
 * The `Format_Version` a model with `config` is written in: 1 without hashed n-gram tables, so
 * that every model from before them keeps its bytes and identity, 2 with them, 3 with them stored
 * as `int4`, 4 with a match row (`Match_Length`; the tables in any dtype).
 */
export function formatVersionOf(config: MegabyteConfig, tableDtype?: ModelDtype): FormatVersion {
  if (hashTables(config).orders === 0) return 1;
  if (matchTable(config).length > 0) return 4;
  return tableDtype === "int4" ? 3 : 2;
}

/** The `Config` fields of `version`, in stored order. */
export function configFields(version: FormatVersion): readonly (keyof MegabyteConfig)[] {
  if (version === 1) return CONFIG_FIELDS;
  return version >= 4
    ? [...CONFIG_FIELDS, ...HASH_FIELDS, ...MATCH_FIELDS]
    : [...CONFIG_FIELDS, ...HASH_FIELDS];
}

/**
 * Bytes of `Config` in `version`: nine `u32`, eleven from version 2 (`Hash_Orders`, `Hash_Rows`),
 * twelve from version 4 (`Match_Length`).
 */
export function configSize(version: FormatVersion): number {
  return 4 * configFields(version).length;
}

/** Smallest `Header_Size` of `version`: config, two empty-ish strings, metadata, tensor count. */
export function minHeaderSize(version: FormatVersion): number {
  return configSize(version) + 2 + 26 + 4;
}

/** Largest `Header_Size`. */
export const MAX_HEADER_SIZE = 16 * 1024 * 1024;
/** Largest file a reader accepts. */
export const MAX_FILE_SIZE = 1024 * 1024 * 1024;
/** Bytes of `Content_Checksum`. */
export const CHECKSUM_SIZE = 32;
/** Alignment of every tensor's data. */
export const ALIGN = 64;
/** The order of the `Config` fields: version 1's, then those versions 2 and 4 add. */
export { CONFIG_FIELDS, HASH_FIELDS, MATCH_FIELDS };

/** How a tensor's values are stored ("int4": the hashed n-gram tables only, version 3). */
export type ModelDtype = "float32" | "float16" | "int8" | "int4";
/** `Dtype` codes, by name. */
export const DTYPE_CODES: Record<ModelDtype, number> = {
  float32: 0,
  float16: 1,
  int8: 2,
  int4: 3,
};
/** Dtype names, by code. */
export const DTYPE_NAMES: readonly ModelDtype[] = ["float32", "float16", "int8", "int4"];
/** Whether tensor `name` is a hashed n-gram table (the only tensors `int4` may store). */
export function isNgramTable(name: string): boolean {
  return /^local\.ngram\d+_emb$/.test(name);
}

/**
 * Whether tensor `name` is a lookup table of the local input: an n-gram table or the match table
 * (`local.match_emb`). They start at zero, and the trainer's `ngram*` settings (learning-rate
 * scale, decay, dropout) act on them all.
 */
export function isLookupTable(name: string): boolean {
  return isNgramTable(name) || name === "local.match_emb";
}

/** `align64(n)`. */
export function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

/** `Data_Size` of a tensor of `shape` stored as `dtype`. */
export function dataSize(dtype: ModelDtype, shape: readonly number[]): number {
  const n = shape.reduce((a, b) => a * b, 1);
  if (dtype === "float32") return 4 * n;
  if (dtype === "float16") return 2 * n;
  if (dtype === "int4") return 4 * shape[shape.length - 1] + Math.ceil(n / 2);
  return 4 * shape[shape.length - 1] + n;
}

/** SHA-256 of `bytes`. */
export function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(bytes).digest());
}

/** Rounds to the nearest integer, ties to even. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The binary16 bits nearest to finite `v` (ties to even), clamped to ±65,504 (Appendix A). */
export function toFloat16(v: number): number {
  f32[0] = v;
  const sign = (u32[0] >>> 16) & 0x8000;
  const a = Math.min(Math.abs(f32[0]), 65504);
  if (a < 2 ** -14) return sign | roundHalfEven(a * 2 ** 24); // subnormal; 1024 is the smallest normal
  f32[0] = a;
  let e = ((u32[0] >>> 23) & 0xff) - 127; // a is a normal float32
  let mant = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (mant === 1024) {
    mant = 0;
    e += 1;
  }
  return sign | ((e + 15) << 10) | mant; // e + 15 ≤ 30: a ≤ 65504
}

/** The float value of binary16 bits `h`; NaN for the exponent 11111 (a reader rejects it). */
export function fromFloat16(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (e === 31) return NaN;
  if (e === 0) return sign * mant * 2 ** -24;
  return sign * (1024 + mant) * 2 ** (e - 25);
}

/** Rounds to the nearest integer, halves away from zero. */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/**
 * Quantizes a (R, C) row-major float32 tensor to int8 with one scale per column (Appendix A).
 */
export function quantizeInt8(
  data: Float32Array,
  rows: number,
  cols: number,
): { values: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) scales[c] = Math.max(scales[c], Math.abs(data[r * cols + c]));
  }
  for (let c = 0; c < cols; c++) scales[c] = Math.fround(scales[c] / 127);
  const values = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const s = scales[c];
      if (s === 0) continue;
      values[r * cols + c] = Math.max(-127, Math.min(127, roundHalfAway(data[r * cols + c] / s)));
    }
  }
  return { values, scales };
}

/** The float32 values of an int8 tensor: `fround(q · scale[c])`. */
export function dequantizeInt8(values: Int8Array, scales: Float32Array): Float32Array {
  const cols = scales.length;
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] * scales[i % cols];
  return out;
}

/** Largest magnitude of an `int4` value (−8 is never written). */
export const INT4_MAX = 7;

/**
 * Quantizes a (R, C) row-major float32 tensor to int4 levels (−7..7) with one scale per column
 * (Appendix A): each column's scale is the one of a fixed set of clipping points (30% to 100% of
 * the column's largest magnitude, in steps of 2.5%) that gives the least squared error, ties to
 * the smaller clip. Clipping the few largest values buys the many small ones finer steps: on
 * run 9's tables the rms error is 0.0064 against 0.0110 when the largest value sets the scale.
 */
export function quantizeInt4(
  data: Float32Array,
  rows: number,
  cols: number,
): { values: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(cols);
  const values = new Int8Array(rows * cols);
  const level = (x: number, s: number) =>
    Math.max(-INT4_MAX, Math.min(INT4_MAX, roundHalfAway(x / s)));
  for (let c = 0; c < cols; c++) {
    let max = 0;
    for (let r = 0; r < rows; r++) max = Math.max(max, Math.abs(data[r * cols + c]));
    let best = 0;
    let bestError = Infinity;
    for (let k = 12; k <= 40; k++) {
      const s = Math.fround((max * k) / (40 * INT4_MAX));
      if (s === 0) continue;
      let error = 0;
      for (let r = 0; r < rows; r++) {
        const x = data[r * cols + c];
        error += (x - Math.fround(level(x, s) * s)) ** 2;
      }
      if (error < bestError) {
        bestError = error;
        best = s;
      }
    }
    scales[c] = best;
    if (best === 0) continue;
    for (let r = 0; r < rows; r++) values[r * cols + c] = level(data[r * cols + c], best);
  }
  return { values, scales };
}

/** Packs int4 values two per byte, the even-indexed one in the low nibble (two's complement). */
export function packInt4(values: Int8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(values.length / 2));
  for (let i = 0; i < values.length; i++) out[i >> 1] |= (values[i] & 0xf) << (4 * (i & 1));
  return out;
}

/** The `n` int4 values of `packed` (the inverse of {@link packInt4}), −8..7. */
export function unpackInt4(packed: Uint8Array, n: number): Int8Array {
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) out[i] = (((packed[i >> 1] >> (4 * (i & 1))) & 0xf) << 28) >> 28;
  return out;
}
