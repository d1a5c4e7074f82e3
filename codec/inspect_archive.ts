// This module imports no tfjs.
/**
 * {@link inspectArchive}: what an archive holds (header, blocks) and whether it checks out.
 *
 * @module
 */
import type { ModelFile } from "../lib/model/model_file_types.ts";
import { ArraySource, type ByteSource, ChunkQueue } from "./_common/byte_source.ts";
import { checkModel, checkOptionsObject, checkWorkers } from "./_common/check_options.ts";
import { isZeroHash, toHex } from "./_common/format.ts";
import { decodeArchive, type DecodedBlockInfo } from "./_decode_archive.ts";

/** What {@link inspectArchive} found. */
export interface ArchiveInfo {
  /** `Format_Version`. */
  formatVersion: number;
  /** `Model_Name`; "" when the archive needs no model. */
  modelName: string;
  /** `Model_Hash` in hex; "" when the archive needs no model. */
  modelHash: string;
  /** `Block_Maximum_Size`. */
  blockSize: number;
  /** `Content_Size`. */
  contentSize: number;
  /**
   * True when every block checksum and the content checksum were checked and matched; false
   * when one did not match or could not be checked (a neural or mix block without its model, or
   * `verify: false`).
   */
  checksumOk: boolean;
  /**
   * Each block: method, raw size, bytes in the archive (header and checksum included), segments,
   * and whether its `Block_Checksum` matched (null: not checked).
   */
  blocks: {
    index: number;
    method: string;
    rawSize: number;
    codedSize: number;
    segments: number;
    checksumOk: boolean | null;
  }[];
}

/** Options of {@link inspectArchive}. */
export interface InspectOptions {
  /** The archive's neural model, to check its neural and mix blocks too. @default null */
  model?: ModelFile | null;
  /** Decode coded blocks to check their checksums (slow on large archives). @default true */
  verify?: boolean;
  /** Workers for that decoding. @default 1 */
  workers?: number;
}

/**
 * Reads an archive's header and blocks. Structural damage (bad magic, truncation, bad fields,
 * trailing bytes) throws {@link CorruptArchiveError}; checksums that do not match are reported
 * in `checksumOk` instead. Needs no model: neural and mix blocks are only listed without it.
 *
 * @param archive the archive, whole or as a stream
 * @param options model, verification, workers
 * @returns the header, content size, blocks and checksum verdict
 * @throws {CorruptArchiveError} for structural damage (not for checksums that do not match)
 * @throws {TypeError} when `archive` is neither a Uint8Array nor a ReadableStream, the stream
 * gives a chunk that is not a Uint8Array, `options` is not an object, `verify` not a boolean, or
 * `model` not a model file with a 32-byte hash (not all zeros), or (with `verify`) one with the
 * archive's hash that the engine cannot run, as `decompress` does
 * @throws {RangeError} for `workers` out of range; the stream's own error when it errors
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compress } from "./compress.ts";
 * import { inspectArchive } from "./inspect_archive.ts";
 * const archive = await compress(new TextEncoder().encode("hello, hello, hello"));
 * const info = await inspectArchive(archive);
 * assert.equal(info.contentSize, 19);
 * assert.equal(info.checksumOk, true);
 * ```
 */
export async function inspectArchive(
  archive: ReadableStream<Uint8Array> | Uint8Array,
  options: InspectOptions = {},
): Promise<ArchiveInfo> {
  checkOptionsObject(options);
  if (options.verify !== undefined && typeof options.verify !== "boolean") {
    throw new TypeError(`Cannot inspect: verify must be a boolean, got ${typeof options.verify}`);
  }
  const model = checkModel(options.model);
  const workers = checkWorkers(options.workers);
  const blocks: DecodedBlockInfo[] = [];
  let source: ByteSource;
  let stop = () => {};
  if (archive instanceof Uint8Array) {
    source = new ArraySource(archive);
  } else if (archive instanceof ReadableStream) {
    const queue = new ChunkQueue();
    const reader = archive.getReader();
    source = queue;
    stop = () => {
      queue.fail(new Error("Cannot read the archive: inspection ended"));
      reader.cancel().catch(() => {});
    };
    (async () => {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        if (!(value instanceof Uint8Array)) {
          throw new TypeError("Cannot inspect the chunk: expected a Uint8Array");
        }
        await queue.push(value);
      }
      queue.end();
    })().catch((error) => queue.fail(error));
  } else {
    throw new TypeError("Cannot inspect: expected a Uint8Array or a ReadableStream");
  }
  try {
    const result = await decodeArchive(source, {
      model,
      workers,
      batchSize: 8,
      inspect: { verify: options.verify ?? true },
      onBlock: (block) => blocks.push(block),
    });
    const named = !isZeroHash(result.header.modelHash);
    return {
      formatVersion: result.header.formatVersion,
      modelName: result.header.modelName,
      modelHash: named ? toHex(result.header.modelHash) : "",
      blockSize: result.header.blockMaximumSize,
      contentSize: result.contentSize,
      checksumOk: result.checksumOk,
      blocks: blocks.map(({ index, method, rawSize, codedSize, segments, checksumOk }) => ({
        index,
        method,
        rawSize,
        codedSize,
        segments,
        checksumOk,
      })),
    };
  } finally {
    stop();
  }
}
