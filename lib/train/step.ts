/**
 * One training step, as `megazip train` takes it and `deno task bench:train` times it.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Megabyte } from "../model/megabyte.ts";
import type { AdamW } from "./adamw.ts";
import { mixtureLoss } from "./mixture_loss.ts";

/** A batch's inputs to the mixture loss (`mixture_loss.ts`). */
export interface MixBatch {
  /** (B, T) float32 cm's probability of each byte of the batch. */
  pCm: tf.Tensor2D;
  /** (B, T) int32 cm's confidence bucket of each byte (`cmBatch`). */
  bucket: tf.Tensor2D;
  /** The ten weights λ. */
  weights: readonly number[];
}

/**
 * The loss of a batch and its gradients with respect to every variable of the model, then one
 * AdamW update with the gradients clipped to a global norm. Nothing is read back: the caller
 * reads the returned pair (one transfer, which waits for the GPU) and disposes it.
 *
 * @param model The model; its variables are updated in place.
 * @param optimizer AdamW over `model.variables`.
 * @param x The batch of windows, (B, T) int32 bytes (not disposed here).
 * @param lr The learning rate of this step.
 * @param maxNorm The largest global norm of the gradients.
 * @param grams A model with hashed n-gram tables: their rows for `x` (`ngramTensor`), (B, T, G)
 *   int32, built from the host's bytes (not disposed here).
 * @param keep With n-gram dropout: which lookups of `grams` to keep, (B, T, G) float32 ones and
 *   zeros (not disposed here).
 * @param mix With the mixture loss: cm's side of the batch (not disposed here); absent: the
 *   cross-entropy of the model alone.
 * @returns (2): the mean loss in nats per byte, and the gradients' global norm before clipping.
 */
export function trainStep(
  model: Megabyte,
  optimizer: AdamW,
  x: tf.Tensor2D,
  lr: number,
  maxNorm: number,
  grams?: tf.Tensor3D,
  keep?: tf.Tensor3D,
  mix?: MixBatch,
): tf.Tensor1D {
  const vars = [...model.variables.values()];
  const loss = (): tf.Scalar => {
    if (mix === undefined) return model.loss(x, grams, keep);
    const [B, T] = x.shape;
    const logits = tf.reshape(model.logits(x, grams, keep), [B * T, 256]) as tf.Tensor2D; // (B, T, V) -> (B·T, V)
    const flat = (t: tf.Tensor2D) => tf.reshape(t, [B * T]) as tf.Tensor1D; // (B, T) -> (B·T)
    return mixtureLoss(logits, flat(x), flat(mix.pCm), flat(mix.bucket), mix.weights);
  };
  const { value, grads } = tf.variableGrads(loss, vars); // (), {variable name: grad}
  const named = new Map<string, tf.Tensor>(
    [...model.variables].map(([name, v]) => [name, grads[v.name]]),
  );
  const norm = optimizer.apply(named, lr, maxNorm); // ()
  const both = tf.stack([value, norm]) as tf.Tensor1D; // (2)
  tf.dispose([value, norm, ...Object.values(grads)]);
  return both;
}
