import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { setBackend } from "./backend.ts";
import "./_gradients.ts";

await setBackend("cpu");

/** Central differences of a scalar function of `x`, coordinate by coordinate (float32). */
function numericGrad(f: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor, eps = 1e-2): Float32Array {
  const base = x.dataSync().slice();
  const out = new Float32Array(base.length);
  for (let i = 0; i < base.length; i++) {
    const at = (d: number) =>
      tf.tidy(() => {
        const v = base.slice();
        v[i] += d;
        return f(tf.tensor(v, x.shape)).dataSync()[0];
      });
    out[i] = (at(eps) - at(-eps)) / (2 * eps);
  }
  return out;
}

/** Asserts that the registered gradient of `f` at `x` matches central differences. */
function checkGrad(name: string, f: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor): void {
  const analytic = tf.tidy(() => tf.grad(f)(x).dataSync());
  const numeric = numericGrad(f, x);
  for (let i = 0; i < numeric.length; i++) {
    const tol = 2e-2 * (1 + Math.abs(numeric[i]));
    assert.ok(
      Math.abs(analytic[i] - numeric[i]) <= tol,
      `${name}[${i}]: ${analytic[i]} vs ${numeric[i]}`,
    );
  }
}

const weights = tf.randomNormal([2, 3, 4], 0, 1, "float32", 7); // makes every output matter
const weigh = (y: tf.Tensor): tf.Scalar => tf.sum(tf.mul(y, tf.reshape(weights, y.shape)));

Deno.test("registered gradients of elementwise kernels match central differences", () => {
  const x = tf.randomUniform([2, 3, 4], 0.5, 2, "float32", 3);
  const y = tf.randomUniform([3, 4], 0.5, 2, "float32", 4);
  const cases: [string, (x: tf.Tensor) => tf.Tensor][] = [
    ["Add (broadcast)", (x) => tf.add(x, y)],
    ["Add (other operand)", (x) => tf.add(y, x)],
    ["Sub", (x) => tf.sub(y, x)],
    ["Multiply", (x) => tf.mul(x, y)],
    ["RealDiv (numerator)", (x) => tf.div(x, y)],
    ["RealDiv (denominator)", (x) => tf.div(y, x)],
    ["Neg", (x) => tf.neg(x)],
    ["Square", (x) => tf.square(x)],
    ["Sqrt", (x) => tf.sqrt(x)],
    ["Rsqrt", (x) => tf.rsqrt(x)],
    ["Exp", (x) => tf.exp(x)],
    ["Log", (x) => tf.log(x)],
    ["Tanh", (x) => tf.tanh(x)],
    ["Cast", (x) => tf.cast(x, "float32")],
    ["Identity", (x) => tf.clone(x)],
  ];
  for (const [name, op] of cases) checkGrad(name, (x) => weigh(op(x)), x);
  tf.dispose([x, y]);
});

Deno.test("registered gradients of reductions, shape kernels and softmax match central differences", () => {
  const x = tf.randomNormal([2, 3, 4], 0, 1, "float32", 5);
  const cases: [string, (x: tf.Tensor) => tf.Scalar][] = [
    ["Sum (axis)", (x) => weigh(tf.mul(tf.sum(x, -1, true), x))],
    ["Sum (all)", (x) => tf.mul(tf.sum(x), tf.sum(x))],
    ["Mean (axis)", (x) => weigh(tf.mul(tf.mean(x, 1, true), x))],
    ["Mean (all)", (x) => tf.square(tf.mean(x))],
    ["Reshape", (x) => weigh(tf.reshape(tf.reshape(x, [6, 4]), [2, 3, 4]))],
    ["Transpose", (x) => weigh(tf.reshape(tf.transpose(x, [2, 0, 1]), [2, 3, 4]))],
    [
      "Slice",
      (x) =>
        tf.sum(tf.mul(tf.slice(x, [1, 0, 1], [1, 2, 3]), tf.slice(weights, [0, 0, 0], [1, 2, 3]))),
    ],
    [
      "PadV2",
      (x) =>
        tf.sum(
          tf.mul(
            tf.pad(x, [[1, 0], [0, 1], [2, 0]]),
            tf.randomNormal([3, 4, 6], 0, 1, "float32", 9),
          ),
        ),
    ],
    ["Concat", (x) => weigh(tf.slice(tf.concat([x, tf.mul(x, 2)], 1), [0, 1, 0], [2, 3, 4]))],
    ["SplitV", (x) => {
      const [a, b] = tf.split(x, [1, 3], 2);
      return tf.add(tf.sum(tf.mul(a, 3)), weigh(tf.concat([b, a], 2)));
    }],
    ["Softmax", (x) => weigh(tf.softmax(x, -1))],
  ];
  for (const [name, f] of cases) checkGrad(name, f, x);
  x.dispose();
});

Deno.test("registered gradients of BatchMatMul match central differences for every transpose", () => {
  const a = tf.randomNormal([2, 3, 4], 0, 1, "float32", 1);
  const b = tf.randomNormal([2, 4, 3], 0, 1, "float32", 2);
  const out = tf.randomNormal([2, 3, 3], 0, 1, "float32", 3);
  const bt = tf.transpose(b, [0, 2, 1]);
  const at = tf.transpose(a, [0, 2, 1]);
  const dot = (y: tf.Tensor): tf.Scalar => tf.sum(tf.mul(y, out));
  checkGrad("a @ b (a)", (x) => dot(tf.matMul(x, b)), a);
  checkGrad("a @ b (b)", (x) => dot(tf.matMul(a, x)), b);
  checkGrad("a @ btᵀ (a)", (x) => dot(tf.matMul(x, bt, false, true)), a);
  checkGrad("a @ btᵀ (bt)", (x) => dot(tf.matMul(a, x, false, true)), bt);
  checkGrad("atᵀ @ b (at)", (x) => dot(tf.matMul(x, b, true, false)), at);
  checkGrad("atᵀ @ b (b)", (x) => dot(tf.matMul(at, x, true, false)), b);
  checkGrad("atᵀ @ btᵀ (at)", (x) => dot(tf.matMul(x, bt, true, true)), at);
  checkGrad("atᵀ @ btᵀ (bt)", (x) => dot(tf.matMul(at, x, true, true)), bt);
  tf.dispose([a, b, out, at, bt]);
});

Deno.test("registered gradient of GatherV2 sums the rows of repeated indices", () => {
  const table = tf.randomNormal([5, 3], 0, 1, "float32", 4);
  const indices = tf.tensor2d([[0, 2, 2], [4, 2, 0]], [2, 3], "int32");
  const dy = tf.randomNormal([2, 3, 3], 0, 1, "float32", 6);
  const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, indices), dy)))(table)
    .arraySync() as number[][];
  const d = dy.arraySync() as number[][][];
  const expected = Array.from({ length: 5 }, () => [0, 0, 0]);
  [[0, 2, 2], [4, 2, 0]].forEach((row, i) =>
    row.forEach((r, j) => d[i][j].forEach((v, c) => (expected[r][c] += v)))
  );
  for (let r = 0; r < 5; r++) {
    for (let c = 0; c < 3; c++) {
      assert.ok(Math.abs(grad[r][c] - expected[r][c]) < 1e-5, `row ${r} col ${c}`);
    }
  }
  tf.dispose([table, indices, dy]);
});
