// This module imports no tfjs.
/**
 * The learning-rate schedule: linear warmup, then cosine decay to a floor (nanoGPT's `get_lr`).
 *
 * @module
 */

/** The shape of the schedule. */
export interface ScheduleOptions {
  /** Peak learning rate, reached at the end of warmup. */
  maxLr: number;
  /** Floor reached at `decaySteps` and kept after it (nanoGPT: maxLr / 10). */
  minLr: number;
  /** Steps of linear warmup. */
  warmupSteps: number;
  /** Step at which the cosine reaches `minLr` (usually the run's total steps). */
  decaySteps: number;
}

/**
 * The learning rate of optimizer step `step` (0-based).
 *
 * @param step The step about to be taken, 0 for the first.
 * @param options The schedule.
 * @returns 1) during warmup `maxLr·(step+1)/(warmupSteps+1)`; 2) from `decaySteps` on, `minLr`;
 * 3) in between, cosine from `maxLr` down to `minLr`.
 * @example Peak after warmup, floor at the end
 * ```ts
 * import assert from "node:assert/strict";
 * import { learningRate } from "./schedule.ts";
 * const schedule = { maxLr: 1e-3, minLr: 1e-4, warmupSteps: 10, decaySteps: 100 };
 * assert.equal(learningRate(10, schedule), 1e-3);
 * assert.equal(learningRate(100, schedule), 1e-4);
 * ```
 */
export function learningRate(step: number, options: ScheduleOptions): number {
  const { maxLr, minLr, warmupSteps, decaySteps } = options;
  if (!Number.isInteger(step) || step < 0) {
    throw new RangeError(
      `Cannot compute the learning rate: step must be a natural number, got ${step}`,
    );
  }
  if (!(maxLr >= minLr && minLr >= 0)) {
    throw new RangeError(
      `Cannot compute the learning rate: need maxLr ≥ minLr ≥ 0, got ${maxLr}, ${minLr}`,
    );
  }
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0 || !Number.isInteger(decaySteps)) {
    throw new RangeError(
      "Cannot compute the learning rate: warmupSteps and decaySteps must be integers",
    );
  }
  // 1) linear warmup
  if (step < warmupSteps) return (maxLr * (step + 1)) / (warmupSteps + 1);
  // 2) after the decay, the floor
  if (step >= decaySteps) return minLr;
  // 3) in between, cosine decay down to the floor
  const decayRatio = (step - warmupSteps) / (decaySteps - warmupSteps);
  const coeff = 0.5 * (1 + Math.cos(Math.PI * decayRatio)); // 1 → 0
  return minLr + coeff * (maxLr - minLr);
}
