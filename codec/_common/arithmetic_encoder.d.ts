// This module imports no tfjs.
// Types for `arithmetic-coding/src/arithmetic-encoder.js` (CommonJS, no types of its own).
import type { BitOutput, FrequencyTable } from "./arithmetic_coding_types.ts";

/** Project Nayuki's reference arithmetic encoder. */
export default class ArithmeticEncoder {
  /** A coder with `stateBits` bits of state writing to `output`. */
  constructor(stateBits: number, output: BitOutput);
  /** Codes `symbol` with the table `freqs`. */
  write(freqs: FrequencyTable, symbol: number): void;
  /** Writes the final 1 bit and closes the output (which pads to a byte). */
  finish(): void;
}
