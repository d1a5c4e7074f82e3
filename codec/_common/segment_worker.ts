// This module imports no tfjs.
/**
 * The worker of {@link ./segment_runner.ts}: recreates the block methods' predictors from the
 * model it is given once, then encodes or decodes runs of segments.
 *
 * @module
 */
import type { Predictor } from "../../lib/predict/predictor.ts";
import type { ModelMethod } from "./format.ts";
import { createPredictor } from "./methods.ts";
import { decodeSegments, encodeSegments } from "./segment_coding.ts";
import type { SegmentRequest, SegmentResponse, SegmentWorkerInit } from "./segment_runner.ts";
import { concatBytes, splitBytes } from "./bytes.ts";
import { serveWorker } from "./worker_pool.ts";

const predictors = new Map<ModelMethod, Predictor>();

serveWorker<SegmentWorkerInit, SegmentRequest, SegmentResponse>((init, request) => {
  let predictor = predictors.get(request.method);
  if (predictor === undefined) {
    predictor = createPredictor(request.method, init.model);
    predictors.set(request.method, predictor);
  }
  if (request.kind === "encode") {
    const coded = encodeSegments(
      predictor,
      splitBytes(request.raw, request.lengths),
      init.batchSize,
    );
    const bytes = concatBytes(coded);
    const response: SegmentResponse = { bytes, sizes: coded.map((c) => c.length) };
    return Promise.resolve([response, [bytes.buffer]]);
  }
  const coded = splitBytes(request.coded, request.sizes);
  const bytes = decodeSegments(predictor, coded, request.lengths, init.batchSize);
  return Promise.resolve([{ bytes, sizes: request.lengths }, [bytes.buffer]]);
});
