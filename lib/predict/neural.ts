// This module imports no tfjs.
/**
 * The neural predictor: a model file run by the exact engine (`lib/engine/`).
 * PLACEHOLDER until the engine lands: it throws, and the codec must not pick it.
 *
 * @module
 */
import type { ModelFile } from "../model/model_file_types.ts";
import type { Predictor } from "./predictor.ts";

/** Options of {@link createNeuralPredictor}. */
export interface NeuralPredictorOptions {
  /** Reserved for the engine (threads inside one predictor are not used: workers split segments). */
  readonly _reserved?: never;
}

/** Creates a predictor that runs `model` exactly. Throws until the engine exists. */
export function createNeuralPredictor(model: ModelFile, _options?: NeuralPredictorOptions): Predictor {
  throw new Error(`Cannot run model ${model.name}: the exact engine is not built yet`);
}
