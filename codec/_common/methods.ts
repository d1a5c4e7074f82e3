// This module imports no tfjs.
/**
 * The predictors behind the block methods (`codec/FORMAT.md`, Block_Descriptor).
 *
 * @module
 */
import type { Engine } from "../../lib/engine/engine.ts";
import type { ModelFile } from "../../lib/model/model_file_types.ts";
import { createContextMixingPredictor } from "../../lib/predict/context_mixing.ts";
import { createMixingPredictor, createWindowedPredictor } from "../../lib/predict/mixer.ts";
import { createLongMatchPredictor } from "../../lib/predict/long_match.ts";
import { createNeuralPredictor } from "../../lib/predict/neural.ts";
import { createSsePredictor } from "../../lib/predict/sse.ts";
import {
  createSse2Predictor,
  createSse3Predictor,
  createSse4Predictor,
  createSse5Predictor,
  createSse6Predictor,
  createSse7Predictor,
  createSse8Predictor,
  createSse9Predictor,
} from "../../lib/predict/sse2.ts";
import type { Predictor } from "../../lib/predict/predictor.ts";
import { hasLongMatch, type MixMethod, type ModelMethod } from "./format.ts";

/**
 * Creates the predictor of `method` (FORMAT.md, Appendix D for "mix": the mixer's default
 * options, over cm and the neural model restarted every `config.context` bytes; "mix-long": the
 * same, the model's match row looked up in the whole segment, `long_match.ts`; "mix-sse":
 * "mix-long" refined by the secondary estimation of `lib/predict/sse.ts`, Appendix E;
 * "mix-sse2" to "mix-sse7": the larger ones of `lib/predict/sse2.ts`, Appendices F to K;
 * "mix-sse8": "mix-sse7"'s predictions coded bit by bit, Appendix L; "mix-sse9": "mix-sse8" with
 * three more direct models, Appendix M), from a model file or
 * from an engine (`createEngine` of `lib/engine/engine.ts`: the same predictions, and predictors
 * made from one engine share it). Throws when `method` needs a model (all but "cm")
 * and `model` is null, or when the neural predictor cannot run the model.
 */
export function createPredictor(method: ModelMethod, model: ModelFile | Engine | null): Predictor {
  if (method === "cm") return createContextMixingPredictor();
  if (model === null) throw new TypeError(`Cannot create the ${method} predictor: no model given`);
  const neural = createNeuralPredictor(model);
  if (method === "neural") return neural;
  const window = model.config.context;
  if (hasLongMatch(method)) {
    return createMixPredictor(createLongMatchPredictor(neural.engine, window), method);
  }
  return createMixPredictor(createWindowedPredictor(neural, window), method);
}

/**
 * The predictor of a mix method over `windowedNeural`, the neural model restarted every
 * `config.context` bytes (or any predictor giving the same tables: the encoder's window pipeline
 * replays tables computed by workers, `mix_pipeline.ts`): cm and it mixed ("mix", "mix-long"),
 * then refined by secondary estimation ("mix-sse", method 5; "mix-sse2", method 6; "mix-sse3",
 * method 7; "mix-sse4", method 8; "mix-sse5", method 9; "mix-sse6", method 10; "mix-sse7",
 * method 11; "mix-sse8", method 12, and "mix-sse9", method 13, whose predictors code bits).
 */
export function createMixPredictor(windowedNeural: Predictor, method: MixMethod): Predictor {
  const cm = createContextMixingPredictor();
  if (method === "mix-sse2") return createSse2Predictor(cm, windowedNeural);
  if (method === "mix-sse3") return createSse3Predictor(cm, windowedNeural);
  if (method === "mix-sse4") return createSse4Predictor(cm, windowedNeural);
  if (method === "mix-sse5") return createSse5Predictor(cm, windowedNeural);
  if (method === "mix-sse6") return createSse6Predictor(cm, windowedNeural);
  if (method === "mix-sse7") return createSse7Predictor(cm, windowedNeural);
  if (method === "mix-sse8") return createSse8Predictor(cm, windowedNeural);
  if (method === "mix-sse9") return createSse9Predictor(cm, windowedNeural);
  const mix = createMixingPredictor([cm, windowedNeural]);
  return method === "mix-sse" ? createSsePredictor(mix) : mix;
}
