/**
 * The mixture loss: the cost of each training byte under a static mix of the model with the
 * context-mixing model (cm) that the codec runs beside it,
 *
 *   loss = −mean log(λ · p_cm(y) + (1 − λ) · p_model(y)),
 *
 * where λ is one of ten fixed weights picked by cm's confidence (`cm_targets.ts`, five buckets)
 * and whether the model's own top probability is above 0.6. Its gradient is the cross-entropy's,
 * scaled for each byte by (1 − λ) · p_model(y) / p_mix(y): bytes that cm already predicts well
 * teach the model little, so its capacity goes where cm is weak, which is what the codec's mix of
 * the two wants from it. The weights are those `bench/static_mix.ts` fits on training samples.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import "../model/_gradients.ts";
import { CM_BUCKETS } from "./cm_targets.ts";

/**
 * λ for (cm bucket 0–4) × (model's top probability ≤ 0.6, above): entry 2·bucket + high. Fitted
 * by `bench/static_mix.ts --fit` on 200,000 bytes of each training file with run 16's model
 * (`bench/results/static-mix-2026-11-30.txt`).
 */
export const DEFAULT_MIX_WEIGHTS: readonly number[] = [
  0.14,
  0.02,
  0.24,
  0.06,
  0.38,
  0.1,
  0.56,
  0.18,
  0.82,
  0.68,
];

/** The bucket that turns the mix off for a byte (λ = 0): a window cm has no targets for. */
export const NO_MIX_BUCKET = CM_BUCKETS;

/** The model's top probability above which the second weight of a cm bucket applies. */
const MODEL_HIGH = 0.6;

/**
 * Checks ten mixture weights.
 *
 * @param weights The weights, as {@link DEFAULT_MIX_WEIGHTS}.
 * @throws {RangeError} Unless there are ten, each from 0 to below 1.
 */
export function checkMixWeights(weights: readonly number[]): void {
  if (weights.length !== 2 * CM_BUCKETS || !weights.every((w) => w >= 0 && w < 1)) {
    throw new RangeError(
      `Cannot use mixture weights ${weights.join(",")}: need ${
        2 * CM_BUCKETS
      }, each from 0 to below 1`,
    );
  }
}

/**
 * (N, 2) log λ and log(1 − λ) for each byte, with no gradient: the model's top probability picks
 * the weight, but the loss is not differentiated through the choice. λ = 0 becomes 1e-26.
 */
function logWeights(
  logProbs: tf.Tensor2D,
  bucket: tf.Tensor1D,
  weights: readonly number[],
): tf.Tensor2D {
  const low = tf.tensor1d([...weights.filter((_, i) => i % 2 === 0), 0]); // (buckets + 1)
  const high = tf.tensor1d([...weights.filter((_, i) => i % 2 === 1), 0]); // (buckets + 1)
  const pick = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const top = tf.max(inputs[0] as tf.Tensor, -1); // (N, V) -> (N)
    const h = tf.cast(tf.greater(top, Math.log(MODEL_HIGH)), "float32"); // (N)
    const lambda = tf.add(
      tf.mul(tf.gather(low, bucket), tf.sub(1, h)),
      tf.mul(tf.gather(high, bucket), h),
    ); // (N)
    return {
      value: tf.stack([tf.log(tf.maximum(lambda, 1e-26)), tf.log(tf.sub(1, lambda))], 1), // (N, 2)
      gradFunc: () => tf.zerosLike(inputs[0] as tf.Tensor),
    };
  });
  return pick(logProbs) as tf.Tensor2D;
}

/**
 * The mixture loss of a batch, in nats per byte.
 *
 * @param logits (N, 256) the model's logits for N bytes.
 * @param labels (N) int32 the bytes that came.
 * @param pCm (N) float32 cm's probability of each byte that came.
 * @param bucket (N) int32 cm's confidence bucket of each byte, or {@link NO_MIX_BUCKET}.
 * @param weights The ten weights λ ({@link DEFAULT_MIX_WEIGHTS}).
 * @returns A scalar, differentiable with respect to `logits`.
 */
export function mixtureLoss(
  logits: tf.Tensor2D,
  labels: tf.Tensor1D,
  pCm: tf.Tensor1D,
  bucket: tf.Tensor1D,
  weights: readonly number[],
): tf.Scalar {
  checkMixWeights(weights);
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(logits); // (N, V)
    // int32 one-hot, then cast: the wasm backend's float32 OneHot writes integer bit patterns.
    const oneHot = tf.cast(tf.oneHot(labels, 256), "float32"); // (N, V)
    const logPModel = tf.sum(tf.mul(logProbs, oneHot), -1); // (N)
    const w = logWeights(logProbs, bucket, weights); // (N, 2)
    // a ≥ log(1e-26 / 65536) ≈ −71: e^a stays a normal float32, so the sum never reaches 0.
    const a = tf.add(tf.reshape(tf.slice(w, [0, 0], [-1, 1]), [-1]), tf.log(pCm)); // (N)
    const b = tf.add(tf.reshape(tf.slice(w, [0, 1], [-1, 1]), [-1]), logPModel); // (N)
    const logMix = tf.log(tf.add(tf.exp(a), tf.exp(b))); // (N)
    return tf.neg(tf.mean(logMix)) as tf.Scalar; // ()
  });
}
