/**
 * Float evaluation of a model file with tfjs: bits per byte of whole files cut into independent
 * segments of the model's context, as the codec cuts them: the float cross-entropy, and the same
 * probabilities through the coder's 1/65536 floor. The exact engine's coded bits
 * (`bench/model_eval.ts`, neural column) must agree with the floored figure within 1% (issue:
 * exact engine); they can be below the raw one where the model gives a byte under 2^-16.
 *
 * With `--long`, the match row of a model that has one is looked up in the whole block (1 MiB, the
 * encoder's default) before each window, as the "mix-long" method does (codec/FORMAT.md, Appendix
 * D): the model as the default archives use it.
 *
 *   deno run --allow-read --allow-env bench/float_eval.ts [--backend wasm|cpu] [--long] FILE...
 *
 * On the device, `--backend webgpu` (with `--unstable-webgpu`) runs it on the GPU.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { parseArgs } from "node:util";
import { ngramTensor } from "../lib/model/megabyte.ts";
import { segmentMatchRows } from "../lib/predict/long_match.ts";
import { DEFAULT_BLOCK_SIZE } from "../codec/_common/format.ts";
import { byteLogProbs, DEFAULT_MODEL, openFloatModel } from "./_float_model.ts";

const { values, positionals } = parseArgs({
  options: {
    backend: { type: "string", default: "wasm" },
    model: { type: "string", default: DEFAULT_MODEL },
    long: { type: "boolean", default: false },
  },
  allowPositionals: true,
});
const { file, model } = await openFloatModel(values.model!, values.backend!);
const T = file.config.context;
/** Full-length segments go through the model this many at a time (8 overflows the wasm heap with local4). */
const BATCH = 4;
/** The encoder's default block, the reach of --long's match rows. */
const BLOCK = DEFAULT_BLOCK_SIZE;
/**
 * Bits of `n` segments of L bytes, `segments` end to end, under the model: the float
 * cross-entropy, and the same probabilities through the coder's floor, `(1 + p·65280)/65536`
 * (lib/engine/FREQS.md: every byte keeps at least 1/65536, so no byte costs more than 16 bits),
 * which is what an exact engine can at best code.
 */
async function bits(
  segments: Uint8Array,
  n: number,
  matchRows?: Int32Array,
): Promise<[number, number]> {
  const L = segments.length / n;
  const [raw, floored] = tf.tidy(() => {
    const x = tf.tensor2d(Int32Array.from(segments), [n, L], "int32"); // (n, L)
    const grams = ngramTensor(file.config, segments, n, L, matchRows); // (n, L, G) or none
    const logp = byteLogProbs(model, x, grams); // (n, L)
    const p = tf.exp(logp);
    const floor = tf.log(tf.div(tf.add(tf.mul(p, 65280), 1), 65536)); // (n, L)
    return [tf.sum(logp), tf.sum(floor)];
  });
  const out: [number, number] = [
    -(await raw.data())[0] / Math.LN2,
    -(await floored.data())[0] / Math.LN2,
  ];
  tf.dispose([raw, floored]);
  return out;
}

console.log("file\tbytes\tfloat bpb\tfloat bpb through the 1/65536 floor");
for (const path of positionals) {
  const bytes = await Deno.readFile(path);
  let raw = 0, floored = 0;
  const full = Math.floor(bytes.length / T);
  const add = ([r, f]: [number, number]) => (raw += r, floored += f);
  // --long: rows over each block of the file, as the encoder cuts it (1 MiB, a multiple of T).
  const k = file.config.matchLength ?? 0;
  const rows = values.long && k > 0 ? new Int32Array(bytes.length) : undefined;
  for (let at = 0; rows && at < bytes.length; at += BLOCK) {
    rows.set(segmentMatchRows(bytes.subarray(at, at + BLOCK), k), at);
  }
  const rowsOf = (from: number, to: number) => rows?.subarray(from, to);
  for (let first = 0; first < full; first += BATCH) {
    const n = Math.min(BATCH, full - first);
    add(
      await bits(bytes.subarray(first * T, (first + n) * T), n, rowsOf(first * T, (first + n) * T)),
    );
  }
  if (full * T < bytes.length) {
    add(await bits(bytes.subarray(full * T), 1, rowsOf(full * T, bytes.length)));
  }
  const bpb = (b: number) => (b / bytes.length).toFixed(4);
  console.log(`${path}\t${bytes.length}\t${bpb(raw)}\t${bpb(floored)}`);
}
model.dispose();
