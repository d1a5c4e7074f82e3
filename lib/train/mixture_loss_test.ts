import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import {
  checkMixWeights,
  DEFAULT_MIX_WEIGHTS,
  mixtureLoss,
  NO_MIX_BUCKET,
} from "./mixture_loss.ts";

await tf.setBackend("cpu");

/** Two bytes: the first with a confident model (top 0.9), the second with a flat one. */
const probs = [
  [0.9, 0.05, 0.05],
  [0.4, 0.3, 0.3],
];
const logits = tf.tensor2d(probs.map((row) => [...row.map(Math.log), ...new Array(253).fill(-80)]));
const labels = tf.tensor1d([1, 0], "int32");

Deno.test("mixtureLoss() is −mean log(λ p_cm + (1 − λ) p_model), λ picked by cm's bucket and the model's top", () => {
  const pCm = tf.tensor1d([0.5, 0.25]);
  const bucket = tf.tensor1d([3, 0], "int32");
  const loss = mixtureLoss(logits, labels, pCm, bucket, DEFAULT_MIX_WEIGHTS).dataSync()[0];
  // byte 0: bucket 3, model top 0.9 > 0.6: λ = weight 7 = 0.18; byte 1: bucket 0, top 0.4: λ = 0.14.
  const want = -(Math.log(0.18 * 0.5 + 0.82 * 0.05) + Math.log(0.14 * 0.25 + 0.86 * 0.4)) / 2;
  assert.ok(Math.abs(loss - want) < 1e-5, `${loss} against ${want}`);
});

Deno.test("mixtureLoss() with λ = 0 (no-mix bucket or zero weights) is the cross-entropy", () => {
  const pCm = tf.tensor1d([0.5, 0.25]);
  const crossEntropy = -(Math.log(0.05) + Math.log(0.4)) / 2;
  const noMix = tf.tensor1d([NO_MIX_BUCKET, NO_MIX_BUCKET], "int32");
  const a = mixtureLoss(logits, labels, pCm, noMix, DEFAULT_MIX_WEIGHTS).dataSync()[0];
  const b = mixtureLoss(logits, labels, pCm, tf.tensor1d([4, 2], "int32"), new Array(10).fill(0))
    .dataSync()[0];
  assert.ok(Math.abs(a - crossEntropy) < 1e-5, `${a}`);
  assert.ok(Math.abs(b - crossEntropy) < 1e-5, `${b}`);
});

Deno.test("mixtureLoss()'s gradient is the cross-entropy's scaled by (1 − λ) p_model / p_mix", () => {
  const pCm = tf.tensor1d([0.5, 0.25]);
  const bucket = tf.tensor1d([3, 0], "int32");
  const grad = tf.grad((l: tf.Tensor) =>
    mixtureLoss(l as tf.Tensor2D, labels, pCm, bucket, DEFAULT_MIX_WEIGHTS)
  )(logits).arraySync() as number[][];
  const scale = [
    (0.82 * 0.05) / (0.18 * 0.5 + 0.82 * 0.05),
    (0.86 * 0.4) / (0.14 * 0.25 + 0.86 * 0.4),
  ];
  for (let i = 0; i < 2; i++) {
    for (let v = 0; v < 3; v++) {
      // d CE / d logit_v = softmax_v − [v = y], over the mean of 2 bytes.
      const want = (scale[i] * (probs[i][v] - (v === [1, 0][i] ? 1 : 0))) / 2;
      assert.ok(
        Math.abs(grad[i][v] - want) < 1e-5,
        `byte ${i}, ${v}: ${grad[i][v]} against ${want}`,
      );
    }
  }
});

Deno.test("checkMixWeights() wants ten weights from 0 to below 1", () => {
  checkMixWeights(DEFAULT_MIX_WEIGHTS);
  assert.throws(() => checkMixWeights([0.1, 0.2]), /need 10, each from 0 to below 1/);
  assert.throws(() => checkMixWeights(new Array(10).fill(1)), /need 10/);
  assert.throws(() => checkMixWeights([...new Array(9).fill(0), NaN]), /need 10/);
});
