/**
 * megazip: lossless compression with a MEGABYTE transformer driving an arithmetic coder.
 *
 * Compress bytes into a `.mbz` archive and get them back; stream forms keep memory flat on
 * inputs of any size. Without a model, blocks are coded by an adaptive context-mixing model (or
 * stored when that does not pay); with a model file (`loadModel`), blocks may also use the mix
 * method (context mixing and the neural model mixed byte by byte; pure neural on request), and
 * decompression then needs the same model. The archive format is specified in
 * `codec/FORMAT.md`, the model file format in `lib/model/FORMAT.md`.
 *
 * @example Compress and decompress
 * ```ts
 * import assert from "node:assert/strict";
 * import { compress, decompress, inspectArchive } from "./mod.ts";
 *
 * const input = new TextEncoder().encode("to be or not to be, that is the question\n".repeat(50));
 * const archive = await compress(input);
 * assert.ok(archive.length < input.length / 4);
 * assert.deepEqual(await decompress(archive), input);
 *
 * const info = await inspectArchive(archive);
 * assert.equal(info.contentSize, input.length);
 * assert.equal(info.checksumOk, true);
 * ```
 *
 * @example Streams
 * ```ts
 * import assert from "node:assert/strict";
 * import { compressStream, decompressStream } from "./mod.ts";
 *
 * const input = new TextEncoder().encode("streaming megazip ".repeat(1000));
 * const output = await new Response(
 *   ReadableStream.from([input]).pipeThrough(compressStream()).pipeThrough(decompressStream()),
 * ).bytes();
 * assert.deepEqual(output, input);
 * ```
 *
 * @example Bad archives throw CorruptArchiveError
 * ```ts
 * import assert from "node:assert/strict";
 * import { compress, CorruptArchiveError, decompress } from "./mod.ts";
 *
 * const archive = await compress(new TextEncoder().encode("hello hello hello"));
 * archive[archive.length - 1]! ^= 1;
 * await assert.rejects(decompress(archive), CorruptArchiveError);
 * ```
 *
 * @module
 */

/** Compresses a whole byte array into an archive. See `codec/compress.ts`. */
export { compress } from "./codec/compress.ts";
/** Decompresses a whole archive, after verifying every checksum. See `codec/decompress.ts`. */
export { decompress } from "./codec/decompress.ts";
/** A TransformStream from bytes to an archive, with flat memory. See `codec/compress_stream.ts`. */
export { compressStream } from "./codec/compress_stream.ts";
/**
 * A TransformStream from an archive back to bytes; it errors on any corruption and closes only
 * after the content checksum verified. See `codec/decompress_stream.ts`.
 */
export { decompressStream } from "./codec/decompress_stream.ts";
/** The exact coded size of some bytes in bits per byte, without keeping the archive. */
export { score } from "./codec/score.ts";
/** What the score of some bytes is: bytes, bits, bits per byte and the blocks. */
export type { ScoreResult } from "./codec/score.ts";
/** Reads an archive's header and blocks, and whether its checksums verify. */
export { inspectArchive } from "./codec/inspect_archive.ts";
/** What {@link inspectArchive} reports, and its options. */
export type { ArchiveInfo, InspectOptions } from "./codec/inspect_archive.ts";
/** Thrown for an archive that is not one, is truncated or corrupted; carries offset and field. */
export { CorruptArchiveError } from "./codec/errors.ts";
/** Options of {@link CorruptArchiveError}. */
export type { CorruptArchiveErrorOptions } from "./codec/errors.ts";
/** Thrown when an archive needs another (or a missing) model. */
export { ModelMismatchError } from "./codec/errors.ts";
/** Options of compression and decompression, and the block methods. */
export type { BlockMethod, CompressOptions, DecompressOptions } from "./codec/options.ts";
/** Reads a model file (`.mgb`, `lib/model/FORMAT.md`) from disk; throws ModelFileError if bad. */
export { loadModel } from "./lib/model/model_file_read.ts";
/** Parses the bytes of a model file; throws ModelFileError for one the spec rejects. */
export { readModelFile } from "./lib/model/model_file_read.ts";
/** Thrown for a model file that is not one, is truncated or corrupt; carries offset and field. */
export { ModelFileError } from "./lib/model/model_file_error.ts";
/** A model file in memory, its tensors, training metadata and how the file stored them. */
export type {
  ModelFile,
  ModelStorage,
  ModelTensor,
  TrainingMetadata,
} from "./lib/model/model_file_types.ts";
/** The sizes of a MEGABYTE model. */
export type { MegabyteConfig } from "./lib/model/config.ts";
