/**
 * The exact engine's speed, single-threaded.
 *
 * - `deno bench --allow-read --allow-env bench/engine_bench.ts`: every matrix product of the model
 *   (the shipped `models/default.mgb` when present, else a seeded random model of its level,
 *   `local4`) as the engine runs it — quantize the rows, then the int16 SIMD kernel — against
 *   tfjs-backend-wasm's XNNPACK float32 `matMul` on the same shapes (the baseline of each group),
 *   then end-to-end prediction: whole segments (the encoder) and batched byte steps (the decoder).
 * - `deno run --allow-read --allow-env bench/engine_bench.ts`: the same kernels as a table of
 *   GFLOP/s (2·M·K·N per product) with the ratio to XNNPACK, and end-to-end KB/s, measured in
 *   process CPU time so that other processes on the machine distort it less.
 *
 * @module
 */
import process from "node:process";
import * as tf from "@tensorflow/tfjs-core";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { createEngine } from "../lib/engine/engine.ts";
import { WasmKernels } from "../lib/engine/kernels.ts";
import { int8Matrix, quantizeMatrix } from "../lib/engine/prepared_model.ts";
import type { MegabyteConfig } from "../lib/model/config.ts";
import { LEVELS } from "../lib/model/configs.ts";
import { flopsPerByte } from "../lib/model/flops.ts";
import { loadModel, readModelFile } from "../lib/model/model_file_read.ts";
import { writeModelFile } from "../lib/model/model_file_write.ts";
import type { ModelFile } from "../lib/model/model_file_types.ts";
import { ALPHABET } from "../lib/predict/predictor.ts";
import { randomModel, Rng } from "../tests/engine/_random_model.ts";
import { DEFAULT_MODEL_URL } from "../cli/_model.ts";

setWasmPaths(new URL("../node_modules/@tensorflow/tfjs-backend-wasm/dist/", import.meta.url).href);
await tf.setBackend("wasm");

/** The shipped model, or a random model of the same level stored as the writer's default (int8). */
async function benchModel(): Promise<ModelFile> {
  try {
    return await loadModel(DEFAULT_MODEL_URL);
  } catch {
    const { hash: _, ...model } = randomModel(LEVELS.local4, 1, "random-local4");
    return readModelFile(writeModelFile(model, { dtype: "int8" }));
  }
}

const MODEL = await benchModel();
const CONFIG: MegabyteConfig = MODEL.config;
/** Segments per decoder batch: the codec's default. */
const BATCH = 8;

/** One product x (M, K) @ W (K, N), as the engine runs it and as XNNPACK does. */
interface Shape {
  label: string;
  m: number;
  k: number;
  n: number;
}

function shapes(c: MegabyteConfig): Shape[] {
  const E = c.patchSize * c.globalDim, DL = c.localDim, r = c.mlpRatio;
  const K = c.context / c.patchSize;
  const out: Shape[] = [];
  for (const [where, m] of [["decode", BATCH], ["encode", K]] as const) {
    out.push({ label: `global ${where} wqkv`, m, k: E, n: 3 * E });
    out.push({ label: `global ${where} wo`, m, k: E, n: E });
    out.push({ label: `global ${where} w1`, m, k: E, n: r * E });
    out.push({ label: `global ${where} w2`, m, k: r * E, n: E });
  }
  for (const [where, m] of [["decode", BATCH], ["encode", c.context]] as const) {
    out.push({ label: `local ${where} wqkv`, m, k: DL, n: 3 * DL });
    out.push({ label: `local ${where} w1`, m, k: DL, n: r * DL });
    out.push({ label: `local ${where} w2`, m, k: r * DL, n: DL });
    out.push({ label: `local ${where} head`, m, k: DL, n: ALPHABET });
  }
  return out;
}

/**
 * The engine's product for one shape: quantize M rows, then the integer kernel (store epilogue),
 * with int16 weight panels (a float model file) or int8 ones (an int8 model file, the default).
 */
function engineProduct(kern: WasmKernels, s: Shape, rng: Rng, int8: boolean): () => void {
  const wm = int8
    ? int8Matrix(
      Int8Array.from({ length: s.k * s.n }, () => rng.int(255) - 127),
      rng.floats(s.n, 1e-4, 4e-4),
      s.k,
      s.n,
    )!
    : quantizeMatrix(rng.floats(s.k * s.n, 0.05), s.k, s.n);
  const packed = kern.packMatrix(wm);
  const kp = packed.kp;
  const x = kern.alloc(s.m * s.k * 4), aq = kern.alloc(s.m * kp * 2), as = kern.alloc(s.m * 4);
  const out = kern.alloc(s.m * s.n * 4);
  kern.f32(x, s.m * s.k).set(rng.floats(s.m * s.k));
  return () => {
    kern.quantize(x, s.k, s.m, s.k, kp, wm.qa, aq, as); // (M, K) -> int16 (M, Kp)
    kern.qmatmul(aq, as, s.m, packed, out, s.n, "store"); // (M, Kp) @ (Kp, N) -> (M, N)
  };
}

/** XNNPACK's float32 product for one shape (tfjs-backend-wasm runs it synchronously). */
function xnnpackProduct(s: Shape, rng: Rng): () => void {
  const a = tf.tensor2d(rng.floats(s.m * s.k), [s.m, s.k]);
  const b = tf.tensor2d(rng.floats(s.k * s.n, 0.05), [s.k, s.n]);
  return () => tf.matMul(a, b).dispose(); // (M, K) @ (K, N) -> (M, N)
}

const KERN = new WasmKernels();
const SHAPES = shapes(CONFIG);
const rng = new Rng(7);
const PRODUCTS = SHAPES.map((s) => ({
  s,
  int16: engineProduct(KERN, s, rng, false),
  int8: engineProduct(KERN, s, rng, true),
  xnn: xnnpackProduct(s, rng),
}));

for (const { s, int16, int8, xnn } of PRODUCTS) {
  const group = `${s.label} (${s.m}×${s.k} @ ${s.k}×${s.n}, ${
    (2 * s.m * s.k * s.n / 1e6).toFixed(1)
  } MFLOP)`;
  Deno.bench({ name: `xnnpack f32 ${s.label}`, group, baseline: true, fn: xnn });
  Deno.bench({ name: `engine int16 weights ${s.label}`, group, fn: int16 });
  Deno.bench({ name: `engine int8 weights ${s.label}`, group, fn: int8 });
}

/** Text for the end-to-end runs (a corpus file the model never trained on when present). */
function sample(bytes: number): Uint8Array {
  try {
    const text = Deno.readFileSync(
      new URL("../../shared/corpora/canterbury/alice29.txt", import.meta.url),
    );
    return text.subarray(0, bytes);
  } catch {
    return new Rng(3).bytes(bytes);
  }
}

const ENGINE = createEngine(MODEL);
const SEGMENT = sample(CONFIG.context);
/** Steps of the decoder runs: a full context, so attention spans every length. */
const STEPS = CONFIG.context;
const LONG = sample(BATCH * STEPS);

function decode(count: number): void {
  const batch = ENGINE.start(count);
  const tables = new Uint32Array(count * ALPHABET);
  const bytes = new Uint8Array(count);
  for (let t = 0; t < STEPS; t++) {
    batch.predict(tables);
    for (let b = 0; b < count; b++) bytes[b] = LONG[b * STEPS + t];
    batch.advance(bytes);
  }
  batch.close();
}

Deno.bench({
  name: `predictSegment, ${CONFIG.context} bytes (encoder)`,
  group: "end to end",
  n: 3,
  warmup: 1,
  fn: () => void ENGINE.predictSegment(SEGMENT),
});
Deno.bench({
  name: `predict+advance, 1 segment × ${STEPS} bytes (decoder)`,
  group: "end to end",
  n: 1,
  warmup: 0,
  fn: () => decode(1),
});
Deno.bench({
  name: `predict+advance, ${BATCH} segments × ${STEPS} bytes (decoder)`,
  group: "end to end",
  n: 1,
  warmup: 0,
  fn: () => decode(BATCH),
});

/** CPU seconds of this process so far (user + system). */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Runs `fn` (after one warm-up call) at least once and for about `seconds` of CPU time; returns CPU seconds per call. */
function timePerCall(fn: () => void, seconds: number, warmup = true): number {
  if (warmup) fn();
  let calls = 0;
  const start = cpuSeconds();
  let now = start;
  do {
    fn();
    calls++;
    now = cpuSeconds();
  } while (now - start < seconds);
  return (now - start) / calls;
}

if (import.meta.main) {
  console.log(
    `model ${MODEL.name}: ${JSON.stringify(CONFIG)}, ${
      (flopsPerByte(CONFIG) / 1e6).toFixed(2)
    } MFLOP/byte`,
  );
  console.log(
    "| product | M×K×N | engine, int16 weights | engine, int8 weights | XNNPACK f32 | ratios |",
  );
  console.log("| --- | --- | ---: | ---: | ---: | ---: |");
  let t16 = 0, t8 = 0, tx = 0;
  const gf = (flops: number, t: number) => (flops / t / 1e9).toFixed(1);
  for (const { s, int16, int8, xnn } of PRODUCTS) {
    const flops = 2 * s.m * s.k * s.n;
    const a = timePerCall(int16, 0.3), b = timePerCall(int8, 0.3), c = timePerCall(xnn, 0.3);
    t16 += a;
    t8 += b;
    tx += c;
    const ratios = `${(c / a).toFixed(2)}, ${(c / b).toFixed(2)}`;
    console.log(
      `| ${s.label} | ${s.m}×${s.k}×${s.n} | ${gf(flops, a)} | ${gf(flops, b)} | ${
        gf(flops, c)
      } | ${ratios} |`,
    );
  }
  const all = `int16 ${(tx / t16).toFixed(2)}, int8 ${(tx / t8).toFixed(2)}`;
  console.log(`all products, summed time, speed over XNNPACK: ${all}`);
  const kbs = (bytes: number, seconds: number) => (bytes / seconds / 1000).toFixed(1);
  const enc = timePerCall(() => ENGINE.predictSegment(SEGMENT), 2);
  console.log(`predictSegment (encoder): ${kbs(SEGMENT.length, enc)} KB/s per core`);
  for (const count of [1, BATCH]) {
    const t = timePerCall(() => decode(count), 0, false);
    console.log(`decoder, batch of ${count}: ${kbs(count * STEPS, t)} KB/s per core`);
  }
}
