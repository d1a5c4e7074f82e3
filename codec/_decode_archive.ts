// This module imports no tfjs.
/**
 * The decoder: reads an archive of `codec/FORMAT.md` from a byte source block by block, checks
 * every rule marked "reject" there, verifies every checksum, and hands out each block's bytes
 * once its `Block_Checksum` matched. Memory stays flat: one block, raw and coded.
 *
 * @module
 */
import type { ModelFile } from "../lib/model/model_file_types.ts";
import type { ByteSource } from "./_common/byte_source.ts";
import { type Checksums, loadChecksums, low32, readU64 } from "./_common/checksum.ts";
import {
  BLOCK_CHECKSUM_BYTES,
  BLOCK_MAXIMUM_SIZE_LIMIT,
  DESCRIPTOR_RESERVED_MASK,
  FORMAT_VERSION,
  type Header,
  HEADER_CHECKSUM_BYTES,
  isZeroHash,
  LAST_BLOCK_BIT,
  MAGIC_NUMBER,
  METHOD_MASK,
  METHOD_NAMES,
  type MethodName,
  MODEL_HASH_BYTES,
  type ModelMethod,
  needsModel,
  RATIO_LIMIT,
  RATIO_SLACK,
  Section,
  toHex,
} from "./_common/format.ts";
import { checkModelRunnable } from "./_common/check_options.ts";
import { createSegmentRunner, type SegmentRunner } from "./_common/segment_runner.ts";
import { addVarintByte, pushVarint } from "./_common/varint.ts";
import { concatBytes } from "./_common/bytes.ts";
import { CorruptArchiveError, ModelMismatchError } from "./errors.ts";

/** What the decoder reports about each block. */
export interface DecodedBlockInfo {
  /** Index of the block, from 0. */
  index: number;
  /** The block's method. */
  method: MethodName;
  /** `Raw_Size`. */
  rawSize: number;
  /** Bytes the block takes in the archive, its header and checksum included. */
  codedSize: number;
  /** Segments of the block (0 when stored). */
  segments: number;
  /** True: `Block_Checksum` matched; false: it did not; null: not checked (inspection only). */
  checksumOk: boolean | null;
}

/** How {@link decodeArchive} runs. */
export interface DecodeSettings {
  /** The model given by the caller, or null. */
  model: ModelFile | null;
  /** Workers to spread segments over (0 or 1: this thread). */
  workers: number;
  /** Segments per predictor batch. */
  batchSize: number;
  /**
   * Inspection instead of decoding: no model is required, checksum mismatches are reported
   * instead of thrown, and coded blocks are decoded (to check them) only when `verify` is true
   * and their method can run.
   */
  inspect?: { verify: boolean };
  /** Called with the header once it is read and checked. */
  onHeader?: (header: Header) => void;
  /** Called after each block. */
  onBlock?: (block: DecodedBlockInfo) => void;
  /** Receives each block's raw bytes once its checksum matched (not in inspection). */
  onOutput?: (bytes: Uint8Array) => void | Promise<void>;
  /** Called after each block with the output bytes done so far. */
  onProgress?: (outputBytesDone: number) => void;
}

/** What {@link decodeArchive} found. */
export interface DecodeResult {
  /** The archive's header. */
  header: Header;
  /** `Content_Size`. */
  contentSize: number;
  /** True when every checksum was checked and matched (always true outside inspection). */
  checksumOk: boolean;
}

/**
 * Decodes the archive read from `source`. Throws {@link CorruptArchiveError} for any broken
 * rule or checksum and {@link ModelMismatchError} when the archive needs another model; returns
 * only after the `Content_Checksum` matched and the input ended.
 *
 * @param source the archive
 * @param settings see {@link DecodeSettings}
 * @returns the header, the content size and whether every checksum was verified
 */
export async function decodeArchive(
  source: ByteSource,
  settings: DecodeSettings,
): Promise<DecodeResult> {
  const checksums = await loadChecksums();
  const reader = new FieldReader(source);
  const header = await readHeader(reader, checksums);
  const model = checkArchiveModel(header, settings);
  settings.onHeader?.(header);

  let runner: SegmentRunner | undefined;
  // With workers, block k+1 is read while block k decodes on a worker (up to `workers` blocks at
  // once); blocks are checked and handed out in order.
  const window = Math.max(1, settings.workers);
  const pending: Promise<ReadBlock>[] = [];
  const content = checksums.createXxh64();
  let done = 0;
  let allVerified = true;
  const finishOldest = async () => {
    const block = await pending.shift()!;
    settings.onBlock?.(block.info);
    if (block.info.checksumOk !== true) allVerified = false;
    if (block.raw !== null) {
      content.update(block.raw);
      if (settings.inspect === undefined) await settings.onOutput?.(block.raw);
    }
    done += block.info.rawSize;
    settings.onProgress?.(done);
  };
  try {
    let total = 0;
    for (let index = 0, last = false; !last; index++) {
      const parsed = await parseBlock(reader, index, header, model, settings);
      // An archive of one block of one segment has nothing to spread: decode it in this thread
      // and spare a worker's start (the tables are the same wherever they are computed).
      runner ??= createSegmentRunner({
        model,
        workers: parsed.last && parsed.coded.length <= 1 ? 1 : settings.workers,
        batchSize: settings.batchSize,
      });
      total += parsed.info.rawSize;
      last = parsed.last;
      const block = finishBlock(parsed, runner, checksums, settings);
      block.catch(() => {}); // awaited in order by finishOldest; this only marks it handled
      pending.push(block);
      if (pending.length >= window) await finishOldest();
    }
    while (pending.length > 0) await finishOldest();
    const contentOk = await readFooter(reader, total, content.digest(), settings);
    return { header, contentSize: total, checksumOk: allVerified && contentOk };
  } finally {
    runner?.close();
  }
}

/** Reads fields, turning a short read into a truncation error. */
class FieldReader {
  readonly #source: ByteSource;

  constructor(source: ByteSource) {
    this.#source = source;
  }

  get position(): number {
    return this.#source.position;
  }

  atEnd(): Promise<boolean> {
    return this.#source.atEnd();
  }

  async bytes(n: number, section: string, where: string): Promise<Uint8Array> {
    const bytes = await this.#source.readUpTo(n);
    if (bytes.length < n) {
      const end = this.#source.position;
      throw new CorruptArchiveError(
        `${where}: the archive is truncated (it ends at byte ${end}, in ${section})`,
        { offset: end, section },
      );
    }
    return bytes;
  }

  async byte(section: string, where: string): Promise<number> {
    return (await this.bytes(1, section, where))[0]!;
  }

  async varint(section: string, where: string): Promise<number> {
    const start = this.position;
    let value = 0;
    for (let i = 0;; i++) {
      const byte = await this.byte(section, where);
      const next = addVarintByte(value, byte, i);
      if (typeof next === "string") {
        throw new CorruptArchiveError(`${where}: bad varint in ${section} (${next})`, {
          offset: start,
          section,
        });
      }
      value = next;
      if ((byte & 0x80) === 0) return value;
    }
  }
}

function corrupt(message: string, offset: number, section: string): CorruptArchiveError {
  return new CorruptArchiveError(message, { offset, section });
}

/** Reads and checks the `Header` (FORMAT.md, Header). */
async function readHeader(reader: FieldReader, checksums: Checksums): Promise<Header> {
  const where = "Cannot read the archive header";
  const magic = await readMagic(reader);
  const parts: Uint8Array[] = [magic];
  const take = async (n: number, section: string) => {
    const bytes = await reader.bytes(n, section, where);
    parts.push(bytes.slice());
    return bytes;
  };

  let at = reader.position;
  const formatVersion = (await take(1, Section.formatVersion))[0]!;
  if (formatVersion !== FORMAT_VERSION) {
    throw corrupt(
      `${where}: unsupported Format_Version ${formatVersion} (this decoder reads version ${FORMAT_VERSION})`,
      at,
      Section.formatVersion,
    );
  }
  at = reader.position;
  const flags = (await take(1, Section.headerFlags))[0]!;
  if (flags !== 0) {
    throw corrupt(
      `${where}: reserved Header_Flags bits are set (0x${flags.toString(16).padStart(2, "0")})`,
      at,
      Section.headerFlags,
    );
  }
  at = reader.position;
  const blockMaximumSize = await reader.varint(Section.blockMaximumSize, where);
  const sizeBytes: number[] = [];
  pushVarint(sizeBytes, blockMaximumSize);
  parts.push(new Uint8Array(sizeBytes));
  if (blockMaximumSize < 1 || blockMaximumSize > BLOCK_MAXIMUM_SIZE_LIMIT) {
    throw corrupt(
      `${where}: Block_Maximum_Size ${blockMaximumSize} is out of range 1..${BLOCK_MAXIMUM_SIZE_LIMIT}`,
      at,
      Section.blockMaximumSize,
    );
  }
  const modelHash = (await take(MODEL_HASH_BYTES, Section.modelHash)).slice();
  at = reader.position;
  const nameLength = (await take(1, Section.modelNameLength))[0]!;
  if (nameLength > 0 && isZeroHash(modelHash)) {
    throw corrupt(
      `${where}: a Model_Name is given but the Model_Hash is zero`,
      at,
      Section.modelNameLength,
    );
  }
  at = reader.position;
  const nameBytes = await take(nameLength, Section.modelName);
  let modelName: string;
  try {
    modelName = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(nameBytes);
  } catch {
    throw corrupt(`${where}: the Model_Name is not valid UTF-8`, at, Section.modelName);
  }
  at = reader.position;
  const stored = await reader.bytes(HEADER_CHECKSUM_BYTES, Section.headerChecksum, where);
  const expected = low32(checksums.xxh64(concatBytes(parts)));
  const actual = new DataView(stored.buffer, stored.byteOffset, 4).getUint32(0, true);
  if (actual !== expected) {
    throw corrupt(`${where}: checksum mismatch`, at, Section.headerChecksum);
  }
  return { formatVersion, blockMaximumSize, modelHash, modelName };
}

/**
 * Reads the `Magic_Number` a byte at a time, so that a short input that is not an archive is
 * reported as such rather than as truncated.
 */
async function readMagic(reader: FieldReader): Promise<Uint8Array> {
  const where = "Cannot read the archive";
  const got: number[] = [];
  for (let i = 0; i < MAGIC_NUMBER.length; i++) {
    if (await reader.atEnd()) {
      if (got.length === 0) throw corrupt(`${where}: the input is empty`, 0, Section.magicNumber);
      break;
    }
    const byte = await reader.byte(Section.magicNumber, where);
    got.push(byte);
    if (byte !== MAGIC_NUMBER[i]) {
      throw corrupt(
        `${where}: not a megazip archive (bad magic number)`,
        0,
        Section.magicNumber,
      );
    }
  }
  if (got.length < MAGIC_NUMBER.length) {
    throw corrupt(
      `${where}: the archive is truncated (it ends at byte ${got.length}, in Magic_Number)`,
      got.length,
      Section.magicNumber,
    );
  }
  return new Uint8Array(got);
}

/** The model the blocks may use: the caller's, checked against `Model_Hash`. */
function checkArchiveModel(header: Header, settings: DecodeSettings): ModelFile | null {
  if (isZeroHash(header.modelHash)) return null;
  const given = settings.model;
  const matches = given !== null && given.hash.length === MODEL_HASH_BYTES &&
    given.hash.every((b, i) => b === header.modelHash[i]);
  if (settings.inspect !== undefined) {
    if (matches && settings.inspect.verify) checkModelRunnable(given);
    return matches ? given : null;
  }
  const needed = `model ${header.modelName || "(unnamed)"} (sha256 ${toHex(header.modelHash)})`;
  if (given === null) {
    throw new ModelMismatchError(
      `Cannot decode: the archive needs ${needed}, but no model was given`,
    );
  }
  if (!matches) {
    throw new ModelMismatchError(
      `Cannot decode: the archive needs ${needed}, but model ${given.name} (sha256 ${
        toHex(given.hash)
      }) was given`,
    );
  }
  checkModelRunnable(given);
  return given;
}

/** A block whose fields were read and checked, not yet decoded. */
interface ParsedBlock {
  info: DecodedBlockInfo;
  last: boolean;
  /** The raw bytes of a stored block; null for a coded one. */
  stored: Uint8Array | null;
  /** A coded block's segments and their raw lengths. */
  coded: Uint8Array[];
  lengths: number[];
  /** Whether to decode the coded segments (always, except in inspection). */
  decode: boolean;
  /** `Block_Checksum` and where it is. */
  checksum: bigint;
  checksumOffset: number;
}

/** A block decoded and checked against its `Block_Checksum`. */
interface ReadBlock {
  info: DecodedBlockInfo;
  /** The raw bytes, or null when they were not decoded (inspection). */
  raw: Uint8Array | null;
}

/** Reads and checks the fields of block `index` (FORMAT.md, Block), up to its checksum. */
async function parseBlock(
  reader: FieldReader,
  index: number,
  header: Header,
  model: ModelFile | null,
  settings: DecodeSettings,
): Promise<ParsedBlock> {
  const where = `Cannot decode block ${index}`;
  const start = reader.position;
  const descriptor = await reader.byte(Section.blockDescriptor, where);
  if ((descriptor & DESCRIPTOR_RESERVED_MASK) !== 0) {
    throw corrupt(
      `${where}: reserved Block_Descriptor bits are set`,
      start,
      Section.blockDescriptor,
    );
  }
  const method = METHOD_NAMES[(descriptor & METHOD_MASK) >>> 1];
  if (method === undefined) {
    throw corrupt(
      `${where}: unknown Block_Method ${(descriptor & METHOD_MASK) >>> 1}`,
      start,
      Section.blockDescriptor,
    );
  }
  if (needsModel(method) && isZeroHash(header.modelHash)) {
    throw corrupt(
      `${where}: the ${method} method needs a model, but the archive names none`,
      start,
      Section.blockDescriptor,
    );
  }
  const last = (descriptor & LAST_BLOCK_BIT) !== 0;

  let at = reader.position;
  const rawSize = await reader.varint(Section.rawSize, where);
  if (rawSize > header.blockMaximumSize) {
    throw corrupt(
      `${where}: Raw_Size ${rawSize} is over Block_Maximum_Size ${header.blockMaximumSize}`,
      at,
      Section.rawSize,
    );
  }
  if (rawSize === 0 && !(index === 0 && last && method === "stored")) {
    throw corrupt(
      `${where}: Raw_Size 0 is allowed only in the one stored block of an empty content`,
      at,
      Section.rawSize,
    );
  }

  let stored: Uint8Array | null = null;
  const coded: Uint8Array[] = [];
  let lengths: number[] = [];
  if (method === "stored") {
    stored = await reader.bytes(rawSize, Section.blockData, where);
  } else {
    const table = await readSegmentTable(reader, where, method, rawSize, model);
    lengths = table.lengths;
    at = reader.position;
    const data = await reader.bytes(table.dataBytes, Section.blockData, where);
    let offset = 0;
    for (const size of table.codedSizes) {
      if (data[offset + size - 1] === 0) {
        throw corrupt(
          `${where}: segment ${coded.length} does not end in a non-zero byte`,
          at + offset + size - 1,
          Section.segment,
        );
      }
      coded.push(data.subarray(offset, offset + size));
      offset += size;
    }
  }
  const runnable = !needsModel(method) || model !== null;
  const inspect = settings.inspect;
  const decode = inspect === undefined || (inspect.verify && runnable);

  const checksumOffset = reader.position;
  const checksum = readU64(
    await reader.bytes(BLOCK_CHECKSUM_BYTES, Section.blockChecksum, where),
    0,
  );
  const info: DecodedBlockInfo = {
    index,
    method,
    rawSize,
    codedSize: reader.position - start,
    segments: coded.length,
    checksumOk: null,
  };
  return { info, last, stored, coded, lengths, decode, checksum, checksumOffset };
}

/** Decodes a parsed block (on the runner) and checks its `Block_Checksum`. */
async function finishBlock(
  block: ParsedBlock,
  runner: SegmentRunner,
  checksums: Checksums,
  settings: DecodeSettings,
): Promise<ReadBlock> {
  const where = `Cannot decode block ${block.info.index}`;
  let raw = block.stored;
  if (raw === null && block.decode) {
    try {
      raw = await runner.decode(block.info.method as ModelMethod, block.coded, block.lengths);
    } catch (error) {
      throw new Error(`${where}: ${error instanceof Error ? error.message : error}`, {
        cause: error,
      });
    }
  }
  const info = { ...block.info };
  if (raw !== null) {
    info.checksumOk = checksums.xxh64(raw) === block.checksum;
    if (!info.checksumOk && settings.inspect === undefined) {
      throw corrupt(`${where}: checksum mismatch`, block.checksumOffset, Section.blockChecksum);
    }
  }
  return { info, raw };
}

interface SegmentTable {
  codedSizes: number[];
  lengths: number[];
  dataBytes: number;
}

/** Reads and checks the `Segment_Table` of a coded block of `rawSize` bytes. */
async function readSegmentTable(
  reader: FieldReader,
  where: string,
  method: ModelMethod,
  rawSize: number,
  model: ModelFile | null,
): Promise<SegmentTable> {
  const section = Section.segmentTable;
  const tableStart = reader.position;
  const segmentSize = await reader.varint(section, where);
  if (segmentSize < 1 || segmentSize > rawSize) {
    throw corrupt(
      `${where}: Segment_Size ${segmentSize} is out of range 1..${rawSize} (the Raw_Size)`,
      tableStart,
      section,
    );
  }
  if (method === "neural" && model !== null && segmentSize > model.config.context) {
    throw corrupt(
      `${where}: Segment_Size ${segmentSize} is over the model's context ${model.config.context}`,
      tableStart,
      section,
    );
  }
  const count = Math.ceil(rawSize / segmentSize);
  const codedSizes: number[] = [];
  const lengths: number[] = [];
  let dataBytes = 0;
  for (let i = 0; i < count; i++) {
    const at = reader.position;
    const codedSize = await reader.varint(section, where);
    if (codedSize < 1) throw corrupt(`${where}: segment ${i} has a Coded_Size of 0`, at, section);
    dataBytes += codedSize;
    if (reader.position - tableStart + dataBytes >= rawSize) {
      throw corrupt(
        `${where}: the coded block is not smaller than its Raw_Size ${rawSize}`,
        at,
        section,
      );
    }
    const length = i < count - 1 ? segmentSize : rawSize - segmentSize * (count - 1);
    if (length > RATIO_LIMIT * codedSize + RATIO_SLACK) {
      throw corrupt(
        `${where}: segment ${i} claims ${length} bytes from ${codedSize} coded bytes, over the ratio limit`,
        at,
        section,
      );
    }
    codedSizes.push(codedSize);
    lengths.push(length);
  }
  return { codedSizes, lengths, dataBytes };
}

/** Reads and checks the `Footer`; returns whether the content checksum matched. */
async function readFooter(
  reader: FieldReader,
  contentSize: number,
  contentHash: bigint,
  settings: DecodeSettings,
): Promise<boolean> {
  const where = "Cannot read the archive footer";
  let at = reader.position;
  const size = readU64(await reader.bytes(8, Section.contentSize, where), 0);
  if (size !== BigInt(contentSize)) {
    throw corrupt(
      `${where}: Content_Size ${size} does not match the blocks' total ${contentSize}`,
      at,
      Section.contentSize,
    );
  }
  at = reader.position;
  const stored = readU64(await reader.bytes(8, Section.contentChecksum, where), 0);
  const inspect = settings.inspect !== undefined;
  const ok = stored === contentHash;
  if (!ok && !inspect) {
    throw corrupt(`${where}: content checksum mismatch`, at, Section.contentChecksum);
  }
  at = reader.position;
  if (!(await reader.atEnd())) {
    throw corrupt(
      `Cannot read the archive: trailing bytes after the footer (at byte ${at})`,
      at,
      Section.endOfArchive,
    );
  }
  return ok;
}
