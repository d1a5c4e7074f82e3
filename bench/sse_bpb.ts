/**
 * What the secondary estimations of block methods 5 to 13 gain over method 4: for each file
 * (its first 1 MiB, one segment as the codec codes it), the ideal code length Σ −log2(freq/65536)
 * of the "mix-long" tables, of the same tables refined by `lib/predict/sse.ts` ("mix-sse"), and of
 * the mix refined by `lib/predict/sse2.ts` ("mix-sse2" to "mix-sse7"), and of method 11's stage coded
 * bit by bit ("mix-sse8", and "mix-sse9" with three more contexts: Σ over each byte's 8 bits of
 * −log2 of the bit's frequency / 65536); the
 * changes are method 6's against 4's, then each method's against the one before.
 *
 * The neural part's tables are the slow part (about 12 KB/s per core); `--cache DIR` keeps each
 * file's cm and neural tables there (16 bits per entry, 512 bytes per input byte), so that a
 * change to the mixer or the stage can be measured again in seconds per file.
 *
 * Usage: `deno run --allow-read --allow-write bench/sse_bpb.ts [--model PATH] [--cache DIR] FILE...`
 *
 * @module
 */
import { parseArgsOrExit } from "./_args.ts";
import { hasLongMatch, METHOD_NAMES } from "../codec/_common/format.ts";
import { createEngine } from "../lib/engine/engine.ts";
import { loadModel } from "../lib/model/model_file_read.ts";
import { createContextMixingPredictor } from "../lib/predict/context_mixing.ts";
import { createLongMatchPredictor } from "../lib/predict/long_match.ts";
import { createMixingPredictor } from "../lib/predict/mixer.ts";
import { ALPHABET, type Predictor } from "../lib/predict/predictor.ts";
import { createSsePredictor } from "../lib/predict/sse.ts";
import {
  createSse2Predictor,
  createSse3Predictor,
  createSse4Predictor,
  createSse5Predictor,
  createSse6Predictor,
  createSse7Predictor,
  createSse8Predictor,
  createSse9Predictor,
} from "../lib/predict/sse2.ts";

/** A codec segment is at most a block: 1 MiB by default. */
export const SEGMENT = 1 << 20;

/** The tables of `predictor` over `bytes` by the step path, (T, 256). */
function stepTables(predictor: Predictor, bytes: Uint8Array): Uint32Array {
  const out = new Uint32Array(bytes.length * ALPHABET);
  const batch = predictor.start(1);
  for (let i = 0; i < bytes.length; i++) {
    batch.predict(out.subarray(i * ALPHABET, (i + 1) * ALPHABET));
    batch.advance(bytes.subarray(i, i + 1));
  }
  batch.close();
  return out;
}

/** Where `--cache DIR` keeps the tables of `file`'s part `kind` ("cm" or "nn"). */
export function keptTablesPath(dir: string, file: string, kind: "cm" | "nn"): string {
  return `${dir}/${file.replaceAll("/", "_")}.${kind}`;
}

/** The tables kept at `path` by {@link writeKeptTables}, (T, 256). */
export function readKeptTables(path: string): Uint32Array {
  const kept = new Uint16Array(Deno.readFileSync(path).buffer);
  // A loop: `Uint32Array.from` with a map runs out of heap on book1.
  const tables = new Uint32Array(kept.length);
  for (let i = 0; i < kept.length; i++) tables[i] = kept[i]! + 1;
  return tables;
}

/** `compute()`, or the tables kept at `path` (entries − 1 as 16 bits), writing them there. */
function cached(path: string | null, compute: () => Uint32Array): Uint32Array {
  if (path !== null) {
    try {
      return readKeptTables(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  const tables = compute();
  if (path !== null) writeKeptTables(path, tables);
  return tables;
}

/** Writes a part's tables at `path` as {@link cached} keeps them: each entry − 1, as 16 bits. */
export function writeKeptTables(path: string, tables: Uint32Array): void {
  const kept = new Uint16Array(tables.length);
  for (let i = 0; i < tables.length; i++) kept[i] = tables[i]! - 1;
  Deno.writeFileSync(path, new Uint8Array(kept.buffer));
}

/** A predictor that gives back precomputed tables (`predictSegment` only). */
export function replay(tables: Uint32Array): Predictor {
  return {
    name: "replay",
    start() {
      throw new TypeError("Cannot start a replay: it only has predictSegment");
    },
    predictSegment: () => tables,
  };
}

/** A predictor that gives back precomputed tables step by step, `(T, 256)`. */
function stepReplay(tables: Uint32Array): Predictor {
  return {
    name: "replay",
    start(count: number) {
      if (count !== 1) throw new RangeError(`Cannot replay ${count} segments at once: expected 1`);
      let at = 0;
      return {
        count,
        predict(out: Uint32Array) {
          out.set(tables.subarray(at * ALPHABET, (at + 1) * ALPHABET));
        },
        advance() {
          at++;
        },
        close() {},
      };
    },
  };
}

/** The table's methods, in its columns' order: 4 (mix-long), 5, then `sse2.ts`'s 6 to 13. */
const COLUMNS = METHOD_NAMES.filter(hasLongMatch);
const STAGES = [
  createSse2Predictor,
  createSse3Predictor,
  createSse4Predictor,
  createSse5Predictor,
  createSse6Predictor,
  createSse7Predictor,
];

/** The table's header: {@link COLUMNS} in bits per byte, then the changes {@link row} gives. */
function header(): string {
  const changes = COLUMNS.slice(3).map((_, k) => `${k + 7} vs ${k + 6}`.padStart(8));
  return `${"file".padEnd(22)} ${"bytes".padStart(8)} ${
    COLUMNS.map((c) => `${c} bpb`.padStart(13)).join(" ")
  } ${"6 vs 4".padStart(8)} ${changes.join(" ")}`;
}

/**
 * One line of the table: bits per byte of each of {@link COLUMNS}, then method 6 against 4, and
 * each later method against the one before.
 */
function row(name: string, bytes: number, sizes: readonly number[]): string {
  const bpb = (x: number) => (x / bytes).toFixed(4).padStart(13);
  const change = (x: number, y: number) => `${((x / y - 1) * 100).toFixed(2).padStart(7)}%`;
  const changes = [change(sizes[2]!, sizes[0]!)];
  for (let k = 3; k < sizes.length; k++) changes.push(change(sizes[k]!, sizes[k - 1]!));
  return `${name.padEnd(22)} ${String(bytes).padStart(8)} ${sizes.map(bpb).join(" ")} ${
    changes.join(" ")
  }`;
}

/**
 * The ideal code length of `bytes` under a predictor that codes bits (method 12), in bits: Σ over
 * each byte's path of −log2(the bit's frequency / 65536).
 */
export function bitBits(predictor: Predictor, bytes: Uint8Array): number {
  const batch = predictor.start(1);
  const table = new Uint32Array(ALPHABET);
  let sum = 0;
  for (let i = 0; i < bytes.length; i++) {
    batch.predict(table);
    for (let n = 1, d = 7; d >= 0; d--) {
      const y = (bytes[i]! >> d) & 1, one = batch.bitFrequency!(0, n);
      sum -= Math.log2((y === 1 ? one : 65536 - one) / 65536);
      n = 2 * n + y;
    }
    batch.advance(bytes.subarray(i, i + 1));
  }
  batch.close();
  return sum;
}

/** The ideal code length of `bytes` under `tables`, in bits: Σ −log2(freq / 65536). */
export function bits(tables: Uint32Array, bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i++) {
    sum -= Math.log2(tables[i * ALPHABET + bytes[i]!]! / 65536);
  }
  return sum;
}

if (import.meta.main) {
  const { values, positionals } = parseArgsOrExit("sse_bpb", import.meta.url, {
    options: {
      model: { type: "string", default: "models/default.mgb" },
      cache: { type: "string" },
    },
    allowPositionals: true,
  });
  const engine = createEngine(await loadModel(values.model));
  const cache = values.cache ?? null;
  if (cache !== null) Deno.mkdirSync(cache, { recursive: true });
  let total = 0;
  const totals = COLUMNS.map(() => 0);
  console.log(header());
  for (const file of positionals) {
    const bytes = Deno.readFileSync(file).subarray(0, SEGMENT);
    const key = (kind: "cm" | "nn") => cache === null ? null : keptTablesPath(cache, file, kind);
    const cm = cached(key("cm"), () => stepTables(createContextMixingPredictor(), bytes));
    const neural = cached(
      key("nn"),
      () => createLongMatchPredictor(engine, engine.config.context).predictSegment!(bytes),
    );
    const mixed = createMixingPredictor([replay(cm), replay(neural)]).predictSegment!(bytes);
    const stages = [
      mixed,
      createSsePredictor(replay(mixed)).predictSegment!(bytes),
      ...STAGES.map((create) => create(replay(cm), replay(neural)).predictSegment!(bytes)),
    ];
    const sizes = stages.map((tables) => bits(tables, bytes));
    // Methods 12 and 13 over the same parts, step by step (their predictors write no tables).
    for (const create of [createSse8Predictor, createSse9Predictor]) {
      sizes.push(bitBits(create(stepReplay(cm), stepReplay(neural)), bytes));
    }
    total += bytes.length;
    sizes.forEach((size, k) => totals[k] = totals[k]! + size);
    const name = file.split("/").slice(-2).join("/");
    console.log(row(name, bytes.length, sizes));
  }
  console.log(row("all", total, totals));
}
