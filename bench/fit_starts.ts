/**
 * Fits block method 10's, 11's or 13's start weights (`codec/FORMAT.md`, Appendices J, K and M) and
 * writes them as `lib/predict/_sse_starts.ts`, `_sse_starts11.ts` or `_sse_starts13.ts`: the
 * method's stage without fitted
 * starts (method 10's: method 9's) runs over each file's first segment, given the parts' tables
 * that `bench/sse_bpb.ts --cache DIR` kept, and its mixes' weights at the end are averaged over the
 * files. Mix A's 9 sets and the final mix's 64 keep a row each; mixes B and C (256 sets each) get
 * one row, their sets weighted by how many bits each learned from.
 *
 * Usage: `deno run --allow-read --allow-write bench/fit_starts.ts --cache DIR [--method 10|11|13]
 * [--out PATH] [--about TEXT] FILE…`
 * (the files whose tables DIR holds; methods 10's, 11's and 13's were the ten validation samples of
 * `bench/results/mix-sse5-valid-2026-12-01.txt`, never the benchmark corpora).
 *
 * @module
 */
import { parseArgsOrExit } from "./_args.ts";
import { keptTablesPath, readKeptTables } from "./sse_bpb.ts";
import { unfittedWeights } from "../lib/predict/sse2.ts";

/** The unit of the written weights: each is an integer times 1/4096, exact in float64. */
export const UNIT = 4096;

/** Averages of the weights over the files, as {@link fitStarts} returns them. */
export interface FittedStarts {
  /** Mix A's (9, inputs), the final mix's (64, 5): per set, the mean over the files. */
  a: Float64Array;
  final: Float64Array;
  /** Mixes B's and C's one row each: the mean over files and sets, weighted by bits learned. */
  b: Float64Array;
  c: Float64Array;
}

/**
 * The unfitted stage's weights after each segment, averaged as the module says.
 *
 * @param segments each file's parts' tables (cm, neural) and bytes
 * @param method the method whose starts are fitted, 10 (the default), 11 or 13
 * @returns the averaged weights
 */
export function fitStarts(
  segments: readonly { parts: readonly [Uint32Array, Uint32Array]; bytes: Uint8Array }[],
  method: 10 | 11 | 13 = 10,
): FittedStarts {
  let fitted: FittedStarts | undefined;
  let inputs = 0;
  const countB = new Float64Array(256), countC = new Float64Array(256);
  const rows: { b: Float64Array; c: Float64Array; nb: Float64Array; nc: Float64Array }[] = [];
  for (const { parts, bytes } of segments) {
    const w = unfittedWeights(method, parts, bytes);
    inputs = w.a.length / 9;
    fitted ??= {
      a: new Float64Array(w.a.length),
      final: new Float64Array(w.final.length),
      b: new Float64Array(inputs),
      c: new Float64Array(inputs),
    };
    for (let k = 0; k < w.a.length; k++) fitted.a[k] += w.a[k]! / segments.length;
    for (let k = 0; k < w.final.length; k++) fitted.final[k] += w.final[k]! / segments.length;
    // Mix B's set is the node, mix C's the byte before: count the bits each set learned from.
    const nb = new Float64Array(256), nc = new Float64Array(256);
    for (let i = 0; i < bytes.length; i++) {
      for (let d = 0; d < 8; d++) nb[(bytes[i]! + 256) >> (8 - d)]++;
      nc[i === 0 ? 0 : bytes[i - 1]!] += 8;
    }
    rows.push({ b: w.b, c: w.c, nb, nc });
    for (let k = 0; k < 256; k++) countB[k] += nb[k]!, countC[k] += nc[k]!;
  }
  if (fitted === undefined) throw new RangeError("Cannot fit start weights: no segments given");
  const totalB = countB.reduce((x, y) => x + y), totalC = countC.reduce((x, y) => x + y);
  for (const { b, c, nb, nc } of rows) {
    for (let set = 0; set < 256; set++) {
      for (let k = 0; k < inputs; k++) {
        fitted.b[k] += (nb[set]! / totalB) * b[set * inputs + k]!;
        fitted.c[k] += (nc[set]! / totalC) * c[set * inputs + k]!;
      }
    }
  }
  return fitted;
}

/** `text` as doc-comment lines of at most 100 characters. */
function wrap(text: string): string[] {
  const lines: string[] = [];
  let line = " *";
  for (const word of text.split(" ").filter((w) => w !== "")) {
    if (line.length + 1 + word.length > 100) lines.push(line), line = " *";
    line += " " + word;
  }
  return line === " *" ? lines : [...lines, line];
}

/**
 * The text of method `method`'s start-weights module (`lib/predict/_sse_starts.ts` for 10,
 * `_sse_starts11.ts` for 11, `_sse_starts13.ts` for 13) for `fitted`, naming `files` and saying
 * `about` them.
 */
export function startsModule(
  fitted: FittedStarts,
  files: readonly string[],
  about: string,
  method: 10 | 11 | 13 = 10,
): string {
  const table = (name: string, doc: string, values: Float64Array, row: number) => {
    const lines = [];
    for (let k = 0; k < values.length; k += row) {
      lines.push(
        `  ${[...values.subarray(k, k + row)].map((v) => Math.round(v * UNIT)).join(", ")},`,
      );
    }
    return `/** ${doc} */\n// deno-fmt-ignore\nexport const ${name}: Int16Array = Int16Array.from([\n${
      lines.join("\n")
    }\n]);\n`;
  };
  const inputs = fitted.b.length;
  return [
    "// This module imports no tfjs.",
    "// Written by bench/fit_starts.ts; do not edit by hand.",
    "/**",
    ...(method === 10
      ? [
        " * Block method 10's start weights (`codec/FORMAT.md`, Appendix J): method 9's mixes' weights at",
        " * the end of a segment, averaged over these files' first segments:",
      ]
      : method === 11
      ? [
        " * Block method 11's start weights (`codec/FORMAT.md`, Appendix K): the weights of method 11's",
        " * mixes started as method 9's, at the end of a segment, averaged over these files' first",
        " * segments:",
      ]
      : [
        " * Block method 13's start weights (`codec/FORMAT.md`, Appendix M): the weights of method 13's",
        " * mixes started as method 9's, at the end of a segment, averaged over these files' first",
        " * segments:",
      ]),
    ...wrap(`${files.map((f) => `\`${f.split("/").pop()}\``).join(", ")}.`),
    ...wrap(about),
    " *",
    " * @module",
    " */",
    "",
    `/** Each value is an integer count of 1/${UNIT}. */`,
    `export const START_UNIT = ${UNIT};`,
    table("START_A", `Mix A's, (9, ${inputs}).`, fitted.a, inputs),
    table("START_B", `Every set of mix B's, (${inputs}).`, fitted.b, inputs),
    table("START_C", `Every set of mix C's, (${inputs}).`, fitted.c, inputs),
    table("START_F", "The final mix's, (64, 5).", fitted.final, 5),
  ].join("\n");
}

if (import.meta.main) {
  const { values, positionals } = parseArgsOrExit("fit_starts", import.meta.url, {
    options: {
      cache: { type: "string" },
      method: { type: "string", default: "10" },
      out: { type: "string" },
      about: { type: "string", default: "" },
    },
    allowPositionals: true,
  });
  if (values.cache === undefined || positionals.length === 0) {
    console.error("fit_starts: give --cache DIR and the files whose tables it keeps");
    Deno.exit(2);
  }
  if (values.method !== "10" && values.method !== "11" && values.method !== "13") {
    console.error(`fit_starts: --method is 10, 11 or 13, not ${values.method}`);
    Deno.exit(2);
  }
  const method = values.method === "10" ? 10 : values.method === "11" ? 11 : 13;
  const out = values.out ??
    `lib/predict/_sse_starts${method === 10 ? "" : method}.ts`;
  const files = [...positionals].sort();
  const segments = files.map((file) => {
    const bytes = Deno.readFileSync(file).subarray(0, 1 << 20);
    const part = (kind: "cm" | "nn") =>
      readKeptTables(keptTablesPath(values.cache!, file, kind)).subarray(0, bytes.length * 256);
    return { parts: [part("cm"), part("nn")] as const, bytes };
  });
  const fitted = fitStarts(segments, method);
  Deno.writeTextFileSync(out, startsModule(fitted, files, values.about, method));
  console.log(`fit_starts: wrote ${out} from ${files.length} files`);
}
