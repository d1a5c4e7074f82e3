// This module imports no tfjs.
/**
 * Internal: the model the trainer's tests train, smaller than the `tiny` level (one layer each,
 * context 32) so that a cpu-backend step takes milliseconds.
 *
 * @module
 */
import type { MegabyteConfig } from "../model/config.ts";

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
