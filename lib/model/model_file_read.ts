// This module imports no tfjs.
/**
 * Reads a model file (`.mgb`), as specified in `lib/model/FORMAT.md`, checking every rule the
 * spec marks "reject".
 *
 * @module
 */
import {
  hashTables,
  MATCH_MAX_LENGTH,
  matchTable,
  MAX_HASH_ORDERS,
  type MegabyteConfig,
  validateConfig,
} from "./config.ts";
import type { ModelFile, ModelTensor } from "./model_file_types.ts";
import { ModelFileError } from "./model_file_error.ts";
import { tensorShapes } from "./tensor_shapes.ts";
import {
  align,
  CHECKSUM_SIZE,
  configFields,
  configSize,
  dataSize,
  dequantizeInt8,
  DTYPE_NAMES,
  FORMAT_VERSION,
  type FormatVersion,
  fromFloat16,
  INT4_MAX,
  isNgramTable,
  MAGIC,
  MAX_FILE_SIZE,
  MAX_HEADER_SIZE,
  minHeaderSize,
  type ModelDtype,
  PREAMBLE_SIZE,
  sha256,
  unpackInt4,
} from "./_format.ts";

export { ModelFileError } from "./model_file_error.ts";

/**
 * Whether some bytes start as a model file does (its `Magic_Number`): enough to tell a model file
 * from an archive before reading the rest.
 *
 * @param head The first bytes of a file (8 are needed; fewer give false).
 */
export function hasModelMagic(head: Uint8Array): boolean {
  return head.length >= MAGIC.length && MAGIC.every((b, i) => head[i] === b);
}

/** Reads little-endian fields, never past `end`. */
class Cursor {
  readonly #view: DataView;
  readonly #bytes: Uint8Array;
  readonly #decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  pos: number;
  end: number;

  constructor(bytes: Uint8Array, pos: number, end: number) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = pos;
    this.end = end;
  }

  #need(n: number, field: string): number {
    if (this.pos + n > this.end) {
      const where = this.end === this.#bytes.length
        ? "the file is truncated"
        : "the field runs past Header_Size";
      throw new ModelFileError(where, this.pos, field);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }
  u8(field: string): number {
    return this.#view.getUint8(this.#need(1, field));
  }
  u16(field: string): number {
    return this.#view.getUint16(this.#need(2, field), true);
  }
  u32(field: string): number {
    return this.#view.getUint32(this.#need(4, field), true);
  }
  u64(field: string): number {
    const at = this.#need(8, field);
    const v = this.#view.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new ModelFileError(`${v} exceeds 2^53 - 1`, at, field);
    }
    return Number(v);
  }
  f64(field: string): number {
    return this.#view.getFloat64(this.#need(8, field), true);
  }
  string(lengthBytes: 1 | 2, field: string): string {
    const n = lengthBytes === 1 ? this.u8(field) : this.u16(field);
    const at = this.#need(n, field);
    try {
      return this.#decoder.decode(this.#bytes.subarray(at, at + n));
    } catch {
      throw new ModelFileError("invalid UTF-8", at, field);
    }
  }
}

/** One `Tensor_Entry` of the table. */
interface Entry {
  name: string;
  dtype: ModelDtype;
  shape: number[];
  offset: number;
  size: number;
}

/** Decodes one tensor's bytes, rejecting non-finite values and out-of-range integers. */
function decodeTensor(bytes: Uint8Array, e: Entry): ModelTensor {
  const view = new DataView(bytes.buffer, bytes.byteOffset + e.offset, e.size);
  const n = e.shape.reduce((a, b) => a * b, 1);
  const field = `Tensor_Data of ${e.name}`;
  if (e.dtype === "float32") {
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      data[i] = view.getFloat32(4 * i, true);
      if (!Number.isFinite(data[i])) {
        throw new ModelFileError("non-finite value", e.offset + 4 * i, field);
      }
    }
    return { shape: e.shape, data };
  }
  if (e.dtype === "float16") {
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      data[i] = fromFloat16(view.getUint16(2 * i, true));
      if (Number.isNaN(data[i])) {
        throw new ModelFileError("non-finite value", e.offset + 2 * i, field);
      }
    }
    return { shape: e.shape, data };
  }
  const cols = e.shape[1];
  const scales = new Float32Array(cols);
  for (let c = 0; c < cols; c++) {
    scales[c] = view.getFloat32(4 * c, true);
    if (!Number.isFinite(scales[c]) || scales[c] < 0) {
      throw new ModelFileError("scale not finite and ≥ 0", e.offset + 4 * c, field);
    }
  }
  const at = e.offset + 4 * cols;
  if (e.dtype === "int4") {
    const packed = new Uint8Array(bytes.buffer, bytes.byteOffset + at, e.size - 4 * cols);
    const values = unpackInt4(packed, n);
    for (let i = 0; i < n; i++) {
      if (values[i] < -INT4_MAX) throw new ModelFileError("int4 value -8", at + (i >> 1), field);
    }
    return lazyInt8Tensor(e.shape, { values, scales });
  }
  const values = new Int8Array(n);
  values.set(new Int8Array(bytes.buffer, bytes.byteOffset + at, n));
  for (let i = 0; i < n; i++) {
    if (values[i] === -128) throw new ModelFileError("int8 value -128", at + i, field);
  }
  return lazyInt8Tensor(e.shape, { values, scales });
}

/**
 * An int8 tensor whose float32 `data` is computed on first read and then kept: a process that only
 * runs the exact engine (which reads `quantized`) never allocates the float32 copy, 4× the size of
 * the integers (about 93 MB for `models/default.mgb`). `data` is an own enumerable accessor, so
 * spreading, structured cloning and deep equality still see the values (an object literal's
 * accessors are own and enumerable).
 */
function lazyInt8Tensor(
  shape: number[],
  quantized: { values: Int8Array; scales: Float32Array },
): ModelTensor {
  let data: Float32Array | undefined;
  return {
    shape,
    get data(): Float32Array {
      return data ??= dequantizeInt8(quantized.values, quantized.scales);
    },
    set data(value: Float32Array) {
      data = value;
    },
    quantized,
  };
}

/**
 * Parses and checks the bytes of a `.mgb` model file (lib/model/FORMAT.md): every field, the
 * tensor table against the config, zero padding, the content checksum and every value.
 *
 * @param bytes The whole file.
 * @returns The model, tensors as float32 (int8 and int4 ones also with their integers), and its
 * identity hash (SHA-256 of `bytes`). The config has `hashOrders` and `hashRows` exactly when the
 * file is version 2 or 3 (version 1 has no tables and leaves them absent).
 * @throws {ModelFileError} For anything the spec rejects, with a one-line message naming the
 * field and byte offset.
 * @throws {TypeError} When `bytes` is not a Uint8Array.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ModelFileError, readModelFile } from "./model_file_read.ts";
 *
 * assert.throws(() => readModelFile(new TextEncoder().encode("hello")), ModelFileError);
 * ```
 */
export function readModelFile(bytes: Uint8Array): ModelFile {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError("Cannot read the model file: expected its bytes as a Uint8Array");
  }
  if (bytes.length > MAX_FILE_SIZE) {
    throw new ModelFileError(`${bytes.length} bytes exceeds the 1 GiB limit`, 0, "Model_File");
  }
  // 1. Preamble.
  const pre = new Cursor(bytes, 0, bytes.length);
  if (!hasModelMagic(bytes)) {
    throw new ModelFileError("bad magic number (not a .mgb model file)", 0, "Magic_Number");
  }
  pre.pos = MAGIC.length;
  const version = pre.u16("Format_Version") as FormatVersion;
  if (version !== 1 && version !== 2 && version !== 3 && version !== 4) {
    throw new ModelFileError(
      `unsupported version ${version} (this reader knows 1 to ${FORMAT_VERSION})`,
      8,
      "Format_Version",
    );
  }
  const flags = pre.u16("Flags");
  if (flags !== 0) {
    throw new ModelFileError(`reserved flags 0x${flags.toString(16)} are set`, 10, "Flags");
  }
  const headerSize = pre.u32("Header_Size");
  if (headerSize < minHeaderSize(version) || headerSize > MAX_HEADER_SIZE) {
    throw new ModelFileError(`header size ${headerSize} is out of range`, 12, "Header_Size");
  }
  const headerEnd = PREAMBLE_SIZE + headerSize;
  if (headerEnd > bytes.length) {
    throw new ModelFileError("the file is truncated", bytes.length, "Header");
  }

  // 2. Header: config, name, metadata.
  const h = new Cursor(bytes, PREAMBLE_SIZE, headerEnd);
  const config = {} as MegabyteConfig;
  // Version 1 has no hash fields, versions 1–3 no match field: leave them absent, as in the levels
  // without tables or match row.
  for (const field of configFields(version)) config[field] = h.u32("Config");
  const orders = config.hashOrders!;
  if (version >= 2 && !(orders >= 1 && orders <= MAX_HASH_ORDERS)) {
    // 0 too: versions 2 to 4 exist for the tables, a model without them is a version-1 file.
    throw new ModelFileError(
      `hashOrders must be in 1..${MAX_HASH_ORDERS} in version ${version}, got ${orders}`,
      16 + configSize(1),
      "Config",
    );
  }
  const k = config.matchLength!;
  if (version >= 4 && !(k >= 1 && k <= MATCH_MAX_LENGTH)) {
    // 0 too: version 4 exists for the match row.
    throw new ModelFileError(
      `matchLength must be in 1..${MATCH_MAX_LENGTH} in version ${version}, got ${k}`,
      16 + configSize(2),
      "Config",
    );
  }
  try {
    validateConfig(config);
  } catch (error) {
    const message = (error as Error).message.replace(/^Cannot use the model config: /, "");
    const at = /^hashOrders/.test(message)
      ? 16 + configSize(1)
      : /^hashRows/.test(message)
      ? 16 + configSize(1) + 4
      : 16;
    throw new ModelFileError(message, at, "Config");
  }
  const nameAt = h.pos;
  const name = h.string(1, "Model_Name");
  if (name.length === 0) throw new ModelFileError("empty name", nameAt, "Model_Name");
  const data = h.string(2, "Data_Description");
  const steps = h.u64("Steps");
  const bytesSeen = h.u64("Bytes_Seen");
  const bpbAt = h.pos;
  const validBpb = h.f64("Valid_Bpb");
  if (!Number.isNaN(validBpb) && !(Number.isFinite(validBpb) && validBpb >= 0)) {
    throw new ModelFileError(`${validBpb} is neither NaN nor finite and ≥ 0`, bpbAt, "Valid_Bpb");
  }

  // 3. Tensor table, against the config's canonical table and the canonical layout.
  const countAt = h.pos;
  const count = h.u32("Tensor_Count");
  // tensorShapes(config).size, without building a table for a config with 2^24 layers.
  const needed = 10 + 6 * (config.globalLayers + config.localLayers) + hashTables(config).orders +
    (matchTable(config).rows > 0 ? 1 : 0);
  if (count !== needed) {
    throw new ModelFileError(
      `${count} tensors, the config needs ${needed}`,
      countAt,
      "Tensor_Count",
    );
  }
  if (count * 19 > headerEnd - h.pos) { // an entry takes ≥ 19 bytes: don't build a table that cannot fit
    throw new ModelFileError(
      `${count} tensor entries cannot fit in the header`,
      countAt,
      "Tensor_Count",
    );
  }
  const expected = [...tensorShapes(config)];
  const entries: Entry[] = [];
  let next = align(headerEnd);
  for (const [wantName, wantShape] of expected) {
    const at = h.pos;
    const tensorName = h.string(1, "Tensor_Name");
    if (tensorName !== wantName) {
      throw new ModelFileError(
        `tensor ${JSON.stringify(tensorName)} where ${wantName} belongs`,
        at,
        "Tensor_Name",
      );
    }
    const dtypeAt = h.pos;
    const code = h.u8("Dtype");
    const dtype = DTYPE_NAMES[code];
    if (dtype === undefined) {
      throw new ModelFileError(`reserved dtype ${code} for ${wantName}`, dtypeAt, "Dtype");
    }
    const rank = h.u8("Rank");
    const shape: number[] = [];
    for (let i = 0; i < rank; i++) shape.push(h.u32("Dims"));
    if (shape.length !== wantShape.length || shape.some((d, i) => d !== wantShape[i])) {
      throw new ModelFileError(
        `${wantName} has shape [${shape}], the config needs [${wantShape}]`,
        dtypeAt + 1,
        "Dims",
      );
    }
    if (dtype === "int8" && rank !== 2) {
      throw new ModelFileError(`int8 dtype on rank-${rank} tensor ${wantName}`, dtypeAt, "Dtype");
    }
    if (dtype === "int4" && (version < 3 || !isNgramTable(wantName))) {
      throw new ModelFileError(
        version < 3
          ? `int4 dtype for ${wantName} in a version-${version} file`
          : `int4 dtype for ${wantName}, which is not a hashed n-gram table`,
        dtypeAt,
        "Dtype",
      );
    }
    const offsetAt = h.pos;
    const offset = h.u64("Data_Offset");
    if (offset !== next) {
      throw new ModelFileError(
        `${wantName} at ${offset}, the layout puts it at ${next}`,
        offsetAt,
        "Data_Offset",
      );
    }
    const sizeAt = h.pos;
    const size = h.u64("Data_Size");
    if (size !== dataSize(dtype, shape)) {
      throw new ModelFileError(
        `${wantName} has ${size} bytes, its dtype needs ${dataSize(dtype, shape)}`,
        sizeAt,
        "Data_Size",
      );
    }
    entries.push({ name: wantName, dtype, shape, offset, size });
    next = align(offset + size);
  }
  if (version === 3 && !entries.some((e) => e.dtype === "int4")) {
    // Canonical: such a model is a version-2 file.
    throw new ModelFileError("a version-3 file without an int4 table", 8, "Format_Version");
  }
  if (h.pos !== headerEnd) {
    throw new ModelFileError(
      `${headerEnd - h.pos} bytes left over in the header`,
      h.pos,
      "Header_Size",
    );
  }

  // 4. Exact length, zero padding, checksum; only then the values.
  const last = entries[entries.length - 1];
  const dataEnd = last.offset + last.size;
  if (bytes.length < dataEnd + CHECKSUM_SIZE) {
    throw new ModelFileError(
      `the file is truncated (${bytes.length} of ${dataEnd + CHECKSUM_SIZE} bytes)`,
      bytes.length,
      "Tensor_Data",
    );
  }
  if (bytes.length > dataEnd + CHECKSUM_SIZE) {
    throw new ModelFileError(
      `${bytes.length - dataEnd - CHECKSUM_SIZE} bytes after the checksum`,
      dataEnd + CHECKSUM_SIZE,
      "Content_Checksum",
    );
  }
  let pad = headerEnd;
  for (const e of entries) {
    for (let i = pad; i < e.offset; i++) {
      if (bytes[i] !== 0) throw new ModelFileError("non-zero padding", i, "Padding");
    }
    pad = e.offset + e.size;
  }
  const checksum = sha256(bytes.subarray(0, dataEnd));
  if (checksum.some((b, i) => bytes[dataEnd + i] !== b)) {
    throw new ModelFileError(
      "checksum mismatch (the file is corrupt)",
      dataEnd,
      "Content_Checksum",
    );
  }
  const tensors = new Map<string, ModelTensor>();
  for (const e of entries) tensors.set(e.name, decodeTensor(bytes, e));
  return {
    name,
    config,
    tensors,
    metadata: { data, steps, bytesSeen, validBpb },
    hash: sha256(bytes),
    storage: {
      formatVersion: version,
      fileSize: bytes.length,
      dtypes: new Map(entries.map((e) => [e.name, e.dtype])),
    },
  };
}

/**
 * Reads a `.mgb` model file from disk (needs --allow-read).
 *
 * @param path A file path or `file:` URL.
 * @returns The model, as {@link readModelFile} gives it.
 * @throws {ModelFileError} For a file the spec rejects, or one over 1 GiB (checked before a
 * regular file is read; a device or a pipe, whose size is not known, is read up to the limit);
 * Deno's own errors (e.g. `Deno.errors.NotFound`, `Deno.errors.IsADirectory`) for a file that
 * cannot be read.
 * @throws {TypeError} When `path` is neither a string nor a URL.
 *
 * @example
 * ```ts ignore
 * import { loadModel } from "./model_file_read.ts";
 *
 * const model = await loadModel("models/default.mgb");
 * console.log(model.name, model.config);
 * ```
 */
export async function loadModel(path: string | URL): Promise<ModelFile> {
  if (typeof path !== "string" && !(path instanceof URL)) {
    throw new TypeError(`Cannot load the model: expected a path or a file URL, got ${typeof path}`);
  }
  const { size, isFile } = await Deno.stat(path);
  if (size > MAX_FILE_SIZE) {
    throw new ModelFileError(`${size} bytes exceeds the 1 GiB limit`, 0, "Model_File");
  }
  // A device or a pipe says size 0: read it up to the limit, not until memory runs out.
  return readModelFile(isFile ? await Deno.readFile(path) : await readAtMost(path, MAX_FILE_SIZE));
}

/**
 * The bytes of `path` read to its end, refused once more than `limit` have come.
 *
 * @throws {ModelFileError} When the file holds more than `limit` bytes.
 */
export async function readAtMost(path: string | URL, limit: number): Promise<Uint8Array> {
  const file = await Deno.open(path, { read: true });
  const chunks: Uint8Array[] = [];
  let total = 0;
  // The readable closes the file at its end, and when the loop leaves early (cancel).
  for await (const chunk of file.readable) {
    total += chunk.length;
    if (total > limit) {
      throw new ModelFileError(`more than ${limit} bytes exceeds the limit`, 0, "Model_File");
    }
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) bytes.set(chunk, at), at += chunk.length;
  return bytes;
}
