import assert from "node:assert/strict";
import { createEngine } from "../engine/engine.ts";
import { referenceTables } from "../engine/reference.ts";
import { LEVELS } from "../model/configs.ts";
import { matchRow } from "../model/match.ts";
import { loadModel } from "../model/model_file_read.ts";
import { randomModel } from "../../tests/engine/_random_model.ts";
import { createLongMatchPredictor, segmentMatchRows } from "./long_match.ts";
import { createWindowedPredictor } from "./mixer.ts";
import { createNeuralPredictor } from "./neural.ts";
import { ALPHABET, type Predictor } from "./predictor.ts";

const MODEL = randomModel(LEVELS.tinymatch, 7); // context 64, match rows of k = 3
const W = LEVELS.tinymatch.context;
const K = LEVELS.tinymatch.matchLength!;

/** 3.5 windows of text whose repeats lie windows apart. */
const SEGMENT = new TextEncoder().encode(
  "In the beginning the model saw this sentence once. Then other words came, many of them. " +
    "Much later: In the beginning the model saw this sentence once, and again.",
).subarray(0, 3 * W + W / 2);

/** The tables of `bytes` through start(count) with predict/advance, segment `slot` of `others`. */
function stepwise(
  p: Predictor,
  bytes: Uint8Array,
  others: Uint8Array[] = [],
  slot = 0,
): Uint32Array {
  const segments = [...others];
  segments.splice(slot, 0, bytes);
  const batch = p.start(segments.length);
  const tables = new Uint32Array(segments.length * ALPHABET);
  const out = new Uint32Array(bytes.length * ALPHABET);
  const step = new Uint8Array(segments.length);
  for (let i = 0; i < bytes.length; i++) {
    batch.predict(tables);
    out.set(tables.subarray(slot * ALPHABET, (slot + 1) * ALPHABET), i * ALPHABET);
    segments.forEach((s, b) => step[b] = s[i]);
    batch.advance(step);
  }
  batch.close();
  return out;
}

Deno.test("segmentMatchRows() is matchRow() over the whole segment", () => {
  const rows = segmentMatchRows(SEGMENT, K);
  for (let i = 0; i < SEGMENT.length; i++) assert.equal(rows[i], matchRow(SEGMENT, i, K));
});

Deno.test("the long-match predictor: whole-segment and byte-by-byte tables agree, and equal the reference engine given the segment's rows", () => {
  const engine = createEngine(MODEL);
  const p = createLongMatchPredictor(engine, W);
  const whole = p.predictSegment!(SEGMENT);
  assert.deepEqual(stepwise(p, SEGMENT), whole);
  const rows = segmentMatchRows(SEGMENT, K);
  for (let at = 0; at < SEGMENT.length; at += W) {
    const to = Math.min(SEGMENT.length, at + W);
    assert.deepEqual(
      whole.subarray(at * ALPHABET, to * ALPHABET),
      referenceTables(MODEL, SEGMENT.subarray(at, to), rows.subarray(at, to)),
      `window at ${at}`,
    );
  }
  engine.close();
});

Deno.test("the long-match predictor equals the windowed model where the segment adds no match, and differs where it does", () => {
  const engine = createEngine(MODEL);
  const long = createLongMatchPredictor(engine, W).predictSegment!(SEGMENT);
  const windowed = createWindowedPredictor(createNeuralPredictor(engine), W).predictSegment!(
    SEGMENT,
  );
  const rows = segmentMatchRows(SEGMENT, K);
  let differ = 0;
  for (let i = 0; i < SEGMENT.length; i++) {
    const start = i - i % W;
    const own = matchRow(SEGMENT.subarray(start), i - start, K);
    const same = long.subarray(i * ALPHABET, (i + 1) * ALPHABET)
      .every((v, j) => v === windowed[i * ALPHABET + j]);
    if (i < W) assert.ok(same, `position ${i} of the first window`);
    if (rows[i] !== own) differ += same ? 0 : 1;
  }
  assert.ok(differ > 0, "no position gained a match from the segment before its window");
  engine.close();
});

Deno.test("the long-match predictor: a segment's tables do not depend on its batch or slot", () => {
  const engine = createEngine(MODEL);
  const p = createLongMatchPredictor(engine, W);
  const alone = stepwise(p, SEGMENT);
  const other = SEGMENT.slice().reverse();
  assert.deepEqual(stepwise(p, SEGMENT, [other], 1), alone);
  assert.deepEqual(stepwise(p, SEGMENT, [other, other.slice(3)], 0), alone);
  engine.close();
});

Deno.test("without a match row the long-match predictor is the windowed model", async () => {
  const engine = createEngine(await loadModel("tests/fixtures/tiny.mgb"));
  const window = engine.config.context;
  const bytes = new TextEncoder().encode("plain text, nothing special. ".repeat(7));
  const long = createLongMatchPredictor(engine, window);
  const windowed = createWindowedPredictor(createNeuralPredictor(engine), window);
  assert.deepEqual(long.predictSegment!(bytes), windowed.predictSegment!(bytes));
  assert.deepEqual(stepwise(long, bytes), windowed.predictSegment!(bytes));
  engine.close();
});
