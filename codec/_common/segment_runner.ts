// This module imports no tfjs.
/**
 * Runs the segment coding of blocks in this thread or spread over Web Workers. Segments are
 * independent, so the result is the same byte for byte whatever `workers` and `batchSize` are.
 *
 * @module
 */
import type { ModelFile } from "../../lib/model/model_file_types.ts";
import type { Predictor } from "../../lib/predict/predictor.ts";
import { concatBytes, splitBytes } from "./bytes.ts";
import type { ModelMethod } from "./format.ts";
import { createPredictor } from "./methods.ts";
import { decodeSegments, encodeSegments } from "./segment_coding.ts";
import { WorkerPool } from "./worker_pool.ts";

/** What every worker gets once. */
export interface SegmentWorkerInit {
  /** The neural model, or null. */
  model: ModelFile | null;
  /** Segments per predictor batch. */
  batchSize: number;
}

/** One worker request: a run of consecutive segments of a block. */
export type SegmentRequest =
  | { kind: "encode"; method: ModelMethod; raw: Uint8Array; lengths: number[] }
  | { kind: "decode"; method: ModelMethod; coded: Uint8Array; sizes: number[]; lengths: number[] };

/** A worker's answer: the coded segments (concatenated, with sizes) or the raw bytes. */
export interface SegmentResponse {
  /** Coded segments or raw bytes, concatenated. */
  bytes: Uint8Array;
  /** Size of each segment in `bytes`. */
  sizes: number[];
}

/** Codes the segments of one block at a time. */
export interface SegmentRunner {
  /** Encodes each segment; returns their coded bytes in order. */
  encode(method: ModelMethod, segments: readonly Uint8Array[]): Promise<Uint8Array[]>;
  /** Decodes segments of raw `lengths`; returns the raw bytes of all, concatenated. */
  decode(
    method: ModelMethod,
    coded: readonly Uint8Array[],
    lengths: readonly number[],
  ): Promise<Uint8Array>;
  /** Stops the workers, if any. */
  close(): void;
}

/** How a {@link SegmentRunner} runs. */
export interface SegmentRunnerSettings {
  /** The neural model, or null. */
  model: ModelFile | null;
  /** Workers to spread a block's segments over; 0 or 1 codes in this thread. */
  workers: number;
  /** Segments per predictor batch. */
  batchSize: number;
}

/**
 * Creates a runner. With more than one worker, every request goes to the pool (started on the
 * first request), its segments cut into up to `workers` runs: requests of several blocks then
 * run at once, each on its own worker.
 */
export function createSegmentRunner(settings: SegmentRunnerSettings): SegmentRunner {
  const predictors = new Map<ModelMethod, Predictor>();
  let pool: WorkerPool<SegmentWorkerInit, SegmentRequest, SegmentResponse> | undefined;

  const local = (method: ModelMethod): Predictor => {
    let predictor = predictors.get(method);
    if (predictor === undefined) {
      predictor = createPredictor(method, settings.model);
      predictors.set(method, predictor);
    }
    return predictor;
  };
  const workersFor = (segments: number): number =>
    Math.max(1, Math.min(settings.workers, segments));
  const getPool = () => {
    pool ??= new WorkerPool(new URL("./segment_worker.ts", import.meta.url), settings.workers, {
      model: settings.model,
      batchSize: settings.batchSize,
    });
    return pool;
  };

  return {
    async encode(method, segments) {
      if (settings.workers <= 1) return encodeSegments(local(method), segments, settings.batchSize);
      const parts = workersFor(segments.length);
      const workers = getPool();
      const replies = await Promise.all(
        groups(segments.length, parts).map(([from, to]) => {
          const group = segments.slice(from, to);
          const raw = concatBytes(group);
          const request: SegmentRequest = {
            kind: "encode",
            method,
            raw,
            lengths: group.map((s) => s.length),
          };
          return workers.run(request, [raw.buffer]);
        }),
      );
      return replies.flatMap((reply) => splitBytes(reply.bytes, reply.sizes));
    },

    async decode(method, coded, lengths) {
      if (settings.workers <= 1) {
        return decodeSegments(local(method), coded, lengths, settings.batchSize);
      }
      const parts = workersFor(coded.length);
      const workers = getPool();
      const replies = await Promise.all(
        groups(coded.length, parts).map(([from, to]) => {
          const group = coded.slice(from, to);
          const bytes = concatBytes(group);
          const request: SegmentRequest = {
            kind: "decode",
            method,
            coded: bytes,
            sizes: group.map((c) => c.length),
            lengths: lengths.slice(from, to),
          };
          return workers.run(request, [bytes.buffer]);
        }),
      );
      return concatBytes(replies.map((reply) => reply.bytes));
    },

    close() {
      pool?.terminate();
      pool = undefined;
    },
  };
}

/** `count` items cut into `parts` consecutive ranges [from, to) of near-equal size. */
function groups(count: number, parts: number): [number, number][] {
  const ranges: [number, number][] = [];
  for (let p = 0; p < parts; p++) {
    ranges.push([Math.floor((count * p) / parts), Math.floor((count * (p + 1)) / parts)]);
  }
  return ranges;
}
