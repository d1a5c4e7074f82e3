/**
 * Float evaluation of a model on the fixed validation windows: bits per byte per category and
 * overall.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type Megabyte, ngramTensor } from "../model/megabyte.ts";
import type { ValidationResult } from "./checkpoint.ts";
import type { ValidationSet } from "./windows.ts";

/**
 * Measures the model's cross-entropy on every window of every set, `batch` windows at a time.
 *
 * @param model The model.
 * @param sets Validation windows by category, each row `length` bytes (and their match rows,
 *   where a set has them).
 * @param options `length` of a window, `batch` windows per forward pass, `step` to record.
 * @returns Bits per byte per category, and over all windows (total bits / total bytes).
 */
export async function evaluateBpb(
  model: Megabyte,
  sets: readonly ValidationSet[],
  options: { length: number; batch: number; step: number },
): Promise<ValidationResult> {
  const { length: T, batch } = options;
  const categories: Record<string, number> = {};
  let totalNats = 0;
  let totalBytes = 0;
  for (const set of sets) {
    let nats = 0;
    for (let first = 0; first < set.count; first += batch) {
      const rows = Math.min(batch, set.count - first);
      const windows = set.windows.subarray(first * T, (first + rows) * T);
      const x = tf.tensor2d(windows, [rows, T], "int32"); // (B, T)
      const matched = set.matchRows?.subarray(first * T, (first + rows) * T); // (B·T) or none
      const grams = ngramTensor(model.config, windows, rows, T, matched); // (B, T, G) or none
      const loss = tf.tidy(() => model.loss(x, grams)); // (B, T) -> (), mean nats per byte
      nats += (await loss.data())[0] * rows * T;
      tf.dispose([x, grams, loss]);
    }
    categories[set.name] = nats / (set.count * T) / Math.LN2;
    totalNats += nats;
    totalBytes += set.count * T;
  }
  return { step: options.step, bpb: totalNats / totalBytes / Math.LN2, categories };
}
