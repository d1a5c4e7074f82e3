// This module imports no tfjs.
/**
 * Training and validation windows: runs of `length` consecutive bytes cut from corpus files,
 * as int32 rows ready for a (B, T) tensor. Training windows are drawn at random (uniform over
 * every window that fits inside one file), a given fraction of them with their line ends turned into
 * CRLF; validation windows are a fixed set, the same on every run, evenly spaced through each file.
 *
 * @module
 */
import type { Corpus } from "./corpus.ts";
import type { Rng } from "./rng.ts";

/**
 * Draws `batch` random windows of `length` bytes, each inside one file, every start equally
 * likely over the whole corpus (so a file is picked in proportion to its size).
 *
 * @param corpus The training corpus; at least one file must hold `length` bytes.
 * @param rng The run's generator: one draw per window (a few more after rare rejections), and
 *   one more per window when `crlf` > 0.
 * @param options `batch` rows of `length` bytes; `crlf`: the fraction of windows whose line ends
 *   are written CRLF (default 0, and then the draws are those of a run without it); `origins`:
 *   an array that gets where each window came from (it draws nothing more).
 * @returns (B, T) byte values, row-major.
 * @example Two windows of 4 bytes
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "./rng.ts";
 * import { sampleWindows } from "./windows.ts";
 * const corpus = { files: [{ name: "a", path: "a", bytes: new Uint8Array(100), sha256: "" }], totalBytes: 100 };
 * assert.equal(sampleWindows(corpus, new Rng(1), { batch: 2, length: 4 }).length, 8);
 * ```
 */
export function sampleWindows(
  corpus: Corpus,
  rng: Rng,
  options: { batch: number; length: number; crlf?: number; origins?: WindowOrigin[] },
): Int32Array {
  const { batch, length } = options;
  const crlf = options.crlf ?? 0;
  checkSizes(batch, length);
  checkFraction(crlf);
  // starts[i]: number of windows that fit in file i; window r of the corpus lies in the file
  // whose cumulative count first exceeds r.
  const cumulative: number[] = [];
  let total = 0;
  for (const file of corpus.files) {
    total += Math.max(0, file.bytes.length - length + 1);
    cumulative.push(total);
  }
  if (total === 0) {
    throw new RangeError(`Cannot draw training windows: no corpus file holds ${length} bytes`);
  }
  const out = new Int32Array(batch * length); // (B, T)
  for (let b = 0; b < batch; b++) {
    const r = rng.int(total);
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid] > r) hi = mid;
      else lo = mid + 1;
    }
    const start = r - (lo === 0 ? 0 : cumulative[lo - 1]);
    const source = corpus.files[lo].bytes.subarray(start, start + length);
    const row = out.subarray(b * length, (b + 1) * length);
    const crlfWindow = crlf > 0 && rng.int(1 << 30) < crlf * (1 << 30);
    if (crlfWindow) writeCrlf(source, row);
    else row.set(source);
    options.origins?.push({ file: lo, start, crlf: crlfWindow });
  }
  return out;
}

/** Where a training window was cut: its file (index in the corpus), first byte, and CRLF rewrite. */
export interface WindowOrigin {
  file: number;
  start: number;
  crlf: boolean;
}

/**
 * Copies `source` into `row` with every LF not already after a CR written as CR LF, until `row`
 * is full. The training corpus has almost no CRLF text (3,172 CR bytes in 179 MB) while Windows
 * files, and three Canterbury texts, end every line so; the model must learn both habits.
 * `source` is at least as long as `row`, and the expansion only lengthens it, so `row` fills.
 */
export function writeCrlf(source: Uint8Array, row: Int32Array): void {
  let j = 0;
  for (let i = 0; i < source.length && j < row.length; i++) {
    const byte = source[i];
    if (byte === 0x0a && (i === 0 || source[i - 1] !== 0x0d)) {
      row[j++] = 0x0d;
      if (j === row.length) break;
    }
    row[j++] = byte;
  }
}

function checkFraction(crlf: number): void {
  if (!(crlf >= 0 && crlf <= 1)) {
    throw new RangeError(`Cannot cut windows: crlf must be a fraction from 0 to 1, got ${crlf}`);
  }
}

/** The validation windows of one corpus file. */
export interface ValidationSet {
  /** The file's category name. */
  name: string;
  /** Number of windows. */
  count: number;
  /** (count, T) byte values, row-major. */
  windows: Int32Array;
  /**
   * (count, T) match rows found also in the file before each window (−1: none), for a model with
   * a match row validated with history (`TrainOptions.validHistory`); absent: each window's own.
   */
  matchRows?: Int32Array;
}

/**
 * The fixed validation windows: for each file that holds `length` bytes, `perFile` windows
 * (fewer if the file has fewer distinct starts) at evenly spaced starts from its first byte to
 * its last full window. No randomness: every run evaluates the same bytes.
 *
 * @param corpus The validation corpus.
 * @param options Window `length` and windows `perFile`.
 * @returns One set per file long enough, in corpus order.
 */
export function validationWindows(
  corpus: Corpus,
  options: { length: number; perFile: number },
): ValidationSet[] {
  const { length, perFile } = options;
  checkSizes(perFile, length);
  const sets: ValidationSet[] = [];
  for (const file of corpus.files) {
    const starts = validationStarts(file.bytes.length, options);
    if (starts.length === 0) continue;
    const count = starts.length;
    const windows = new Int32Array(count * length); // (count, T)
    starts.forEach((start, i) =>
      windows.set(file.bytes.subarray(start, start + length), i * length)
    );
    sets.push({ name: file.name, count, windows });
  }
  if (sets.length === 0) {
    throw new RangeError(
      `Cannot make validation windows: no validation file holds ${length} bytes`,
    );
  }
  return sets;
}

/**
 * Where {@link validationWindows} starts the windows of a file: `perFile` evenly spaced starts
 * (fewer if the file has fewer) from 0 to the last full window, none if it holds no window.
 *
 * @param fileLength The file's length in bytes.
 * @param options Window `length` and windows `perFile`.
 * @returns The starts, ascending.
 */
export function validationStarts(
  fileLength: number,
  options: { length: number; perFile: number },
): number[] {
  const { length, perFile } = options;
  const span = fileLength - length; // last start
  if (span < 0) return [];
  const count = Math.min(perFile, span + 1);
  return Array.from(
    { length: count },
    (_, i) => (count === 1 ? 0 : Math.floor((i * span) / (count - 1))),
  );
}

function checkSizes(count: number, length: number): void {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`Cannot cut windows: count must be a positive integer, got ${count}`);
  }
  if (!Number.isInteger(length) || length < 1) {
    throw new RangeError(`Cannot cut windows: length must be a positive integer, got ${length}`);
  }
}
