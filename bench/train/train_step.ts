/**
 * `deno task bench:train`: times one MEGABYTE training step on a tfjs backend and, with
 * `--profile`, lists where the kernel time goes (tf.profile; on webgpu the kernel times come from
 * timestamp queries). Run on the GPU machine (../shared/DEVICE.md):
 *
 *   deno run --unstable-webgpu --allow-read --allow-write --allow-env bench/train/train_step.ts \
 *     --backend webgpu --config '{"patchSize":8,...}' --batch 8 --steps 3 --profile --out x.json
 *
 * `--config` is a level name (`default`, `local4`, …) or JSON fields over DEVICE.md's shape.
 * `--step trainer` (the default) times `megazip train`'s step (lib/train/step.ts: the batch
 * uploaded, forward, backward, AdamW with clipping, loss and norm read back); `--step adam` the
 * step of rows 0–4 of RESULTS.md (tfjs's Adam, no clipping, one batch kept on the device).
 *
 * Effective TFLOP/s counts 6 × forward FLOPs per byte (lib/model/flops.ts) × bytes per second.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { exitWithUsageError, parseArgsOrExit } from "../_args.ts";
import { type BackendName, setBackend } from "../../lib/model/backend.ts";
import { flopsPerByte, Megabyte, ngramTensor, paramCount } from "../../lib/model/megabyte.ts";
import type { MegabyteConfig } from "../../lib/model/config.ts";
import { LEVELS } from "../../lib/model/configs.ts";
import { AdamW } from "../../lib/train/adamw.ts";
import { trainStep } from "../../lib/train/step.ts";

/** The step DEVICE.md measured at ~20 s: global 4×512 over 1024 patches of 8, local 2×128. */
const DEVICE_MD_CONFIG: MegabyteConfig = {
  patchSize: 8,
  globalDim: 64,
  globalLayers: 4,
  globalHeads: 8,
  localDim: 128,
  localLayers: 2,
  localHeads: 4,
  context: 8192,
  mlpRatio: 4,
};

const { values } = parseArgsOrExit("bench:train", import.meta.url, {
  options: {
    backend: { type: "string", default: "webgpu" },
    config: { type: "string" },
    batch: { type: "string", default: "8" },
    steps: { type: "string", default: "3" },
    step: { type: "string", default: "trainer" },
    profile: { type: "boolean", default: false },
    out: { type: "string" },
  },
});
// Checked before the backend starts, as one line rather than a stack trace.
if (values.step !== "trainer" && values.step !== "adam") {
  exitWithUsageError(
    "bench:train",
    import.meta.url,
    `--step must be trainer or adam, not ${values.step}`,
  );
}

/** --config: a level of lib/model/configs.ts by name, or JSON fields over DEVICE.md's shape. */
function configOf(text: string | undefined): MegabyteConfig {
  if (text === undefined) return DEVICE_MD_CONFIG;
  if (Object.hasOwn(LEVELS, text)) return LEVELS[text];
  let fields: unknown;
  try {
    fields = JSON.parse(text);
  } catch (error) {
    exitWithUsageError(
      "bench:train",
      import.meta.url,
      `--config ${text} is neither a level name nor JSON: ${(error as Error).message}`,
    );
  }
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) {
    exitWithUsageError(
      "bench:train",
      import.meta.url,
      `--config ${text} is neither a level name nor a JSON object`,
    );
  }
  return { ...DEVICE_MD_CONFIG, ...fields };
}
const config = configOf(values.config);
const B = Number(values.batch);
const steps = Number(values.steps);
for (const [flag, n] of [["--batch", B], ["--steps", steps]] as const) {
  if (!Number.isInteger(n) || n < 1) {
    exitWithUsageError("bench:train", import.meta.url, `${flag} must be a whole number ≥ 1`);
  }
}
await setBackend(values.backend as BackendName);
const model = new Megabyte(config, { seed: 1 });
const T = config.context;
const bytes = new Int32Array(B * T);
for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + (i >> 5)) & 255;

/** `megazip train`'s step: the batch uploaded, AdamW with clipping, loss and norm read back. */
function trainerStep(): () => Promise<number> {
  const adamW = new AdamW(model.variables);
  return async () => {
    const x = tf.tensor2d(bytes, [B, T], "int32"); // uploaded every step, as the trainer does
    const grams = ngramTensor(config, bytes, B, T); // hashed n-gram rows: built and uploaded too
    const both = trainStep(model, adamW, x, 3e-4, 1, grams);
    const v = (await both.data())[0];
    tf.dispose([x, grams, both]);
    return v;
  };
}

/** Rows 0–4's step: tfjs's Adam on one batch kept on the device. */
function adamStep(): () => Promise<number> {
  const adam = tf.train.adam(3e-4, 0.9, 0.98, 1e-8);
  const kept = tf.tensor2d(bytes, [B, T], "int32");
  const grams = ngramTensor(config, bytes, B, T);
  const vars = [...model.variables.values()];
  return async () => {
    const cost = adam.minimize(() => model.loss(kept, grams), true, vars)!;
    const v = (await cost.data())[0]; // one-element readback: waits for the GPU
    cost.dispose();
    return v;
  };
}

const step = values.step === "trainer" ? trainerStep() : adamStep();

const result: Record<string, unknown> = {
  backend: tf.getBackend(),
  step: values.step,
  config,
  batch: B,
  params: paramCount(config),
  flopsPerByte: flopsPerByte(config),
};
let t0 = performance.now();
const first = await step(); // warm-up: shader compilation
result.warmupMs = performance.now() - t0;
const times: number[] = [];
for (let s = 0; s < steps; s++) {
  t0 = performance.now();
  await step();
  times.push(performance.now() - t0);
}
const ms = times.reduce((a, b) => a + b, 0) / times.length;
const bytesPerSecond = (B * T) / (ms / 1000);
// The median too: on the H200 the first timed step of the trainer's step took 0.45 s against
// ~0.25 s for the rest (bench/train/RESULTS.md, row 5), which a mean of four steps hides.
const sorted = [...times].sort((a, b) => a - b);
const median = (sorted[(sorted.length - 1) >> 1] + sorted[sorted.length >> 1]) / 2;
Object.assign(result, {
  firstLoss: first,
  stepMs: times,
  meanStepMs: ms,
  medianStepMs: median,
  bytesPerSecond,
  tflops: 6 * flopsPerByte(config) * bytesPerSecond / 1e12,
});
if (values.profile) {
  const info = await tf.profile(async () => {
    await step();
  });
  const byName = new Map<string, { count: number; ms: number }>();
  for (const k of info.kernels) {
    const e = byName.get(k.name) ?? { count: 0, ms: 0 };
    e.count++;
    const t = await (k.kernelTimeMs as number | Promise<number>);
    e.ms += typeof t === "number" ? t : 0;
    byName.set(k.name, e);
  }
  const rows = [...byName.entries()].sort((a, b) => b[1].ms - a[1].ms);
  result.kernels = info.kernels.length;
  result.kernelTable = rows.map(([name, e]) => ({ name, ...e }));
  // The 15 slowest single kernels with shapes: where a custom kernel would pay.
  const singles = [];
  for (const k of info.kernels) {
    const t = await (k.kernelTimeMs as number | Promise<number>);
    singles.push({
      name: k.name,
      ms: typeof t === "number" ? t : 0,
      in: k.inputShapes,
      out: k.outputShapes,
    });
  }
  singles.sort((a, b) => b.ms - a.ms);
  result.slowest = singles.slice(0, 15);
}
const json = JSON.stringify(result, null, 1);
console.log(json);
if (values.out) await Deno.writeTextFile(values.out, json);
model.dispose();
