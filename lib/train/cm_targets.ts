// This module imports no tfjs.
/**
 * What the context-mixing model (`lib/predict/context_mixing.ts`) predicted for every byte of a
 * training file, for training with the mixture loss (`mixture_loss.ts`): the probability it gave
 * the byte that came, and a bucket of its confidence (its top probability). cm restarts every
 * {@link CM_SEGMENT} bytes, as the codec runs it over a block's segments, so a window's targets
 * are those the codec's cm would give the same bytes in the same place of a 1 MiB block.
 *
 * Computing them costs about 2 s per MB of one core (cm alone), too much to repeat at every
 * resume of a run: `models/training/cm_targets.ts` writes one file per corpus file, in the format
 * {@link encodeCmTargets} describes, and the trainer reads them.
 *
 * @module
 */
import { createContextMixingPredictor } from "../predict/context_mixing.ts";
import { ALPHABET, FREQ_TOTAL } from "../predict/predictor.ts";
import type { WindowOrigin } from "./windows.ts";

/** cm restarts every 1 MiB: the codec's default block, and its longest mix segment. */
export const CM_SEGMENT = 1 << 20;

/** Buckets of cm's confidence: top probability ≤ 0.4, ≤ 0.6, ≤ 0.8, ≤ 0.95, above. */
export const CM_BUCKETS = 5;

/** cm's targets over one file's bytes. */
export interface CmTargets {
  /** (N) cm's frequency of each byte that came, out of 65,536 (1 to 65,281). */
  freq: Uint16Array;
  /** (N) the bucket of cm's top probability before each byte, 0 to {@link CM_BUCKETS} − 1. */
  bucket: Uint8Array;
}

/**
 * The confidence bucket of a top probability: the split `bench/static_mix.ts` fits its weights on.
 *
 * @param top cm's largest probability for the next byte, 0 to 1.
 * @returns 0 (≤ 0.4), 1 (≤ 0.6), 2 (≤ 0.8), 3 (≤ 0.95) or 4.
 */
export function cmBucket(top: number): number {
  return top > 0.95 ? 4 : top > 0.8 ? 3 : top > 0.6 ? 2 : top > 0.4 ? 1 : 0;
}

/**
 * Runs cm over `bytes`, restarting at every {@link CM_SEGMENT}.
 *
 * @param bytes A corpus file.
 * @returns cm's frequency of each byte and its confidence bucket before it.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeCmTargets } from "./cm_targets.ts";
 * const { freq, bucket } = computeCmTargets(new TextEncoder().encode("abababab"));
 * assert.equal(freq.length, 8);
 * assert.ok(freq[7] > freq[0]); // the repeat is learned
 * assert.equal(bucket[0], 0);
 * ```
 */
export function computeCmTargets(bytes: Uint8Array): CmTargets {
  const n = bytes.length;
  const freq = new Uint16Array(n);
  const bucket = new Uint8Array(n);
  const table = new Uint32Array(ALPHABET);
  for (let start = 0; start < n; start += CM_SEGMENT) {
    const end = Math.min(n, start + CM_SEGMENT);
    const batch = createContextMixingPredictor().start(1);
    for (let i = start; i < end; i++) {
      batch.predict(table);
      let top = 0;
      for (let v = 0; v < ALPHABET; v++) if (table[v]! > top) top = table[v]!;
      freq[i] = table[bytes[i]!]!;
      bucket[i] = cmBucket(top / FREQ_TOTAL);
      batch.advance(bytes.subarray(i, i + 1));
    }
    batch.close();
  }
  return { freq, bucket };
}

/** The file's first 8 bytes. */
const MAGIC = new TextEncoder().encode("MZCMTGT1");
const HEADER = MAGIC.length + 32;

/**
 * The targets as a file: the 8 bytes "MZCMTGT1"; the SHA-256 of the corpus file they belong to
 * (32 bytes, so that targets of other bytes are refused); `freq` (2N bytes, little-endian); then
 * `bucket` (N bytes).
 *
 * @param targets From {@link computeCmTargets}.
 * @param sha256 The corpus file's SHA-256, lowercase hex.
 * @returns The file's bytes.
 */
export function encodeCmTargets(targets: CmTargets, sha256: string): Uint8Array {
  const n = targets.freq.length;
  const out = new Uint8Array(HEADER + 3 * n);
  out.set(MAGIC);
  for (let i = 0; i < 32; i++) out[MAGIC.length + i] = parseInt(sha256.slice(2 * i, 2 * i + 2), 16);
  const view = new DataView(out.buffer);
  for (let i = 0; i < n; i++) view.setUint16(HEADER + 2 * i, targets.freq[i]!, true);
  out.set(targets.bucket, HEADER + 2 * n);
  return out;
}

/**
 * Reads a file of {@link encodeCmTargets}, checking that it belongs to the corpus file.
 *
 * @param bytes The file's bytes.
 * @param file The corpus file: its length and SHA-256 must match.
 * @param where The file's path, for messages.
 * @returns The targets.
 * @throws {RangeError} When the file is not such a file or belongs to other bytes.
 */
export function decodeCmTargets(
  bytes: Uint8Array,
  file: { bytes: Uint8Array; sha256: string },
  where: string,
): CmTargets {
  const n = file.bytes.length;
  if (bytes.length < HEADER || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new RangeError(`Cannot read cm targets ${where}: not a cm targets file`);
  }
  const hash = Array.from(
    bytes.subarray(MAGIC.length, HEADER),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  if (hash !== file.sha256 || bytes.length !== HEADER + 3 * n) {
    throw new RangeError(
      `Cannot read cm targets ${where}: they belong to other bytes than the corpus file (rerun models/training/cm_targets.ts)`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const freq = new Uint16Array(n);
  for (let i = 0; i < n; i++) freq[i] = view.getUint16(HEADER + 2 * i, true);
  const bucket = bytes.slice(HEADER + 2 * n);
  for (let i = 0; i < n; i++) {
    if (freq[i] === 0 || bucket[i]! >= CM_BUCKETS) {
      throw new RangeError(`Cannot read cm targets ${where}: entry ${i} is out of range`);
    }
  }
  return { freq, bucket };
}

/**
 * Where the targets of the corpus file called `name` (its category) lie in the folder `dir`.
 *
 * @param dir The folder `models/training/cm_targets.ts --out` wrote.
 * @param name The corpus file's name (`CorpusFile.name`).
 * @returns The path.
 */
export function cmTargetsPath(dir: string, name: string): string {
  return `${dir.replace(/\/+$/, "")}/${name}.cmt`;
}

/**
 * cm's targets for a batch of training windows, cut where `sampleWindows` cut the windows. A
 * window written with CRLF line ends has bytes cm never saw in that order: its bytes get bucket
 * {@link CM_BUCKETS}, which the mixture loss gives λ = 0 (the plain cross-entropy).
 *
 * @param targets Per corpus file, in corpus order.
 * @param origins Where each window came from (`sampleWindows`' `origins`).
 * @param length The windows' length T.
 * @returns (B, T) cm's probability of each byte, and (B, T) its bucket, row-major.
 */
export function cmBatch(
  targets: readonly CmTargets[],
  origins: readonly WindowOrigin[],
  length: number,
): { pCm: Float32Array; bucket: Int32Array } {
  const pCm = new Float32Array(origins.length * length); // (B, T)
  const bucket = new Int32Array(origins.length * length); // (B, T)
  origins.forEach(({ file, start, crlf }, b) => {
    const { freq, bucket: from } = targets[file]!;
    for (let t = 0; t < length; t++) {
      const at = b * length + t;
      pCm[at] = crlf ? 1 : freq[start + t]! / FREQ_TOTAL;
      bucket[at] = crlf ? CM_BUCKETS : from[start + t]!;
    }
  });
  return { pCm, bucket };
}
