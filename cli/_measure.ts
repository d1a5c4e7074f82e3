/**
 * What the subcommands that report sizes share: a stream that counts bytes, and bits per byte
 * as people read them.
 *
 * @module
 */

/** A pass-through stream that calls `onBytes` with the bytes seen so far after each chunk. */
export function countBytes(
  onBytes: (total: number) => void,
): TransformStream<Uint8Array, Uint8Array> {
  let total = 0;
  return new TransformStream({
    transform(chunk, controller) {
      total += chunk.length;
      onBytes(total);
      controller.enqueue(chunk);
    },
  });
}

/** `8 · coded / raw` with three decimals, or "-" when there is no content. */
export function bitsPerByte(coded: number, raw: number): string {
  return raw > 0 ? (8 * coded / raw).toFixed(3) : "-";
}
