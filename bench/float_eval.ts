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
import { parseArgsOrExit } from "./_args.ts";
import { ngramTensor } from "../lib/model/megabyte.ts";
import { concatBytes } from "../codec/_common/bytes.ts";
import { blockMatchRows, byteLogProbs, DEFAULT_MODEL, openFloatModel } from "./_float_model.ts";

const { values, positionals } = parseArgsOrExit("float_eval", import.meta.url, {
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
/** `--stride`: validated once, before any file. */
const stride = values.stride === undefined ? undefined : Number(values.stride);
if (stride !== undefined && !(stride > 0 && T % stride === 0)) {
  throw new RangeError(`--stride must divide the context, ${T}`);
}
/** Bits of some bytes, raw and through the floor. */
type Add = (bits: [number, number]) => void;
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
    const all = byteLogProbs(model, x, grams); // (n, L)
    const logp = tf.slice(all, [0, L - scored], [n, scored]); // (n, scored)
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

/** Adds the bits of every byte of `bytes` to `add`, in the codec's independent windows of T. */
async function windowed(bytes: Uint8Array, rows: Int32Array | undefined, add: Add): Promise<void> {
  const full = Math.floor(bytes.length / T);
  for (let first = 0; first < full; first += BATCH) {
    const n = Math.min(BATCH, full - first);
    const [from, to] = [first * T, (first + n) * T];
    add(await bits(bytes.subarray(from, to), n, rows?.subarray(from, to)));
  }
  if (full * T < bytes.length) {
    add(await bits(bytes.subarray(full * T), 1, rows?.subarray(full * T)));
  }
}

/**
 * Adds the bits of every byte of `bytes` (longer than T) to `add`, in windows that overlap: the
 * first scores all its bytes, the ones starting at S, 2S, … their last S, and one more, ending
 * at the file's end, what is left.
 */
async function strided(
  bytes: Uint8Array,
  rows: Int32Array | undefined,
  S: number,
  add: Add,
): Promise<void> {
  const cut = (s: number) => bytes.subarray(s, s + T);
  const rowsOf = (s: number) => rows?.subarray(s, s + T);
  add(await bits(cut(0), 1, rowsOf(0)));
  const starts: number[] = [];
  for (let s = S; s + T <= bytes.length; s += S) starts.push(s);
  for (let i = 0; i < starts.length; i += BATCH) {
    const group = starts.slice(i, i + BATCH);
    const groupRows = rows && concatRows(group.map((s) => rowsOf(s)!));
    add(await bits(concatBytes(group.map(cut)), group.length, groupRows, S));
  }
  const done = (starts.at(-1) ?? 0) + T;
  if (done < bytes.length) {
    const s = bytes.length - T;
    add(await bits(cut(s), 1, rowsOf(s), bytes.length - done));
  }
}

console.log("file\tbytes\tfloat bpb\tfloat bpb through the 1/65536 floor");
for (const path of positionals) {
  const bytes = await Deno.readFile(path);
  let raw = 0, floored = 0;
  const add: Add = ([r, f]) => (raw += r, floored += f);
  const rows = values.long ? blockMatchRows(file.config, bytes) : undefined;
  if (stride !== undefined && bytes.length > T) await strided(bytes, rows, stride, add);
  else await windowed(bytes, rows, add);
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
