/**
 * Bits per byte of a model by position within the patch (float evaluation, tfjs wasm backend), on
 * the first windows of each file: a MEGABYTE model whose local model uses the bytes before it in
 * the patch codes later positions better than position 0, which only the global model informs.
 * `--ablate` adds two rows per file: the local model without the bytes of the patch
 * (`local.byte_emb` zeroed) and without the global model's context (`g2l.w` zeroed), to show how
 * much each position takes from either.
 *
 *   deno run --allow-read --allow-env bench/patch_position.ts [--model=PATH] [--windows=4] [--ablate] FILE...
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { parseArgsOrExit } from "./_args.ts";
import { ngramTensor } from "../lib/model/megabyte.ts";
import { byteLogProbs, DEFAULT_MODEL, openFloatModel } from "./_float_model.ts";

const { values, positionals } = parseArgsOrExit("patch_position", import.meta.url, {
  options: {
    model: { type: "string", default: DEFAULT_MODEL },
    windows: { type: "string", default: "4" },
    ablate: { type: "boolean", default: false },
  },
  allowPositionals: true,
});
const { file, model } = await openFloatModel(values.model!, "wasm");
const { context: T, patchSize: P } = file.config;
/** The model as is, then (with --ablate) without the patch's bytes, then without the global model. */
const VARIANTS: { label: string; zero?: string }[] = [
  { label: "" },
  { label: " (no bytes of the patch)", zero: "local.byte_emb" },
  { label: " (no global context)", zero: "g2l.w" },
];
console.log(["file", "windows", ...Array.from({ length: P }, (_, p) => `p${p}`), "all"].join("\t"));
for (const path of positionals) {
  const bytes = await Deno.readFile(path);
  const n = Math.min(Number(values.windows), Math.floor(bytes.length / T));
  if (n === 0) continue; // shorter than one window
  for (const variant of values.ablate ? VARIANTS : VARIANTS.slice(0, 1)) {
    if (values.ablate) { // each variant its own weights: the file's, one tensor zeroed or none
      const tensors = new Map(file.tensors);
      if (variant.zero !== undefined) {
        const t = tensors.get(variant.zero)!;
        tensors.set(variant.zero, { shape: t.shape, data: new Float32Array(t.data.length) });
      }
      model.importTensors(tensors);
    }
    const bits = tf.tidy(() => {
      const x = tf.tensor2d(Int32Array.from(bytes.subarray(0, n * T)), [n, T], "int32"); // (n, T)
      const grams = ngramTensor(file.config, bytes, n, T); // (n, T, G) or none
      return tf.div(tf.neg(byteLogProbs(model, x, grams)), Math.LN2); // (n, T)
    });
    const v = await bits.data();
    bits.dispose();
    const sum = new Float64Array(P);
    for (let i = 0; i < v.length; i++) sum[i % P] += v[i];
    const perPos = Array.from(sum, (s) => (s / (v.length / P)).toFixed(3));
    const all = (sum.reduce((a, b) => a + b, 0) / v.length).toFixed(3);
    console.log([path.split("/").pop() + variant.label, n, ...perPos, all].join("\t"));
  }
}
model.dispose();
