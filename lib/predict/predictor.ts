// This module imports no tfjs.
/**
 * The one interface between the codec and every byte model.
 *
 * A predictor runs a batch of independent segments. Each step it writes one integer frequency
 * table per segment (256 entries, each ≥ 1, summing to {@link FREQ_TOTAL}); the codec then codes
 * the segment's actual byte and feeds it back with `advance`. A segment's tables depend only on
 * the model and that segment's own bytes: never on the batch size or the segment's slot.
 *
 * @module
 */

/** Bits of every frequency table's total. 2^16 keeps range·total < 2^53 with 31 coder state bits. */
export const FREQ_BITS = 16;
/** The fixed total of every frequency table: 2^16. */
export const FREQ_TOTAL = 1 << FREQ_BITS;
/** Number of byte values, the size of every frequency table. */
export const ALPHABET = 256;

/**
 * Least frequency of a bit, of {@link FREQ_TOTAL}, for a predictor that codes bits
 * ({@link PredictorBatch.bitFrequency}): a bit has 32 to 65504. Eight bits at 65504 / 65536 cost
 * 0.00564 bits, no less than a byte at the largest frequency a table may give it (65281), so the
 * format's bound on raw bytes per coded byte holds for both (`codec/FORMAT.md`, Segment_Table).
 */
export const BIT_FREQUENCY_MIN = 32;

/** A batch of segments that a predictor advances one byte at a time. */
export interface PredictorBatch {
  /** Number of segments in the batch. */
  readonly count: number;
  /**
   * Writes the table for the next byte of every segment: `tables[s * 256 + v]` is the frequency
   * of byte value `v` in segment `s`; every entry ≥ 1, every table sums to `FREQ_TOTAL`.
   * `tables.length` must be `count * 256`.
   */
  predict(tables: Uint32Array): void;
  /**
   * Present when the predictor codes each byte as eight bits, from the highest down (block method
   * 12): then `predict` readies the step and writes no table, and this gives the frequency of a 1
   * bit, of `FREQ_TOTAL`, at node `n` of segment `s`: node 1 for the byte's first bit, node
   * `2n + b` after bit b at node n. An integer from {@link BIT_FREQUENCY_MIN} to
   * `FREQ_TOTAL − BIT_FREQUENCY_MIN`; a bit 0 has the rest. Nodes may be asked in any order.
   */
  bitFrequency?(s: number, n: number): number;
  /** Appends `bytes[s]` to segment `s`, for every segment. `bytes.length` must be `count`. */
  advance(bytes: Uint8Array): void;
  /** Releases what the batch holds (caches, wasm memory). */
  close(): void;
}

/** A byte model that the codec can drive. */
export interface Predictor {
  /** Short stable name for messages and `info` (e.g. "cm", "neural"). */
  readonly name: string;
  /** Starts `count` empty segments. */
  start(count: number): PredictorBatch;
  /**
   * Optional encoder fast path: the tables for every position of one whole segment, computed in
   * parallel (`result[i * 256 + v]` is the table before byte `i`). Must equal, bit for bit, what
   * `start(1)` followed by predict/advance over the same bytes yields.
   */
  predictSegment?(bytes: Uint8Array): Uint32Array;
}
