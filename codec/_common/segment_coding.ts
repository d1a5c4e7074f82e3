// This module imports no tfjs.
/**
 * Codes the segments of a block with a predictor (`codec/FORMAT.md`, Segment): segments go
 * through the predictor in batches of `batchSize`, one byte of every segment per step. A
 * segment's tables depend only on its own bytes, so the output does not depend on `batchSize`.
 *
 * @module
 */
import { ALPHABET, type Predictor, type PredictorBatch } from "../../lib/predict/predictor.ts";
import { SegmentDecoder, SegmentEncoder } from "./arithmetic_coder.ts";

/** Default segments per predictor batch. */
export const DEFAULT_BATCH_SIZE = 8;

/** Longest segment for which the encoder uses `predictSegment` (its tables take 1 KiB a byte). */
const PREDICT_SEGMENT_LIMIT = 1 << 16;

/**
 * Encodes each of `segments` as its own arithmetic-coded stream.
 *
 * @param predictor the block method's predictor
 * @param segments the raw bytes of each segment
 * @param batchSize segments per predictor batch (≥ 1)
 * @returns the coded bytes of each segment, in order
 */
export function encodeSegments(
  predictor: Predictor,
  segments: readonly Uint8Array[],
  batchSize: number,
): Uint8Array[] {
  checkBatchSize(batchSize);
  const coded: Uint8Array[] = [];
  for (let first = 0; first < segments.length; first += batchSize) {
    const group = segments.slice(first, first + batchSize);
    const whole = predictor.predictSegment?.bind(predictor);
    if (whole !== undefined && group.every((s) => s.length <= PREDICT_SEGMENT_LIMIT)) {
      for (const segment of group) coded.push(encodeWhole(whole(segment), segment));
    } else {
      coded.push(...encodeBatch(predictor, group));
    }
  }
  return coded;
}

/**
 * Decodes segments coded by {@link encodeSegments}.
 *
 * @param predictor the block method's predictor
 * @param coded the coded bytes of each segment
 * @param lengths the raw length of each segment
 * @param batchSize segments per predictor batch (≥ 1)
 * @returns the raw bytes of all segments, concatenated in order
 */
export function decodeSegments(
  predictor: Predictor,
  coded: readonly Uint8Array[],
  lengths: readonly number[],
  batchSize: number,
): Uint8Array<ArrayBuffer> {
  checkBatchSize(batchSize);
  if (coded.length !== lengths.length) {
    throw new RangeError(`Cannot decode ${coded.length} segments with ${lengths.length} lengths`);
  }
  let total = 0;
  for (const n of lengths) total += n;
  const output = new Uint8Array(total);
  let at = 0;
  for (let first = 0; first < coded.length; first += batchSize) {
    const count = Math.min(batchSize, coded.length - first);
    const starts: number[] = [];
    let longest = 0;
    for (let s = 0; s < count; s++) {
      starts.push(at);
      at += lengths[first + s]!;
      longest = Math.max(longest, lengths[first + s]!);
    }
    const decoders = coded.slice(first, first + count).map((c) => new SegmentDecoder(c));
    const batch = predictor.start(count);
    try {
      const tables = new Uint32Array(count * ALPHABET);
      const bytes = new Uint8Array(count);
      for (let i = 0; i < longest; i++) {
        batch.predict(tables); // (count, V)
        for (let s = 0; s < count; s++) {
          if (i < lengths[first + s]!) {
            const byte = decodeByte(decoders[s]!, batch, tables, s);
            output[starts[s]! + i] = byte;
            bytes[s] = byte;
          } else {
            bytes[s] = 0; // finished segment: a filler byte whose tables nobody reads
          }
        }
        if (i + 1 < longest) batch.advance(bytes);
      }
    } finally {
      batch.close();
    }
  }
  return output;
}

/**
 * Codes `byte` of segment `s` after `batch.predict(tables)`: with the segment's table, or, for a
 * predictor that codes bits, as eight bits from the highest down (`codec/FORMAT.md`, Appendix L).
 */
export function encodeByte(
  encoder: SegmentEncoder,
  batch: PredictorBatch,
  tables: Uint32Array,
  s: number,
  byte: number,
): void {
  if (batch.bitFrequency === undefined) {
    encoder.encode(tables, s * ALPHABET, byte);
    return;
  }
  for (let n = 1, d = 7; d >= 0; d--) {
    const y = (byte >> d) & 1;
    encoder.encodeBit(batch.bitFrequency(s, n), y);
    n = 2 * n + y;
  }
}

/** Decodes the next byte of segment `s` after `batch.predict(tables)`, as {@link encodeByte}. */
export function decodeByte(
  decoder: SegmentDecoder,
  batch: PredictorBatch,
  tables: Uint32Array,
  s: number,
): number {
  if (batch.bitFrequency === undefined) return decoder.decode(tables, s * ALPHABET);
  let n = 1;
  while (n < ALPHABET) n = 2 * n + decoder.decodeBit(batch.bitFrequency(s, n));
  return n - ALPHABET;
}

function encodeBatch(predictor: Predictor, group: readonly Uint8Array[]): Uint8Array[] {
  const count = group.length;
  let longest = 0;
  for (const s of group) longest = Math.max(longest, s.length);
  const encoders = group.map((s) => new SegmentEncoder(s.length >>> 1));
  const batch = predictor.start(count);
  try {
    const tables = new Uint32Array(count * ALPHABET);
    const bytes = new Uint8Array(count);
    for (let i = 0; i < longest; i++) {
      batch.predict(tables); // (count, V)
      for (let s = 0; s < count; s++) {
        const segment = group[s]!;
        if (i < segment.length) {
          const byte = segment[i]!;
          encodeByte(encoders[s]!, batch, tables, s, byte);
          bytes[s] = byte;
        } else {
          bytes[s] = 0; // finished segment: a filler byte whose tables nobody reads
        }
      }
      if (i + 1 < longest) batch.advance(bytes);
    }
  } finally {
    batch.close();
  }
  return encoders.map((e) => e.finish());
}

function encodeWhole(tables: Uint32Array, segment: Uint8Array): Uint8Array {
  if (tables.length !== segment.length * ALPHABET) {
    throw new RangeError(
      `Cannot encode with predictSegment: expected ${
        segment.length * ALPHABET
      } entries, got ${tables.length}`,
    );
  }
  const encoder = new SegmentEncoder(segment.length >>> 1);
  for (let i = 0; i < segment.length; i++) encoder.encode(tables, i * ALPHABET, segment[i]!); // (n, V)
  return encoder.finish();
}

function checkBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(
      `Cannot code segments in batches of ${batchSize}: expected an integer ≥ 1`,
    );
  }
}
