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
