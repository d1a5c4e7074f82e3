import assert from "node:assert/strict";
import {
  ENGINE_TEST_CONFIGS,
  randomModel,
  Rng,
  SMALL_CONFIG,
} from "../../tests/engine/_random_model.ts";
import { readModelFile } from "../model/model_file_read.ts";
import { writeModelFile } from "../model/model_file_write.ts";
import { createEngine } from "./engine.ts";
import { referenceLogits } from "./reference.ts";

Deno.test("createEngine() logits() equal referenceLogits() bit for bit, with n-gram tables too", () => {
  for (const config of ENGINE_TEST_CONFIGS) {
    const model = randomModel(config, 1);
    const engine = createEngine(model);
    const bytes = new Rng(2).bytes(config.context - 2);
    const a = engine.logits(bytes), b = referenceLogits(model, bytes);
    assert.deepEqual(new Uint32Array(a.buffer), new Uint32Array(b.buffer));
    engine.close();
  }
});

Deno.test("createEngine() reports the key/value cache bytes a segment of a batch holds", () => {
  const engine = createEngine(randomModel(SMALL_CONFIG, 3));
  // Per layer, head and position: an int16 key, an int16 value, two float32 scales. Global: 2 layers,
  // 2 heads of 16, 16 patches; local: 2 layers, 2 heads of 8, 16 positions (P = 4 rounded up).
  assert.equal(
    engine.cacheBytesPerSegment,
    2 * 2 * 16 * (2 * 16 + 2 * 16 + 8) + 2 * 2 * 16 * (2 * 8 + 2 * 8 + 8),
  );
  assert.equal(engine.config.context, 64);
  engine.close();
});

Deno.test("createEngine() batches free their memory on close, so repeated batches do not grow it", () => {
  const engine = createEngine(randomModel(SMALL_CONFIG, 4));
  const run = () => {
    const batch = engine.start(5);
    const tables = new Uint32Array(5 * 256);
    for (let t = 0; t < 10; t++) {
      batch.predict(tables);
      batch.advance(new Uint8Array(5).fill(t));
    }
    batch.close();
    batch.close(); // twice is harmless
  };
  run();
  const first = engine.predictSegment(new Uint8Array([1, 2, 3]));
  for (let i = 0; i < 20; i++) run();
  assert.deepEqual(engine.predictSegment(new Uint8Array([1, 2, 3])), first);
  engine.close();
});

Deno.test("createEngine() runs int4 tables (model file version 3) as the int8 file of the same levels", () => {
  const config = ENGINE_TEST_CONFIGS.find((c) => (c.hashOrders ?? 0) > 0)!;
  const v3 = readModelFile(writeModelFile(randomModel(config, 5), { tableDtype: "int4" }));
  const int8 = writeModelFile(v3); // the same int4 levels as int8 bytes
  assert.equal(int8[8], 2); // Format_Version
  const v2 = readModelFile(int8);
  assert.notDeepEqual(v2.hash, v3.hash);
  const bytes = new Rng(6).bytes(config.context - 1);
  const a = createEngine(v3), b = createEngine(v2);
  assert.deepEqual(a.predictSegment(bytes), b.predictSegment(bytes));
  const logits = a.logits(bytes), reference = referenceLogits(v3, bytes);
  assert.deepEqual(new Uint32Array(logits.buffer), new Uint32Array(reference.buffer));
  a.close();
  b.close();
});
