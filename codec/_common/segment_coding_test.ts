// This module imports no tfjs.
import assert from "node:assert/strict";
import { createContextMixingPredictor } from "../../lib/predict/context_mixing.ts";
import {
  ALPHABET,
  FREQ_TOTAL,
  type Predictor,
  type PredictorBatch,
} from "../../lib/predict/predictor.ts";
import { Random } from "../_testing/random.ts";
import { decodeSegments, encodeSegments } from "./segment_coding.ts";

/** A small adaptive order-0 predictor, to test the codec apart from the real models. */
function order0(): Predictor {
  return {
    name: "order0",
    start(count: number): PredictorBatch {
      const counts = Array.from({ length: count }, () => new Uint32Array(ALPHABET).fill(1));
      return {
        count,
        predict(tables) {
          for (let s = 0; s < count; s++) {
            const c = counts[s]!;
            let total = 0;
            for (const x of c) total += x;
            let sum = 0;
            for (let v = 0; v < ALPHABET; v++) {
              const f = 1 + Math.floor((c[v]! * (FREQ_TOTAL - ALPHABET)) / total);
              tables[s * ALPHABET + v] = f;
              sum += f;
            }
            tables[s * ALPHABET]! += FREQ_TOTAL - sum;
          }
        },
        advance(bytes) {
          for (let s = 0; s < count; s++) counts[s]![bytes[s]!]! += 32;
        },
        close() {},
      };
    },
  };
}

/**
 * An adaptive bit predictor (as block method 12 codes): per segment and node, counts of 0s and 1s.
 * `asked` records each node asked, to show the coder asks only the byte's path.
 */
function bitOrder0(asked: number[] = []): Predictor {
  return {
    name: "bit-order0",
    start(count: number): PredictorBatch {
      const counts = Array.from({ length: count }, () => new Uint32Array(2 * ALPHABET).fill(1));
      return {
        count,
        predict() {},
        bitFrequency(s, n) {
          asked.push(n);
          const c = counts[s]!, one = c[2 * n + 1]!, all = c[2 * n]! + one;
          return Math.min(FREQ_TOTAL - 32, Math.max(32, Math.floor((one * FREQ_TOTAL) / all)));
        },
        advance(bytes) {
          for (let s = 0; s < count; s++) {
            for (let n = 1, d = 7; d >= 0; d--) {
              const y = (bytes[s]! >> d) & 1;
              counts[s]![2 * n + y]! += 4;
              n = 2 * n + y;
            }
          }
        },
        close() {},
      };
    },
  };
}

/** `order0()` plus a predictSegment() that runs it over a whole segment. */
function order0WithPredictSegment(calls: { count: number }): Predictor {
  const base = order0();
  return {
    ...base,
    predictSegment(bytes) {
      calls.count++;
      const batch = base.start(1);
      const out = new Uint32Array(bytes.length * ALPHABET);
      for (let i = 0; i < bytes.length; i++) {
        batch.predict(out.subarray(i * ALPHABET, (i + 1) * ALPHABET));
        batch.advance(bytes.subarray(i, i + 1));
      }
      return out;
    },
  };
}

function segmentsOf(random: Random, lengths: number[]): Uint8Array[] {
  return lengths.map((n) => random.text(n));
}

Deno.test("encodeSegments() output does not depend on the batch size", () => {
  const segments = segmentsOf(new Random(1), [500, 500, 500, 500, 137]);
  const reference = encodeSegments(order0(), segments, 1);
  for (const batchSize of [2, 3, 5, 8]) {
    assert.deepEqual(
      encodeSegments(order0(), segments, batchSize),
      reference,
      `batch ${batchSize}`,
    );
  }
  const lengths = segments.map((s) => s.length);
  for (const batchSize of [1, 2, 4]) {
    const raw = decodeSegments(order0(), reference, lengths, batchSize);
    assert.deepEqual(raw, new Uint8Array(segments.flatMap((s) => [...s])));
  }
});

Deno.test("encodeSegments() with predictSegment() writes the same bytes as the batched path", () => {
  const segments = segmentsOf(new Random(2), [700, 300, 1]);
  const calls = { count: 0 };
  const fast = encodeSegments(order0WithPredictSegment(calls), segments, 2);
  assert.equal(calls.count, 3);
  assert.deepEqual(fast, encodeSegments(order0(), segments, 2));
});

Deno.test("encodeSegments() with the cm predictor round-trips for any batch size", () => {
  const segments = segmentsOf(new Random(3), [2000, 1999, 5]);
  const coded = encodeSegments(createContextMixingPredictor(), segments, 1);
  assert.deepEqual(encodeSegments(createContextMixingPredictor(), segments, 3), coded);
  const raw = decodeSegments(createContextMixingPredictor(), coded, [2000, 1999, 5], 2);
  assert.deepEqual(raw, new Uint8Array(segments.flatMap((s) => [...s])));
});

Deno.test("encodeSegments() throws a RangeError for a batch size below 1", () => {
  assert.throws(() => encodeSegments(order0(), [new Uint8Array(3)], 0), RangeError);
  assert.throws(() => decodeSegments(order0(), [new Uint8Array(3)], [3], 1.5), RangeError);
});

Deno.test("encodeSegments() with a bit predictor codes each byte's path only, for any batch size", () => {
  const segments = segmentsOf(new Random(4), [900, 400, 3]);
  const asked: number[] = [];
  const coded = encodeSegments(bitOrder0(asked), segments, 1);
  // 8 nodes per byte, from the root down the byte's bits.
  assert.equal(asked.length, 8 * 1303);
  const first = segments[0]![0]!;
  assert.deepEqual(
    asked.slice(0, 8),
    [0, 1, 2, 3, 4, 5, 6, 7].map((d) => (first + 256) >> (8 - d)),
  );
  for (const batchSize of [2, 3]) {
    assert.deepEqual(encodeSegments(bitOrder0(), segments, batchSize), coded);
  }
  const lengths = segments.map((s) => s.length);
  for (const batchSize of [1, 2, 3]) {
    const raw = decodeSegments(bitOrder0(), coded, lengths, batchSize);
    assert.deepEqual(raw, new Uint8Array(segments.flatMap((s) => [...s])));
  }
  // Text coded bit by bit with adaptive nodes is smaller than its raw bytes.
  assert.ok(coded[0]!.length < 900 * 0.75, `${coded[0]!.length} bytes`);
});
