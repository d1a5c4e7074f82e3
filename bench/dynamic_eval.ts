/**
 * Dynamic evaluation (Krause et al. 2018, 2019): float bits per byte of whole files when the model
 * keeps training on each file as it reads it. The file is cut into the model's windows as
 * `float_eval.ts` cuts it; each window is scored with the weights as they stand, then one AdamW
 * step is taken on that window's loss, so every byte is predicted by weights that have seen only
 * the bytes before it (a coder could do the same). Each file starts again from the model's weights
 * with a fresh optimizer. With learning rate 0 the figures are `float_eval.ts`'s raw column.
 *
 * It measures what adaptation within a file would buy the model alone; the codec does not do it.
 *
 *   deno run --allow-read --allow-write --allow-env bench/dynamic_eval.ts [--long]
 *     [--backend wasm|cpu|webgpu] [--lrs 0,1e-5,3e-5] [--vars REGEX] [--beta2 0.98] [--limit N]
 *     [--tables DIR] FILE...
 *
 * `--vars` picks the parameters that adapt by name (lib/model/ARCHITECTURE.md), e.g. `^local\.`
 * for the local model and its tables; `--limit` scores only each file's first N windows.
 *
 * `--tables DIR` (with one learning rate) also writes the adapting model's integer tables for
 * every byte (`freqsFromLogits` of its float logits, as the engine turns logits into a table) of
 * files of at most one block (1 MiB, as `sse_bpb.ts` reads them), where `bench/sse_bpb.ts --cache
 * DIR` reads a model's tables: then `sse_bpb.ts` gives what the adaptation would do to the
 * archives' block methods 4, 5 and 6 (it computes cm's tables itself).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { parseArgsOrExit } from "./_args.ts";
import { ngramTensor } from "../lib/model/megabyte.ts";
import { DEFAULT_BLOCK_SIZE } from "../codec/_common/format.ts";
import { AdamW } from "../lib/train/adamw.ts";
import { freqsFromLogits } from "../lib/engine/reference.ts";
import { blockMatchRows, DEFAULT_MODEL, openFloatModel } from "./_float_model.ts";
import { keptTablesPath, writeKeptTables } from "./sse_bpb.ts";

const { values, positionals } = parseArgsOrExit("dynamic_eval", import.meta.url, {
  options: {
    backend: { type: "string", default: "wasm" },
    model: { type: "string", default: DEFAULT_MODEL },
    long: { type: "boolean", default: false },
    lrs: { type: "string", default: "0,1e-5,3e-5,1e-4" },
    vars: { type: "string", default: "." },
    beta2: { type: "string", default: "0.98" },
    limit: { type: "string", default: "0" },
    tables: { type: "string" },
  },
  allowPositionals: true,
});
const { file, model } = await openFloatModel(values.model!, values.backend!);
const T = file.config.context;
const lrs = values.lrs!.split(",").map(Number);
const pick = new RegExp(values.vars!);
const limit = Number(values.limit);
const tablesDir = values.tables;
if (tablesDir !== undefined) {
  if (lrs.length !== 1) throw new RangeError("--tables takes one learning rate in --lrs");
  Deno.mkdirSync(tablesDir, { recursive: true });
}
/** Gradients clipped to this global norm, as in training. */
const MAX_NORM = 1;

/** The model's own weights, restored before each file. */
function restore(): void {
  model.importTensors(file.tensors);
}

/**
 * Bits of `bytes` (one window, or the file's tail) under the current weights, then a step; with
 * `tables`, the weights' integer tables of those bytes, 256 entries per byte, written there first.
 */
async function scoreThenStep(
  bytes: Uint8Array,
  rows: Int32Array | undefined,
  adapting: readonly (readonly [string, tf.Variable])[],
  optimizer: AdamW | undefined,
  lr: number,
  tables?: Uint32Array,
): Promise<number> {
  const L = bytes.length;
  const x = tf.tensor2d(Int32Array.from(bytes), [1, L], "int32"); // (1, L)
  const grams = ngramTensor(file.config, bytes, 1, L, rows); // (1, L, G) or none
  if (tables !== undefined) {
    const logits = model.logits(x, grams); // (1, L, 256)
    const all = await logits.data() as Float32Array;
    logits.dispose();
    for (let i = 0; i < L; i++) {
      freqsFromLogits(all.subarray(i * 256, (i + 1) * 256), tables.subarray(i * 256));
    }
  }
  let nats: number;
  if (optimizer === undefined) {
    const loss = tf.tidy(() => model.loss(x, grams)); // () mean nats per byte
    nats = (await loss.data())[0] * L;
    loss.dispose();
  } else {
    const { value, grads } = tf.variableGrads(
      () => model.loss(x, grams),
      adapting.map(([, v]) => v),
    );
    const named = new Map<string, tf.Tensor>(adapting.map(([name, v]) => [name, grads[v.name]]));
    const norm = optimizer.apply(named, lr, MAX_NORM); // ()
    nats = (await value.data())[0] * L;
    tf.dispose([value, norm, ...Object.values(grads)]);
  }
  tf.dispose([x, grams]);
  return nats / Math.LN2;
}

console.log(
  `# vars /${values.vars}/, beta2 ${values.beta2}, ${values.long ? "long" : "window"} rows`,
);
console.log("file\tbytes\tlr\tfloat bpb\tseconds");
for (const path of positionals) {
  const all = await Deno.readFile(path);
  if (tablesDir !== undefined && all.length > DEFAULT_BLOCK_SIZE) {
    throw new RangeError(`--tables takes files of at most ${DEFAULT_BLOCK_SIZE} bytes: ${path}`);
  }
  const rows = values.long ? blockMatchRows(file.config, all) : undefined;
  const windows = Math.ceil(all.length / T);
  const n = limit > 0 ? Math.min(limit, windows) : windows;
  const end = Math.min(all.length, n * T);
  for (const lr of lrs) {
    restore();
    const adapting = [...model.variables].filter(([name]) => pick.test(name));
    const optimizer = lr > 0
      ? new AdamW(new Map(adapting), { weightDecay: 0, beta2: Number(values.beta2) })
      : undefined;
    const start = performance.now();
    let bits = 0;
    const tables = tablesDir === undefined ? undefined : new Uint32Array(end * 256);
    for (let w = 0; w < n; w++) {
      const from = w * T, to = Math.min(end, from + T);
      const window = tables?.subarray(from * 256, to * 256);
      bits += await scoreThenStep(
        all.subarray(from, to),
        rows?.subarray(from, to),
        adapting,
        optimizer,
        lr,
        window,
      );
    }
    optimizer?.dispose();
    if (tables !== undefined && tablesDir !== undefined) {
      writeKeptTables(keptTablesPath(tablesDir, path, "nn"), tables);
    }
    const seconds = ((performance.now() - start) / 1000).toFixed(1);
    console.log(`${path}\t${end}\t${lr}\t${(bits / end).toFixed(4)}\t${seconds}`);
  }
}
model.dispose();
