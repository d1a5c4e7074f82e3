// This module imports no tfjs.
/**
 * {@link decompress}: a whole archive back into its bytes.
 *
 * @module
 */
import { ArraySource } from "./_common/byte_source.ts";
import { concatBytes } from "./_common/bytes.ts";
import { checkDecodeOptions } from "./_common/check_options.ts";
import { decodeArchive } from "./_decode_archive.ts";
import type { DecompressOptions } from "./options.ts";

/**
 * Decompresses a megazip archive, verifying every block checksum and the content checksum.
 *
 * @param archive the archive's bytes
 * @param options the model (when the archive needs one), workers, progress
 * @returns the original bytes
 * @throws {CorruptArchiveError} when the archive is not one, is truncated, corrupted or breaks a
 * rule of `codec/FORMAT.md`
 * @throws {ModelMismatchError} when the archive needs a model that is not given, or another one
 * @throws {TypeError} when `archive` is not a Uint8Array, `options` not an object, `onProgress`
 * not a function, or `model` not a model file with a 32-byte hash (not all zeros), or one with
 * the archive's hash that the engine cannot run (a tensor missing, extra or misshapen, or a
 * non-finite weight), before any output
 * @throws {RangeError} for `workers` or `batchSize` out of range
 *
 * @example Telling a bad archive apart
 * ```ts
 * import assert from "node:assert/strict";
 * import { CorruptArchiveError } from "./errors.ts";
 * import { decompress } from "./decompress.ts";
 * await assert.rejects(decompress(new Uint8Array([1, 2, 3])), CorruptArchiveError);
 * ```
 */
export async function decompress(
  archive: Uint8Array,
  options: DecompressOptions = {},
): Promise<Uint8Array<ArrayBuffer>> {
  if (!(archive instanceof Uint8Array)) {
    throw new TypeError("Cannot decompress: archive must be a Uint8Array");
  }
  const checked = checkDecodeOptions(options);
  const parts: Uint8Array[] = [];
  await decodeArchive(new ArraySource(archive), {
    ...checked,
    onOutput: (bytes) => {
      parts.push(bytes);
    },
  });
  return concatBytes(parts);
}
