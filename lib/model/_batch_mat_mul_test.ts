import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { setBackend } from "./backend.ts";
import { batchMatMul } from "./_batch_mat_mul.ts";
import "./_gradients.ts";

await setBackend("cpu");

Deno.test("batchMatMul() split into chunks equals one matmul, values and gradients", () => {
  const a = tf.randomNormal([5, 3, 4, 6], 0, 1, "float32", 1); // 15 matrices
  const b = tf.randomNormal([5, 3, 7, 6], 0, 1, "float32", 2);
  const f = (maxBatch: number) => (x: tf.Tensor, y: tf.Tensor) =>
    tf.sum(tf.square(batchMatMul(x, y, true, maxBatch)));
  const whole = tf.tidy(() => batchMatMul(a, b, true).arraySync());
  const split = tf.tidy(() => batchMatMul(a, b, true, 4).arraySync()); // chunks of 4, 4, 4, 3
  assert.deepEqual(split, whole);
  const [ga, gb] = tf.grads(f(65535))([a, b]);
  const [sa, sb] = tf.grads(f(4))([a, b]);
  assert.deepEqual(sa.arraySync(), ga.arraySync());
  assert.deepEqual(sb.arraySync(), gb.arraySync());
  assert.deepEqual(tf.tidy(() => batchMatMul(a, b, true, 4).shape), [5, 3, 4, 7]);
  tf.dispose([a, b, ga, gb, sa, sb]);
});

Deno.test("batchMatMul() multiplies without transpose over leading dimensions", () => {
  const a = tf.tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 1, 2, 2]);
  const b = tf.tensor([1, 0, 0, 1, 0, 1, 1, 0], [2, 1, 2, 2]);
  assert.deepEqual(tf.tidy(() => batchMatMul(a, b, false, 1).arraySync()), [[[[1, 2], [3, 4]]], [[[
    6,
    5,
  ], [8, 7]]]]);
  tf.dispose([a, b]);
});
