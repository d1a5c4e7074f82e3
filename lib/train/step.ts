/**
 * One training step, as `megazip train` takes it and `deno task bench:train` times it.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Megabyte } from "../model/megabyte.ts";
import type { AdamW } from "./adamw.ts";

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
): tf.Tensor1D {
  const vars = [...model.variables.values()];
  const { value, grads } = tf.variableGrads(() => model.loss(x, grams, keep), vars); // (), {variable name: grad}
  const named = new Map<string, tf.Tensor>(
    [...model.variables].map(([name, v]) => [name, grads[v.name]]),
  );
  const norm = optimizer.apply(named, lr, maxNorm); // ()
  const both = tf.stack([value, norm]) as tf.Tensor1D; // (2)
  tf.dispose([value, norm, ...Object.values(grads)]);
  return both;
}
