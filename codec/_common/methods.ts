// This module imports no tfjs.
/**
 * The predictors behind the block methods (`codec/FORMAT.md`, Block_Descriptor).
 *
 * @module
 */
import { createEngine, type Engine } from "../../lib/engine/engine.ts";
import type { PreparedModel } from "../../lib/engine/prepared_model.ts";
import type { ModelFile } from "../../lib/model/model_file_types.ts";
import { createContextMixingPredictor } from "../../lib/predict/context_mixing.ts";
import { createMixingPredictor, createWindowedPredictor } from "../../lib/predict/mixer.ts";
import { createNeuralPredictor } from "../../lib/predict/neural.ts";
import type { Predictor } from "../../lib/predict/predictor.ts";
import type { ModelMethod } from "./format.ts";

/**
 * Loads `model` (a model file, or one prepared by `prepareModel`) into an engine that "neural" and
 * "mix" predictors made from it by {@link createPredictor} share. The engine keeps only what it
 * runs (the matrices in its own memory, the embeddings and n-gram tables), so a thread that keeps
 * the engine and drops `model` lets the rest be collected (for a float model file, its weights;
 * an int8 file's float32 copy of every weight, about 93 MB for `models/default.mgb`, is computed
 * only if something reads it). Throws as {@link createPredictor} does when
 * the model cannot run.
 */
export function loadEngine(model: ModelFile | PreparedModel): Engine {
  return createEngine(model);
}

/**
 * Creates the predictor of `method` (FORMAT.md, Appendix D for "mix": the mixer's default
 * options, over cm and the neural model restarted every `config.context` bytes), from a model
 * file or from an engine of {@link loadEngine} (the same predictions). Throws when `method` needs a
 * model ("neural", "mix") and `model` is null, or when the neural predictor cannot run the model.
 */
export function createPredictor(method: ModelMethod, model: ModelFile | Engine | null): Predictor {
  if (method === "cm") return createContextMixingPredictor();
  if (model === null) throw new TypeError(`Cannot create the ${method} predictor: no model given`);
  const neural = createNeuralPredictor(model);
  if (method === "neural") return neural;
  return createMixingPredictor([
    createContextMixingPredictor(),
    createWindowedPredictor(neural, model.config.context),
  ]);
}
