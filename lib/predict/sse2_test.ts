// This module imports no tfjs.
import assert from "node:assert/strict";
import { loadModel } from "../model/model_file_read.ts";
import { createContextMixingPredictor } from "./context_mixing.ts";
import { createMixingPredictor, createWindowedPredictor } from "./mixer.ts";
import { createNeuralPredictor } from "./neural.ts";
import { createSsePredictor } from "./sse.ts";
import { createSse2Predictor, createSse3Predictor } from "./sse2.ts";
import {
  assertAdvanceWithoutPredict,
  assertBatchIndependent,
  assertValidTables,
  idealBits,
  orderZero,
  repeatedText,
  sha256,
  stepTables,
  TEXT,
} from "./_test_util.ts";

const tiny = await loadModel(new URL("../../tests/fixtures/tiny.mgb", import.meta.url).pathname);
const CONTEXT = tiny.config.context; // 64
const CANTERBURY = new URL("../../../shared/corpora/canterbury/", import.meta.url);
const cm = createContextMixingPredictor;
const windowedTiny = () => createWindowedPredictor(createNeuralPredictor(tiny), CONTEXT);

Deno.test("createSse2Predictor() writes valid tables (each ≥ 1, sum 65536), even for a surprising input", () => {
  const sse2 = createSse2Predictor(cm(), orderZero());
  const surprising = new Uint8Array(600).map((_, i) => (i < 400 ? 0x61 : (i * 97) & 0xff));
  assertValidTables(stepTables(sse2, TEXT));
  assertValidTables(stepTables(sse2, surprising));
  assert.equal(sse2.name, "mix+sse2");
});

Deno.test("createSse2Predictor(): a segment's tables do not depend on the batch or its slot", () => {
  const segments = [TEXT.subarray(0, 200), TEXT.subarray(50, 330), TEXT.subarray(100, 170)];
  assertBatchIndependent(createSse2Predictor(cm(), windowedTiny()), segments);
});

Deno.test("createSse2Predictor(): advance without predict leaves the same state", () => {
  assertAdvanceWithoutPredict(createSse2Predictor(cm(), orderZero()), TEXT.subarray(0, 100));
});

Deno.test("createSse2Predictor(): predictSegment equals the step path bit for bit, when both parts have it", () => {
  const sse2 = createSse2Predictor(windowedTiny(), windowedTiny());
  const bytes = TEXT.subarray(0, 3 * CONTEXT + 5);
  assert.ok(sse2.predictSegment !== undefined);
  assert.deepEqual(sse2.predictSegment!(bytes), stepTables(sse2, bytes));
  assert.equal(createSse2Predictor(cm(), windowedTiny()).predictSegment, undefined);
});

Deno.test("createSse2Predictor(): beats method 5 (the mix, then sse.ts) on the same parts", async () => {
  // Both stages run over the same mix of cm and the tiny model, on 4,000 bytes of prose (on a
  // few hundred bytes method 6 is no better: its nine added inputs start with no weight).
  const prose = await Deno.readFile(new URL("alice29.txt", CANTERBURY));
  const bytes = prose.subarray(0, 4000);
  const method5 = createSsePredictor(createMixingPredictor([cm(), windowedTiny()]));
  const five = idealBits(stepTables(method5, bytes), bytes);
  const six = idealBits(stepTables(createSse2Predictor(cm(), windowedTiny()), bytes), bytes);
  assert.ok(six < five, `method 5: ${five} bits, method 6: ${six}`);
  // And on order 0 alone (twice, so the mixer has nothing to choose), far below the part.
  const text = repeatedText(4);
  const part = idealBits(stepTables(orderZero(), text), text);
  const refined = idealBits(stepTables(createSse2Predictor(orderZero(), orderZero()), text), text);
  assert.ok(refined < 0.6 * part, `order 0: ${part} bits, refined: ${refined}`);
});

Deno.test("createSse2Predictor() tables over order 0 and over cm with the tiny model match their golden digests", async () => {
  // Pins the stage's arithmetic (and with it method 6 of codec/FORMAT.md, Appendix F): if this
  // fails, the stage's tables changed, and so would every mix-sse2 archive.
  // Order 0 over TEXT 8 times: long enough for the rates to reach their floors.
  const long = repeatedText(8);
  const zero = stepTables(createSse2Predictor(orderZero(), orderZero()), long);
  assertValidTables(zero);
  assert.equal(
    await sha256(zero),
    "e68077dd9c2c1168c46a08e4802d88037a01f43eef7b392e22c27422dbb96589",
  );
  const bytes = repeatedText(2);
  const tables = stepTables(createSse2Predictor(cm(), windowedTiny()), bytes);
  assertValidTables(tables);
  assert.equal(
    await sha256(tables),
    "866b88005fa0bf739f2acf252239a92b2d734d1e851ca3e1a21e38d0161eb45c",
  );
});

Deno.test("createSse3Predictor() writes valid tables, independent of the batch and slot, and the same after advance without predict", () => {
  const sse3 = createSse3Predictor(cm(), orderZero());
  const surprising = new Uint8Array(600).map((_, i) => (i < 400 ? 0x61 : (i * 97) & 0xff));
  assertValidTables(stepTables(sse3, TEXT));
  assertValidTables(stepTables(sse3, surprising));
  assert.equal(sse3.name, "mix+sse3");
  const segments = [TEXT.subarray(0, 200), TEXT.subarray(50, 330), TEXT.subarray(100, 170)];
  assertBatchIndependent(createSse3Predictor(cm(), windowedTiny()), segments);
  assertAdvanceWithoutPredict(createSse3Predictor(cm(), orderZero()), TEXT.subarray(0, 100));
});

Deno.test("createSse3Predictor(): predictSegment equals the step path bit for bit, when both parts have it", () => {
  const sse3 = createSse3Predictor(windowedTiny(), windowedTiny());
  const bytes = TEXT.subarray(0, 3 * CONTEXT + 5);
  assert.ok(sse3.predictSegment !== undefined);
  assert.deepEqual(sse3.predictSegment!(bytes), stepTables(sse3, bytes));
  assert.equal(createSse3Predictor(cm(), windowedTiny()).predictSegment, undefined);
});

Deno.test("createSse3Predictor(): codes text in columns far smaller than method 6, and prose no larger", async () => {
  // A table: each row's fields at the same columns, the numbers changing from row to row (the
  // column context's case); with the tiny model, whose predictions are poor, on both.
  const rows = Array.from(
    { length: 150 },
    (_, i) =>
      `${String(i).padStart(4)}  ${String((i * 7919) % 1000).padStart(3, "0")}  x${i % 3}\n`,
  );
  const table = new TextEncoder().encode(rows.join(""));
  const prose = (await Deno.readFile(new URL("alice29.txt", CANTERBURY))).subarray(0, 6000);
  const bits = (create: typeof createSse2Predictor, bytes: Uint8Array) =>
    idealBits(stepTables(create(cm(), windowedTiny()), bytes), bytes);
  const [six, seven] = [bits(createSse2Predictor, table), bits(createSse3Predictor, table)];
  assert.ok(seven < 0.8 * six, `table: method 6 ${six} bits, method 7 ${seven}`);
  const [sixProse, sevenProse] = [
    bits(createSse2Predictor, prose),
    bits(createSse3Predictor, prose),
  ];
  assert.ok(sevenProse <= sixProse, `prose: method 6 ${sixProse} bits, method 7 ${sevenProse}`);
});

Deno.test("createSse3Predictor() tables over order 0 and over cm with the tiny model match their golden digests", async () => {
  // Pins method 7 of codec/FORMAT.md, Appendix G: if this fails, every mix-sse3 archive changes.
  const long = repeatedText(8);
  const zero = stepTables(createSse3Predictor(orderZero(), orderZero()), long);
  assertValidTables(zero);
  assert.equal(
    await sha256(zero),
    "2fe1774e837b163c4709d302fe31210d93f7c98e849e86d3922a01d54af10b6b",
  );
  const bytes = repeatedText(2);
  const tables = stepTables(createSse3Predictor(cm(), windowedTiny()), bytes);
  assertValidTables(tables);
  assert.equal(
    await sha256(tables),
    "ccc9eca8c238240c9f1c538e9d3f1812776ee6465c4776276f49320f37317ec9",
  );
});
