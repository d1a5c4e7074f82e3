// This module imports no tfjs.
/**
 * The context-mixing predictor: an adaptive byte model that needs no GPU and no model file.
 *
 * Each segment runs its own model (`_cm_model.ts`): orders 0 and 1 blended with a learned weight,
 * PPM-style contexts of orders 2 to 4 with exclusion and learned escape probabilities, a match
 * model for long repeats, a secondary estimation of the likely byte, and a fixed rule that turns
 * probabilities into integer frequencies. Memory grows with the segment: about 2 MiB at the start,
 * at most about 20 MiB plus the segment's length. Tables depend only on the segment's own bytes,
 * never on the batch or the slot.
 *
 * @module
 */
import { CmSegment } from "./_cm_model.ts";
import { ALPHABET, type Predictor, type PredictorBatch } from "./predictor.ts";

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
      let segments: CmSegment[] = Array.from({ length: count }, () => new CmSegment());
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
