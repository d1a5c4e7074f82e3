import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { setBackend } from "./backend.ts";
import { SEGMENT_SUM_GATHER_GRAD, SPLIT_K, splitKCount, splitKMatMul } from "./_gradients.ts";
import { hasWebGpu, relError, runWebGpuScript } from "./_test_util.ts";

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

Deno.test("GatherV2's gradient is a segment sum for tables of minRows rows or more, one-hot below, equal either way", async () => {
  const saved = SEGMENT_SUM_GATHER_GRAD.minRows;
  SEGMENT_SUM_GATHER_GRAD.minRows = 300; // stands for 4096, to keep tfjs's cpu kernel quick
  try {
    for (const rows of [257, 300]) {
      const table = tf.randomNormal([rows, 3], 0, 1, "float32", rows);
      const indices = tf.tensor1d([0, rows - 1, 5, 5, rows - 1, 0, 17], "int32");
      const dy = tf.randomNormal([7, 3], 0, 1, "float32", 2);
      const f = (t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, indices), dy));
      let grad: ArrayLike<number> = [];
      const kernels = (await tf.profile(() => {
        grad = tf.tidy(() => tf.grad(f)(table).dataSync());
      })).kernelNames;
      const segmentSum = rows >= 300;
      assert.equal(kernels.includes("UnsortedSegmentSum"), segmentSum, `${rows}: ${kernels}`);
      assert.equal(kernels.includes("OneHot"), !segmentSum, `${rows}: ${kernels}`);
      const d = dy.dataSync();
      const want = new Float32Array(rows * 3);
      indices.dataSync().forEach((r, i) => {
        for (let c = 0; c < 3; c++) want[r * 3 + c] += d[i * 3 + c];
      });
      assert.ok(relError(grad, want) < 1e-6, `${rows} rows`);
      tf.dispose([table, indices, dy]);
    }
  } finally {
    SEGMENT_SUM_GATHER_GRAD.minRows = saved;
  }
});

/** Runs `f` with split-K on for cpu from K ≥ 64 in chunks of 16..64, then restores the rule. */
function withSplitK<T>(f: () => T): T {
  const saved = { minK: SPLIT_K.minK, chunk: SPLIT_K.chunk };
  Object.assign(SPLIT_K, { minK: 64, chunk: [16, 64] });
  SPLIT_K.backends.add("cpu");
  try {
    return f();
  } finally {
    SPLIT_K.backends.delete("cpu");
    Object.assign(SPLIT_K, saved);
  }
}

Deno.test("splitKCount() splits a long K into chunks near 1024 and falls back to 1", () => {
  assert.equal(splitKCount(65536, 80, 240), 64); // the local model's wqkv gradient
  assert.equal(splitKCount(65536, 257, 80), 64); // its embedding gradient (one-hot product)
  assert.equal(splitKCount(3 * 8192, 80, 80), 24); // chunks of 1024
  assert.equal(splitKCount(10000, 80, 80), 10); // chunks of 1000
  assert.equal(splitKCount(4096, 80, 240), 1); // K too short
  assert.equal(splitKCount(8192, 512, 512), 1); // output too large: enough tiles already
  assert.equal(splitKCount(65537, 80, 80), 1); // prime K: no divisor
  assert.equal(splitKCount(2 * 4099, 8, 8), 1); // chunks 4099 or 2: none in 512..2048
});

Deno.test("splitKMatMul() equals tf.matMul(a, b, true) on cpu", () => {
  for (
    const [K, M, N, S] of [[8192, 80, 24, 8], [4096, 3, 40, 4], [1000, 17, 5, 10], [64, 5, 7, 1]]
  ) {
    const a = tf.randomNormal([K, M], 0, 1, "float32", K + M) as tf.Tensor2D;
    const b = tf.randomNormal([K, N], 0, 1, "float32", K + N) as tf.Tensor2D;
    const want = tf.matMul(a, b, true, false);
    const got = splitKMatMul(a, b, S);
    assert.deepEqual(got.shape, [M, N]);
    const err = relError(got.dataSync(), want.dataSync());
    assert.ok(err < 1e-6, `K ${K} S ${S}: ${err}`);
    tf.dispose([a, b, want, got]);
  }
});

Deno.test("BatchMatMul gradients with split-K forced on match the plain ones on cpu", () => {
  const x = tf.randomNormal([256, 12], 0, 1, "float32", 1); // (K, D): 256 positions
  const w = tf.randomNormal([12, 20], 0, 1, "float32", 2); // (D, N)
  const dy = tf.randomNormal([256, 20], 0, 1, "float32", 3);
  const idx = tf.tensor1d(Array.from({ length: 256 }, (_, i) => (i * 7) % 12), "int32"); // rows of w
  const losses: [string, (x: tf.Tensor, w: tf.Tensor) => tf.Scalar][] = [
    ["x @ w", (x, w) => tf.sum(tf.mul(tf.matMul(x, w), dy))],
    ["x @ wtᵀ", (x, w) => tf.sum(tf.mul(tf.matMul(x, tf.transpose(w), false, true), dy))],
    ["xᵀᵀ @ w", (x, w) => tf.sum(tf.mul(tf.matMul(tf.transpose(x), w, true, false), dy))],
    ["gather", (x, w) => tf.add(tf.sum(tf.mul(tf.gather(w, idx), dy)), tf.sum(x))],
  ];
  assert.equal(withSplitK(() => splitKCount(256, 12, 20)), 8); // chunks of 32
  for (const [name, f] of losses) {
    const plain = tf.grads(f)([x, w]).map((g) => g.dataSync());
    const split = withSplitK(() => tf.grads(f)([x, w]).map((g) => g.dataSync()));
    for (const i of [0, 1]) {
      const err = relError(split[i], plain[i]);
      assert.ok(err < 1e-6, `${name}, input ${i}: ${err}`);
    }
  }
  tf.dispose([x, w, dy, idx]);
});

/**
 * Model gradients on cpu (plain) and webgpu (split-K from K = 64), in a `--unstable-webgpu` Deno:
 * tiny, and tinyhash with 512-row tables whose gather gradients take UnsortedSegmentSum (from 300
 * rows here) while the byte tables keep the one-hot product.
 */
const WEBGPU_SCRIPT = `
import * as tf from "@tensorflow/tfjs-core";
import { setBackend } from "${new URL("./backend.ts", import.meta.url)}";
import { LEVELS } from "${new URL("./configs.ts", import.meta.url)}";
import { Megabyte, ngramTensor } from "${new URL("./megabyte.ts", import.meta.url)}";
import {
  SEGMENT_SUM_GATHER_GRAD,
  SPLIT_K,
  splitKCount,
} from "${new URL("./_gradients.ts", import.meta.url)}";
if (!(await navigator.gpu?.requestAdapter())) {
  console.log(JSON.stringify({ skip: true }));
  Deno.exit(0);
}
Object.assign(SPLIT_K, { minK: 64, chunk: [16, 64] });
SEGMENT_SUM_GATHER_GRAD.minRows = 300;
const [B, T] = [4, LEVELS.tiny.context];
const bytes = Array.from({ length: B * T }, (_, i) => (i * 7919 + (i >> 3)) & 255);
async function grads(backend, config) {
  await setBackend(backend);
  const model = new Megabyte(config, { seed: 3 });
  for (const [name, v] of model.variables) {
    if (name.startsWith("local.ngram")) v.assign(tf.randomNormal(v.shape, 0, 0.02, "float32", 5));
  }
  const x = tf.tensor2d(bytes, [B, T], "int32");
  const grams = ngramTensor(config, bytes, B, T);
  const kernels = (await tf.profile(() => {
    const { value, grads } = tf.variableGrads(() => model.loss(x, grams), [...model.variables.values()]);
    tf.dispose([value, ...Object.values(grads)]);
  })).kernels.map((k) => k.name);
  const { value, grads } = tf.variableGrads(() => model.loss(x, grams), [...model.variables.values()]);
  const out = {};
  for (const [name, v] of model.variables) out[name] = Array.from(await grads[v.name].data());
  tf.dispose([x, grams, value, ...Object.values(grads)]);
  model.dispose();
  return { grads: out, segmentSums: kernels.filter((k) => k === "UnsortedSegmentSum").length };
}
const hashed = { ...LEVELS.tinyhash, hashRows: 512 };
const out = {};
for (const [name, config] of [["tiny", LEVELS.tiny], ["tinyhash512", hashed]]) {
  out[name] = { cpu: await grads("cpu", config), gpu: await grads("webgpu", config) };
}
const split = splitKCount(B * T, LEVELS.tiny.localDim, 3 * LEVELS.tiny.localDim);
console.log(JSON.stringify({ ...out, split }));
`;

type Side = { grads: Record<string, number[]>; segmentSums: number };

Deno.test({
  name:
    "the model's gradients on webgpu with split-K and segment sums match cpu (tiny, hashed tables)",
  ignore: !(await hasWebGpu()),
  fn: async () => {
    const result = await runWebGpuScript(WEBGPU_SCRIPT) as {
      tiny: { cpu: Side; gpu: Side };
      tinyhash512: { cpu: Side; gpu: Side };
      split: number;
    };
    assert.equal(result.split, 8); // the local products (256 positions) ran in 8 chunks of 32
    assert.equal(result.tiny.gpu.segmentSums, 0);
    assert.equal(result.tinyhash512.gpu.segmentSums, 2); // one per n-gram table
    for (const level of ["tiny", "tinyhash512"] as const) {
      const { cpu, gpu } = result[level];
      for (const name of Object.keys(cpu.grads)) {
        const err = relError(gpu.grads[name], cpu.grads[name]);
        assert.ok(err < 1e-5, `${level} ${name}: ${err}`);
      }
    }
  },
});
