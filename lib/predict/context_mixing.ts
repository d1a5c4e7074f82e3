// This module imports no tfjs.
/**
 * The context-mixing predictor: an adaptive byte model that needs no GPU and no model file.
 *
 * FIRST VERSION: adaptive order-0 and order-1 counts, blended with integer weights. Correct
 * (valid tables, deterministic, batch-independent) but weak; the strong model replaces it.
 *
 * @module
 */
import { ALPHABET, FREQ_TOTAL, type Predictor, type PredictorBatch } from "./predictor.ts";

/** Counts above this are halved, so the model follows changing statistics. */
const COUNT_LIMIT = 4000;

class Order1Segment {
  readonly o0 = new Uint32Array(ALPHABET);
  readonly o1 = new Uint32Array(ALPHABET * ALPHABET);
  readonly o1Total = new Uint32Array(ALPHABET);
  o0Total = 0;
  last = 0;

  predict(out: Uint32Array, at: number): void {
    const base = this.last * ALPHABET;
    // Integer weights: order-1 counts weigh 16× when the context has been seen.
    let total = 0;
    for (let v = 0; v < ALPHABET; v++) {
      const w = 16 * this.o1[base + v]! + this.o0[v]! + 1;
      out[at + v] = w;
      total += w;
    }
    quantize(out, at, total);
  }

  advance(byte: number): void {
    const base = this.last * ALPHABET;
    this.o1[base + byte]! += 1;
    this.o1Total[this.last]! += 1;
    if (this.o1Total[this.last]! > COUNT_LIMIT) {
      let t = 0;
      for (let v = 0; v < ALPHABET; v++) {
        const c = this.o1[base + v]! >>> 1;
        this.o1[base + v] = c;
        t += c;
      }
      this.o1Total[this.last] = t;
    }
    this.o0[byte]! += 1;
    this.o0Total += 1;
    if (this.o0Total > COUNT_LIMIT) {
      let t = 0;
      for (let v = 0; v < ALPHABET; v++) {
        const c = this.o0[v]! >>> 1;
        this.o0[v] = c;
        t += c;
      }
      this.o0Total = t;
    }
    this.last = byte;
  }
}

/**
 * Turns the positive integer weights `out[at..at+256)` (summing to `total`) into frequencies:
 * each `1 + floor(w · (FREQ_TOTAL − 256) / total)`, the remainder added to the first largest.
 */
function quantize(out: Uint32Array, at: number, total: number): void {
  const spare = FREQ_TOTAL - ALPHABET;
  let sum = 0;
  let best = at;
  for (let i = at; i < at + ALPHABET; i++) {
    const w = out[i]!;
    if (w > out[best]!) best = i;
    const f = 1 + Math.floor((w * spare) / total);
    out[i] = f;
    sum += f;
  }
  out[best]! += FREQ_TOTAL - sum;
}

/**
 * Creates the context-mixing predictor: adaptive, deterministic, no model file needed.
 *
 * @returns a {@link Predictor} named "cm"
 *
 * @example Predicting the first byte of one segment
 * ```ts
 * import assert from "node:assert/strict";
 * import { createContextMixingPredictor } from "./context_mixing.ts";
 * const batch = createContextMixingPredictor().start(1);
 * const tables = new Uint32Array(256);
 * batch.predict(tables);
 * assert.equal(tables.reduce((a, b) => a + b, 0), 65536);
 * batch.close();
 * ```
 */
export function createContextMixingPredictor(): Predictor {
  return {
    name: "cm",
    start(count: number): PredictorBatch {
      if (!Number.isInteger(count) || count < 0) {
        throw new RangeError(`Cannot start a batch of ${count} segments: expected an integer ≥ 0`);
      }
      let segments: Order1Segment[] = Array.from({ length: count }, () => new Order1Segment());
      return {
        count,
        predict(tables: Uint32Array): void {
          if (tables.length !== count * ALPHABET) {
            throw new RangeError(
              `Cannot predict into ${tables.length} entries: expected ${count * ALPHABET}`,
            );
          }
          for (let s = 0; s < count; s++) segments[s]!.predict(tables, s * ALPHABET);
        },
        advance(bytes: Uint8Array): void {
          if (bytes.length !== count) {
            throw new RangeError(`Cannot advance by ${bytes.length} bytes: expected ${count}`);
          }
          for (let s = 0; s < count; s++) segments[s]!.advance(bytes[s]!);
        },
        close(): void {
          segments = [];
        },
      };
    },
  };
}
