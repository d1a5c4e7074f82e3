// This module imports no tfjs.
/**
 * The predictors behind the block methods (`codec/FORMAT.md`, Block_Descriptor).
 *
 * @module
 */
import type { ModelFile } from "../../lib/model/model_file_types.ts";
import { createContextMixingPredictor } from "../../lib/predict/context_mixing.ts";
import { createNeuralPredictor } from "../../lib/predict/neural.ts";
import type { Predictor } from "../../lib/predict/predictor.ts";
import type { ModelMethod } from "./format.ts";

/**
 * Creates the predictor of `method`. Throws when `method` is "neural" and `model` is null, or
 * when the neural predictor cannot run the model.
 */
export function createPredictor(method: ModelMethod, model: ModelFile | null): Predictor {
  if (method === "cm") return createContextMixingPredictor();
  if (model === null) throw new TypeError("Cannot create the neural predictor: no model given");
  return createNeuralPredictor(model);
}
