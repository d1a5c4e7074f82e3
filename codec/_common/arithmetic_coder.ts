// This module imports no tfjs.
/**
 * The codec's adapter around `arithmetic-coding` 1.2.3 (`codec/FORMAT.md`, Appendix A): one
 * segment's coder, fed the predictor's tables, with the parameters proven exact by
 * `arithmetic_coder_test.ts` enforced here: 31 state bits and tables summing to `FREQ_TOTAL`.
 *
 * @module
 */
// @ts-types="./arithmetic_encoder.d.ts"
import ArithmeticEncoder from "arithmetic-coding/src/arithmetic-encoder.js";
// @ts-types="./arithmetic_decoder.d.ts"
import ArithmeticDecoder from "arithmetic-coding/src/arithmetic-decoder.js";
import { ALPHABET, BIT_FREQUENCY_MIN, FREQ_TOTAL } from "../../lib/predict/predictor.ts";
import type { FrequencyTable } from "./arithmetic_coding_types.ts";
import { BitReader, BitWriter } from "./bit_stream.ts";

/**
 * Coder state bits. 31 is the most that is exact: range ≤ 2^31, so range × total ≤ 2^53 for any
 * total up to 2^22; 32 overflows the coder's 32-bit integer operations.
 */
export const STATE_BITS = 31;

/** Largest table total that stays exact with {@link STATE_BITS}: 2^22. */
export const MAX_EXACT_TOTAL = 1 << 22;

if (FREQ_TOTAL > MAX_EXACT_TOTAL) {
  throw new RangeError(`Cannot code with FREQ_TOTAL ${FREQ_TOTAL}: over 2^22 is not exact`);
}

/**
 * One step's table, read from a predictor's output and checked: 256 entries, each ≥ 1,
 * summing to `FREQ_TOTAL`.
 */
export class CheckedTable implements FrequencyTable {
  /** Always `FREQ_TOTAL`. */
  readonly total = FREQ_TOTAL;
  /** Always 256. */
  readonly symbolLimit = ALPHABET;
  readonly #cumulative = new Uint32Array(ALPHABET + 1);

  /** Loads `tables[at .. at + 256)`; throws a RangeError when it is not a valid table. */
  load(tables: Uint32Array, at: number): void {
    const cumulative = this.#cumulative;
    let sum = 0;
    let zero = 0; // negative when an entry is 0 (or ≥ 2^31)
    for (let v = 0; v < ALPHABET; v += 4) { // unrolled by 4: this runs once per coded byte
      const f0 = tables[at + v]!;
      const f1 = tables[at + v + 1]!;
      const f2 = tables[at + v + 2]!;
      const f3 = tables[at + v + 3]!;
      zero |= (f0 - 1) | (f1 - 1) | (f2 - 1) | (f3 - 1);
      cumulative[v + 1] = sum += f0;
      cumulative[v + 2] = sum += f1;
      cumulative[v + 3] = sum += f2;
      cumulative[v + 4] = sum += f3;
    }
    if (zero < 0 || sum !== FREQ_TOTAL) {
      throw new RangeError(
        `Cannot code with the predictor's table: expected entries ≥ 1 summing to ${FREQ_TOTAL}, ` +
          `got a sum of ${sum}${zero < 0 ? " and an entry out of range" : ""}`,
      );
    }
  }

  /** Cumulative frequency below `symbol`. */
  getLow(symbol: number): number {
    return this.#cumulative[symbol]!;
  }

  /** Cumulative frequency up to and including `symbol`. */
  getHigh(symbol: number): number {
    return this.#cumulative[symbol + 1]!;
  }
}

/**
 * The table of one bit (block method 12): 0 owns `[0, FREQ_TOTAL − f)` and 1 owns
 * `[FREQ_TOTAL − f, FREQ_TOTAL)`, where f, the frequency of a 1 bit, is checked to be an integer
 * from `BIT_FREQUENCY_MIN` to `FREQ_TOTAL − BIT_FREQUENCY_MIN`.
 */
export class BitTable implements FrequencyTable {
  /** Always `FREQ_TOTAL`. */
  readonly total = FREQ_TOTAL;
  /** Always 2. */
  readonly symbolLimit = 2;
  #zero = FREQ_TOTAL / 2;

  /** Sets the frequency of a 1 bit; throws a RangeError when it is out of range. */
  load(one: number): void {
    if (!Number.isInteger(one) || one < BIT_FREQUENCY_MIN || one > FREQ_TOTAL - BIT_FREQUENCY_MIN) {
      throw new RangeError(
        `Cannot code with the predictor's bit frequency ${one}: expected an integer from ` +
          `${BIT_FREQUENCY_MIN} to ${FREQ_TOTAL - BIT_FREQUENCY_MIN}`,
      );
    }
    this.#zero = FREQ_TOTAL - one;
  }

  /** Cumulative frequency below `symbol` (0 or 1). */
  getLow(symbol: number): number {
    return symbol === 0 ? 0 : this.#zero;
  }

  /** Cumulative frequency up to and including `symbol` (0 or 1). */
  getHigh(symbol: number): number {
    return symbol === 0 ? this.#zero : FREQ_TOTAL;
  }
}

/** Encodes one segment, byte by byte. */
export class SegmentEncoder {
  readonly #output: BitWriter;
  readonly #encoder: ArithmeticEncoder;
  readonly #table = new CheckedTable();
  readonly #bit = new BitTable();

  /** An encoder whose output buffer starts at `capacity` bytes. */
  constructor(capacity = 256) {
    this.#output = new BitWriter(capacity);
    this.#encoder = new ArithmeticEncoder(STATE_BITS, this.#output);
  }

  /** Codes `byte` with the table at `tables[at .. at + 256)`. */
  encode(tables: Uint32Array, at: number, byte: number): void {
    this.#table.load(tables, at);
    this.#encoder.write(this.#table, byte);
  }

  /** Codes bit `y` (0 or 1) whose 1 has frequency `one` of `FREQ_TOTAL` ({@link BitTable}). */
  encodeBit(one: number, y: number): void {
    this.#bit.load(one);
    this.#encoder.write(this.#bit, y);
  }

  /** Bytes written so far (the final size is within 5 bytes of it). */
  get length(): number {
    return this.#output.length;
  }

  /** Ends the stream (a 1 bit, then padding) and returns its bytes. */
  finish(): Uint8Array {
    this.#encoder.finish();
    return this.#output.toBytes();
  }
}

/** Decodes one segment, byte by byte; bits past the end of `coded` read as 0. */
export class SegmentDecoder {
  readonly #decoder: ArithmeticDecoder;
  readonly #table = new CheckedTable();
  readonly #bit = new BitTable();

  /** A decoder over the segment's coded bytes (not copied). */
  constructor(coded: Uint8Array) {
    this.#decoder = new ArithmeticDecoder(STATE_BITS, new BitReader(coded));
  }

  /** Decodes the next byte with the table at `tables[at .. at + 256)`. */
  decode(tables: Uint32Array, at: number): number {
    this.#table.load(tables, at);
    return this.#decoder.read(this.#table);
  }

  /** Decodes a bit whose 1 has frequency `one` of `FREQ_TOTAL` ({@link BitTable}). */
  decodeBit(one: number): number {
    this.#bit.load(one);
    return this.#decoder.read(this.#bit);
  }
}
