// This module imports no tfjs.
/**
 * Internal: the plumbing shared by `compressStream` and `decompressStream`. A coder task reads
 * the written chunks from a {@link ChunkQueue} (which pushes back when it holds enough) and
 * enqueues its output as it goes; its failure errors the stream, a cancel stops it.
 *
 * @module
 */
import { ChunkQueue } from "./byte_source.ts";

/**
 * A TransformStream driven by `run`, which gets the queue of written chunks and a function that
 * passes output bytes on. `verb` names the work in the TypeError for a chunk that is not a
 * Uint8Array ("Cannot compress the chunk: …").
 */
export function queueTransformStream(
  verb: string,
  run: (queue: ChunkQueue, enqueue: (bytes: Uint8Array) => void) => Promise<void>,
): TransformStream<Uint8Array, Uint8Array> {
  const queue = new ChunkQueue();
  let task: Promise<void> = Promise.resolve();
  let failure: { error: unknown } | undefined;
  let cancelled = false; // by the stream's other end: it errors the stream itself
  return new TransformStream<Uint8Array, Uint8Array>({
    start(controller) {
      task = run(queue, (bytes) => controller.enqueue(bytes)).catch((error) => {
        failure ??= { error };
        queue.fail(error);
        if (!cancelled) controller.error(error);
      });
    },
    async transform(chunk) {
      if (!(chunk instanceof Uint8Array)) {
        throw new TypeError(`Cannot ${verb} the chunk: expected a Uint8Array`);
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
