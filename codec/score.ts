// This module imports no tfjs.
/**
 * {@link score}: how well megazip compresses some bytes, without keeping the archive.
 *
 * @module
 */
import { ArraySource } from "./_common/byte_source.ts";
import { encodeArchive } from "./_encode_archive.ts";
import type { CompressOptions } from "./options.ts";

/** What {@link score} measured. */
export interface ScoreResult {
  /** Input bytes. */
  bytes: number;
  /** Bits of the whole archive (8 × its size), header and footer included. */
  bits: number;
  /** `bits / bytes`; 0 for an empty input. */
  bitsPerByte: number;
  /**
   * Bits of the coded segments alone (stored blocks: their raw bytes): `bits` less the archive's
   * header, footer, block headers, segment tables and checksums. What a model's probabilities
   * cost through the coder, to compare with a float evaluation of the same model.
   */
  payloadBits: number;
  /** Each block: its method, raw bytes, and bytes in the archive (header and checksum included). */
  blocks: { method: string; inputBytes: number; codedBytes: number }[];
}

/**
 * Compresses `input` exactly as {@link compress} would and reports the archive's size, without
 * keeping it.
 *
 * @param input the bytes to measure
 * @param options the same options as `compress`
 * @returns the size in bits, bits per byte and the blocks
 * @throws {TypeError} or a RangeError for bad input or options, as {@link compress} does
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { score } from "./score.ts";
 * import { compress } from "./compress.ts";
 * const input = new TextEncoder().encode("abcabcabcabc".repeat(50));
 * const result = await score(input);
 * assert.equal(result.bits, 8 * (await compress(input)).length);
 * ```
 */
export async function score(
  input: Uint8Array,
  options: CompressOptions = {},
): Promise<ScoreResult> {
  if (!(input instanceof Uint8Array)) {
    throw new TypeError("Cannot score: input must be a Uint8Array");
  }
  let size = 0, payload = 0;
  const blocks: ScoreResult["blocks"] = [];
  await encodeArchive(
    new ArraySource(input),
    (bytes) => {
      size += bytes.length;
    },
    options,
    {
      onBlock: (block) => {
        payload += block.payloadBytes;
        blocks.push({
          method: block.method,
          inputBytes: block.inputBytes,
          codedBytes: block.codedBytes,
        });
      },
    },
  );
  const bits = 8 * size;
  return {
    bytes: input.length,
    bits,
    bitsPerByte: input.length === 0 ? 0 : bits / input.length,
    payloadBits: 8 * payload,
    blocks,
  };
}
