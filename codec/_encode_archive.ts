// This module imports no tfjs.
/**
 * The encoder: writes an archive of `codec/FORMAT.md` block by block from a byte source, so
 * memory stays flat (one block and its coded forms) whatever the input's size.
 *
 * @module
 */
import type { ModelFile } from "../lib/model/model_file_types.ts";
import type { ByteSource } from "./_common/byte_source.ts";
import {
  checkBatchSize,
  checkModel,
  checkModelRunnable,
  checkOptionsObject,
  checkProgress,
  checkWorkers,
} from "./_common/check_options.ts";
import { loadChecksums, low32, writeU64 } from "./_common/checksum.ts";
import {
  BLOCK_CHECKSUM_BYTES,
  BLOCK_MAXIMUM_SIZE_LIMIT,
  CM_SEGMENT_SIZE,
  DEFAULT_BLOCK_SIZE,
  FOOTER_BYTES,
  FORMAT_VERSION,
  isMix,
  LAST_BLOCK_BIT,
  MAGIC_NUMBER,
  METHOD_IDS,
  METHOD_NAMES,
  type MethodName,
  MODEL_HASH_BYTES,
  MODEL_NAME_LIMIT,
  type ModelMethod,
  needsModel,
} from "./_common/format.ts";
import { createSegmentRunner, type SegmentRunner } from "./_common/segment_runner.ts";
import { pushVarint, varintLength } from "./_common/varint.ts";
import type { BlockMethod, CompressOptions } from "./options.ts";

/** What the encoder reports about each block it wrote. */
export interface EncodedBlockInfo {
  /** The block's method. */
  method: MethodName;
  /** Raw bytes in the block. */
  inputBytes: number;
  /** Bytes the block takes in the archive, its header and checksum included. */
  codedBytes: number;
  /** Segments of the block (0 when stored). */
  segments: number;
  /**
   * Bytes of the block's payload alone: its coded segments (stored: its raw bytes), without the
   * block header, the segment table and the checksum.
   */
  payloadBytes: number;
  /** The methods whose coding of the block ran, in order (cm first; "stored" needs none). */
  tried: ModelMethod[];
}

/** Extra hooks of {@link encodeArchive}. */
export interface EncodeHooks {
  /** Called after each block is written. */
  onBlock?: (info: EncodedBlockInfo) => void;
}

interface Plan {
  blockSize: number;
  segmentSize: number;
  model: ModelFile | null;
  methods: ModelMethod[];
}

/**
 * Reads `source` to its end and writes the archive to `sink`, piece by piece (header, each
 * block, footer). Throws RangeError or TypeError for bad options.
 *
 * @param source the content
 * @param sink receives the archive's bytes in order
 * @param options see {@link CompressOptions}
 * @param hooks see {@link EncodeHooks}
 */
export async function encodeArchive(
  source: ByteSource,
  sink: (bytes: Uint8Array) => void | Promise<void>,
  options: CompressOptions = {},
  hooks: EncodeHooks = {},
): Promise<void> {
  const plan = makePlan(options);
  const workers = checkWorkers(options.workers);
  const batchSize = checkBatchSize(options.batchSize);
  const { xxh64, createXxh64 } = await loadChecksums();
  const named = plan.methods.some(needsModel);

  await sink(encodeHeader(plan.blockSize, named ? plan.model : null, xxh64));
  let runner: SegmentRunner | undefined;
  // With workers, up to `workers` blocks are coded at once (each on its own worker), and written
  // in order; in this thread, one at a time.
  const window = Math.max(1, workers);
  const pending: Promise<EncodedBlock>[] = [];
  let done = 0;
  const writeOldest = async () => {
    const block = await pending.shift()!;
    await sink(block.bytes);
    done += block.info.inputBytes;
    hooks.onBlock?.(block.info);
    options.onProgress?.(done);
  };
  try {
    const content = createXxh64();
    let contentSize = 0;
    let last = false;
    while (!last) {
      const raw = await source.readUpTo(plan.blockSize);
      last = raw.length < plan.blockSize || await source.atEnd();
      content.update(raw);
      contentSize += raw.length;
      // Content of one block with nothing to spread (one segment per method, and no mix longer
      // than one neural window) is coded in this thread, sparing a worker's start (the archive is
      // the same either way).
      runner ??= createSegmentRunner({
        model: plan.model,
        workers: last && !spreads(plan, raw.length) ? 1 : workers,
        batchSize,
      });
      const block = encodeBlock(raw, last, plan, runner, xxh64(raw));
      block.catch(() => {}); // awaited in order by writeOldest; this only marks it handled
      pending.push(block);
      if (pending.length >= window) await writeOldest();
    }
    while (pending.length > 0) await writeOldest();
    const footer = new Uint8Array(FOOTER_BYTES);
    writeU64(footer, 0, BigInt(contentSize));
    writeU64(footer, 8, content.digest());
    await sink(footer);
  } finally {
    runner?.close();
  }
}

/**
 * The segment size `method` cuts a block into (the last segment may be shorter). cm and mix: long
 * segments, since cm learns as it goes (the neural part of mix restarts every config.context
 * bytes); neural: its context.
 */
function methodSegmentSize(plan: Plan, method: ModelMethod): number {
  return method === "neural" ? plan.model!.config.context : plan.segmentSize;
}

/**
 * Whether workers can share the coding of a block of `length` bytes: it makes more than one
 * segment for some method, or a mix segment of more than one neural window, whose windows
 * workers compute at once (`segment_runner.ts`).
 */
function spreads(plan: Plan, length: number): boolean {
  const segmentSize = Math.min(...plan.methods.map((method) => methodSegmentSize(plan, method)));
  return length > segmentSize ||
    (plan.methods.some(isMix) && length > plan.model!.config.context);
}

/**
 * Throws the RangeError or TypeError that {@link encodeArchive} would throw for `options`, so
 * that stream constructors can fail at once.
 */
export function checkCompressOptions(options: CompressOptions): void {
  makePlan(options);
  checkWorkers(options.workers);
  checkBatchSize(options.batchSize);
}

/** Checks the options and decides which methods the blocks may try. */
function makePlan(options: CompressOptions): Plan {
  checkOptionsObject(options);
  checkProgress(options.onProgress);
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > BLOCK_MAXIMUM_SIZE_LIMIT) {
    throw new RangeError(
      `Cannot use a block size of ${blockSize}: expected an integer in 1..${BLOCK_MAXIMUM_SIZE_LIMIT}`,
    );
  }
  const segmentSize = options.segmentSize ?? CM_SEGMENT_SIZE;
  if (!Number.isInteger(segmentSize) || segmentSize < 1) {
    throw new RangeError(`Cannot use a segment size of ${segmentSize}: expected an integer ≥ 1`);
  }
  const allowed = options.methods ?? DEFAULT_METHODS;
  if (!Array.isArray(allowed)) throw new TypeError("Cannot use methods: expected an array");
  for (const m of allowed) {
    if (!(METHOD_NAMES as readonly string[]).includes(m)) {
      throw new RangeError(`Cannot use method "${m}": expected one of ${METHOD_NAMES.join(", ")}`);
    }
  }
  const model = checkModel(options.model);
  const methods: ModelMethod[] = [];
  if (allowed.includes("cm")) methods.push("cm");
  if (model !== null && allowed.some(needsModel)) {
    checkModelRunnable(model);
    // Tried in this order; on equal sizes the earlier one is kept.
    for (const m of MODEL_METHOD_ORDER) if (allowed.includes(m)) methods.push(m);
  }
  // The header names the model only when its methods may run (encodeArchive).
  if (methods.some(needsModel)) checkModelName(model!);
  return { blockSize, segmentSize, model, methods };
}

/**
 * The order in which a block tries the methods that run the model, after "cm": the mixes by
 * `Block_Method`, then "neural".
 */
const MODEL_METHOD_ORDER: readonly ModelMethod[] = [...METHOD_NAMES.filter(isMix), "neural"];

/** The methods blocks try by default (`CompressOptions.methods`). */
const DEFAULT_METHODS: readonly BlockMethod[] = ["stored", "cm", "mix-sse9"];

/** Throws the RangeError for a model whose name does not fit `Model_Name`. */
function checkModelName(model: ModelFile): void {
  const length = new TextEncoder().encode(model.name).length;
  if (length > MODEL_NAME_LIMIT) {
    throw new RangeError(
      `Cannot compress with model ${model.name}: its name is ${length} bytes, over ${MODEL_NAME_LIMIT}`,
    );
  }
}

function encodeHeader(
  blockSize: number,
  model: ModelFile | null,
  xxh64: (bytes: Uint8Array) => bigint,
): Uint8Array {
  const name = new TextEncoder().encode(model?.name ?? ""); // checked by makePlan
  const fields: number[] = [...MAGIC_NUMBER, FORMAT_VERSION, 0];
  pushVarint(fields, blockSize);
  fields.push(...(model?.hash ?? new Uint8Array(MODEL_HASH_BYTES)), name.length, ...name);
  const header = new Uint8Array(fields.length + 4);
  header.set(fields);
  new DataView(header.buffer).setUint32(fields.length, low32(xxh64(header.subarray(0, -4))), true);
  return header;
}

interface EncodedBlock {
  bytes: Uint8Array;
  info: EncodedBlockInfo;
}

/**
 * Tries every method on `raw` and writes the smallest (stored on ties). A block that cm cannot
 * code smaller than stored (random or already compressed bytes) skips the model's methods: they
 * take ~100× cm's time, and on the bench's random input they came out larger than stored too.
 */
async function encodeBlock(
  raw: Uint8Array,
  last: boolean,
  plan: Plan,
  runner: SegmentRunner,
  checksum: bigint,
): Promise<EncodedBlock> {
  let best: { method: ModelMethod; segmentSize: number; coded: Uint8Array[]; size: number } | null =
    null;
  let incompressible = false;
  const tried: ModelMethod[] = [];
  for (const method of raw.length === 0 ? [] : plan.methods) {
    if (incompressible && needsModel(method)) continue;
    tried.push(method);
    const segmentSize = Math.min(methodSegmentSize(plan, method), raw.length);
    const segments: Uint8Array[] = [];
    for (let at = 0; at < raw.length; at += segmentSize) {
      segments.push(raw.subarray(at, at + segmentSize));
    }
    const coded = await runner.encode(method, segments);
    let size = varintLength(segmentSize);
    for (const c of coded) size += varintLength(c.length) + c.length;
    // Coded only when smaller than stored (FORMAT.md, Segment_Table, limit 1).
    if (size < raw.length && (best === null || size < best.size)) {
      best = { method, segmentSize, coded, size };
    }
    if (method === "cm" && size >= raw.length) incompressible = true;
  }

  const method: MethodName = best?.method ?? "stored";
  const head: number[] = [(last ? LAST_BLOCK_BIT : 0) | (METHOD_IDS[method] << 1)];
  pushVarint(head, raw.length);
  if (best !== null) {
    pushVarint(head, best.segmentSize);
    for (const c of best.coded) pushVarint(head, c.length);
  }
  const body = best === null ? [raw] : best.coded;
  let length = head.length + BLOCK_CHECKSUM_BYTES;
  for (const part of body) length += part.length;
  const bytes = new Uint8Array(length);
  bytes.set(head);
  let at = head.length;
  for (const part of body) {
    bytes.set(part, at);
    at += part.length;
  }
  writeU64(bytes, at, checksum);
  return {
    bytes,
    info: {
      method,
      inputBytes: raw.length,
      codedBytes: bytes.length,
      segments: best?.coded.length ?? 0,
      payloadBytes: body.reduce((sum, part) => sum + part.length, 0),
      tried,
    },
  };
}
