// This module imports no tfjs.
import assert from "node:assert/strict";
import { loadModel } from "../model/model_file_read.ts";
import { createContextMixingPredictor } from "./context_mixing.ts";
import { createMixingPredictor, createWindowedPredictor, log2Table } from "./mixer.ts";
import { createNeuralPredictor } from "./neural.ts";
import { ALPHABET } from "./predictor.ts";
import {
  assertAdvanceWithoutPredict,
  assertBatchIndependent,
  assertValidTables,
  idealBits,
  orderZero,
  sha256,
  stepTables,
  TEXT,
} from "./_test_util.ts";

const tiny = await loadModel(new URL("../../tests/fixtures/tiny.mgb", import.meta.url).pathname);
const CONTEXT = tiny.config.context; // 64

const cmAndNeural = () =>
  createMixingPredictor([
    createContextMixingPredictor(),
    createWindowedPredictor(createNeuralPredictor(tiny), CONTEXT),
  ]);

Deno.test("log2Table() is log2(f / 65536) within 1e-13, exactly 0 at 65536 and -1 at 32768", () => {
  const table = log2Table();
  assert.equal(table[65536], 0);
  assert.equal(table[32768], -1);
  assert.equal(table[1], -16);
  for (let f = 1; f <= 65536; f += 7) {
    assert.ok(Math.abs(table[f]! - Math.log2(f / 65536)) < 1e-13, `f = ${f}`);
  }
});

Deno.test("createMixingPredictor() writes valid tables (each ≥ 1, sum 65536), even for a surprising input", () => {
  const mix = cmAndNeural();
  const surprising = new Uint8Array(600).map((_, i) => (i < 400 ? 0x61 : (i * 97) & 0xff));
  assertValidTables(stepTables(mix, TEXT));
  assertValidTables(stepTables(mix, surprising));
  assert.equal(mix.name, "mix");
});

Deno.test("createMixingPredictor(): a segment's tables do not depend on the batch or its slot", () => {
  const mix = cmAndNeural();
  const segments = [TEXT.subarray(0, 200), TEXT.subarray(50, 330), TEXT.subarray(100, 170)];
  assertBatchIndependent(mix, segments);
});

Deno.test("createMixingPredictor(): advance without predict leaves the same state", () => {
  const mix = cmAndNeural();
  assertAdvanceWithoutPredict(mix, TEXT.subarray(0, 100));
});

Deno.test("createMixingPredictor(): predictSegment equals the step path bit for bit, when every part has it", () => {
  const neural = createNeuralPredictor(tiny);
  const mix = createMixingPredictor([createWindowedPredictor(neural, CONTEXT), neural]);
  const bytes = TEXT.subarray(0, CONTEXT);
  assert.ok(mix.predictSegment !== undefined);
  assert.deepEqual(mix.predictSegment!(bytes), stepTables(mix, bytes));
  assert.equal(cmAndNeural().predictSegment, undefined, "cm has no predictSegment");
});

Deno.test("createMixingPredictor(): cm and the tiny model mixed cost fewer bits than either alone", () => {
  const bytes = TEXT;
  const cm = idealBits(stepTables(createContextMixingPredictor(), bytes), bytes);
  const windowed = createWindowedPredictor(createNeuralPredictor(tiny), CONTEXT);
  const neural = idealBits(stepTables(windowed, bytes), bytes);
  const mixed = idealBits(stepTables(cmAndNeural(), bytes), bytes);
  assert.ok(mixed < Math.min(cm, neural), `mix ${mixed}, cm ${cm}, neural ${neural}`);
});

Deno.test("createMixingPredictor() tables of the tiny model and an order-0 model match their golden digest", async () => {
  // Pins the mixer's arithmetic (and with it method 3 of codec/FORMAT.md): if this fails, the
  // mixer's tables changed, and so would every mix archive. It also moves with the engine's
  // numbers (the neural part): last on Format_Version 2, int16 attention values.
  const mix = createMixingPredictor([
    createWindowedPredictor(createNeuralPredictor(tiny), CONTEXT),
    orderZero(),
  ]);
  const tables = stepTables(mix, TEXT);
  assertValidTables(tables);
  assert.equal(
    await sha256(tables),
    "95fa3c67d5e3bcee325603f0dec1fcebd267c463d8f3434b8961289bd611fb83",
  );
});

Deno.test("createMixingPredictor() of one part with weight 1 and no learning gives back that part's tables, within rounding", () => {
  // The geometric mix of one part at weight 1 is that part (exp2 of log2): this checks the
  // mixer's own exp2 and log2 against the part's tables.
  const cm = createContextMixingPredictor();
  const mix = createMixingPredictor([cm], { initialWeights: [1], learningRate: 0 });
  const expected = stepTables(cm, TEXT);
  const actual = stepTables(mix, TEXT);
  // Both spread 65280 over the table and add 1 to every entry: an entry f becomes about
  // 1 + f · 65280 / 65536, up to 1 off for the floor, and the most probable byte takes the rest.
  for (let at = 0; at < expected.length; at += ALPHABET) {
    let top = at;
    for (let v = at; v < at + ALPHABET; v++) if (expected[v]! > expected[top]!) top = v;
    for (let v = at; v < at + ALPHABET; v++) {
      if (v === top) continue;
      const e = expected[v]!, a = actual[v]!;
      assert.ok(
        Math.abs(a - e) <= 2 + e / 200,
        `table ${at / ALPHABET}, entry ${v - at}: ${a} vs ${e}`,
      );
    }
  }
});

Deno.test("createMixingPredictor() checks its parts and options", () => {
  const cm = createContextMixingPredictor();
  assert.throws(() => createMixingPredictor([]), RangeError);
  assert.throws(() => createMixingPredictor(new Array(7).fill(cm)), RangeError);
  assert.throws(() => createMixingPredictor([cm, cm], { initialWeights: [1] }), RangeError);
  assert.throws(() => createMixingPredictor([cm], { switchRate: 0 }), RangeError);
  assert.throws(() => createMixingPredictor([cm], { learningRate: -1 }), RangeError);
  assert.throws(() => createMixingPredictor([cm], { weightLimit: 0 }), RangeError);
  const batch = createMixingPredictor([cm]).start(2);
  assert.throws(() => batch.predict(new Uint32Array(256)), RangeError);
  assert.throws(() => batch.advance(new Uint8Array(1)), RangeError);
  batch.close();
  assert.throws(() => batch.predict(new Uint32Array(512)), TypeError);
});

Deno.test("createWindowedPredictor() restarts its part every window bytes, on both paths", () => {
  const neural = createNeuralPredictor(tiny);
  const windowed = createWindowedPredictor(neural, CONTEXT);
  const bytes = TEXT.subarray(0, 3 * CONTEXT + 10);
  const expected = new Uint32Array(bytes.length * ALPHABET);
  for (let at = 0; at < bytes.length; at += CONTEXT) {
    expected.set(neural.predictSegment!(bytes.subarray(at, at + CONTEXT)), at * ALPHABET);
  }
  assert.deepEqual(stepTables(windowed, bytes), expected);
  assert.deepEqual(windowed.predictSegment!(bytes), expected);
  assert.equal(
    createWindowedPredictor(createContextMixingPredictor(), 5).predictSegment,
    undefined,
  );
  assert.throws(() => createWindowedPredictor(neural, 0), RangeError);
});
