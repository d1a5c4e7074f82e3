// This module imports no tfjs.
/**
 * Small byte-array helpers.
 *
 * @module
 */

/** The concatenation of `parts`, in a new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Views of `bytes` cut into consecutive pieces of `lengths` (which must sum to its length). */
export function splitBytes(bytes: Uint8Array, lengths: readonly number[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const n of lengths) {
    parts.push(bytes.subarray(at, at + n));
    at += n;
  }
  if (at !== bytes.length) {
    throw new RangeError(`Cannot split ${bytes.length} bytes into pieces summing to ${at}`);
  }
  return parts;
}
