// This module imports no tfjs.
/**
 * {@link compress}: a whole byte array into an archive.
 *
 * @module
 */
import { ArraySource } from "./_common/byte_source.ts";
import { concatBytes } from "./_common/bytes.ts";
import { encodeArchive } from "./_encode_archive.ts";
import type { CompressOptions } from "./options.ts";

/**
 * Compresses `input` into a megazip archive (`codec/FORMAT.md`). Every block tries the methods
 * allowed and keeps the smallest; the archive is the same byte for byte whatever `workers` is.
 *
 * @param input the bytes to compress
 * @param options model, block size, workers, methods, progress
 * @returns the archive
 * @throws {TypeError} when `input` is not a Uint8Array, `options` not an object, `methods` not an
 * array, `onProgress` not a function, or `model` not a model file with a 32-byte hash (not all
 * zeros), or one the engine cannot run (a tensor missing, extra or misshapen, or a non-finite
 * weight) when a method needs it
 * @throws {RangeError} for out-of-range options (block size, workers, method names, a model name
 * over 255 bytes)
 *
 * @example Round trip
 * ```ts
 * import assert from "node:assert/strict";
 * import { compress } from "./compress.ts";
 * import { decompress } from "./decompress.ts";
 * const input = new TextEncoder().encode("to be or not to be, that is the question");
 * const archive = await compress(input);
 * assert.deepEqual(await decompress(archive), input);
 * ```
 */
export async function compress(
  input: Uint8Array,
  options: CompressOptions = {},
): Promise<Uint8Array<ArrayBuffer>> {
  if (!(input instanceof Uint8Array)) {
    throw new TypeError("Cannot compress: input must be a Uint8Array");
  }
  const parts: Uint8Array[] = [];
  await encodeArchive(new ArraySource(input), (bytes) => {
    parts.push(bytes);
  }, options);
  return concatBytes(parts);
}
