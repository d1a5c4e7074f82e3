// This module imports no tfjs.
/**
 * The duck types that `arithmetic-coding` 1.2.3 accepts: a frequency table and bit streams.
 *
 * @module
 */

/** A cumulative frequency table: symbol `s` owns `[getLow(s), getHigh(s))` of `[0, total)`. */
export interface FrequencyTable {
  /** Sum of all frequencies. */
  readonly total: number;
  /** Number of symbols. */
  readonly symbolLimit: number;
  /** Cumulative frequency of the symbols below `symbol`. */
  getLow(symbol: number): number;
  /** Cumulative frequency up to and including `symbol`. */
  getHigh(symbol: number): number;
}

/** Where the encoder writes bits. */
export interface BitOutput {
  /** Appends one bit (0 or 1). */
  write(bit: number): void;
  /** Pads to a byte boundary with 0 bits. */
  close(): void;
}

/** Where the decoder reads bits. */
export interface BitInput {
  /** The next bit, or -1 past the end (which the decoder reads as 0). */
  read(): number;
  /** Stops reading. */
  close(): void;
}
