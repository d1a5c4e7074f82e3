// This module imports no tfjs.
/**
 * Helpers of the predictor tests: tables through the step path, in a batch, their ideal cost and
 * digest, and an order-0 model with exact integer tables.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ALPHABET, FREQ_TOTAL, type Predictor } from "./predictor.ts";

/** An adaptive order-0 model with exact integer tables: 1 + 255 · count, rest to byte 0. */
export function orderZero(): Predictor {
  return {
    name: "order0",
    start(count) {
      const counts = Array.from({ length: count }, () => new Uint32Array(ALPHABET));
      const seen = new Array<number>(count).fill(0);
      return {
        count,
        predict(tables) {
          for (let s = 0; s < count; s++) {
            const scale = Math.floor((FREQ_TOTAL - ALPHABET) / (seen[s]! + 1));
            let sum = 0;
            for (let v = 0; v < ALPHABET; v++) {
              tables[s * ALPHABET + v] = 1 + scale * counts[s]![v]!;
              sum += tables[s * ALPHABET + v]!;
            }
            tables[s * ALPHABET] = tables[s * ALPHABET]! + FREQ_TOTAL - sum;
          }
        },
        advance(bytes) {
          for (let s = 0; s < count; s++) {
            counts[s]![bytes[s]!]!++;
            seen[s]!++;
          }
        },
        close() {},
      };
    },
  };
}

/** Tables of `bytes` through `start(1)`, predict and advance: (n, 256). */
export function stepTables(predictor: Predictor, bytes: Uint8Array): Uint32Array {
  const out = new Uint32Array(bytes.length * ALPHABET);
  const batch = predictor.start(1);
  for (let i = 0; i < bytes.length; i++) {
    batch.predict(out.subarray(i * ALPHABET, (i + 1) * ALPHABET));
    if (i + 1 < bytes.length) batch.advance(bytes.subarray(i, i + 1));
  }
  batch.close();
  return out;
}

/** Tables of several segments run together in one batch (finished ones fed filler bytes). */
export function batchTables(predictor: Predictor, segments: Uint8Array[]): Uint32Array[] {
  const outs = segments.map((s) => new Uint32Array(s.length * ALPHABET));
  const longest = Math.max(...segments.map((s) => s.length));
  const batch = predictor.start(segments.length);
  const tables = new Uint32Array(segments.length * ALPHABET);
  const bytes = new Uint8Array(segments.length);
  for (let i = 0; i < longest; i++) {
    batch.predict(tables);
    segments.forEach((segment, s) => {
      if (i < segment.length) {
        outs[s]!.set(tables.subarray(s * ALPHABET, (s + 1) * ALPHABET), i * ALPHABET);
      }
      bytes[s] = i < segment.length ? segment[i]! : 0;
    });
    batch.advance(bytes);
  }
  batch.close();
  return outs;
}

/** Σ −log2(table[byte] / 65536) over `bytes`. */
export function idealBits(tables: Uint32Array, bytes: Uint8Array): number {
  let bits = 0;
  for (let i = 0; i < bytes.length; i++) {
    bits -= Math.log2(tables[i * ALPHABET + bytes[i]!]! / 65536);
  }
  return bits;
}

/** Asserts that every table has entries ≥ 1 summing to 65536. */
export function assertValidTables(tables: Uint32Array): void {
  for (let at = 0; at < tables.length; at += ALPHABET) {
    let sum = 0;
    for (let v = 0; v < ALPHABET; v++) {
      assert.ok(tables[at + v]! >= 1, `table ${at / ALPHABET}: entry ${v} is 0`);
      sum += tables[at + v]!;
    }
    assert.equal(sum, FREQ_TOTAL, `table ${at / ALPHABET}`);
  }
}

/** SHA-256 of the tables' bytes, in hex. */
export async function sha256(bytes: Uint32Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes.slice().buffer));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Prose and C source, 352 bytes. */
export const TEXT = new TextEncoder().encode(
  "It was the best of times, it was the worst of times, it was the age of wisdom, it was the " +
    "age of foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the " +
    "season of Light, it was the season of Darkness, it was the spring of hope, it was the " +
    'winter of despair. #include <stdio.h>\nint main(void) { return printf("%d\\n", 42); }\n',
);

/** {@link TEXT} `times` times over: repeats for the stages' maps and direct models to learn. */
export function repeatedText(times: number): Uint8Array {
  const bytes = new Uint8Array(times * TEXT.length);
  for (let k = 0; k < times; k++) bytes.set(TEXT, k * TEXT.length);
  return bytes;
}

/** Asserts that each of `segments` gets the same tables alone, in one batch, and in other slots. */
export function assertBatchIndependent(predictor: Predictor, segments: Uint8Array[]): void {
  const alone = segments.map((s) => stepTables(predictor, s));
  const together = batchTables(predictor, segments);
  const reversed = batchTables(predictor, [...segments].reverse()).reverse();
  for (let s = 0; s < segments.length; s++) {
    assert.deepEqual(together[s], alone[s], `segment ${s} in a batch of ${segments.length}`);
    assert.deepEqual(reversed[s], alone[s], `segment ${s} in another slot`);
  }
}

/** Asserts that advancing without predicting (at some positions) leaves the same state. */
export function assertAdvanceWithoutPredict(predictor: Predictor, bytes: Uint8Array): void {
  const reference = stepTables(predictor, bytes);
  const last = bytes.length - 1;
  const batch = predictor.start(1);
  const table = new Uint32Array(ALPHABET);
  for (let i = 0; i < last; i++) {
    if (i % 3 === 0) batch.predict(table); // predict only sometimes
    batch.advance(bytes.subarray(i, i + 1));
  }
  batch.predict(table);
  batch.close();
  assert.deepEqual(table, reference.subarray(last * ALPHABET));
}
