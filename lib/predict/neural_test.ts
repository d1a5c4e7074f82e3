import assert from "node:assert/strict";
import { createNeuralPredictor } from "./neural.ts";
import { FREQ_TOTAL } from "./predictor.ts";
import { randomModel, Rng, SMALL_CONFIG } from "../../tests/engine/_random_model.ts";
import { referenceTables } from "../engine/reference.ts";
import { createEngine } from "../engine/engine.ts";
import { prepareModel } from "../engine/prepared_model.ts";

Deno.test("createNeuralPredictor() yields valid tables: 256 entries ≥ 1 summing to FREQ_TOTAL", () => {
  const predictor = createNeuralPredictor(randomModel(SMALL_CONFIG, 1));
  assert.equal(predictor.name, "neural");
  const batch = predictor.start(3);
  const tables = new Uint32Array(3 * 256);
  const rng = new Rng(2);
  for (let t = 0; t < 20; t++) {
    batch.predict(tables);
    for (let s = 0; s < 3; s++) {
      const row = tables.subarray(s * 256, (s + 1) * 256);
      assert.equal(row.reduce((a, b) => a + b, 0), FREQ_TOTAL);
      assert.ok(row.every((f) => f >= 1));
    }
    batch.advance(rng.bytes(3));
  }
  batch.close();
});

Deno.test("createNeuralPredictor() predictSegment() equals start(1) with predict/advance and the reference", () => {
  const model = randomModel(SMALL_CONFIG, 3);
  const predictor = createNeuralPredictor(model);
  const bytes = new TextEncoder().encode(
    "neural predictor: the encoder and the decoder must agree!!",
  );
  const whole = predictor.predictSegment!(bytes);
  assert.deepEqual(whole, referenceTables(model, bytes));
  const batch = predictor.start(1);
  const table = new Uint32Array(256);
  for (let t = 0; t < bytes.length; t++) {
    batch.predict(table);
    assert.deepEqual(table, whole.subarray(t * 256, (t + 1) * 256), `position ${t}`);
    batch.advance(bytes.subarray(t, t + 1));
  }
  batch.close();
});

Deno.test("createNeuralPredictor() shares one engine per model and gives equal tables from each predictor", () => {
  const model = randomModel(SMALL_CONFIG, 4);
  const a = createNeuralPredictor(model), b = createNeuralPredictor(model);
  const bytes = new Rng(5).bytes(SMALL_CONFIG.context);
  assert.deepEqual(a.predictSegment!(bytes), b.predictSegment!(bytes));
});

Deno.test("createNeuralPredictor() of an engine gives the tables of the model file it was loaded from", () => {
  const model = randomModel(SMALL_CONFIG, 7);
  const engine = createEngine(prepareModel(model));
  const a = createNeuralPredictor(engine), b = createNeuralPredictor(engine);
  const bytes = new Rng(8).bytes(SMALL_CONFIG.context);
  const expected = createNeuralPredictor(model).predictSegment!(bytes);
  assert.deepEqual(a.predictSegment!(bytes), expected);
  const batch = b.start(1);
  const table = new Uint32Array(256);
  batch.predict(table);
  assert.deepEqual(table, expected.subarray(0, 256));
  batch.close();
  engine.close();
});

Deno.test("createNeuralPredictor() throws a RangeError for a model that does not match its config", () => {
  const model = randomModel(SMALL_CONFIG, 6);
  model.tensors.set("global.pad", { shape: [3], data: new Float32Array(3) });
  assert.throws(() => createNeuralPredictor(model), RangeError);
});
