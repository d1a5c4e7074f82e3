// This module imports no tfjs.
/**
 * {@link decompressStream}: decompression as a `TransformStream`, with flat memory.
 *
 * @module
 */
import { queueTransformStream } from "./_common/queue_stream.ts";
import { checkDecodeOptions } from "./_common/check_options.ts";
import { decodeArchive } from "./_decode_archive.ts";
import type { DecompressOptions } from "./options.ts";

/**
 * A stream that decompresses a megazip archive written to it. It passes on each block's bytes
 * once that block's checksum matched, holds about one block at a time, and closes only after
 * the `Content_Checksum` matched and the archive ended; on any corruption it errors instead
 * (with a `CorruptArchiveError` or `ModelMismatchError`). Callers that write the
 * output to a file should write to a temporary name and rename it once the stream closed.
 *
 * @param options the model (when the archive needs one), workers, progress
 * @returns a TransformStream from archive bytes to content bytes
 * @throws {TypeError} at once for ill-typed options (as {@link decompress}), a RangeError for
 * out-of-range ones; a chunk that is not a Uint8Array, or a model with the archive's hash that
 * the engine cannot run (before any output), errors the stream with a TypeError
 *
 * @example Decompressing a stream
 * ```ts
 * import assert from "node:assert/strict";
 * import { compress } from "./compress.ts";
 * import { decompressStream } from "./decompress_stream.ts";
 * const input = new TextEncoder().encode("streamed ".repeat(100));
 * const archive = await compress(input);
 * const output = await new Response(
 *   ReadableStream.from([archive]).pipeThrough(decompressStream()),
 * ).bytes();
 * assert.deepEqual(output, input);
 * ```
 */
export function decompressStream(
  options: DecompressOptions = {},
): TransformStream<Uint8Array, Uint8Array> {
  const checked = checkDecodeOptions(options);
  return queueTransformStream("decompress", async (queue, enqueue) => {
    await decodeArchive(queue, { ...checked, onOutput: enqueue });
  });
}
