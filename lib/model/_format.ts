// This module imports no tfjs.
/**
 * Internal: constants and value codecs of the model file format (lib/model/FORMAT.md), shared by
 * `model_file_read.ts` and `model_file_write.ts`, which do not import each other.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { CONFIG_FIELDS, HASH_FIELDS, hashTables, type MegabyteConfig } from "./config.ts";

/** `Magic_Number`: `\x89MGB\r\n\x1a\n`. */
export const MAGIC = new Uint8Array([0x89, 0x4d, 0x47, 0x42, 0x0d, 0x0a, 0x1a, 0x0a]);
/** The newest `Format_Version`; this module reads and writes 1 and 2. */
export const FORMAT_VERSION = 2;
/** Bytes of the `Preamble`. */
export const PREAMBLE_SIZE = 16;
/**
 * The `Format_Version` a model with `config` is written in: 1 without hashed n-gram tables, so
 * that every model from before them keeps its bytes and identity, 2 with them.
 */
export function formatVersionOf(config: MegabyteConfig): 1 | 2 {
  return hashTables(config).orders > 0 ? 2 : 1;
}

/** Bytes of `Config` in `version`: nine `u32`, eleven in version 2 (`Hash_Orders`, `Hash_Rows`). */
export function configSize(version: 1 | 2): number {
  return 4 * (CONFIG_FIELDS.length + (version === 2 ? HASH_FIELDS.length : 0));
}

/** Smallest `Header_Size` of `version`: config, two empty-ish strings, metadata, tensor count. */
export function minHeaderSize(version: 1 | 2): number {
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
/** The order of the `Config` fields: version 1's, then those version 2 adds. */
export { CONFIG_FIELDS, HASH_FIELDS };

/** How a tensor's values are stored. */
export type ModelDtype = "float32" | "float16" | "int8";
/** `Dtype` codes, by name. */
export const DTYPE_CODES: Record<ModelDtype, number> = { float32: 0, float16: 1, int8: 2 };
/** Dtype names, by code. */
export const DTYPE_NAMES: readonly ModelDtype[] = ["float32", "float16", "int8"];

/** `align64(n)`. */
export function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

/** `Data_Size` of a tensor of `shape` stored as `dtype`. */
export function dataSize(dtype: ModelDtype, shape: readonly number[]): number {
  const n = shape.reduce((a, b) => a * b, 1);
  if (dtype === "float32") return 4 * n;
  if (dtype === "float16") return 2 * n;
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
