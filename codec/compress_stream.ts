// This module imports no tfjs.
/**
 * {@link compressStream}: compression as a `TransformStream`, with flat memory.
 *
 * @module
 */
import { queueTransformStream } from "./_common/queue_stream.ts";
import { checkCompressOptions, encodeArchive } from "./_encode_archive.ts";
import type { CompressOptions } from "./options.ts";

/**
 * A stream that compresses the bytes written to it into a megazip archive. It holds about one
 * block (`blockSize`) of input and its coded forms at a time, whatever the input's length, and
 * writes the same archive as {@link compress} would.
 *
 * @param options model, block size, workers, methods, progress
 * @returns a TransformStream from content bytes to archive bytes
 * @throws {RangeError} at once for out-of-range options, and a TypeError for ill-typed ones (as
 * {@link compress} would); a chunk that is not a Uint8Array errors the stream with a TypeError
 *
 * @example Compressing a stream
 * ```ts
 * import assert from "node:assert/strict";
 * import { compressStream } from "./compress_stream.ts";
 * import { decompress } from "./decompress.ts";
 * const input = new TextEncoder().encode("streamed ".repeat(100));
 * const archive = await new Response(
 *   ReadableStream.from([input]).pipeThrough(compressStream()),
 * ).bytes();
 * assert.deepEqual(await decompress(archive), input);
 * ```
 */
export function compressStream(
  options: CompressOptions = {},
): TransformStream<Uint8Array, Uint8Array> {
  checkCompressOptions(options);
  return queueTransformStream(
    "compress",
    (queue, enqueue) => encodeArchive(queue, enqueue, options),
  );
}
