/**
 * Internal: registers the gradients of the kernels the MEGABYTE model uses.
 *
 * `@tensorflow/tfjs-core` ships its gradients only as extensionless ES modules
 * (`dist/register_all_gradients.js`), which Deno cannot load, and its bundles leave them out; the
 * full `@tensorflow/tfjs` package carries them, but it is not imported so that only the parts used
 * travel to the GPU machine. So here are the ones `megabyte.ts` needs, ported from tfjs-core 4.22
 * `src/gradients/*_grad.ts` (Apache-2.0) with the same math. A gradient that is already
 * registered (e.g. by the full package) is left alone. `megabyte_test.ts` checks the result
 * against finite differences.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/** Axes of `inShape` that broadcasting to `outShape` repeated (tfjs `getReductionAxes`). */
function reductionAxes(inShape: number[], outShape: number[]): number[] {
  const axes: number[] = [];
  for (let i = 0; i < outShape.length; i++) {
    const inDim = inShape[inShape.length - 1 - i];
    const outAxis = outShape.length - 1 - i;
    if (inDim === undefined || (inDim === 1 && outShape[outAxis] > 1)) axes.unshift(outAxis);
  }
  return axes;
}

/** Sums `dy` back to the shape of a broadcast operand. */
function unbroadcast(dy: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = reductionAxes(shape, dy.shape);
  return tf.reshape(axes.length > 0 ? tf.sum(dy, axes) : dy, shape);
}

/** Normalizes possibly negative axes of a tensor of rank `rank`. */
function axesOf(axis: number | number[] | null | undefined, rank: number): number[] {
  const list = axis == null ? [...Array(rank).keys()] : Array.isArray(axis) ? axis : [axis];
  return list.map((a) => (a < 0 ? a + rank : a));
}

/** The permutation that undoes `perm`. */
function undoPermutation(perm: number[]): number[] {
  const undo = new Array<number>(perm.length);
  perm.forEach((p, i) => (undo[p] = i));
  return undo;
}

/** Gradient of a reduction (`Sum`, `Mean`) of `x` over `axis`, scaled by `scale`. */
function reduceGrad(
  dy: tf.Tensor,
  x: tf.Tensor,
  axis: number | number[],
  scale: number,
): tf.Tensor {
  const expanded = x.shape.slice();
  for (const a of axesOf(axis, x.rank)) expanded[a] = 1;
  // onesLike runs on the backend; tf.ones would build the array on the CPU and upload it every
  // step, which on webgpu under Deno (getMappedRange) took most of a 10 s step (bench/train/).
  const grad = tf.mul(tf.reshape(dy, expanded), tf.onesLike(x)); // (reduced) · (x) -> (x)
  return scale === 1 ? grad : tf.div(grad, scale);
}

/**
 * Backends whose transposed products run far slower than plain ones, so the operands are
 * transposed first. wasm, measured here on 512×1024 by 512×256: 7.5 GFLOP/s plain, 0.6 with
 * transposeA, 1.3 with transposeB. webgpu on the H200 (bench/train/): the gradient products
 * 8192×2048 by (512×2048)ᵀ took 38.6 ms (0.45 TFLOP/s), plain ones of that size run at ~5.
 */
const TRANSPOSE_FIRST = new Set(["wasm", "webgpu"]);

/**
 * When a product is split over its contracted axis K ({@link splitKMatMul}): on these backends,
 * when K ≥ `minK` and the output is small next to K (M·N ≤ 8·K), into chunks of `chunk[0]` to
 * `chunk[1]` rows. Tests lower `minK` and `chunk` to reach small K.
 *
 * Why: tfjs's webgpu matmul gives each 32×32 output tile one workgroup that walks all of K. A
 * weight gradient dW = xᵀ·dy over every position of the batch (K = B·T = 65536) with a small
 * output, e.g. the local model's [80, 65536] @ [65536, 240], has 24 tiles for the H200's 132
 * SMs: ~14 ms (~0.18 TFLOP/s) each, about half of a 16 × 4096 training step. Split into S = 64
 * chunks of 1024, the same product has S times the workgroups (on the H200 the `local4` step went
 * from 0.48 to 0.25 s: bench/train/RESULTS.md, row 4). The
 * global model's weight gradients (≥ 512×512 over K = B·T/P = 8192: ≥ 256 tiles) were not among
 * the slow products: left alone. Only aᵀ·b, the layout of weight gradients: both operands are
 * stored (K, ·), so the chunks are free reshapes of contiguous rows.
 */
export const SPLIT_K = { backends: new Set(["webgpu"]), minK: 8192, chunk: [512, 2048] };

/**
 * The number of chunks S to split the product (K, M)ᵀ @ (K, N) into, 1 for none (the rule of
 * {@link SPLIT_K}): the divisor of K whose chunk K/S lies in `chunk` and is nearest (in ratio)
 * its middle, 1024 by default; 1 when K is too short, the output too large or no divisor fits.
 */
export function splitKCount(k: number, m: number, n: number): number {
  const [lo, hi] = SPLIT_K.chunk;
  if (k < SPLIT_K.minK || m * n > 8 * k) return 1;
  const cost = (s: number) => Math.abs(Math.log(k / s / Math.sqrt(lo * hi)));
  let best = 1;
  for (let s = Math.ceil(k / hi); s <= Math.floor(k / lo); s++) {
    if (s > 1 && k % s === 0 && (best === 1 || cost(s) < cost(best))) best = s;
  }
  return best;
}

/**
 * `aᵀ @ b` for `a` (K, M) and `b` (K, N) summed in S chunks of K/S rows: one batched product of
 * the chunks (row-major reshapes, no copy), then a sum of the S partial products. The same
 * product in another summation order. S = 1 is the plain `tf.matMul(a, b, true)`.
 */
export function splitKMatMul(a: tf.Tensor2D, b: tf.Tensor2D, s: number): tf.Tensor {
  if (s <= 1) return tf.matMul(a, b, true, false); // (K, M)ᵀ @ (K, N) -> (M, N)
  const [K, M] = a.shape;
  const N = b.shape[1];
  const a3 = tf.reshape(a, [s, K / s, M]); // (K, M) -> (S, K/S, M)
  const b3 = tf.reshape(b, [s, K / s, N]); // (K, N) -> (S, K/S, N)
  // transposeA in the kernel, not transposed first: webgpu's 3-D Transpose fails shader validation
  // on the one-hot of the gather gradient (a cast int32 tensor, the same buffer relabeled).
  return tf.sum(tf.matMul(a3, b3, true, false), 0); // (S, K/S, M)ᵀ @ (S, K/S, N) -> (S, M, N) -> (M, N)
}

/**
 * `tf.matMul`, with the operands transposed first on the backends of {@link TRANSPOSE_FIRST},
 * and a long aᵀ·b contraction (a weight gradient) split over K on those of {@link SPLIT_K}.
 */
function matMul(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  if (
    transposeA && !transposeB && a.rank === 2 && b.rank === 2 &&
    SPLIT_K.backends.has(tf.getBackend())
  ) {
    const [K, M] = (a as tf.Tensor2D).shape;
    const s = splitKCount(K, M, (b as tf.Tensor2D).shape[1]);
    if (s > 1) return splitKMatMul(a as tf.Tensor2D, b as tf.Tensor2D, s); // (K, M)ᵀ @ (K, N)
  }
  if (!TRANSPOSE_FIRST.has(tf.getBackend()) || (!transposeA && !transposeB)) {
    return tf.matMul(a, b, transposeA, transposeB);
  }
  const swapLast = (t: tf.Tensor) =>
    [...t.shape.keys()].map((i) =>
      i === t.rank - 2 ? t.rank - 1 : i === t.rank - 1 ? t.rank - 2 : i
    );
  const at = transposeA ? tf.transpose(a, swapLast(a)) : a; // (..., X, M) -> (..., M, X)
  const bt = transposeB ? tf.transpose(b, swapLast(b)) : b; // (..., N, X) -> (..., X, N)
  return tf.matMul(at, bt); // (..., M, X) @ (..., X, N) -> (..., M, N)
}

/**
 * Backends where the gather gradient is a one-hot matmul rather than UnsortedSegmentSum: wasm
 * has no such kernel, and the cpu one runs a loop of tensor ops per table row (40 Adam steps of
 * the tiny model took 25 s with it here; the matmul is cheap for tables of 256 rows); webgpu's
 * float atomics made it 103 ms of a 1.4 s step on the H200 (bench/train/).
 */
const ONE_HOT_GATHER_GRAD = new Set(["cpu", "wasm", "webgpu"]);

/**
 * Tables of `minRows` rows or more (the hashed n-gram tables) take UnsortedSegmentSum on these
 * backends after all: the one-hot product would cost 2·rows·n·W FLOPs and an (n, rows) one-hot
 * (344 GFLOP and 8.6 GB per `local4hash` table for 16 × 4096 bytes), the segment sum n·W adds
 * (cpu: lib/train/_cpu_kernels.ts's linear kernel). wasm has none. Crossover not measured.
 */
export const SEGMENT_SUM_GATHER_GRAD = { backends: new Set(["cpu", "webgpu"]), minRows: 4096 };

/**
 * Whether the gradient of a gather from a table of `rows` rows is a segment sum on `backend`
 * (else a one-hot product; the trainer refuses large tables where it would be that).
 */
export function segmentSumGatherGrad(rows: number, backend = tf.getBackend()): boolean {
  if (!ONE_HOT_GATHER_GRAD.has(backend)) return true;
  return rows >= SEGMENT_SUM_GATHER_GRAD.minRows && SEGMENT_SUM_GATHER_GRAD.backends.has(backend);
}

const configs: tf.GradConfig[] = [
  {
    kernelName: tf.Add,
    inputsToSave: ["a", "b"],
    gradFunc: (dy, [a, b]) => ({
      a: () => unbroadcast(dy as tf.Tensor, a.shape),
      b: () => unbroadcast(dy as tf.Tensor, b.shape),
    }),
  },
  {
    kernelName: tf.Sub,
    inputsToSave: ["a", "b"],
    gradFunc: (dy, [a, b]) => ({
      a: () => unbroadcast(dy as tf.Tensor, a.shape),
      b: () => tf.neg(unbroadcast(dy as tf.Tensor, b.shape)),
    }),
  },
  {
    kernelName: tf.Multiply,
    inputsToSave: ["a", "b"],
    gradFunc: (dy, [a, b]) => ({
      a: () => unbroadcast(tf.mul(dy as tf.Tensor, tf.cast(b, "float32")), a.shape),
      b: () => unbroadcast(tf.mul(dy as tf.Tensor, tf.cast(a, "float32")), b.shape),
    }),
  },
  {
    kernelName: tf.RealDiv,
    inputsToSave: ["a", "b"],
    gradFunc: (dy, [a, b]) => ({
      a: () => unbroadcast(tf.div(dy as tf.Tensor, tf.cast(b, "float32")), a.shape),
      b: () => {
        const res = unbroadcast(tf.mul(dy as tf.Tensor, tf.cast(a, "float32")), b.shape);
        return tf.neg(tf.div(res, tf.cast(tf.square(b), "float32")));
      },
    }),
  },
  {
    kernelName: tf.Neg,
    gradFunc: (dy) => ({ x: () => tf.neg(dy as tf.Tensor) }),
  },
  {
    kernelName: tf.Square,
    inputsToSave: ["x"],
    gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(tf.cast(x, "float32"), 2)) }),
  },
  {
    kernelName: tf.Sqrt,
    inputsToSave: ["x"],
    gradFunc: (dy, [x]) => ({
      x: () => tf.div(dy as tf.Tensor, tf.mul(tf.sqrt(tf.cast(x, "float32")), 2)),
    }),
  },
  {
    kernelName: tf.Rsqrt,
    inputsToSave: ["x"],
    gradFunc: (dy, [x]) => ({
      x: () => tf.neg(tf.div(dy as tf.Tensor, tf.mul(tf.pow(x, 1.5), 2))),
    }),
  },
  {
    kernelName: tf.Exp,
    outputsToSave: [true],
    gradFunc: (dy, [y]) => ({ x: () => tf.mul(dy as tf.Tensor, y) }),
  },
  {
    kernelName: tf.Log,
    inputsToSave: ["x"],
    gradFunc: (dy, [x]) => ({ x: () => tf.div(dy as tf.Tensor, tf.cast(x, "float32")) }),
  },
  {
    kernelName: tf.Tanh,
    outputsToSave: [true],
    gradFunc: (dy, [y]) => ({ x: () => tf.mul(tf.sub(1, tf.square(y)), dy as tf.Tensor) }),
  },
  {
    kernelName: tf.Sum,
    inputsToSave: ["x"],
    gradFunc: (dy, [x], attrs) => ({
      x: () => reduceGrad(dy as tf.Tensor, x, (attrs as unknown as tf.SumAttrs).axis, 1),
    }),
  },
  {
    kernelName: tf.Mean,
    inputsToSave: ["x"],
    gradFunc: (dy, [x], attrs) => {
      const axis = (attrs as unknown as tf.MeanAttrs).axis;
      const count = axesOf(axis, x.rank).reduce((n, a) => n * x.shape[a], 1);
      return { x: () => reduceGrad(dy as tf.Tensor, x, axis, count) };
    },
  },
  {
    kernelName: tf.Reshape,
    inputsToSave: ["x"],
    gradFunc: (dy, [x]) => ({ x: () => tf.reshape(dy as tf.Tensor, x.shape) }),
  },
  {
    kernelName: tf.Transpose,
    gradFunc: (dy, _saved, attrs) => ({
      x: () =>
        tf.transpose(
          dy as tf.Tensor,
          undoPermutation((attrs as unknown as tf.TransposeAttrs).perm),
        ),
    }),
  },
  {
    kernelName: tf.Slice,
    inputsToSave: ["x"],
    gradFunc: (dy, [x], attrs) => {
      const { begin, size } = attrs as unknown as tf.SliceAttrs;
      const b = typeof begin === "number" ? [begin] : begin;
      const s = typeof size === "number" ? [size] : size;
      const paddings = x.shape.map((d, i): [number, number] => {
        const len = s[i] === undefined || s[i] === -1 ? d - b[i] : s[i];
        return [b[i], d - b[i] - len];
      });
      return { x: () => tf.pad(dy as tf.Tensor, paddings) };
    },
  },
  {
    kernelName: tf.PadV2,
    inputsToSave: ["x"],
    gradFunc: (dy, [x], attrs) => {
      const begin = (attrs as unknown as tf.PadV2Attrs).paddings.map((p) => p[0]);
      return { x: () => tf.slice(dy as tf.Tensor, begin, x.shape) };
    },
  },
  {
    kernelName: tf.Concat,
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const axis = axesOf((attrs as unknown as tf.ConcatAttrs).axis, saved[0].rank)[0];
      const parts = tf.split(dy as tf.Tensor, saved.map((t) => t.shape[axis]), axis);
      return Object.fromEntries(parts.map((t, i) => [String(i), () => t])); // input i gets part i
    },
  },
  {
    kernelName: tf.SplitV,
    gradFunc: (dy, _saved, attrs) => ({
      x: () => tf.concat(dy as tf.Tensor[], (attrs as unknown as tf.SplitVAttrs).axis),
    }),
  },
  {
    kernelName: tf.GatherV2,
    inputsToSave: ["x", "indices"],
    gradFunc: (dy, [x, indices], attrs) => {
      const { axis, batchDims } = attrs as unknown as tf.GatherV2Attrs;
      if (axesOf(axis, x.rank)[0] !== 0 || batchDims !== 0) {
        throw new RangeError(
          "Cannot differentiate gather: only axis 0 without batch dims is supported",
        );
      }
      return {
        x: () => {
          const inner = x.shape.slice(1);
          const values = tf.reshape(dy as tf.Tensor, [indices.size, ...inner]); // (..., inner) -> (n, inner)
          const flat = tf.reshape(indices, [indices.size]) as tf.Tensor1D; // (...) -> (n)
          if (segmentSumGatherGrad(x.shape[0])) {
            return tf.unsortedSegmentSum(values, flat, x.shape[0]); // (n, inner) -> (rows, inner)
          }
          const width = inner.reduce((a, b) => a * b, 1);
          const oneHot = tf.cast(tf.oneHot(flat, x.shape[0]), "float32"); // (n) -> (n, rows)
          const sums = matMul(oneHot, tf.reshape(values, [indices.size, width]), true, false); // (n, rows)ᵀ @ (n, W) -> (rows, W)
          return tf.reshape(sums, x.shape); // (rows, W) -> (rows, inner)
        },
        indices: () => indices,
      };
    },
  },
  {
    kernelName: tf.BatchMatMul,
    inputsToSave: ["a", "b"],
    gradFunc: (dy, [a, b], attrs) => {
      const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
      const g = dy as tf.Tensor;
      if (!transposeA && !transposeB) {
        return { a: () => matMul(g, b, false, true), b: () => matMul(a, g, true, false) };
      } else if (!transposeA && transposeB) {
        return { a: () => matMul(g, b, false, false), b: () => matMul(g, a, true, false) };
      } else if (transposeA && !transposeB) {
        return { a: () => matMul(b, g, false, true), b: () => matMul(a, g, false, false) };
      }
      return { a: () => matMul(b, g, true, true), b: () => matMul(g, a, true, true) };
    },
  },
  {
    kernelName: tf.Softmax,
    outputsToSave: [true],
    gradFunc: (dy, [y], attrs) => {
      const { dim } = attrs as unknown as tf.SoftmaxAttrs;
      const dyTimesY = tf.mul(dy as tf.Tensor, y);
      return { logits: () => tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y)) };
    },
  },
  {
    kernelName: tf.Cast,
    gradFunc: (dy) => ({ x: () => (dy as tf.Tensor).clone() }),
  },
  {
    kernelName: tf.Identity,
    gradFunc: (dy) => ({ x: () => tf.cast(dy as tf.Tensor, "float32") }),
  },
];

for (const config of configs) {
  if (tf.getGradient(config.kernelName) == null) tf.registerGradient(config);
}
