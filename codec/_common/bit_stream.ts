// This module imports no tfjs.
/**
 * Bit streams over `Uint8Array` for the arithmetic coder: bits fill each byte from bit 7 down
 * (`codec/FORMAT.md`, Segment).
 *
 * @module
 */
import type { BitInput, BitOutput } from "./arithmetic_coding_types.ts";

/** Collects bits into a growing byte array. */
export class BitWriter implements BitOutput {
  #bytes: Uint8Array;
  #length = 0;
  #current = 0;
  #filled = 0;

  /** A writer whose buffer starts at `capacity` bytes (it grows as needed). */
  constructor(capacity = 256) {
    this.#bytes = new Uint8Array(Math.max(16, capacity));
  }

  /** Appends one bit (0 or 1). */
  write(bit: number): void {
    this.#current = (this.#current << 1) | bit;
    if (++this.#filled === 8) {
      if (this.#length === this.#bytes.length) {
        const grown = new Uint8Array(this.#bytes.length * 2);
        grown.set(this.#bytes);
        this.#bytes = grown;
      }
      this.#bytes[this.#length++] = this.#current;
      this.#current = 0;
      this.#filled = 0;
    }
  }

  /** Pads the last byte with 0 bits. */
  close(): void {
    while (this.#filled !== 0) this.write(0);
  }

  /** Whole bytes written so far. */
  get length(): number {
    return this.#length;
  }

  /** A copy of the whole bytes written so far. */
  toBytes(): Uint8Array {
    return this.#bytes.slice(0, this.#length);
  }
}

/** Reads bits of a byte array; past its end, `read()` returns -1. */
export class BitReader implements BitInput {
  readonly #bytes: Uint8Array;
  #position = 0;
  #bit = 8;

  /** A reader over `bytes` (not copied). */
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** The next bit, or -1 past the end. */
  read(): number {
    if (this.#position >= this.#bytes.length) return -1;
    const bit = (this.#bytes[this.#position]! >>> --this.#bit) & 1;
    if (this.#bit === 0) {
      this.#bit = 8;
      this.#position++;
    }
    return bit;
  }

  /** Stops reading: later reads return -1. */
  close(): void {
    this.#position = this.#bytes.length;
  }
}
