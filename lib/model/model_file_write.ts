// This module imports no tfjs.
/**
 * Writes a model file (`.mgb`), as specified in `lib/model/FORMAT.md`.
 *
 * @module
 */
import { hashTables, matchTable, validateConfig } from "./config.ts";
import type { ModelFile, ModelTensor } from "./model_file_types.ts";
import { tensorShapes } from "./tensor_shapes.ts";
import {
  align,
  CHECKSUM_SIZE,
  configFields,
  configSize,
  dataSize,
  DTYPE_CODES,
  formatVersionOf,
  INT4_MAX,
  isNgramTable,
  MAGIC,
  type ModelDtype,
  packInt4,
  PREAMBLE_SIZE,
  quantizeInt4,
  quantizeInt8,
  sha256,
  toFloat16,
} from "./_format.ts";

export type { ModelDtype } from "./_format.ts";

/** Options of {@link writeModelFile}. */
export interface WriteModelFileOptions {
  /**
   * How the rank-2 tensors are stored (rank-1 tensors are always float32): "int8" with one
   * scale per column, "float16" or "float32". FORMAT.md Appendix B gives the measurements.
   * @default "int8"
   */
  dtype?: ModelDtype;
  /**
   * How the hashed n-gram tables are stored: as `dtype` (the default), or "int4" (one scale per
   * column, two values per byte: half the bytes of int8, a `Format_Version` 3 file).
   * @default {dtype}
   */
  tableDtype?: ModelDtype;
}

/** Whether `q` holds levels that int4 can store (a table read from an int4 file keeps them). */
function int4Levels(q: { values: Int8Array }): boolean {
  return q.values.every((v) => v >= -INT4_MAX && v <= INT4_MAX);
}

/** The bytes of one tensor, laid out as its dtype says. */
function encodeTensor(t: ModelTensor, dtype: ModelDtype): Uint8Array {
  const out = new Uint8Array(dataSize(dtype, t.shape));
  const view = new DataView(out.buffer);
  if (dtype === "float32") {
    for (let i = 0; i < t.data.length; i++) view.setFloat32(4 * i, t.data[i], true);
  } else if (dtype === "float16") {
    for (let i = 0; i < t.data.length; i++) view.setUint16(2 * i, toFloat16(t.data[i]), true);
  } else {
    const [rows, cols] = t.shape as [number, number];
    const q = dtype === "int4"
      ? (t.quantized !== undefined && int4Levels(t.quantized)
        ? t.quantized
        : quantizeInt4(t.data, rows, cols))
      : t.quantized ?? quantizeInt8(t.data, rows, cols);
    if (q.values.length !== rows * cols || q.scales.length !== cols) {
      throw new RangeError(
        "Cannot write the model file: quantized values do not match the tensor's shape",
      );
    }
    for (let c = 0; c < cols; c++) view.setFloat32(4 * c, q.scales[c], true);
    const stored = dtype === "int4"
      ? packInt4(q.values)
      : new Uint8Array(q.values.buffer, q.values.byteOffset, q.values.length);
    out.set(stored, 4 * cols);
  }
  return out;
}

/** Checks the tensors against the config's table; returns them in canonical order. */
function checkTensors(model: Omit<ModelFile, "hash">): [string, ModelTensor][] {
  const expected = tensorShapes(model.config);
  for (const name of model.tensors.keys()) {
    if (!expected.has(name)) {
      throw new RangeError(`Cannot write the model file: unexpected tensor ${name}`);
    }
  }
  const out: [string, ModelTensor][] = [];
  for (const [name, shape] of expected) {
    const t = model.tensors.get(name);
    if (t === undefined) {
      throw new RangeError(`Cannot write the model file: tensor ${name} is missing`);
    }
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new RangeError(
        `Cannot write the model file: tensor ${name} has shape [${t.shape}], the config needs [${shape}]`,
      );
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (!(t.data instanceof Float32Array) || t.data.length !== size) {
      throw new TypeError(
        `Cannot write the model file: tensor ${name} needs a Float32Array of ${size} values`,
      );
    }
    for (let i = 0; i < size; i++) {
      if (!Number.isFinite(t.data[i])) {
        throw new RangeError(
          `Cannot write the model file: tensor ${name} holds ${t.data[i]} at index ${i}`,
        );
      }
    }
    out.push([name, t]);
  }
  return out;
}

/** Appends little-endian fields to a growing byte list. */
class ByteWriter {
  #bytes: number[] = [];
  #view = new DataView(new ArrayBuffer(8));

  get length(): number {
    return this.#bytes.length;
  }
  u8(v: number): void {
    this.#bytes.push(v & 0xff);
  }
  u16(v: number): void {
    this.#view.setUint16(0, v, true);
    this.#push(2);
  }
  u32(v: number): void {
    this.#view.setUint32(0, v, true);
    this.#push(4);
  }
  u64(v: number): void {
    this.#view.setBigUint64(0, BigInt(v), true);
    this.#push(8);
  }
  f64(v: number): void {
    if (Number.isNaN(v)) this.#view.setBigUint64(0, 0x7ff8000000000000n, true); // canonical NaN
    else this.#view.setFloat64(0, v, true);
    this.#push(8);
  }
  bytes(b: Uint8Array): void {
    for (const x of b) this.#bytes.push(x);
  }
  toBytes(): Uint8Array {
    return new Uint8Array(this.#bytes);
  }
  #push(n: number): void {
    for (let i = 0; i < n; i++) this.#bytes.push(this.#view.getUint8(i));
  }
}

/**
 * Serializes a model into the bytes of a `.mgb` file (lib/model/FORMAT.md). The output is
 * fully determined by the model and the dtype: the same model gives the same file and so the same
 * identity hash. A model without hashed n-gram tables (`hashOrders` absent or 0) is written as
 * `Format_Version` 1, byte for byte as before version 2 existed; one with tables as version 2, or
 * as version 3 when `tableDtype` is "int4".
 *
 * @param model The model; its tensors must be exactly those of `tensorShapes(model.config)`.
 * @param options The storage dtype of rank-2 tensors, and of the hashed n-gram tables.
 * @returns The file's bytes; its SHA-256 is the model identity that `readModelFile` reports.
 * @throws {RangeError} For a bad config, a missing, extra or misshapen tensor, a non-finite
 * value, a name of 0 or more than 255 UTF-8 bytes, or metadata out of range.
 * @throws {TypeError} For a tensor whose data is not a Float32Array of its size.
 *
 * @example Write a model, read it back
 * ```ts
 * import assert from "node:assert/strict";
 * import { tensorShapes } from "./tensor_shapes.ts";
 * import { writeModelFile } from "./model_file_write.ts";
 * import { readModelFile } from "./model_file_read.ts";
 *
 * const config = {
 *   patchSize: 2, globalDim: 4, globalLayers: 1, globalHeads: 1,
 *   localDim: 4, localLayers: 1, localHeads: 1, context: 8, mlpRatio: 1,
 * };
 * const tensors = new Map([...tensorShapes(config)].map(([name, shape]) =>
 *   [name, { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5) }]));
 * const metadata = { data: "none", steps: 0, bytesSeen: 0, validBpb: NaN };
 * const bytes = writeModelFile({ name: "example", config, tensors, metadata }, { dtype: "float32" });
 * const model = readModelFile(bytes);
 * assert.equal(model.name, "example");
 * assert.equal(model.tensors.get("local.head")!.data[0], 0.5);
 * ```
 */
export function writeModelFile(
  model: Omit<ModelFile, "hash">,
  options: WriteModelFileOptions = {},
): Uint8Array {
  const dtype = options.dtype ?? "int8";
  const tableDtype = options.tableDtype ?? dtype;
  for (const d of [dtype, tableDtype]) {
    if (!(d in DTYPE_CODES)) {
      throw new TypeError(`Cannot write the model file: unknown dtype "${d}"`);
    }
  }
  if (dtype === "int4") {
    throw new TypeError(
      'Cannot write the model file: int4 stores only the hashed n-gram tables (tableDtype: "int4")',
    );
  }
  validateConfig(model.config);
  if (matchTable(model.config).length > 0 && hashTables(model.config).orders === 0) {
    throw new RangeError(
      "Cannot write the model file: a match row needs hashed n-gram tables (version 4 has both)",
    );
  }
  const encoder = new TextEncoder();
  const name = encoder.encode(model.name);
  if (name.length < 1 || name.length > 255) {
    throw new RangeError(
      `Cannot write the model file: the name must be 1..255 UTF-8 bytes, got ${name.length}`,
    );
  }
  const { data, steps, bytesSeen, validBpb } = model.metadata;
  const description = encoder.encode(data);
  if (description.length > 65535) {
    throw new RangeError(
      "Cannot write the model file: the data description exceeds 65,535 UTF-8 bytes",
    );
  }
  for (const [key, v] of [["steps", steps], ["bytesSeen", bytesSeen]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new RangeError(
        `Cannot write the model file: metadata.${key} must be a safe integer ≥ 0, got ${v}`,
      );
    }
  }
  if (!Number.isNaN(validBpb) && !(Number.isFinite(validBpb) && validBpb >= 0)) {
    throw new RangeError(
      `Cannot write the model file: metadata.validBpb must be ≥ 0 or NaN, got ${validBpb}`,
    );
  }
  const tensors = checkTensors(model);

  // 1. Encode every tensor, so the table knows each Data_Size.
  const encoded = tensors.map(([tensorName, t]) => {
    const kind: ModelDtype = t.shape.length !== 2
      ? "float32"
      : isNgramTable(tensorName)
      ? tableDtype
      : dtype;
    return { name: encoder.encode(tensorName), kind, shape: t.shape, bytes: encodeTensor(t, kind) };
  });

  // 2. Header_Size does not depend on the offsets (fixed-width), so size it first.
  const version = formatVersionOf(model.config, tableDtype);
  let headerSize = configSize(version) + 1 + name.length + 2 + description.length + 8 + 8 + 8 + 4;
  for (const e of encoded) headerSize += 1 + e.name.length + 1 + 1 + 4 * e.shape.length + 8 + 8;

  // 3. Offsets: first at align64(end of header), each next at align64(end of the previous).
  let offset = align(PREAMBLE_SIZE + headerSize);
  const offsets = encoded.map((e) => {
    const at = offset;
    offset = align(at + e.bytes.length);
    return at;
  });
  const last = encoded.length - 1;
  const dataEnd = offsets[last] + encoded[last].bytes.length;

  // 4. Preamble and header.
  const w = new ByteWriter();
  w.bytes(MAGIC);
  w.u16(version);
  w.u16(0); // Flags
  w.u32(headerSize);
  const fields = configFields(version);
  for (const field of fields) w.u32(model.config[field]!);
  w.u8(name.length);
  w.bytes(name);
  w.u16(description.length);
  w.bytes(description);
  w.u64(steps);
  w.u64(bytesSeen);
  w.f64(validBpb);
  w.u32(encoded.length);
  encoded.forEach((e, i) => {
    w.u8(e.name.length);
    w.bytes(e.name);
    w.u8(DTYPE_CODES[e.kind]);
    w.u8(e.shape.length);
    for (const d of e.shape) w.u32(d);
    w.u64(offsets[i]);
    w.u64(e.bytes.length);
  });

  // 5. Tensor data (padding stays zero), then the checksum of everything before it.
  const out = new Uint8Array(dataEnd + CHECKSUM_SIZE);
  out.set(w.toBytes(), 0);
  encoded.forEach((e, i) => out.set(e.bytes, offsets[i]));
  out.set(sha256(out.subarray(0, dataEnd)), dataEnd);
  return out;
}
