// This module imports no tfjs.
/**
 * Varints of `codec/FORMAT.md` (Conventions): unsigned LEB128, at most 8 bytes, at most
 * 2^53 − 1, minimal.
 *
 * @module
 */

/** Most bytes of one varint. */
export const VARINT_MAX_BYTES = 8;

/** Bytes that `value` takes as a varint. */
export function varintLength(value: number): number {
  checkValue(value);
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

/** Appends `value` as a varint to `out`. */
export function pushVarint(out: number[], value: number): void {
  checkValue(value);
  while (value >= 0x80) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

/** Why a varint could not be read. */
export type VarintProblem = "too long" | "too large" | "not minimal";

/**
 * Adds byte `index` (0-based) of a varint to the value read so far. Returns the new value, or a
 * {@link VarintProblem}. The caller stops when `(byte & 0x80) === 0`.
 */
export function addVarintByte(
  value: number,
  byte: number,
  index: number,
): number | VarintProblem {
  if (index >= VARINT_MAX_BYTES) return "too long";
  const group = byte & 0x7f;
  if ((byte & 0x80) === 0 && group === 0 && index > 0) return "not minimal";
  const next = value + group * 2 ** (7 * index);
  if (next > Number.MAX_SAFE_INTEGER) return "too large";
  return next;
}

function checkValue(value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`Cannot write varint ${value}: expected an integer in 0..2^53-1`);
  }
}
