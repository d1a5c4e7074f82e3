/**
 * Float bits per byte of a model on whole windows of its context (tfjs, wasm backend), for
 * comparisons between models or with some of a model's hashed n-gram tables zeroed: up to
 * `--windows` windows from each file's start (the default), or that many spread evenly over the file
 * (`--spread`, as the trainer picks validation windows), then one line per file, or per window with
 * `--per-window`. The figures of models/training/README.md's run 10 come from it.
 *
 *   deno run --allow-read --allow-env bench/window_bpb.ts [--model=PATH] [--windows=16] [--spread]
 *     [--per-window] [--zero-tables=2,3,...] FILE...
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { parseArgs } from "node:util";
import { ngramTensor } from "../lib/model/megabyte.ts";
import { byteLogProbs, DEFAULT_MODEL, openFloatModel } from "./_float_model.ts";

const { values, positionals } = parseArgs({
  options: {
    model: { type: "string", default: DEFAULT_MODEL },
    windows: { type: "string", default: "16" },
    spread: { type: "boolean", default: false },
    "per-window": { type: "boolean", default: false },
    "zero-tables": { type: "string", default: "" },
  },
  allowPositionals: true,
});
const { file, model } = await openFloatModel(values.model!, "wasm");
const T = file.config.context;
const zeroed = values["zero-tables"]!.split(",").filter((s) => s !== "");
if (zeroed.length > 0) {
  const tensors = new Map(file.tensors);
  for (const n of zeroed) {
    const name = `local.ngram${n}_emb`;
    const t = file.tensors.get(name);
    if (t === undefined) throw new RangeError(`The model has no table ${name}`);
    tensors.set(name, { shape: t.shape, data: new Float32Array(t.data.length) });
  }
  model.importTensors(tensors);
}

/** Bits per byte of each window of `bytes` starting at `starts`, four windows at a time. */
async function windowBpb(bytes: Uint8Array, starts: number[]): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < starts.length; i += 4) {
    const batch = starts.slice(i, i + 4);
    const x = new Uint8Array(batch.length * T);
    batch.forEach((s, j) => x.set(bytes.subarray(s, s + T), j * T));
    const bits = tf.tidy(() => {
      const ids = tf.tensor2d(Int32Array.from(x), [batch.length, T], "int32"); // (n, T)
      const logp = byteLogProbs(model, ids, ngramTensor(file.config, x, batch.length, T)); // (n, T)
      return tf.div(tf.sum(logp, 1), -Math.LN2 * T); // (n)
    });
    out.push(...await bits.data());
    bits.dispose();
  }
  return out;
}

const label = `${values.model!.split("/").pop()}${zeroed.length ? ` zero ${zeroed}` : ""}`;
console.log(
  ["model", "file", "windows", values["per-window"] ? "bpb per window" : "bpb"].join("\t"),
);
for (const path of positionals) {
  const bytes = await Deno.readFile(path);
  const span = bytes.length - T; // last start
  if (span < 0) continue; // shorter than one window
  const n = Math.min(Number(values.windows), Math.floor(bytes.length / T));
  const starts = Array.from(
    { length: n },
    (_, i) => values.spread ? (n === 1 ? 0 : Math.floor((i * span) / (n - 1))) : i * T,
  );
  const bpb = await windowBpb(bytes, starts);
  const shown = values["per-window"]
    ? bpb.map((b) => b.toFixed(3)).join(" ")
    : (bpb.reduce((a, b) => a + b, 0) / bpb.length).toFixed(4);
  console.log([label, path.split("/").pop(), n, shown].join("\t"));
}
model.dispose();
