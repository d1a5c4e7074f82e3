/**
 * Internal: a batched matmul that never asks a backend for more than 65,535 matrices at once.
 *
 * WebGPU puts the batch of a BatchMatMul in one dispatch dimension, capped at 65,535
 * ("Dispatch size exceeds WebGPU limits in Y or Z dimension", ../shared/DEVICE.md); the local
 * model's attention has a batch of B·K·H, far beyond that. Larger batches are split into chunks
 * and concatenated: the result and its gradient are those of one matmul.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/** The largest batch one BatchMatMul kernel is given (WebGPU's dispatch limit per dimension). */
export const MAX_MATMUL_BATCH = 65535;

/**
 * `a @ b` (or `a @ bᵀ`) over matching leading dimensions, split into chunks of at most
 * `maxBatch` matrices.
 *
 * @param a Shape (..., M, X).
 * @param b Shape (..., X, N), or (..., N, X) when `transposeB`.
 * @param transposeB Whether to multiply by the transpose of `b`'s last two axes.
 * @param maxBatch The largest batch handed to one kernel.
 * @returns Shape (..., M, N).
 */
export function batchMatMul(
  a: tf.Tensor,
  b: tf.Tensor,
  transposeB: boolean,
  maxBatch: number = MAX_MATMUL_BATCH,
): tf.Tensor {
  const lead = a.shape.slice(0, -2);
  const n = lead.reduce((x, y) => x * y, 1);
  const [M, X] = a.shape.slice(-2) as [number, number];
  const [R, C] = b.shape.slice(-2) as [number, number];
  const a3 = tf.reshape(a, [n, M, X]); // (..., M, X) -> (n, M, X)
  const b3 = tf.reshape(b, [n, R, C]); // (..., R, C) -> (n, R, C)
  let out: tf.Tensor;
  if (n <= maxBatch) {
    out = tf.matMul(a3, b3, false, transposeB); // (n, M, X) @ (n, X, N) -> (n, M, N)
  } else {
    const sizes: number[] = [];
    for (let done = 0; done < n; done += maxBatch) sizes.push(Math.min(maxBatch, n - done));
    const as = tf.split(a3, sizes, 0); // (n, M, X) -> chunks (c, M, X)
    const bs = tf.split(b3, sizes, 0); // (n, R, C) -> chunks (c, R, C)
    const parts = as.map((ai, i) => tf.matMul(ai, bs[i], false, transposeB)); // (c, M, N) each
    out = tf.concat(parts, 0); // chunks (c, M, N) -> (n, M, N)
  }
  const N = out.shape[2]!;
  return tf.reshape(out, [...lead, M, N]); // (n, M, N) -> (..., M, N)
}
