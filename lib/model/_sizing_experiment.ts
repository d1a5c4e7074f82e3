/**
 * Internal script: the short CPU training runs behind the sizes of `configs.ts`
 * (their figures are in `lib/model/README.md`). Not part of the library; the real trainer is
 * `lib/train`. It trains one config for a fixed number of steps on random windows of
 * `data/*` (the decompressed training corpus) and reports validation bits per byte on fixed
 * windows of `../shared/corpora/valid`, every category alike.
 *
 *     deno run -A lib/model/_sizing_experiment.ts NAME 'CONFIG_JSON' [STEPS] [BATCH] [SEED]
 *
 * It runs on tfjs's wasm backend (about 5× the cpu backend here) and saves the final weights as
 * `runs/sizing/NAME/model.mgb` (float32) for the dtype comparison of FORMAT.md.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { useTrainBackend } from "../train/train_backend.ts";
import type { MegabyteConfig } from "./config.ts";
import { flopsPerByte, Megabyte, paramCount } from "./megabyte.ts";
import { writeModelFile } from "./model_file_write.ts";
import { prng } from "./_test_util.ts";

const [name, configJson, stepsArg, batchArg, seedArg] = Deno.args;
if (name === undefined || configJson === undefined) {
  console.error("usage: _sizing_experiment.ts NAME CONFIG_JSON [STEPS] [BATCH] [SEED]");
  Deno.exit(2);
}
const config = JSON.parse(configJson) as MegabyteConfig;
const steps = Number(stepsArg ?? 250);
const batch = Number(batchArg ?? 16);
const seed = Number(seedArg ?? 1337); // init weights and training windows; validation is fixed
const T = config.context;
const MAX_LR = 3e-3;
const MIN_LR = 3e-4;
const WARMUP = 20;
const VALID_WINDOWS_PER_FILE = 12;

tf.enableProdMode();
await useTrainBackend("wasm");

const root = new URL("../../", import.meta.url);
const trainFiles: Uint8Array[] = [];
for (
  const entry of [...Deno.readDirSync(new URL("data/", root))].sort((a, b) =>
    a.name.localeCompare(b.name)
  )
) {
  trainFiles.push(Deno.readFileSync(new URL(`data/${entry.name}`, root)));
}
const validDir = new URL("../shared/corpora/valid/", root);
const validFiles = [...Deno.readDirSync(validDir)].map((e) => e.name).sort();

/** `count` windows of T bytes from the files, each file alike. */
function windows(files: Uint8Array[], count: number, random: () => number): Int32Array {
  const out = new Int32Array(count * T);
  for (let i = 0; i < count; i++) {
    const file = files[i % files.length];
    const start = Math.floor(random() * (file.length - T));
    out.set(file.subarray(start, start + T), i * T);
  }
  return out;
}

const validRandom = prng(4242);
const valid = windows(
  validFiles.map((f) => Deno.readFileSync(new URL(f, validDir))),
  VALID_WINDOWS_PER_FILE * validFiles.length,
  validRandom,
);

/** Mean validation bits per byte over the fixed windows. */
function validBpb(model: Megabyte): number {
  let nats = 0;
  const n = valid.length / T;
  for (let i = 0; i < n; i += 8) {
    const rows = Math.min(8, n - i);
    const x = tf.tensor2d(valid.subarray(i * T, (i + rows) * T), [rows, T], "int32");
    const loss = model.loss(x);
    nats += loss.dataSync()[0] * rows;
    tf.dispose([x, loss]);
  }
  return nats / n / Math.LN2;
}

const model = new Megabyte(config, { seed });
const optimizer = tf.train.adam(MAX_LR, 0.9, 0.98, 1e-8);
const random = prng(seed);
const params = paramCount(config);
console.log(
  JSON.stringify({ name, config, params, flopsPerByte: flopsPerByte(config), steps, batch }),
);
const t0 = performance.now();
let trainLoss = 0;
let finalBpb = NaN;
for (let step = 1; step <= steps; step++) {
  const progress = Math.max(0, (step - WARMUP) / (steps - WARMUP));
  (optimizer as unknown as { learningRate: number }).learningRate = step <= WARMUP
    ? MAX_LR * step / WARMUP
    : MIN_LR + 0.5 * (MAX_LR - MIN_LR) * (1 + Math.cos(Math.PI * progress));
  const x = tf.tensor2d(windows(trainFiles, batch, random), [batch, T], "int32");
  const cost = optimizer.minimize(() => model.loss(x), true)!;
  trainLoss = 0.9 * trainLoss + 0.1 * cost.dataSync()[0] / Math.LN2;
  tf.dispose([x, cost]);
  if (step % 50 === 0 || step === steps) {
    const seconds = (performance.now() - t0) / 1000;
    const line: Record<string, number> = {
      step,
      trainBpb: trainLoss,
      seconds,
      bytesPerSecond: step * batch * T / seconds,
    };
    if (step === steps) line.validBpb = finalBpb = validBpb(model);
    console.log(JSON.stringify(line));
  }
}
const out = new URL(`runs/sizing/${name}/`, root);
Deno.mkdirSync(out, { recursive: true });
Deno.writeFileSync(
  new URL("model.mgb", out),
  writeModelFile({
    name,
    config,
    tensors: model.exportTensors(),
    metadata: { data: "data/* windows", steps, bytesSeen: steps * batch * T, validBpb: finalBpb },
  }, { dtype: "float32" }),
);
