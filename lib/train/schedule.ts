// This module imports no tfjs.
/**
 * The learning-rate schedules, both with a linear warmup:
 *
 * - `cosine` (the default): cosine decay from the peak to a floor at the run's last step
 *   (nanoGPT's `get_lr`). Its shape depends on the run's length, so a run cannot be prolonged
 *   without bending its curve.
 * - `wsd`, warmup-stable-decay (Hägele et al. 2024, "Scaling Laws and Compute-Optimal Training
 *   Beyond Fixed Training Durations"; MiniCPM's WSD): the peak learning rate until the last
 *   `decaySteps` steps of the run, then a decay to the floor over those steps. The decay is
 *   `1 − sqrt` of the fraction done, the cooldown form that paper found best (§3, better than
 *   linear and than cosine). Until the decay begins, the learning rate does not depend on the run's
 *   length: a run can be prolonged session after session (raise its `steps`), and a copy of it
 *   decayed whenever a model is wanted, while the stable run goes on.
 *
 * @example A stable run prolonged, and a copy decayed over its last 300 steps
 * ```ts
 * import assert from "node:assert/strict";
 * import { learningRate } from "./schedule.ts";
 * const stable = { shape: "wsd", maxLr: 1e-3, minLr: 1e-4, warmupSteps: 100, steps: 5000, decaySteps: 0 } as const;
 * assert.equal(learningRate(4321, stable), 1e-3); // the peak, however long the run becomes
 * // At step 5000 a copy is resumed with steps 5300 and decaySteps 300 (`megazip train --resume
 * // COPY --steps 5300 --decay-steps 300`): peak until step 5000, the floor at its last step.
 * const copy = { ...stable, steps: 5300, decaySteps: 300 };
 * assert.equal(learningRate(4999, copy), 1e-3);
 * assert.ok(learningRate(5000, copy) < 1e-3);
 * assert.equal(learningRate(5299, copy), 1e-4);
 * ```
 *
 * @module
 */

/** The names of the schedules. */
export const SCHEDULES = ["cosine", "wsd"] as const;

/** A schedule's name. */
export type ScheduleName = (typeof SCHEDULES)[number];

/** The shape of the schedule. */
export interface ScheduleOptions {
  /** "cosine" (warmup, cosine to the floor at `steps`) or "wsd" (warmup, stable, decay). @default {"cosine"} */
  shape?: ScheduleName;
  /** Peak learning rate, reached at the end of warmup. */
  maxLr: number;
  /** Floor reached at the end of the decay and kept after it (nanoGPT: maxLr / 10). */
  minLr: number;
  /** Steps of linear warmup. */
  warmupSteps: number;
  /** The run's steps: the decay of either shape reaches `minLr` here. */
  steps: number;
  /** wsd only: steps of the final decay, the last ones before `steps` (0: no decay, the peak until `steps`). */
  decaySteps?: number;
}

/**
 * The learning rate of optimizer step `step` (0-based).
 *
 * @param step The step about to be taken, 0 for the first.
 * @param options The schedule.
 * @returns 1) during warmup `maxLr·(step+1)/(warmupSteps+1)`; 2) from `steps` on, `minLr`;
 * 3) in between, for `cosine` a cosine from `maxLr` down to `minLr`; for `wsd`, `maxLr` until
 * `steps − decaySteps`, then `minLr + (maxLr − minLr)·(1 − sqrt(p))` where `p = (step + 1 −
 * (steps − decaySteps)) / decaySteps`, so the last step (`steps − 1`) takes `minLr` (and if the
 * decay overlaps the warmup, the smaller of the two).
 * @example Peak after warmup, floor at the end
 * ```ts
 * import assert from "node:assert/strict";
 * import { learningRate } from "./schedule.ts";
 * const schedule = { maxLr: 1e-3, minLr: 1e-4, warmupSteps: 10, steps: 100 };
 * assert.equal(learningRate(10, schedule), 1e-3);
 * assert.equal(learningRate(100, schedule), 1e-4);
 * ```
 */
export function learningRate(step: number, options: ScheduleOptions): number {
  const { shape = "cosine", maxLr, minLr, warmupSteps, steps, decaySteps = 0 } = options;
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
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0 || !Number.isInteger(steps)) {
    throw new RangeError(
      "Cannot compute the learning rate: warmupSteps and steps must be integers",
    );
  }
  if (!SCHEDULES.includes(shape)) {
    throw new RangeError(`Cannot compute the learning rate: unknown schedule ${shape}`);
  }
  if (!Number.isInteger(decaySteps) || decaySteps < 0 || decaySteps > Math.max(steps, 0)) {
    throw new RangeError(
      `Cannot compute the learning rate: need 0 ≤ decaySteps ≤ steps, got ${decaySteps}, ${steps}`,
    );
  }
  if (shape === "wsd") {
    // 1) warmup, then the peak (stable)
    const warm = step < warmupSteps ? (maxLr * (step + 1)) / (warmupSteps + 1) : maxLr;
    // 2) after the decay, the floor
    if (step >= steps) return minLr;
    const decayStart = steps - decaySteps;
    if (step < decayStart) return warm;
    // 3) the last decaySteps steps: 1 − sqrt of the fraction done, the floor at the last step
    const done = (step + 1 - decayStart) / decaySteps; // (0, 1]
    return Math.min(warm, minLr + (1 - Math.sqrt(done)) * (maxLr - minLr));
  }
  // 1) linear warmup
  if (step < warmupSteps) return (maxLr * (step + 1)) / (warmupSteps + 1);
  // 2) after the decay, the floor
  if (step >= steps) return minLr;
  // 3) in between, cosine decay down to the floor
  const decayRatio = (step - warmupSteps) / (steps - warmupSteps);
  const coeff = 0.5 * (1 + Math.cos(Math.PI * decayRatio)); // 1 → 0
  return minLr + coeff * (maxLr - minLr);
}
