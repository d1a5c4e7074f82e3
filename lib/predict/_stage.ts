// This module imports no tfjs.
/**
 * What the mixer (`mixer.ts`) and the secondary estimation (`sse.ts`) share: a predictor whose
 * tables come from per-segment state over the tables of other predictors, and the rule that
 * turns its probabilities into a frequency table.
 *
 * @module
 */
import { ALPHABET, FREQ_TOTAL, type Predictor, type PredictorBatch } from "./predictor.ts";

/** 2^22: resolution of the probabilities before they become frequencies (FREQS.md). */
const U_SCALE = 4194304;
const SPREAD = FREQ_TOTAL - ALPHABET;

/** The per-segment state of a predictor built on its members' tables. */
export interface SegmentStage {
  /** Writes the table from the members' tables `members[j][at..at+256)` to `out[at..at+256)`. */
  predict(members: readonly Uint32Array[], at: number, out: Uint32Array): void;
  /** Learns from byte `x`, after {@link predict} on the same tables. */
  update(members: readonly Uint32Array[], at: number, x: number): void;
}

/** A stage that can also give its byte's probabilities node by node (block method 12). */
export interface BitStage extends SegmentStage {
  /** Readies the byte of the members' tables `members[j][at..at+256)` for {@link bitFrequency}. */
  prepare(members: readonly Uint32Array[], at: number): void;
  /** The frequency of a 1 bit at node n of the prepared byte (`PredictorBatch.bitFrequency`). */
  bitFrequency(n: number): number;
}

/**
 * Frequencies from probabilities `m[0..256)` (summing to about 1), by `lib/engine/FREQS.md`,
 * steps 3–6: `u[v] = floor(m[v] · 2^22)`, `U = Σ u`, `freq[v] = 1 + floor(u[v] · 65280 / U)`, the
 * remainder `65536 − Σ freq` added to the first v with the largest `u[v]`. `u` is scratch.
 */
export function writeFrequencies(
  m: Float64Array,
  u: Float64Array,
  out: Uint32Array,
  at: number,
): void {
  let total = 0;
  for (let v = 0; v < ALPHABET; v++) {
    const q = Math.floor(m[v]! * U_SCALE);
    u[v] = q;
    total += q;
  }
  let best = 0;
  for (let v = 1; v < ALPHABET; v++) if (u[v]! > u[best]!) best = v;
  let sum = 0;
  for (let v = 0; v < ALPHABET; v++) {
    const f = 1 + Math.floor((u[v]! * SPREAD) / total);
    out[at + v] = f;
    sum += f;
  }
  out[at + best] = out[at + best]! + (FREQ_TOTAL - sum);
}

/** A batch of staged segments, and what a bit-coding predictor reads of it. */
interface StagedBatch<S extends SegmentStage> {
  batch: PredictorBatch;
  /** Segment s's stage, once the step is ready; throws when the batch is closed or not ready. */
  readyStage(s: number): S;
}

/**
 * Starts `count` segments, each running a stage from `newStage` over the tables of `parts` (run
 * in batches of their own, on the same bytes): `step` runs a segment's stage on the members'
 * tables at `at` (its slot × 256) when the batch predicts, writing `tables` or readying the step.
 */
function startStages<S extends SegmentStage>(
  parts: readonly Predictor[],
  count: number,
  newStage: () => S,
  step: (stage: S, members: readonly Uint32Array[], at: number, tables: Uint32Array) => void,
): StagedBatch<S> {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`Cannot start a batch of ${count} segments: expected an integer ≥ 0`);
  }
  const batches = parts.map((p) => p.start(count));
  const buffers = parts.map(() => new Uint32Array(count * ALPHABET)); // n × (count, V)
  let stages = Array.from({ length: count }, newStage);
  let scratch: Uint32Array | undefined;
  let predicted = false;
  let closed = false;
  const predict = (tables: Uint32Array) => {
    if (closed) throw new TypeError("Cannot predict: the batch is closed");
    if (tables.length !== count * ALPHABET) {
      throw new RangeError(
        `Cannot predict into ${tables.length} entries: expected ${count * ALPHABET}`,
      );
    }
    for (let j = 0; j < parts.length; j++) batches[j]!.predict(buffers[j]!);
    for (let s = 0; s < count; s++) step(stages[s]!, buffers, s * ALPHABET, tables);
    predicted = true;
  };
  const batch: PredictorBatch = {
    count,
    predict,
    advance(bytes: Uint8Array): void {
      if (closed) throw new TypeError("Cannot advance: the batch is closed");
      if (bytes.length !== count) {
        throw new RangeError(`Cannot advance by ${bytes.length} bytes: expected ${count}`);
      }
      // The stages learn from the tables of this position: compute them if nobody asked.
      if (!predicted) predict(scratch ??= new Uint32Array(count * ALPHABET));
      for (let s = 0; s < count; s++) stages[s]!.update(buffers, s * ALPHABET, bytes[s]!);
      for (let j = 0; j < parts.length; j++) batches[j]!.advance(bytes);
      predicted = false;
    },
    close(): void {
      if (closed) return;
      closed = true;
      stages = [];
      for (const b of batches) b.close();
    },
  };
  return {
    batch,
    readyStage(s: number): S {
      if (closed) throw new TypeError("Cannot predict: the batch is closed");
      if (!predicted) throw new TypeError("Cannot give a bit's frequency before predict");
      if (!(Number.isInteger(s) && s >= 0 && s < count)) {
        throw new RangeError(`Cannot predict segment ${s} of a batch of ${count}`);
      }
      return stages[s]!;
    },
  };
}

/**
 * A predictor named `name` whose segments each run a stage from `newStage` over the tables of
 * `members` (run in batches of their own, on the same bytes). `predictSegment` is offered when
 * every member has it; it equals the step path bit for bit.
 */
export function stagedPredictor(
  name: string,
  members: readonly Predictor[],
  newStage: () => SegmentStage,
): Predictor {
  const parts = [...members];
  const predictor: Predictor = {
    name,
    start(count: number): PredictorBatch {
      return startStages(parts, count, newStage, (stage, b, at, tables) => {
        stage.predict(b, at, tables);
      }).batch;
    },
  };
  if (parts.every((p) => p.predictSegment !== undefined)) {
    predictor.predictSegment = (bytes: Uint8Array): Uint32Array => {
      const whole = parts.map((p) => p.predictSegment!(bytes)); // n × (T, V)
      const out = new Uint32Array(bytes.length * ALPHABET);
      const stage = newStage();
      for (let i = 0; i < bytes.length; i++) {
        stage.predict(whole, i * ALPHABET, out);
        stage.update(whole, i * ALPHABET, bytes[i]!);
      }
      return out;
    };
  }
  return predictor;
}

/**
 * A predictor named `name` that codes bits (`PredictorBatch.bitFrequency`): its segments each run
 * a stage from `newStage` over the tables of `members` (run in batches of their own, on the same
 * bytes), asked node by node; `predict` readies the step and writes no table. It has no
 * `predictSegment`: its tables are never written whole.
 */
export function bitStagedPredictor(
  name: string,
  members: readonly Predictor[],
  newStage: () => BitStage,
): Predictor {
  const parts = [...members];
  return {
    name,
    start(count: number): PredictorBatch {
      const { batch, readyStage } = startStages(parts, count, newStage, (stage, b, at) => {
        stage.prepare(b, at);
      });
      return {
        ...batch,
        bitFrequency(s: number, n: number): number {
          const stage = readyStage(s);
          if (!(Number.isInteger(n) && n >= 1 && n < ALPHABET)) {
            throw new RangeError(`Cannot give the frequency of node ${n}: expected 1 to 255`);
          }
          return stage.bitFrequency(n);
        },
      };
    },
  };
}
