// This module imports no tfjs.
/**
 * Encodes a "mix" segment with the neural model's tables computed elsewhere, window by window.
 * Within the mix the neural model restarts every `config.context` bytes, so the tables of one
 * window depend only on that window's bytes: an encoder, which has all the bytes, can have
 * workers compute several windows at once while this thread runs the context-mixing model and
 * the mixer. A decoder cannot (a window's bytes come from the decoder itself), so this speeds up
 * compression only. The coded bytes equal those of `createPredictor("mix", model)` run in one
 * thread, since the engine's tables are the same in every thread (`lib/predict/neural.ts`).
 *
 * @module
 */
import { segmentMatchRows } from "../../lib/predict/long_match.ts";
import { ALPHABET, type Predictor } from "../../lib/predict/predictor.ts";
import { SegmentEncoder } from "./arithmetic_coder.ts";
import { encodeByte } from "./segment_coding.ts";
import { createMixPredictor } from "./methods.ts";
import { hasLongMatch, type MixMethod } from "./format.ts";

/**
 * The neural tables of one window, `(bytes.length, 256)`, as `predictSegment` gives them; for
 * "mix-long", given the window's match rows found in the whole segment (`long_match.ts`).
 */
export type WindowTables = (bytes: Uint8Array, matchRows?: Int32Array) => Promise<Uint32Array>;

/**
 * Codes `segment` with a mix method, its neural part's tables from `tablesOf`, asked for `ahead`
 * windows in advance (so that many run at once); returns the coded bytes. For the methods whose
 * match rows reach the whole segment ("mix-long" to "mix-sse9"), with the model's
 * `matchLength` (0: it has no match row), each window's rows are found in the whole segment and
 * handed to `tablesOf`. The method also chooses what follows the mix (`createMixPredictor`).
 */
export async function encodeMixSegment(
  segment: Uint8Array,
  window: number,
  tablesOf: WindowTables,
  ahead: number,
  method: MixMethod = "mix",
  matchLength = 0,
): Promise<Uint8Array> {
  const rows = hasLongMatch(method) && matchLength > 0
    ? segmentMatchRows(segment, matchLength)
    : undefined;
  // The windowed neural predictor, replayed: the tables of the current window, and the position.
  const current: { tables: Uint32Array; at: number } = { tables: new Uint32Array(0), at: 0 };
  const replay: Predictor = {
    name: "neural",
    start(count: number) {
      if (count !== 1) throw new RangeError(`Cannot replay ${count} segments at once: expected 1`);
      return {
        count,
        predict(tables: Uint32Array): void {
          const from = current.at * ALPHABET; // a copy loop: no view made per byte
          for (let v = 0; v < ALPHABET; v++) tables[v] = current.tables[from + v]!;
        },
        advance(): void {
          current.at++;
        },
        close(): void {},
      };
    },
  };
  const windows = Math.ceil(segment.length / window);
  const pending: Promise<Uint32Array>[] = [];
  const ask = (k: number) => {
    if (k >= windows) return;
    const from = k * window, to = Math.min(segment.length, from + window);
    const tables = tablesOf(segment.subarray(from, to), rows?.subarray(from, to));
    tables.catch(() => {}); // awaited in order below; this only marks it handled
    pending.push(tables);
  };
  for (let k = 0; k < ahead; k++) ask(k);

  const batch = createMixPredictor(replay, method).start(1);
  const encoder = new SegmentEncoder(segment.length >>> 1);
  const table = new Uint32Array(ALPHABET); // (1, V)
  const byte = new Uint8Array(1);
  try {
    for (let k = 0; k < windows; k++) {
      const from = k * window, to = Math.min(segment.length, from + window);
      current.tables = await pending.shift()!;
      current.at = 0;
      ask(k + ahead);
      if (current.tables.length !== (to - from) * ALPHABET) {
        throw new RangeError(
          `Cannot encode window ${k}: expected ${
            (to - from) * ALPHABET
          } table entries, got ${current.tables.length}`,
        );
      }
      for (let i = from; i < to; i++) {
        batch.predict(table);
        encodeByte(encoder, batch, table, 0, segment[i]!);
        byte[0] = segment[i]!;
        if (i + 1 < segment.length) batch.advance(byte);
      }
    }
  } finally {
    batch.close();
  }
  return encoder.finish();
}
