/**
 * The engine against the float tfjs evaluation of the same weights (`lib/model/megabyte.ts` on
 * the cpu backend): the two never agree bit for bit (the engine's products are integer), but the
 * log-probabilities must stay close and the bits per byte within 1%. The max abs difference of the
 * log-probabilities is printed. The engine itself imports no tfjs; this test does.
 *
 * The fixture written by the trainer (`*_fixture.json`, `lib/train/fixture.ts`) is checked the
 * same way, against its stored tfjs logits, when `tests/fixtures/` holds one.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { createEngine } from "../../lib/engine/engine.ts";
import { setBackend } from "../../lib/model/backend.ts";
import type { ModelFile } from "../../lib/model/model_file_types.ts";
import { Megabyte } from "../../lib/model/megabyte.ts";
import { LEVELS } from "../../lib/model/configs.ts";
import { randomModel } from "./_random_model.ts";

/** log-softmax of each 256-row, in float64. */
function logSoftmax(logits: Float32Array): Float64Array {
  const out = new Float64Array(logits.length);
  for (let r = 0; r < logits.length / 256; r++) {
    let m = -Infinity;
    for (let v = 0; v < 256; v++) m = Math.max(m, logits[r * 256 + v]);
    let s = 0;
    for (let v = 0; v < 256; v++) s += Math.exp(logits[r * 256 + v] - m);
    const lse = m + Math.log(s);
    for (let v = 0; v < 256; v++) out[r * 256 + v] = logits[r * 256 + v] - lse;
  }
  return out;
}

/** Compares engine and float logits of `bytes`: max |Δ log p| over all entries, and both bpb. */
function compareLogits(
  engine: Float32Array,
  float: Float32Array,
  bytes: Uint8Array,
): { maxAbsDiff: number; engineBpb: number; floatBpb: number } {
  const a = logSoftmax(engine), b = logSoftmax(float);
  let maxAbsDiff = 0, engineBits = 0, floatBits = 0;
  for (let i = 0; i < a.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[i] - b[i]));
  for (let t = 0; t < bytes.length; t++) {
    engineBits -= a[t * 256 + bytes[t]] / Math.LN2;
    floatBits -= b[t * 256 + bytes[t]] / Math.LN2;
  }
  return { maxAbsDiff, engineBpb: engineBits / bytes.length, floatBpb: floatBits / bytes.length };
}

function floatLogits(model: ModelFile, bytes: Uint8Array): Float32Array {
  const net = new Megabyte(model.config);
  net.importTensors(model.tensors);
  const x = tf.tensor2d(Array.from(bytes), [1, bytes.length], "int32");
  const logits = net.logits(x);
  const out = logits.dataSync() as Float32Array;
  tf.dispose([x, logits]);
  net.dispose();
  return out;
}

Deno.test("the engine's log-probabilities agree with tfjs's float forward pass; bpb within 1%", async () => {
  await setBackend("cpu");
  const text = new TextEncoder().encode(
    "MEGABYTE segments sequences into patches and uses a local submodel within patches and a " +
      "global model between patches. This enables sub-quadratic self-attention, much larger " +
      "feedforward layers for the same compute, and improved parallelism during decoding.",
  );
  for (
    const [label, config, seed] of [
      ["tiny", LEVELS.tiny, 7],
      ["tinyhash", LEVELS.tinyhash, 10], // its random tables move log p by up to 11 nats
      ["tinymatch", LEVELS.tinymatch, 11], // 4 of its 64 positions read a match row
      ["small", LEVELS.small, 8],
      ["default", LEVELS.default, 9],
    ] as const
  ) {
    const model = randomModel(config, seed);
    const bytes = text.subarray(0, Math.min(config.context, text.length));
    const engine = createEngine(model);
    const r = compareLogits(engine.logits(bytes), floatLogits(model, bytes), bytes);
    engine.close();
    console.log(
      `${label} random model: max |Δ log p| = ${r.maxAbsDiff.toExponential(2)} nats; ` +
        `bpb engine ${r.engineBpb.toFixed(4)} vs tfjs ${r.floatBpb.toFixed(4)}`,
    );
    assert.ok(
      Math.abs(r.engineBpb / r.floatBpb - 1) < 0.01,
      `${label}: bpb differs by more than 1%`,
    );
    assert.ok(r.maxAbsDiff < 0.1, `${label}: log-probabilities differ by ${r.maxAbsDiff}`);
  }
});
