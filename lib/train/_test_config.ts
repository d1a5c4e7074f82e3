// This module imports no tfjs.
/**
 * Internal: the model the trainer's tests train, smaller than the `tiny` level (one layer each,
 * context 32) so that a cpu-backend step takes milliseconds.
 *
 * @module
 */
import type { MegabyteConfig } from "../model/config.ts";
import type { Checkpoint } from "./checkpoint.ts";

/** A model small enough for a step in a few milliseconds on the cpu backend. */
export const TEST_CONFIG: MegabyteConfig = Object.freeze({
  patchSize: 4,
  globalDim: 8,
  globalLayers: 1,
  globalHeads: 2,
  localDim: 16,
  localLayers: 1,
  localHeads: 2,
  context: 32,
  mlpRatio: 2,
});

/**
 * A checkpoint of {@link TEST_CONFIG} at `step` for the checkpoint tests, with made-up data
 * identities and the given tensors; `settings` overrides the run's settings.
 */
export function testCheckpoint(
  step: number,
  tensors: Pick<Checkpoint, "params" | "moments" | "lastValid">,
  settings: Partial<Checkpoint["settings"]> = {},
): Checkpoint {
  return {
    step,
    bytesSeen: step * 64,
    elapsedSeconds: 1.5,
    rng: [1, 2, 3, 4],
    config: { ...TEST_CONFIG },
    settings: {
      configName: "custom",
      steps: 10,
      batch: 2,
      maxLr: 1e-3,
      minLr: 1e-4,
      warmupSteps: 1,
      weightDecay: 0.1,
      beta1: 0.9,
      beta2: 0.98,
      epsilon: 1e-8,
      gradClip: 1,
      seed: 7,
      evalEvery: 5,
      validWindows: 2,
      ...settings,
    },
    data: { files: [{ name: "a", bytes: 10, sha256: "ab" }] },
    valid: { files: [{ name: "b", bytes: 20, sha256: "cd" }] },
    paths: { data: ["a"], valid: ["b"] },
    ...tensors,
  };
}
