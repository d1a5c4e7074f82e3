// This module imports no tfjs.
/**
 * The worker of {@link ./segment_runner.ts}: recreates the block methods' predictors from the
 * model it is given once, then encodes or decodes runs of segments. A worker that codes only
 * with "cm" never loads the neural engine: the other methods' module is imported on first use.
 * The first request of a model method ("neural", "mix" to "mix-sse9") or
 * "tables" loads the model into one engine, which all their predictors share, and drops the
 * worker's copy of the model: the engine holds what it runs, so the copy's matrices are not kept
 * twice for the worker's life. A "tables" request gives the neural tables of one window of a mix
 * segment (`mix_pipeline.ts`), given its match rows for "mix-long" to "mix-sse9".
 *
 * @module
 */
import type { Engine } from "../../lib/engine/engine.ts";
import type { NeuralPredictor } from "../../lib/predict/neural.ts";
import type { Predictor } from "../../lib/predict/predictor.ts";
import { createContextMixingPredictor } from "../../lib/predict/context_mixing.ts";
import type { ModelMethod } from "./format.ts";
import { decodeSegments, encodeSegments } from "./segment_coding.ts";
import type { SegmentRequest, SegmentResponse, SegmentWorkerInit } from "./segment_runner.ts";
import { concatBytes, splitBytes } from "./bytes.ts";
import { serveWorker } from "./worker_pool.ts";

const predictors = new Map<ModelMethod, Predictor>();

/** The engine of `init.model`, once a request needed it (then `init.model` is null). */
let engine: Engine | undefined;

/** The predictor of `method`, made on first use (as `createPredictor` of `methods.ts` does). */
async function predictorOf(method: ModelMethod, init: SegmentWorkerInit): Promise<Predictor> {
  let predictor = predictors.get(method);
  if (predictor === undefined) {
    if (method === "cm") {
      predictor = createContextMixingPredictor();
    } else {
      const { createPredictor } = await import("./methods.ts");
      if (engine === undefined && init.model !== null) {
        engine = (await import("../../lib/engine/engine.ts")).createEngine(init.model);
        // `init` is this worker's own copy, which serveWorker keeps for the worker's life: the
        // engine holds what it runs, so the copy of the model goes.
        init.model = null;
      }
      predictor = createPredictor(method, engine ?? null);
    }
    predictors.set(method, predictor);
  }
  return predictor;
}

serveWorker<SegmentWorkerInit, SegmentRequest, SegmentResponse>(async (init, request) => {
  if (request.kind === "tables") {
    const neural = await predictorOf("neural", init) as NeuralPredictor;
    const tables = neural.predictSegment(request.raw, request.matchRows); // (n, V)
    // The engine returns a copy out of its wasm memory (a plain ArrayBuffer): handed over as it is.
    const bytes = new Uint8Array(
      tables.buffer as ArrayBuffer,
      tables.byteOffset,
      tables.byteLength,
    );
    return [{ bytes, sizes: [] }, [bytes.buffer]];
  }
  const predictor = await predictorOf(request.method, init);
  if (request.kind === "encode") {
    const coded = encodeSegments(
      predictor,
      splitBytes(request.raw, request.lengths),
      request.batchSize,
    );
    const bytes = concatBytes(coded);
    const response: SegmentResponse = { bytes, sizes: coded.map((c) => c.length) };
    return [response, [bytes.buffer]];
  }
  const coded = splitBytes(request.coded, request.sizes);
  const bytes = decodeSegments(predictor, coded, request.lengths, request.batchSize);
  return [{ bytes, sizes: request.lengths }, [bytes.buffer]];
});
