// This module imports no tfjs.
/**
 * The neural part of the "mix-long" method (`codec/FORMAT.md`, Appendix D): the model restarted
 * every `window` bytes of a codec segment, as in "mix", but with its match row looked up in the
 * whole segment so far. Byte t of window w reads `matchRow(segment, w·window + t, k)` instead of
 * `matchRow(window, t, k)`: a repeat of anything earlier in the segment is handed to the model,
 * while attention and the n-gram rows stay within the window. The decoder has those bytes (a mix
 * segment is decoded byte by byte, in order) and the encoder has all of them, so this costs no
 * parallelism: workers still compute an encoder's windows at once, given their rows.
 *
 * For a model without a match row this predicts exactly as the "mix" method's windowed model.
 *
 * @module
 */
import type { Engine, EngineBatch } from "../engine/engine.ts";
import { MatchIndex, matchRowsAfter } from "../model/match.ts";
import { createWindowedPredictor } from "./mixer.ts";
import { ALPHABET, type Predictor, type PredictorBatch } from "./predictor.ts";

/** A mix segment is at most a block, 1 MiB by default: the index is sized for that, and grows. */
const EXPECTED_SEGMENT = 1 << 20;

/**
 * The match rows of every position of `segment` for {@link createLongMatchPredictor}: entry i is
 * `matchRow(segment, i, k)` (−1: none).
 *
 * @param segment A codec segment.
 * @param k The model's minimum match length (`config.matchLength`).
 * @returns `segment.length` rows.
 */
export function segmentMatchRows(segment: Uint8Array, k: number): Int32Array {
  return matchRowsAfter(segment, 0, segment.length, k, -1);
}

/** One segment's bytes so far and its match index. */
export class SegmentHistory {
  bytes = new Uint8Array(1 << 16);
  length = 0;
  readonly index: MatchIndex;

  constructor(k: number) {
    this.index = new MatchIndex(k, EXPECTED_SEGMENT);
  }

  push(byte: number): void {
    if (this.length === this.bytes.length) {
      const grown = new Uint8Array(2 * this.bytes.length);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[this.length++] = byte;
  }

  /** The row of segment position i (bytes 0..i−1 pushed). */
  row(i: number): number {
    return this.index.row(this.bytes, i);
  }
}

/**
 * Creates the "mix-long" method's neural predictor over `engine`.
 *
 * @param engine The neural model's engine.
 * @param window Bytes after which the model restarts: `config.context`.
 * @returns A predictor named "neural"; `predictSegment` gives the same tables as `start(1)`.
 *
 * @example Whole-segment tables
 * ```ts
 * import assert from "node:assert/strict";
 * import { createEngine } from "../engine/engine.ts";
 * import { loadModel } from "../model/model_file_read.ts";
 * import { createLongMatchPredictor } from "./long_match.ts";
 *
 * const engine = createEngine(await loadModel("tests/fixtures/tiny.mgb"));
 * const predictor = createLongMatchPredictor(engine, engine.config.context);
 * const bytes = new TextEncoder().encode("a repeat, a repeat, a repeat. ".repeat(8));
 * assert.equal(predictor.predictSegment!(bytes).length, bytes.length * 256);
 * ```
 */
export function createLongMatchPredictor(engine: Engine, window: number): Predictor {
  if (!Number.isInteger(window) || window < 1) {
    throw new RangeError(`Cannot restart every ${window} bytes: expected an integer ≥ 1`);
  }
  const k = engine.config.matchLength ?? 0;
  return {
    name: "neural",
    start(count: number): PredictorBatch {
      const histories = Array.from({ length: count }, () => k > 0 ? new SegmentHistory(k) : null);
      let windows = 0; // engine batches started: the current window starts at (windows − 1)·window
      const rowOf = (slot: number, t: number) => histories[slot]!.row((windows - 1) * window + t);
      const perWindow: Predictor = {
        name: "neural",
        start(n: number): EngineBatch {
          windows++;
          return engine.start(n, k > 0 ? rowOf : undefined);
        },
      };
      const windowed = createWindowedPredictor(perWindow, window).start(count);
      return {
        count,
        predict(tables: Uint32Array): void {
          windowed.predict(tables);
        },
        advance(bytes: Uint8Array): void {
          // Pushed first: the engine may compute this position's input as it advances.
          for (let b = 0; b < count; b++) histories[b]?.push(bytes[b]);
          windowed.advance(bytes);
        },
        close(): void {
          windowed.close();
        },
      };
    },
    predictSegment(bytes: Uint8Array): Uint32Array {
      const rows = k > 0 ? segmentMatchRows(bytes, k) : undefined;
      const out = new Uint32Array(bytes.length * ALPHABET);
      for (let at = 0; at < bytes.length; at += window) {
        const to = Math.min(bytes.length, at + window);
        out.set(
          engine.predictSegment(bytes.subarray(at, to), rows?.subarray(at, to)),
          at * ALPHABET,
        );
      }
      return out;
    },
  };
}
