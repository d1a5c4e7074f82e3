import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { LEVELS } from "../model/configs.ts";
import { Megabyte } from "../model/megabyte.ts";
import { useTrainBackend } from "./train_backend.ts";

Deno.test("useTrainBackend() runs the model on wasm with the cpu backend's loss", async () => {
  const x = Int32Array.from({ length: 2 * 64 }, (_, i) => (i * 37) % 256);
  const loss = async (backend: "cpu" | "wasm") => {
    await useTrainBackend(backend);
    assert.equal(tf.getBackend(), backend);
    const model = new Megabyte(LEVELS.tiny, { seed: 5 });
    const value = tf.tidy(() => model.loss(tf.tensor2d(x, [2, 64], "int32")));
    const nats = (await value.data())[0];
    value.dispose();
    model.dispose();
    return nats;
  };
  const cpu = await loss("cpu");
  const wasm = await loss("wasm");
  assert.ok(Math.abs(cpu - wasm) < 1e-4, `cpu ${cpu}, wasm ${wasm}`);
  await useTrainBackend("cpu");
});

Deno.test("useTrainBackend() rejects an unknown backend", async () => {
  await assert.rejects(useTrainBackend("gpu" as "cpu"), TypeError);
});
