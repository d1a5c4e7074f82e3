// This module imports no tfjs.
/**
 * Checks of the options shared by the encoder and the decoder.
 *
 * @module
 */
import { checkModelTensors } from "../../lib/engine/prepared_model.ts";
import type { ModelFile } from "../../lib/model/model_file_types.ts";
import type { DecompressOptions } from "../options.ts";
import { isZeroHash, MODEL_HASH_BYTES } from "./format.ts";
import { DEFAULT_BATCH_SIZE } from "./segment_coding.ts";

/** Most workers a caller may ask for. */
export const MAX_WORKERS = 256;

/**
 * `options` checked: an object (an omitted argument is `{}` by default); null, a string or a
 * number is a TypeError, not a crash on its first field or options silently ignored.
 */
export function checkOptionsObject(options: unknown): void {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot use the options: expected an object, got ${
        options === null ? "null" : typeof options
      }`,
    );
  }
}

/**
 * `onProgress` checked: a function, or null or undefined (none); checked before any work, not
 * when the first block is done.
 */
export function checkProgress(onProgress: unknown): void {
  if (onProgress !== undefined && onProgress !== null && typeof onProgress !== "function") {
    throw new TypeError(`Cannot use onProgress: expected a function, got ${typeof onProgress}`);
  }
}

/** `workers` checked: an integer 0..256 (default 1). */
export function checkWorkers(workers: number | undefined): number {
  const value = workers ?? 1;
  if (!Number.isInteger(value) || value < 0 || value > MAX_WORKERS) {
    throw new RangeError(`Cannot use ${value} workers: expected an integer in 0..${MAX_WORKERS}`);
  }
  return value;
}

/** `batchSize` checked: an integer ≥ 1 (default {@link DEFAULT_BATCH_SIZE}). */
export function checkBatchSize(batchSize: number | undefined): number {
  const value = batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(value) || value < 1 || value > 1 << 16) {
    throw new RangeError(`Cannot use a batch size of ${value}: expected an integer in 1..65536`);
  }
  return value;
}

/**
 * `model` checked: null, or a model file with a 32-byte hash that is not all zeros (an archive's
 * zero `Model_Hash` means "no model", FORMAT.md Appendix B).
 */
export function checkModel(model: ModelFile | null | undefined): ModelFile | null {
  if (model === undefined || model === null) return null;
  if (typeof model !== "object") {
    throw new TypeError(
      `Cannot use the model: expected a model file (from loadModel or readModelFile), got ${typeof model}`,
    );
  }
  if (!(model.hash instanceof Uint8Array) || model.hash.length !== MODEL_HASH_BYTES) {
    throw new TypeError(
      `Cannot use model ${model.name}: its hash must be ${MODEL_HASH_BYTES} bytes`,
    );
  }
  if (isZeroHash(model.hash)) {
    throw new TypeError(
      `Cannot use model ${model.name}: its hash is all zeros, which archives read as "no model"`,
    );
  }
  return model;
}

/** The decoder's options, checked. */
export interface CheckedDecodeOptions {
  model: ModelFile | null;
  workers: number;
  batchSize: number;
  onProgress: ((outputBytesDone: number) => void) | undefined;
}

/**
 * The options of `decompress` and `decompressStream`, every one checked at once, before any work.
 *
 * @throws {TypeError} For options that are not an object, an `onProgress` that is not a function
 * or a `model` that is not a model file.
 * @throws {RangeError} For `workers` or `batchSize` out of range.
 */
export function checkDecodeOptions(options: DecompressOptions): CheckedDecodeOptions {
  checkOptionsObject(options);
  checkProgress(options.onProgress);
  return {
    model: checkModel(options.model),
    workers: checkWorkers(options.workers),
    batchSize: checkBatchSize(options.batchSize),
    onProgress: options.onProgress ?? undefined,
  };
}

/**
 * Throws a TypeError for a model the engine cannot run (a hand-built object: a tensor missing,
 * extra or misshapen, or a non-finite weight), before any work: the encoder would otherwise code
 * without it, and the decoder fail at its first coded block after earlier blocks were handed out.
 */
export function checkModelRunnable(model: ModelFile): void {
  try {
    checkModelTensors(model);
  } catch (error) {
    throw new TypeError(
      error instanceof RangeError
        ? error.message
        : `Cannot run model ${model.name}: ${error instanceof Error ? error.message : error}`,
      { cause: error },
    );
  }
}
