// This module imports no tfjs.
/**
 * Runs the segment coding of blocks in this thread or spread over Web Workers. Segments are
 * independent, so the result is the same byte for byte whatever `workers` and `batchSize` are.
 * Encoding a "mix" segment goes by whole neural windows (`mix_pipeline.ts`), which workers
 * compute at once when there are fewer segments than workers.
 *
 * Runners of one model in one thread share one worker pool (a `compressStream` piped into a
 * `decompressStream` runs on one set of workers, not two): the pool has as many workers as the
 * runners holding it ask for at most, starts them as requests need them, and stops them all when
 * the last runner closes, so that nothing keeps the process alive; a runner never closed (an
 * abandoned stream) lets them stop once idle (`worker_pool.ts`, `IDLE_MS`).
 *
 * Workers get the model prepared for the engine (`prepareModel`), not the model file: for an int8
 * file that is its integers and small tensors without the float32 copy of every weight, which
 * cloning the model file would compute (about 24 MB to copy to each worker instead of 116 MB for
 * `models/default.mgb`).
 *
 * @module
 */
import { type PreparedModel, prepareModel } from "../../lib/engine/prepared_model.ts";
import type { ModelFile } from "../../lib/model/model_file_types.ts";
import type { NeuralPredictor } from "../../lib/predict/neural.ts";
import type { Predictor } from "../../lib/predict/predictor.ts";
import { concatBytes, splitBytes } from "./bytes.ts";
import { isMix, type ModelMethod } from "./format.ts";
import { createPredictor } from "./methods.ts";
import { encodeMixSegment } from "./mix_pipeline.ts";
import { decodeSegments, encodeSegments } from "./segment_coding.ts";
import { WorkerPool } from "./worker_pool.ts";

/** What every worker gets once. */
export interface SegmentWorkerInit {
  /**
   * The neural model, or null: prepared, or the model file itself when it does not prepare (the
   * worker then reports why on the first request that needs it, as this thread would). The worker
   * sets it to null once it has loaded it into its engine.
   */
  model: PreparedModel | ModelFile | null;
}

/**
 * One worker request: a run of consecutive segments of a block, in batches of `batchSize`; or
 * ("tables") the neural model's tables of one window of a "mix" segment (`mix_pipeline.ts`).
 */
export type SegmentRequest =
  | { kind: "encode"; method: ModelMethod; batchSize: number; raw: Uint8Array; lengths: number[] }
  | { kind: "tables"; raw: Uint8Array; matchRows?: Int32Array }
  | {
    kind: "decode";
    method: ModelMethod;
    batchSize: number;
    coded: Uint8Array;
    sizes: number[];
    lengths: number[];
  };

/** A worker's answer: the coded segments (concatenated, with sizes), the raw bytes, or tables. */
export interface SegmentResponse {
  /** Coded segments, raw bytes, or a window's tables (`Uint32Array` bytes), concatenated. */
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

type SegmentPool = WorkerPool<SegmentWorkerInit, SegmentRequest, SegmentResponse>;

/** A pool shared by the runners of one model: each holder and the workers it asked for. */
interface SharedPool {
  pool: SegmentPool;
  holders: Map<object, number>;
}

/** The shared pools of this thread, by model (null: none). */
const sharedPools = new Map<ModelFile | null, SharedPool>();

/** Takes a share of the pool of `model` for `holder`, which asks for `workers` workers. */
function holdPool(model: ModelFile | null, holder: object, workers: number): SegmentPool {
  let shared = sharedPools.get(model);
  if (shared === undefined || shared.pool.failed) {
    const pool: SegmentPool = new WorkerPool(
      new URL("./segment_worker.ts", import.meta.url),
      workers,
      { model: forWorkers(model) },
    );
    shared = { pool, holders: new Map() };
    sharedPools.set(model, shared);
  }
  shared.holders.set(holder, workers);
  shared.pool.size = Math.max(...shared.holders.values());
  return shared.pool;
}

/** `model` as workers get it (see {@link SegmentWorkerInit}). */
function forWorkers(model: ModelFile | null): PreparedModel | ModelFile | null {
  if (model === null) return null;
  try {
    return prepareModel(model);
  } catch {
    return model;
  }
}

/** Gives back `holder`'s share of `pool`: its queued requests reject; the last one stops it. */
function releasePool(model: ModelFile | null, holder: object, pool: SegmentPool): void {
  pool.cancel(holder, new Error("Cannot run the request: the segment runner was closed"));
  const shared = sharedPools.get(model);
  if (shared === undefined || shared.pool !== pool) {
    pool.terminate(); // failed and replaced: its other holders fail too
    return;
  }
  shared.holders.delete(holder);
  if (shared.holders.size === 0) {
    sharedPools.delete(model);
    pool.terminate();
  } else {
    pool.size = Math.max(...shared.holders.values());
  }
}

/** Workers running now in this thread's shared segment pools (for tests). */
export function sharedWorkersStarted(): number {
  let n = 0;
  for (const shared of sharedPools.values()) n += shared.pool.started;
  return n;
}

/**
 * Creates a runner. With more than one worker, every request goes to the shared pool of the
 * model (taken on the first request, given back by `close`), its segments cut into up to
 * `workers` runs: requests of several blocks then run at once, each on its own worker. Mix
 * segments fewer than the workers are encoded here, their neural windows on the workers.
 */
export function createSegmentRunner(settings: SegmentRunnerSettings): SegmentRunner {
  const predictors = new Map<ModelMethod, Predictor>();
  const holder = {};
  let pool: SegmentPool | undefined;

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
    pool ??= holdPool(settings.model, holder, settings.workers);
    return pool;
  };

  return {
    async encode(method, segments) {
      if (isMix(method) && settings.model !== null) {
        const window = settings.model.config.context;
        const matchLength = settings.model.config.matchLength ?? 0;
        if (segments.length < settings.workers) {
          // Fewer segments than workers: spread the neural windows instead (encoding only).
          const workers = getPool();
          const tablesOf = async (bytes: Uint8Array, rows?: Int32Array) => {
            const raw = bytes.slice();
            const matchRows = rows?.slice();
            const moved = matchRows ? [raw.buffer, matchRows.buffer] : [raw.buffer];
            const reply = await workers.run({ kind: "tables", raw, matchRows }, moved, holder);
            const { buffer, byteOffset, length } = reply.bytes;
            return new Uint32Array(buffer, byteOffset, length / 4);
          };
          return await Promise.all(
            segments.map((s) =>
              encodeMixSegment(s, window, tablesOf, 2 * settings.workers, method, matchLength)
            ),
          );
        }
        if (settings.workers <= 1) {
          // Whole windows at once, as workers compute them: faster than byte by byte (1.4× on
          // 80 KB of alice29), and the tables of one window at a time, not the segment's.
          const neural = local("neural") as NeuralPredictor;
          const tablesOf = (bytes: Uint8Array, rows?: Int32Array) =>
            Promise.resolve(neural.predictSegment(bytes, rows));
          const coded: Uint8Array[] = [];
          for (const s of segments) {
            coded.push(await encodeMixSegment(s, window, tablesOf, 1, method, matchLength));
          }
          return coded;
        }
      }
      if (settings.workers <= 1) return encodeSegments(local(method), segments, settings.batchSize);
      const workers = getPool();
      const parts = workersFor(segments.length);
      const replies = await Promise.all(
        groups(segments.length, parts).map(([from, to]) => {
          const group = segments.slice(from, to);
          const raw = concatBytes(group);
          const request: SegmentRequest = {
            kind: "encode",
            method,
            batchSize: settings.batchSize,
            raw,
            lengths: group.map((s) => s.length),
          };
          return workers.run(request, [raw.buffer], holder);
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
            batchSize: settings.batchSize,
            coded: bytes,
            sizes: group.map((c) => c.length),
            lengths: lengths.slice(from, to),
          };
          return workers.run(request, [bytes.buffer], holder);
        }),
      );
      return concatBytes(replies.map((reply) => reply.bytes));
    },

    close() {
      if (pool !== undefined) releasePool(settings.model, holder, pool);
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
