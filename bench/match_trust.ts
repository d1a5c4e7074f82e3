/**
 * How much the model trusts its match row, against how much the data ask (float evaluation, tfjs
 * wasm backend). For the bytes that have a match row (`lib/model/match.ts`, the model's k), a bias
 * c added to the logit of the match's next byte changes the bits to
 * −log p(y) − c·[y = next] + log(1 − p(next) + p(next)·e^c). For each length bucket, the c that
 * minimizes the bits is fitted (a grid of 0.1 over −3..8) on the `--fit` files pooled, and on each
 * file by itself; the table gives each file's bits per byte with neither, with the pooled c and
 * with its own, and with c learned in order as the bytes come (`--rate`, from the pooled c: a
 * causal stand-in for adapting at coding time). A pooled c well above 0 on files the model never saw, and near 0 on its training
 * files, says the model trusts the row less than new data reward; its own c, how much a file
 * differs. models/training/README.md ("The match row is under-trusted") has the figures.
 *
 *   deno run --allow-read --allow-run=xz --allow-env bench/match_trust.ts [--model=PATH]
 *     [--windows=8] [--history=0] [--fit=FILE,...] [--fit-windows=N] [--rate=0.05] FILE...
 *
 * Files ending in `.xz` are unpacked first (`xz -dc`); `--windows` windows are spread over each
 * file as the trainer picks validation windows (`--fit-windows` over the `--fit` files, default the
 * same); `--fit` defaults to the files themselves.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { parseArgsOrExit } from "./_args.ts";
import { ngramTensor } from "../lib/model/megabyte.ts";
import { FileMatchIndex } from "../lib/model/match.ts";
import { MATCH_MAX_LENGTH } from "../lib/model/config.ts";
import { loadCorpus } from "../lib/train/corpus.ts";
import { validationStarts } from "../lib/train/windows.ts";
import { DEFAULT_MODEL, openFloatModel } from "./_float_model.ts";

const { values, positionals } = parseArgsOrExit("match_trust", import.meta.url, {
  options: {
    model: { type: "string", default: DEFAULT_MODEL },
    windows: { type: "string", default: "8" },
    history: { type: "string", default: "0" },
    fit: { type: "string", default: "" },
    "fit-windows": { type: "string" },
    rate: { type: "string", default: "0.05" },
  },
  allowPositionals: true,
});
const { file, model } = await openFloatModel(values.model!, "wasm");
const T = file.config.context;
const k = file.config.matchLength ?? 0;
if (k === 0) throw new RangeError("The model has no match row");
const H = Number(values.history);
const buckets = MATCH_MAX_LENGTH - k + 1;

/** Per byte: its length bucket (−1: no match), ln p(y), ln p(next) and whether y = next. */
interface Scored {
  bucket: Int8Array;
  lnY: Float64Array;
  lnNext: Float64Array;
  hit: Uint8Array;
}

/** Scores `windows` windows spread over `bytes`, four at a time. */
async function score(bytes: Uint8Array, windows: number): Promise<Scored> {
  const perFile = Math.min(windows, Math.floor(bytes.length / T)); // whole windows at most
  const starts = validationStarts(bytes.length, { length: T, perFile });
  const n = starts.length;
  const index = new FileMatchIndex(bytes, k);
  const out: Scored = {
    bucket: new Int8Array(n * T),
    lnY: new Float64Array(n * T),
    lnNext: new Float64Array(n * T),
    hit: new Uint8Array(n * T),
  };
  for (let i = 0; i < n; i += 4) {
    const batch = starts.slice(i, i + 4);
    const x = new Uint8Array(batch.length * T);
    const rows = new Int32Array(batch.length * T);
    batch.forEach((s, j) => {
      x.set(bytes.subarray(s, s + T), j * T);
      rows.set(index.windowRows(s, T, H), j * T);
    });
    const logp = tf.tidy(() => {
      const ids = tf.tensor2d(Int32Array.from(x), [batch.length, T], "int32"); // (n, T)
      const grams = ngramTensor(file.config, x, batch.length, T, rows);
      return tf.logSoftmax(model.logits(ids, grams), -1); // (n, T, 256)
    });
    const v = await logp.data();
    logp.dispose();
    for (let p = 0; p < batch.length * T; p++) {
      const at = i * T + p;
      const next = rows[p] & 255;
      out.bucket[at] = rows[p] < 0 ? -1 : rows[p] >> 8;
      out.lnY[at] = v[p * 256 + x[p]];
      out.lnNext[at] = rows[p] < 0 ? 0 : v[p * 256 + next];
      out.hit[at] = rows[p] >= 0 && next === x[p] ? 1 : 0;
    }
  }
  return out;
}

/** Nats of the bytes of bucket b with bias c. */
function nats(s: Scored, b: number, c: number): number {
  let sum = 0;
  for (let i = 0; i < s.bucket.length; i++) {
    if (s.bucket[i] !== b) continue;
    const pNext = Math.exp(s.lnNext[i]);
    sum += -s.lnY[i] - c * s.hit[i] + Math.log(1 - pNext + pNext * Math.exp(c));
  }
  return sum;
}

/** Per bucket, the c of the grid that gives the fewest nats over `sets`. */
function fit(sets: Scored[]): number[] {
  return Array.from({ length: buckets }, (_, b) => {
    let best = 0;
    let least = sets.reduce((a, s) => a + nats(s, b, 0), 0);
    for (let c = -3; c <= 8.001; c += 0.1) {
      const sum = sets.reduce((a, s) => a + nats(s, b, c), 0);
      if (sum < least) [best, least] = [c, sum];
    }
    return best;
  });
}

/**
 * Bits per byte of `s` with c learned as the bytes come, in order (a causal stand-in for adapting
 * at coding time): each bucket's c starts at `start` and takes a gradient step of `rate` on each
 * of its bytes after paying for it.
 */
function online(s: Scored, start: number[], rate: number): number {
  const c = [...start];
  let sum = 0;
  for (let i = 0; i < s.bucket.length; i++) {
    const b = s.bucket[i];
    if (b < 0) {
      sum -= s.lnY[i];
      continue;
    }
    const pNext = Math.exp(s.lnNext[i]);
    const norm = 1 - pNext + pNext * Math.exp(c[b]);
    sum += -s.lnY[i] - c[b] * s.hit[i] + Math.log(norm);
    c[b] -= rate * (pNext * Math.exp(c[b]) / norm - s.hit[i]); // d(nats)/dc
  }
  return sum / s.bucket.length / Math.LN2;
}

/** Bits per byte of `s` with bias c[b] on bucket b. */
function bpb(s: Scored, c: number[]): number {
  let sum = 0;
  for (let i = 0; i < s.bucket.length; i++) if (s.bucket[i] < 0) sum -= s.lnY[i];
  for (let b = 0; b < buckets; b++) sum += nats(s, b, c[b]);
  return sum / s.bucket.length / Math.LN2;
}

async function scoreAll(paths: string[], windows: number): Promise<Map<string, Scored>> {
  const out = new Map<string, Scored>();
  for (const f of (await loadCorpus(paths)).files) out.set(f.path, await score(f.bytes, windows));
  return out;
}

const scored = await scoreAll(positionals, Number(values.windows));
const fitPaths = values.fit!.split(",").filter((s) => s !== "");
const fitted = fitPaths.length > 0
  ? await scoreAll(fitPaths, Number(values["fit-windows"] ?? values.windows))
  : scored;
const pooled = fit([...fitted.values()]);
console.log(
  `pooled c by bucket (lengths ${k}..${MATCH_MAX_LENGTH}): ${
    pooled.map((c) => c.toFixed(1)).join(" ")
  }`,
);
const rate = Number(values.rate);
console.log(["file", "matched", "bpb", "pooled c", "own c", `online c (rate ${rate})`].join("\t"));
const none = new Array(buckets).fill(0);
for (const [path, s] of scored) {
  const matched = s.bucket.filter((b) => b >= 0).length / s.bucket.length;
  console.log(
    [
      path.split("/").pop(),
      `${(100 * matched).toFixed(1)}%`,
      bpb(s, none),
      bpb(s, pooled),
      bpb(s, fit([s])),
      online(s, pooled, rate),
    ]
      .map((v) => typeof v === "number" ? v.toFixed(4) : v).join("\t"),
  );
}
model.dispose();
