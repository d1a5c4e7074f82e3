/**
 * The yardstick for a model that would carry the context-mixing model's prediction inside it: a
 * **static** mix of megazip's two parts, p = λ · p_cm + (1 − λ) · p_model for each byte, with
 * one weight λ per bucket of (cm's top probability: ≤ 0.4, ≤ 0.6, ≤ 0.8, ≤ 0.95, above) × (the
 * model's top probability above 0.6 or not), ten weights in all, fitted by grid search (steps of
 * 0.02) on the files whose path matches `--fit` and reported on every file. The fit set and the
 * files reported can be disjoint: fit on training samples, report on the benchmark.
 *
 * On the files outside the fit set, `--method6` also feeds the static mix to block method 6
 * (`lib/predict/sse2.ts`) in place of the model's tables and reports method 6's ideal code length
 * both ways: what such a model would do to the archives. `--where` splits method 6's bits over
 * those files by what the byte cost each part (bits, in buckets): how much of the archive is bytes
 * that both parts find hard.
 *
 * It reads the tables that `bench/sse_bpb.ts --cache DIR` keeps (each file's first 1 MiB, one
 * segment as the codec codes it); run that first, with the same FILE paths.
 *
 * Usage: `deno run --allow-read bench/static_mix.ts --cache DIR --fit REGEX [--method6] [--where]
 * FILE...`
 *
 * @module
 */
import { parseArgsOrExit } from "./_args.ts";
import { ALPHABET } from "../lib/predict/predictor.ts";
import { cmBucket } from "../lib/train/cm_targets.ts";
import { writeFrequencies } from "../lib/predict/_stage.ts";
import { createSse2Predictor } from "../lib/predict/sse2.ts";
import { bits, keptTablesPath, readKeptTables, replay, SEGMENT } from "./sse_bpb.ts";

/** The frequency tables' total: a table entry f is the probability f / 65536. */
const TOTAL = 65536;

/** Buckets of the mix's weight: 5 of cm's top probability × 2 of the model's. */
const BUCKETS = 10;

/** The bucket of a byte from the two parts' top probabilities. */
export function mixBucket(cmTop: number, modelTop: number): number {
  return cmBucket(cmTop) * 2 + (modelTop > 0.6 ? 1 : 0);
}

/** Per byte of a file: each part's probability of the byte that came, and the byte's bucket. */
export interface MixInputs {
  pCm: Float64Array;
  pModel: Float64Array;
  bucket: Uint8Array;
}

function topProbability(tables: Uint32Array, at: number): number {
  let top = 0;
  for (let v = 0; v < ALPHABET; v++) if (tables[at + v]! > top) top = tables[at + v]!;
  return top / TOTAL;
}

/** The mix's inputs for `bytes` from the two parts' tables, (T, 256) each. */
export function mixInputs(bytes: Uint8Array, cm: Uint32Array, model: Uint32Array): MixInputs {
  const n = bytes.length;
  const out = { pCm: new Float64Array(n), pModel: new Float64Array(n), bucket: new Uint8Array(n) };
  for (let i = 0; i < n; i++) {
    const at = i * ALPHABET;
    out.pCm[i] = cm[at + bytes[i]!]! / TOTAL;
    out.pModel[i] = model[at + bytes[i]!]! / TOTAL;
    out.bucket[i] = mixBucket(topProbability(cm, at), topProbability(model, at));
  }
  return out;
}

/** The bits of the mix with weight `lambda` over the bytes of `bucket` in every input. */
function bucketBits(inputs: readonly MixInputs[], bucket: number, lambda: number): number {
  let sum = 0;
  for (const { pCm, pModel, bucket: b } of inputs) {
    for (let i = 0; i < b.length; i++) {
      if (b[i] === bucket) sum -= Math.log2(lambda * pCm[i]! + (1 - lambda) * pModel[i]!);
    }
  }
  return sum;
}

/** The ten weights that give `inputs` the fewest bits, each from 0, 0.02, …, 1. */
export function fitWeights(inputs: readonly MixInputs[]): Float64Array {
  const lambdas = new Float64Array(BUCKETS);
  for (let k = 0; k < BUCKETS; k++) {
    let best = 0, bestBits = Infinity;
    for (let step = 0; step <= 50; step++) {
      const sum = bucketBits(inputs, k, step / 50);
      if (sum < bestBits) bestBits = sum, best = step / 50;
    }
    lambdas[k] = best;
  }
  return lambdas;
}

/** The static mix's bits over one file's inputs. */
export function mixBits({ pCm, pModel, bucket }: MixInputs, lambdas: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < bucket.length; i++) {
    const l = lambdas[bucket[i]!]!;
    sum -= Math.log2(l * pCm[i]! + (1 - l) * pModel[i]!);
  }
  return sum;
}

/** The static mix as frequency tables (T, 256), written as the codec's stages write theirs. */
export function mixTables(cm: Uint32Array, model: Uint32Array, lambdas: Float64Array): Uint32Array {
  const out = new Uint32Array(model.length);
  const m = new Float64Array(ALPHABET), u = new Float64Array(ALPHABET);
  for (let at = 0; at < model.length; at += ALPHABET) {
    const l = lambdas[mixBucket(topProbability(cm, at), topProbability(model, at))]!;
    for (let v = 0; v < ALPHABET; v++) m[v] = (l * cm[at + v]! + (1 - l) * model[at + v]!) / TOTAL;
    writeFrequencies(m, u, out, at);
  }
  return out;
}

/** Bucket edges of `--where`, in bits of a part's cost of the byte. */
const WHERE_EDGES = [0.25, 1, 3, 6];
const WHERE_LABELS = ["≤ 0.25", "0.25–1", "1–3", "3–6", "> 6"];

function whereBucket(cost: number): number {
  let b = 0;
  while (b < WHERE_EDGES.length && cost > WHERE_EDGES[b]!) b++;
  return b;
}

if (import.meta.main) {
  const { values, positionals } = parseArgsOrExit("static_mix", import.meta.url, {
    options: {
      cache: { type: "string" },
      fit: { type: "string" },
      method6: { type: "boolean", default: false },
      where: { type: "boolean", default: false },
    },
    allowPositionals: true,
  });
  if (values.cache === undefined || values.fit === undefined || positionals.length === 0) {
    console.error("usage: static_mix.ts --cache DIR --fit REGEX [--method6] [--where] FILE...");
    Deno.exit(2);
  }
  const cache = values.cache, fit = new RegExp(values.fit);
  const load = (file: string) => {
    const bytes = Deno.readFileSync(file).subarray(0, SEGMENT);
    const cm = readKeptTables(keptTablesPath(cache, file, "cm"));
    const model = readKeptTables(keptTablesPath(cache, file, "nn"));
    return { bytes, cm, model };
  };
  const fitSet = positionals.filter((f) => fit.test(f));
  if (fitSet.length === 0) {
    console.error(`static_mix.ts: no FILE matches --fit ${values.fit}`);
    Deno.exit(2);
  }
  // The fit set's inputs, kept for its report lines: its tables are not read twice.
  const fitted = new Map(fitSet.map((f) => {
    const { bytes, cm, model } = load(f);
    return [f, mixInputs(bytes, cm, model)] as const;
  }));
  const lambdas = fitWeights([...fitted.values()]);
  console.log(`weights, fitted on ${fitSet.length} files (bucket: cm top ≤0.4, ≤0.6, ≤0.8, ≤0.95,`);
  console.log(`above; each with model top ≤ 0.6, then > 0.6): ${[...lambdas].join(" ")}`);
  const K = WHERE_LABELS.length;
  const where = { bytes: new Float64Array(K * K), bits: new Float64Array(K * K) };
  let whereBits = 0, whereBytes = 0;
  console.log(
    `file${" ".repeat(26)}bytes  model   cm static mix${
      values.method6 ? "  method 6 → with the mix" : ""
    }`,
  );
  const sumBits = (p: Float64Array) => p.reduce((sum, x) => sum - Math.log2(x), 0);
  for (const file of positionals) {
    const kept = fitted.get(file);
    const parts = kept === undefined ? load(file) : null;
    const inputs = kept ?? mixInputs(parts!.bytes, parts!.cm, parts!.model);
    const n = inputs.pCm.length;
    const bpb = (x: number) => (x / n).toFixed(3).padStart(6);
    let line = `${file.split("/").slice(-2).join("/").padEnd(28)} ${String(n).padStart(7)} ${
      bpb(sumBits(inputs.pModel))
    } ${bpb(sumBits(inputs.pCm))} ${bpb(mixBits(inputs, lambdas)).padStart(10)}`;
    if ((values.method6 || values.where) && parts !== null) {
      const { bytes, cm, model } = parts;
      const six = createSse2Predictor(replay(cm), replay(model)).predictSegment!(bytes);
      const sixBits = bits(six, bytes);
      if (values.method6) {
        const withMix = createSse2Predictor(replay(cm), replay(mixTables(cm, model, lambdas)))
          .predictSegment!(bytes);
        const a = sixBits, b = bits(withMix, bytes);
        line += `  ${(a / n).toFixed(4)} → ${(b / n).toFixed(4)} (${
          ((b / a - 1) * 100).toFixed(2)
        }%)`;
      }
      if (values.where) {
        for (let i = 0; i < n; i++) {
          const at = i * ALPHABET + bytes[i]!;
          const cost = (t: Uint32Array) => -Math.log2(t[at]! / TOTAL);
          const k = whereBucket(cost(cm)) * K + whereBucket(cost(model));
          where.bytes[k]++;
          where.bits[k] += cost(six);
        }
        whereBytes += n, whereBits += sixBits;
      }
    }
    console.log(line);
  }
  if (values.where) {
    console.log(
      "\nmethod 6's bits by the byte's cost to cm (rows) and to the model (columns), bits;",
    );
    console.log("each cell: % of the bytes, % of method 6's bits, method 6's bits per byte there");
    console.log(`${"cm \\ model".padEnd(10)}${WHERE_LABELS.map((l) => l.padStart(20)).join("")}`);
    for (let r = 0; r < K; r++) {
      let line = WHERE_LABELS[r]!.padEnd(10);
      for (let c = 0; c < K; c++) {
        const k = r * K + c;
        line += `${(100 * where.bytes[k]! / whereBytes).toFixed(1)}% ${
          (100 * where.bits[k]! / whereBits).toFixed(1)
        }% ${(where.bits[k]! / Math.max(1, where.bytes[k]!)).toFixed(2)}`.padStart(20);
      }
      console.log(line);
    }
  }
}
