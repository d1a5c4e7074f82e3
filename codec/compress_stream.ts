// This module imports no tfjs.
/**
 * {@link compressStream}: compression as a `TransformStream`, with flat memory.
 *
 * @module
 */
import { ChunkQueue } from "./_common/byte_source.ts";
import { checkCompressOptions, encodeArchive } from "./_encode_archive.ts";
import type { CompressOptions } from "./options.ts";

/**
 * A stream that compresses the bytes written to it into a megazip archive. It holds about one
 * block (`blockSize`) of input and its coded forms at a time, whatever the input's length, and
 * writes the same archive as {@link compress} would.
 *
 * @param options model, block size, workers, methods, progress
 * @returns a TransformStream from content bytes to archive bytes
 * @throws {RangeError} at once for out-of-range options
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
  const queue = new ChunkQueue();
  let task: Promise<void> = Promise.resolve();
  let failure: { error: unknown } | undefined;
  let cancelled = false; // by the stream's other end: it errors the stream itself
  return new TransformStream<Uint8Array, Uint8Array>({
    start(controller) {
      task = encodeArchive(queue, (bytes) => controller.enqueue(bytes), options).catch((error) => {
        failure ??= { error };
        queue.fail(error);
        if (!cancelled) controller.error(error);
      });
    },
    async transform(chunk) {
      if (!(chunk instanceof Uint8Array)) {
        throw new TypeError("Cannot compress the chunk: expected a Uint8Array");
      }
      await queue.push(chunk);
      if (failure !== undefined) throw failure.error;
    },
    async flush() {
      queue.end();
      await task;
      if (failure !== undefined) throw failure.error;
    },
    cancel(reason) {
      cancelled = true;
      queue.fail(reason);
      return task;
    },
  });
}
