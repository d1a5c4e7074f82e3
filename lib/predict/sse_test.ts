// This module imports no tfjs.
import assert from "node:assert/strict";
import { loadModel } from "../model/model_file_read.ts";
import { createContextMixingPredictor } from "./context_mixing.ts";
import { createWindowedPredictor } from "./mixer.ts";
import { createNeuralPredictor } from "./neural.ts";
import { ALPHABET } from "./predictor.ts";
import { createSsePredictor } from "./sse.ts";
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

Deno.test("createSsePredictor() writes valid tables (each ≥ 1, sum 65536), even for a surprising input", () => {
  const sse = createSsePredictor(createContextMixingPredictor());
  const surprising = new Uint8Array(600).map((_, i) => (i < 400 ? 0x61 : (i * 97) & 0xff));
  assertValidTables(stepTables(sse, TEXT));
  assertValidTables(stepTables(sse, surprising));
  assert.equal(sse.name, "cm+sse");
});

Deno.test("createSsePredictor(): its maps start near the identity, so the first table is about the part's", () => {
  // Every map starts at 1 / (1 + 2^−x) on the integers x and reads between them linearly, so the
  // first table differs from the part's by that interpolation only: this checks the tree, the
  // log2 odds and the leaf products.
  const part = orderZero();
  const first = stepTables(part, TEXT.subarray(0, 1));
  const refined = stepTables(createSsePredictor(part), TEXT.subarray(0, 1));
  for (let v = 0; v < ALPHABET; v++) {
    const p = first[v]! / 65536, q = refined[v]! / 65536;
    assert.ok(Math.abs(Math.log2(q / p)) < 0.1, `byte ${v}: ${p} became ${q}`);
  }
});

Deno.test("createSsePredictor(): a segment's tables do not depend on the batch or its slot", () => {
  const sse = createSsePredictor(createContextMixingPredictor());
  const segments = [TEXT.subarray(0, 200), TEXT.subarray(50, 330), TEXT.subarray(100, 170)];
  assertBatchIndependent(sse, segments);
});

Deno.test("createSsePredictor(): advance without predict leaves the same state", () => {
  const sse = createSsePredictor(createContextMixingPredictor());
  assertAdvanceWithoutPredict(sse, TEXT.subarray(0, 100));
});

Deno.test("createSsePredictor(): predictSegment equals the step path bit for bit, when the part has it", () => {
  const sse = createSsePredictor(createWindowedPredictor(createNeuralPredictor(tiny), CONTEXT));
  const bytes = TEXT.subarray(0, 3 * CONTEXT + 5);
  assert.ok(sse.predictSegment !== undefined);
  assert.deepEqual(sse.predictSegment!(bytes), stepTables(sse, bytes));
  assert.equal(createSsePredictor(createContextMixingPredictor()).predictSegment, undefined);
});

Deno.test("createSsePredictor(): learns what its part misses, within the segment", () => {
  // Order 0 knows nothing of the previous byte or of repeats; map 1 (previous byte) and map 2
  // (the segment's match) learn both, so text repeated costs far less after the stage.
  const bytes = repeatedText(4);
  const part = idealBits(stepTables(orderZero(), bytes), bytes);
  const refined = idealBits(stepTables(createSsePredictor(orderZero()), bytes), bytes);
  assert.ok(refined < 0.7 * part, `order 0: ${part} bits, refined: ${refined}`);
  // cm models both already, and the stage still finds something (1,506 → 1,344 bits here).
  const cm = idealBits(stepTables(createContextMixingPredictor(), bytes), bytes);
  const cmRefined = idealBits(
    stepTables(createSsePredictor(createContextMixingPredictor()), bytes),
    bytes,
  );
  assert.ok(cmRefined < cm, `cm: ${cm} bits, refined: ${cmRefined}`);
});

Deno.test("createSsePredictor() tables of an order-0 model and of the tiny model match their golden digests", async () => {
  // Pins the stage's arithmetic (and with it method 5 of codec/FORMAT.md, Appendix E): if this
  // fails, the stage's tables changed, and so would every mix-sse archive.
  const bytes = repeatedText(2);
  const zero = stepTables(createSsePredictor(orderZero()), bytes);
  assertValidTables(zero);
  assert.equal(
    await sha256(zero),
    "c629a58140cebaa033647807541e0b8b04f6fd895ef09121bb70dee683ed529c",
  );
  const neural = createWindowedPredictor(createNeuralPredictor(tiny), CONTEXT);
  const tables = stepTables(createSsePredictor(neural), bytes);
  assertValidTables(tables);
  assert.equal(
    await sha256(tables),
    "dfd555cf19903b247166a1137fbd13246ceaffc37ad41134694319ad8473d245",
  );
});
