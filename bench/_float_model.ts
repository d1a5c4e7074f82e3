/**
 * Internal: the float (tfjs) side of the model benches (`float_eval.ts`, `dynamic_eval.ts`,
 * `patch_position.ts`, …).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { DEFAULT_MODEL_URL } from "../cli/_model.ts";
import { loadModel } from "../lib/model/model_file_read.ts";
import type { ModelFile } from "../lib/model/model_file_types.ts";
import { Megabyte } from "../lib/model/megabyte.ts";
import type { MegabyteConfig } from "../lib/model/config.ts";
import { segmentMatchRows } from "../lib/predict/long_match.ts";
import { DEFAULT_BLOCK_SIZE } from "../codec/_common/format.ts";
import {
  TRAIN_BACKENDS,
  type TrainBackendName,
  useTrainBackend,
} from "../lib/train/train_backend.ts";

/** The shipped model's path, the benches' default. */
export const DEFAULT_MODEL: string = DEFAULT_MODEL_URL.pathname;

/**
 * A model file and the tfjs model holding its weights, on `backend`: "wasm" or "cpu" here,
 * "webgpu" on the device (with `--unstable-webgpu`, as the trainer runs there).
 */
export async function openFloatModel(
  path: string,
  backend: string,
): Promise<{ file: ModelFile; model: Megabyte }> {
  if (!(TRAIN_BACKENDS as readonly string[]).includes(backend)) {
    throw new RangeError(`Unknown backend ${backend}: one of ${TRAIN_BACKENDS.join(", ")}`);
  }
  await useTrainBackend(backend as TrainBackendName);
  const file = await loadModel(path);
  const model = new Megabyte(file.config);
  model.importTensors(file.tensors);
  return { file, model };
}

/**
 * The natural log-probability of every byte of `x` given the bytes before it in its row.
 *
 * @param model The model.
 * @param x Shape (n, L), int32 bytes.
 * @param grams The hashed n-gram rows of `x` (`ngramTensor`), for a model with tables; built
 *   from `x` when left out.
 * @returns Shape (n, L).
 */
export function byteLogProbs(model: Megabyte, x: tf.Tensor2D, grams?: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(model.logits(x, grams), -1); // (n, L, 256)
    return tf.sum(tf.mul(logp, tf.oneHot(x, 256)), -1) as tf.Tensor2D; // (n, L)
  });
}

/**
 * The match rows that "mix-long" gives each byte of a file (codec/FORMAT.md, Appendix D): found
 * in the whole block before it, the file cut into the encoder's default blocks (1 MiB). None for
 * a model without a match row.
 *
 * @param config The model's config (its `matchLength`).
 * @param bytes The whole file.
 * @returns One row per byte (−1: no match), or undefined.
 */
export function blockMatchRows(config: MegabyteConfig, bytes: Uint8Array): Int32Array | undefined {
  const k = config.matchLength ?? 0;
  if (k === 0) return undefined;
  const rows = new Int32Array(bytes.length);
  for (let at = 0; at < bytes.length; at += DEFAULT_BLOCK_SIZE) {
    rows.set(segmentMatchRows(bytes.subarray(at, at + DEFAULT_BLOCK_SIZE), k), at);
  }
  return rows;
}
