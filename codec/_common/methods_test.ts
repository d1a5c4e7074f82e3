// This module imports no tfjs.
import assert from "node:assert/strict";
import { createEngine } from "../../lib/engine/engine.ts";
import { prepareModel } from "../../lib/engine/prepared_model.ts";
import { readModelFile } from "../../lib/model/model_file_read.ts";
import { writeModelFile } from "../../lib/model/model_file_write.ts";
import type { ModelFile } from "../../lib/model/model_file_types.ts";
import { ALPHABET, type Predictor, type PredictorBatch } from "../../lib/predict/predictor.ts";
import { sampleFromModel, tinyModel } from "../_testing/tiny_model.ts";
import { createPredictor } from "./methods.ts";

/** The tables of each byte of `bytes` (one segment), stepping `batch` through them. */
function* steps(batch: PredictorBatch, bytes: Uint8Array): Generator<Uint32Array> {
  for (let t = 0; t < bytes.length; t++) {
    const table = new Uint32Array(ALPHABET);
    batch.predict(table);
    yield table;
    batch.advance(bytes.subarray(t, t + 1));
  }
  batch.close();
}

/** Every table `predictor` gives over `bytes`. */
function tablesOf(predictor: Predictor, bytes: Uint8Array): Uint32Array[] {
  return [...steps(predictor.start(1), bytes)];
}

for (const dtype of ["float32", "int8"] as const) {
  Deno.test(`createPredictor(): "neural" and "mix" of one engine of a prepared model predict as from the model file (${dtype})`, () => {
    const { hash: _hash, ...rest } = tinyModel(31);
    const model: ModelFile = readModelFile(writeModelFile(rest, { dtype }));
    const bytes = sampleFromModel(model, 150, 4); // mix: over two contexts, the model restarted
    const first = bytes.subarray(0, model.config.context); // neural: one context at most
    const expected = {
      neural: tablesOf(createPredictor("neural", model), first),
      mix: tablesOf(createPredictor("mix", model), bytes),
    };
    const engine = createEngine(prepareModel(model));
    const neural = createPredictor("neural", engine), mix = createPredictor("mix", engine);
    // Both methods' batches open at once on the one engine, stepped in turn.
    const a = steps(neural.start(1), first), b = steps(mix.start(1), bytes);
    for (let t = 0; t < bytes.length; t++) {
      if (t < first.length) {
        assert.deepEqual(a.next().value, expected.neural[t], `neural, byte ${t}`);
      }
      assert.deepEqual(b.next().value, expected.mix[t], `mix, byte ${t}`);
    }
    assert.ok(a.next().done && b.next().done);
    const whole = new Uint32Array(first.length * ALPHABET);
    expected.neural.forEach((table, t) => whole.set(table, t * ALPHABET));
    assert.deepEqual(neural.predictSegment!(first), whole);
  });
}

Deno.test("createPredictor() and createEngine() throw for a model that cannot run, or none", () => {
  const broken = { ...tinyModel(32), tensors: new Map() };
  assert.throws(() => createEngine(broken), /Cannot run model tiny-random: tensor .* is missing/);
  assert.throws(() => createPredictor("mix", broken), RangeError);
  assert.throws(() => createPredictor("neural", null), /no model given/);
  assert.equal(createPredictor("cm", null).name, createPredictor("cm", broken).name);
});
