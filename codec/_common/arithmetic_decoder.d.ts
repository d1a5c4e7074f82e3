// This module imports no tfjs.
// Types for `arithmetic-coding/src/arithmetic-decoder.js` (CommonJS, no types of its own).
import type { BitInput, FrequencyTable } from "./arithmetic_coding_types.ts";

/** Project Nayuki's reference arithmetic decoder. */
export default class ArithmeticDecoder {
  /** A decoder with `stateBits` bits of state; reads its first `stateBits` bits at once. */
  constructor(stateBits: number, input: BitInput);
  /** Decodes one symbol with the table `freqs`. */
  read(freqs: FrequencyTable): number;
  /** Closes the input. */
  finish(): void;
}
