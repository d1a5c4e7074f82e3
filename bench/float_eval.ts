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
 * With `--stride S` (a divisor of the context), the windows overlap instead: one starts every S
 * bytes, and each after the first scores only its last S bytes, so every byte but the first
 * window's sees at least context − S bytes before it (the usual sliding-window evaluation of a
 * fixed-context model; the codec does not cut this way).
 *
 *   deno run --allow-read --allow-env bench/float_eval.ts [--backend wasm|cpu] [--long]
 *     [--stride S] FILE...
 *
 * On the device, `--backend webgpu` (with `--unstable-webgpu`) runs it on the GPU.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { parseArgs } from "node:util";
import { ngramTensor } from "../lib/model/megabyte.ts";
import { segmentMatchRows } from "../lib/predict/long_match.ts";
import { concatBytes } from "../codec/_common/bytes.ts";
import { DEFAULT_BLOCK_SIZE } from "../codec/_common/format.ts";
import { byteLogProbs, DEFAULT_MODEL, openFloatModel } from "./_float_model.ts";

const { values, positionals } = parseArgs({
  options: {
    backend: { type: "string", default: "wasm" },
    model: { type: "string", default: DEFAULT_MODEL },
    long: { type: "boolean", default: false },
    stride: { type: "string" },
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
  scored = segments.length / n,
): Promise<[number, number]> {
  const L = segments.length / n;
  const [raw, floored] = tf.tidy(() => {
    const x = tf.tensor2d(Int32Array.from(segments), [n, L], "int32"); // (n, L)
    const grams = ngramTensor(file.config, segments, n, L, matchRows); // (n, L, G) or none
    // Only each segment's last `scored` bytes count (all of them unless --stride).
    const logp = tf.slice(byteLogProbs(model, x, grams), [0, L - scored], [n, scored]); // (n, scored)
    const p = tf.exp(logp);
    const floor = tf.log(tf.div(tf.add(tf.mul(p, 65280), 1), 65536)); // (n, scored)
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
  if (values.stride && bytes.length > T) {
    const S = Number(values.stride);
    if (!(S > 0 && T % S === 0)) throw new Error(`--stride must divide ${T}`);
    add(await bits(bytes.subarray(0, T), 1, rowsOf(0, T)));
    // Windows start at S, 2S, …; each scores its last S bytes. Then one more, ending at the
    // file's end, scores what is left.
    const starts: number[] = [];
    for (let s = S; s + T <= bytes.length; s += S) starts.push(s);
    const cut = (s: number) => bytes.subarray(s, s + T);
    for (let i = 0; i < starts.length; i += BATCH) {
      const group = starts.slice(i, i + BATCH);
      const rowsOfGroup = rows ? concatRows(group.map((s) => rowsOf(s, s + T)!)) : undefined;
      add(await bits(concatBytes(group.map(cut)), group.length, rowsOfGroup, S));
    }
    const done = (starts.at(-1) ?? 0) + T;
    if (done < bytes.length) {
      const s = bytes.length - T;
      add(await bits(cut(s), 1, rowsOf(s, s + T), bytes.length - done));
    }
    const bpb = (b: number) => (b / bytes.length).toFixed(4);
    console.log(`${path}\t${bytes.length}\t${bpb(raw)}\t${bpb(floored)}`);
    continue;
  }
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

function concatRows(parts: Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, at), at += p.length;
  return out;
}
