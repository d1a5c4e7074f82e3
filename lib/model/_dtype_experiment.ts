/**
 * Internal script: size against validation bits per byte of one trained model stored as float32,
 * float16 and int8 (the measurement behind FORMAT.md Appendix B and the writer's default dtype).
 *
 *     deno run -A lib/model/_dtype_experiment.ts runs/sizing/p8/model.mgb [WINDOWS_PER_FILE]
 *
 * Evaluates every variant on the same fixed windows of `../shared/corpora/valid` (tfjs wasm
 * backend), each category alike, and prints one JSON line per dtype.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { useTrainBackend } from "../train/train_backend.ts";
import { Megabyte } from "./megabyte.ts";
import { readModelFile } from "./model_file_read.ts";
import { writeModelFile } from "./model_file_write.ts";
import { prng } from "./_test_util.ts";

const [path, perFileArg] = Deno.args;
if (path === undefined) {
  console.error("usage: _dtype_experiment.ts MODEL.mgb [WINDOWS_PER_FILE]");
  Deno.exit(2);
}
tf.enableProdMode();
await useTrainBackend("wasm");

const source = readModelFile(Deno.readFileSync(path));
const T = source.config.context;
const perFile = Number(perFileArg ?? 12);
const validDir = new URL("../../../shared/corpora/valid/", import.meta.url);
const random = prng(4242);
const rows: number[] = [];
for (const name of [...Deno.readDirSync(validDir)].map((e) => e.name).sort()) {
  const file = Deno.readFileSync(new URL(name, validDir));
  for (let i = 0; i < perFile; i++) {
    const start = Math.floor(random() * (file.length - T));
    rows.push(...file.subarray(start, start + T));
  }
}
const windows = rows.length / T;

for (const dtype of ["float32", "float16", "int8"] as const) {
  const bytes = writeModelFile(source, { dtype });
  const model = new Megabyte(source.config);
  model.importTensors(readModelFile(bytes).tensors);
  let nats = 0;
  for (let i = 0; i < windows; i += 8) {
    const n = Math.min(8, windows - i);
    nats += tf.tidy(() =>
      model.loss(tf.tensor2d(rows.slice(i * T, (i + n) * T), [n, T], "int32")).dataSync()[0]
    ) * n;
  }
  model.dispose();
  console.log(
    JSON.stringify({ dtype, bytes: bytes.length, validBpb: nats / windows / Math.LN2, windows }),
  );
}
