/**
 * What a model pays for the bytes that a match predicts (float evaluation, tfjs wasm backend):
 * over the first `--windows` whole windows of each file, the bytes are split by their match row
 * (`lib/model/match.ts`, minimum length `--k`): none, a match shorter than `--long` bytes, or a
 * longer one, and for the long ones whether the match's next byte is right. Each group's share of
 * the bytes and its mean bits per byte under the model. The table of models/training/README.md
 * ("How much there is to gain") comes from it.
 *
 *   deno run --allow-read --allow-env bench/match_cost.ts [--model=PATH] [--windows=16] [--k=6]
 *     [--long=12] FILE...
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { parseArgsOrExit } from "./_args.ts";
import { ngramTensor } from "../lib/model/megabyte.ts";
import { matchRows } from "../lib/model/match.ts";
import { byteLogProbs, DEFAULT_MODEL, openFloatModel } from "./_float_model.ts";

const { values, positionals } = parseArgsOrExit("match_cost", import.meta.url, {
  options: {
    model: { type: "string", default: DEFAULT_MODEL },
    windows: { type: "string", default: "16" },
    k: { type: "string", default: "6" },
    long: { type: "string", default: "12" },
  },
  allowPositionals: true,
});
const { file, model } = await openFloatModel(values.model!, "wasm");
const T = file.config.context;
const k = Number(values.k);
const long = Number(values.long);

/** Bits the model pays for each byte of `x` (B whole windows), four windows at a time. */
async function bitsOf(x: Uint8Array, B: number): Promise<Float64Array> {
  const bits = new Float64Array(B * T);
  for (let i = 0; i < B; i += 4) {
    const n = Math.min(4, B - i);
    const xs = x.subarray(i * T, (i + n) * T);
    const logp = tf.tidy(() =>
      byteLogProbs(
        model,
        tf.tensor2d(Int32Array.from(xs), [n, T], "int32"),
        ngramTensor(file.config, xs, n, T),
      )
    ); // (n, T)
    const v = await logp.data();
    logp.dispose();
    for (let j = 0; j < n * T; j++) bits[i * T + j] = -v[j] / Math.LN2;
  }
  return bits;
}

console.log(
  [
    "file",
    "windows",
    "bpb",
    "no match",
    `match < ${long}`,
    `match ≥ ${long}`,
    "  …its byte right",
    "right of long",
  ].join("\t"),
);
for (const path of positionals) {
  const bytes = await Deno.readFile(path);
  const B = Math.min(Number(values.windows), Math.floor(bytes.length / T));
  if (B === 0) continue; // shorter than one window
  const x = bytes.subarray(0, B * T);
  const rows = matchRows(x, B, T, k, -1);
  const bits = await bitsOf(x, B);
  const groups = { none: [0, 0], short: [0, 0], long: [0, 0], right: [0, 0] };
  for (let i = 0; i < B * T; i++) {
    const r = rows[i];
    const g = r < 0 ? "none" : (r >> 8) + k >= long ? "long" : "short";
    groups[g][0]++;
    groups[g][1] += bits[i];
    if (g === "long" && (r & 255) === x[i]) {
      groups.right[0]++;
      groups.right[1] += bits[i];
    }
  }
  const show = ([n, sum]: number[]) =>
    `${(100 * n / (B * T)).toFixed(1)}% at ${n ? (sum / n).toFixed(2) : "-"}`;
  const bpb = bits.reduce((a, b) => a + b, 0) / (B * T);
  console.log(
    [
      path.split("/").pop(),
      B,
      bpb.toFixed(3),
      show(groups.none),
      show(groups.short),
      show(groups.long),
      show(groups.right),
      `${(100 * groups.right[0] / Math.max(1, groups.long[0])).toFixed(1)}%`,
    ].join("\t"),
  );
}
model.dispose();
