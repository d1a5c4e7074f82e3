/**
 * Float evaluation of a model file with tfjs: bits per byte of whole files cut into independent
 * segments of the model's context, as the codec cuts them. The exact engine's coded bits
 * (`bench/model_eval.ts`, neural column) must agree within 1% (issue: exact engine).
 *
 *   deno run --allow-read --allow-env bench/float_eval.ts [--backend wasm|cpu] FILE...
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { parseArgs } from "node:util";
import { loadModel } from "../lib/model/model_file_read.ts";
import { Megabyte } from "../lib/model/megabyte.ts";
import { useTrainBackend } from "../lib/train/train_backend.ts";

const { values, positionals } = parseArgs({
  options: {
    backend: { type: "string", default: "wasm" },
    model: { type: "string", default: new URL("../models/default.mgb", import.meta.url).pathname },
  },
  allowPositionals: true,
});
await useTrainBackend(values.backend as "wasm" | "cpu");
const file = await loadModel(values.model!);
const model = new Megabyte(file.config);
model.importTensors(file.tensors);
const T = file.config.context;
/** Full-length segments go through the model this many at a time. */
const BATCH = 8;
for (const path of positionals) {
  const bytes = await Deno.readFile(path);
  let nats = 0;
  const full = Math.floor(bytes.length / T);
  for (let first = 0; first < full; first += BATCH) {
    const n = Math.min(BATCH, full - first);
    const x = tf.tensor2d(
      Int32Array.from(bytes.subarray(first * T, (first + n) * T)),
      [n, T],
      "int32",
    );
    const loss = model.loss(x); // mean over n·T bytes
    nats += (await loss.data())[0] * n * T;
    tf.dispose([x, loss]);
  }
  if (full * T < bytes.length) {
    const seg = bytes.subarray(full * T);
    const x = tf.tensor2d(Int32Array.from(seg), [1, seg.length], "int32");
    const loss = model.loss(x);
    nats += (await loss.data())[0] * seg.length;
    tf.dispose([x, loss]);
  }
  console.log(`${path}\t${bytes.length}\t${(nats / Math.LN2 / bytes.length).toFixed(4)}`);
}
model.dispose();
