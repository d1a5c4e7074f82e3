/**
 * Float bits per byte of a model on whole windows of its context (tfjs, wasm backend), for
 * comparisons between models or with some of a model's hashed n-gram tables zeroed: up to
 * `--windows` windows from each file's start (the default), or that many spread evenly over the file
 * (`--spread`, as the trainer picks validation windows), then one line per file, or per window with
 * `--per-window`; `--buckets=B` adds the bpb of each of B equal spans of window positions (the
 * first span has the least context). The figures of models/training/README.md's run 10 come from it.
 * `--history=BYTES` looks up the match row of a model that has one (`config.matchLength`) in up to
 * that many bytes of the file before each window as well, as the trainer's `--match-history` does
 * and as the "mix-long" block method does within its segment (codec/FORMAT.md, Appendix D); give it
 * whole files, not cut windows.
 *
 *   deno run --allow-read --allow-env bench/window_bpb.ts [--model=PATH] [--windows=16] [--spread]
 *     [--per-window] [--zero-tables=2,3,...] [--buckets=8] [--history=65536] [--backend=wasm] FILE...
 *
 * On the device, `--backend=webgpu` (with `--unstable-webgpu`) runs it on the GPU.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { parseArgsOrExit } from "./_args.ts";
import { ngramTensor } from "../lib/model/megabyte.ts";
import { FileMatchIndex } from "../lib/model/match.ts";
import { byteLogProbs, DEFAULT_MODEL, openFloatModel } from "./_float_model.ts";

const { values, positionals } = parseArgsOrExit("window_bpb", import.meta.url, {
  options: {
    model: { type: "string", default: DEFAULT_MODEL },
    windows: { type: "string", default: "16" },
    spread: { type: "boolean", default: false },
    "per-window": { type: "boolean", default: false },
    "zero-tables": { type: "string", default: "" },
    buckets: { type: "string", default: "1" },
    history: { type: "string", default: "0" },
    backend: { type: "string", default: "wasm" },
  },
  allowPositionals: true,
});
const { file, model } = await openFloatModel(values.model!, values.backend!);
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

const H = Number(values.history); // bytes of history for the match row
const k = file.config.matchLength ?? 0;
if (!(Number.isSafeInteger(H) && H >= 0)) {
  throw new RangeError(`--history must be a whole number of bytes, got ${values.history}`);
}
if (H > 0 && k === 0) throw new RangeError("--history needs a model with a match row");

const S = Number(values.buckets); // spans of positions
if (!(Number.isInteger(S) && S >= 1 && T % S === 0)) {
  throw new RangeError(`--buckets must divide the context ${T}, got ${values.buckets}`);
}

/**
 * Bits per byte of each window of `bytes` starting at `starts`, four windows at a time; and, over
 * all of them, of each of S equal spans of positions in the window (how much more context helps).
 */
async function windowBpb(
  bytes: Uint8Array,
  starts: number[],
): Promise<{ windows: number[]; spans: number[] }> {
  const index = H > 0 ? new FileMatchIndex(bytes, k) : undefined;
  const out: number[] = [];
  const spans = new Float64Array(S);
  for (let i = 0; i < starts.length; i += 4) {
    const batch = starts.slice(i, i + 4);
    const x = new Uint8Array(batch.length * T);
    batch.forEach((s, j) => x.set(bytes.subarray(s, s + T), j * T));
    // With history: window j's rows look back up to H bytes before its start (−1: no match).
    const rows = index && new Int32Array(batch.length * T);
    batch.forEach((s, j) => rows?.set(index!.windowRows(s, T, H), j * T));
    const bits = tf.tidy(() => {
      const ids = tf.tensor2d(Int32Array.from(x), [batch.length, T], "int32"); // (n, T)
      const logp = byteLogProbs(model, ids, ngramTensor(file.config, x, batch.length, T, rows)); // (n, T)
      const bySpan = tf.sum(tf.reshape(logp, [batch.length, S, T / S]), [0, 2]); // (n, S, T/S) -> (S)
      return [tf.div(tf.sum(logp, 1), -Math.LN2 * T), bySpan]; // (n), (S)
    });
    out.push(...await bits[0].data());
    (await bits[1].data()).forEach((v, b) => spans[b] += v);
    tf.dispose(bits);
  }
  const perSpan = starts.length * (T / S);
  return { windows: out, spans: Array.from(spans, (v) => v / (-Math.LN2 * perSpan)) };
}

const label = `${values.model!.split("/").pop()}${zeroed.length ? ` zero ${zeroed}` : ""}${
  H > 0 ? ` history ${H}` : ""
}`;
console.log(
  [
    "model",
    "file",
    "windows",
    values["per-window"] ? "bpb per window" : "bpb",
    ...(S > 1 ? [`bpb of each ${T / S} positions of the window`] : []),
  ].join("\t"),
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
  const { windows: bpb, spans } = await windowBpb(bytes, starts);
  const shown = values["per-window"]
    ? bpb.map((b) => b.toFixed(3)).join(" ")
    : (bpb.reduce((a, b) => a + b, 0) / bpb.length).toFixed(4);
  const bySpan = S > 1 ? [spans.map((b) => b.toFixed(3)).join(" ")] : [];
  console.log([label, path.split("/").pop(), n, shown, ...bySpan].join("\t"));
}
model.dispose();
