import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { setBackend } from "../model/backend.ts";
import "../model/megabyte.ts"; // registers the gradients of tfjs-core ops
import "./_cpu_kernels.ts";
import { Rng } from "./rng.ts";

await setBackend("cpu");

Deno.test("_cpu_kernels.ts replaces tfjs's UnsortedSegmentSum on cpu", () => {
  assert.equal(
    tf.getKernel(tf.UnsortedSegmentSum, "cpu")?.kernelFunc.name,
    "fastUnsortedSegmentSum",
  );
});

Deno.test("UnsortedSegmentSum on cpu adds each row into its segment, in row order, in float32", () => {
  const rng = new Rng(11);
  const rows = 300;
  const width = 5;
  const segments = 17;
  const values = Float32Array.from(
    { length: rows * width },
    () => (rng.uint32() / 2 ** 32 - 0.5) * 10,
  );
  const ids = Int32Array.from({ length: rows }, () => rng.int(segments + 2) - 1); // some out of range
  const want = new Float32Array(segments * width);
  for (let i = 0; i < rows; i++) {
    if (ids[i] < 0 || ids[i] >= segments) continue;
    for (let j = 0; j < width; j++) {
      want[ids[i] * width + j] = Math.fround(want[ids[i] * width + j] + values[i * width + j]);
    }
  }
  const got = tf.tidy(() =>
    tf.unsortedSegmentSum(tf.tensor2d(values, [rows, width]), tf.tensor1d(ids, "int32"), segments)
  );
  assert.deepEqual(got.shape, [segments, width]);
  assert.deepEqual(got.dataSync(), want);
  got.dispose();
});

Deno.test("the gradient of gather on cpu sums the upstream rows of each index", () => {
  const table = tf.variable(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]));
  const idx = tf.tensor1d([2, 0, 2], "int32");
  const { grads } = tf.variableGrads(
    () => tf.sum(tf.mul(tf.gather(table, idx), tf.tensor2d([1, 10, 100, 1000, 7, 70], [3, 2]))),
    [table],
  );
  assert.deepEqual(Array.from(grads[table.name].dataSync()), [100, 1000, 0, 0, 8, 80]);
  tf.dispose([table, idx, ...Object.values(grads)]);
});
