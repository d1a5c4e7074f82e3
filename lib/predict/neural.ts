// This module imports no tfjs.
/**
 * The neural predictor: a MEGABYTE model file run by the exact engine (`lib/engine/`). Its tables
 * are bit-identical on every machine, for every batch size and slot, and between `predictSegment`
 * (the encoder's whole-segment path) and `start`/`predict`/`advance` (the decoder's path).
 *
 * @module
 */
import { createEngine, type Engine } from "../engine/engine.ts";
import type { ModelFile } from "../model/model_file_types.ts";
import type { Predictor, PredictorBatch } from "./predictor.ts";

/** Options of {@link createNeuralPredictor}. */
export interface NeuralPredictorOptions {
  /** Reserved (threads inside one predictor are not used: workers split segments). */
  readonly _reserved?: never;
}

/** One engine per model object and thread: loading packs the weights, so it is done once. */
const ENGINES = new WeakMap<ModelFile, Engine>();

/**
 * Creates a predictor that runs `model` exactly. Throws a RangeError if the model's tensors do not
 * match its config. Predictors of the same model object share one engine (one WebAssembly memory
 * holding the weights), and so do predictors made from one engine; each batch holds its own
 * key/value caches (`engine.cacheBytesPerSegment` bytes per segment). Segments must not exceed
 * `model.config.context` bytes.
 *
 * Given an engine (`createEngine` of `lib/engine/engine.ts`), the predictor holds no reference to
 * the model file it was loaded from: a thread that keeps only the engine lets the model file's
 * weights be collected, and the tables are the same as from the file.
 *
 * @param model A model file read into memory (`lib/model/model_file_read.ts`), or an engine
 * loaded from one.
 * @param _options Reserved.
 * @returns The predictor, named "neural".
 *
 * @example Encoder and decoder paths agree
 * ```ts
 * import assert from "node:assert/strict";
 * import { createNeuralPredictor } from "./neural.ts";
 * import { loadModel } from "../model/model_file_read.ts";
 *
 * const predictor = createNeuralPredictor(await loadModel("tests/fixtures/tiny.mgb"));
 * const bytes = new TextEncoder().encode("hello");
 * const whole = predictor.predictSegment!(bytes); // (5, 256)
 * const batch = predictor.start(1);
 * const table = new Uint32Array(256);
 * batch.predict(table);
 * assert.deepEqual(table, whole.subarray(0, 256));
 * batch.close();
 * ```
 */
export function createNeuralPredictor(
  model: ModelFile | Engine,
  _options?: NeuralPredictorOptions,
): NeuralPredictor {
  const e = neuralEngine(model);
  return {
    name: "neural",
    engine: e,
    start(count: number): PredictorBatch {
      return e.start(count);
    },
    predictSegment(bytes: Uint8Array, matchRows?: Int32Array): Uint32Array {
      return e.predictSegment(bytes, matchRows);
    },
  };
}

/**
 * The neural predictor: a {@link Predictor} whose whole-segment path also takes the match rows
 * found elsewhere (the "mix-long" method's, `long_match.ts`), and the engine it runs on.
 */
export interface NeuralPredictor extends Predictor {
  /** The engine (shared by the predictors of one model object in one thread). */
  readonly engine: Engine;
  /** `Predictor.predictSegment`; with `matchRows`, those rows (−1: none) instead of the segment's own. */
  predictSegment(bytes: Uint8Array, matchRows?: Int32Array): Uint32Array;
}

/** The engine of `model` in this thread (loaded on first use), or `model` itself if an engine. */
export function neuralEngine(model: ModelFile | Engine): Engine {
  if (!("tensors" in model)) return model;
  let engine = ENGINES.get(model);
  if (!engine) {
    engine = createEngine(model);
    ENGINES.set(model, engine);
  }
  return engine;
}
