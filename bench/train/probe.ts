/**
 * Probes where a webgpu training step's wall time goes that kernel timestamps do not show:
 * wall time of single matmuls of the step's shapes, of the forward pass alone, and of
 * forward + backward without the optimizer.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { setBackend } from "../../lib/model/backend.ts";
import { Megabyte } from "../../lib/model/megabyte.ts";

await setBackend("webgpu");
async function wall(label: string, f: () => tf.Tensor, reps = 5): Promise<void> {
  const w = f();
  await w.data();
  w.dispose();
  const t0 = performance.now();
  let last: tf.Tensor | undefined;
  for (let i = 0; i < reps; i++) {
    last?.dispose();
    last = f();
  }
  await last!.data();
  last!.dispose();
  console.log(`${label}: ${((performance.now() - t0) / reps).toFixed(2)} ms`);
}
const a = tf.randomNormal([8192, 512]);
const b = tf.randomNormal([512, 2048]);
await wall("matmul 8192x512 @ 512x2048", () => tf.matMul(a, b));
const c = tf.randomNormal([65536, 512]);
const d = tf.randomNormal([65536, 128]);
await wall("matmul 65536x512^T @ 65536x128", () => tf.matMul(c, d, true, false));
const e = tf.randomNormal([65536, 128]);
await wall(
  "gather 257x128 by 65536",
  () => tf.gather(tf.randomNormal([257, 128]), tf.zeros([65536], "int32")),
);
await wall("elementwise add 65536x512", () => tf.add(c, c), 20);
const model = new Megabyte({
  patchSize: 8,
  globalDim: 64,
  globalLayers: 4,
  globalHeads: 8,
  localDim: 128,
  localLayers: 2,
  localHeads: 4,
  context: 8192,
  mlpRatio: 4,
}, { seed: 1 });
const x = tf.randomUniformInt([8, 8192], 0, 256);
await wall("forward loss B=8", () => model.loss(x as tf.Tensor2D), 2);
await wall("forward+backward B=8", () => {
  const { value, grads } = tf.variableGrads(() => model.loss(x as tf.Tensor2D));
  tf.dispose(grads);
  return value;
}, 2);
const x1 = tf.randomUniformInt([1, 8192], 0, 256);
await wall("forward+backward B=1", () => {
  const { value, grads } = tf.variableGrads(() => model.loss(x1 as tf.Tensor2D));
  tf.dispose(grads);
  return value;
}, 2);
tf.dispose([a, b, c, d, e]);
