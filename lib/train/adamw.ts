/**
 * AdamW (Loshchilov and Hutter 2019) on tfjs variables, with the update written out as PyTorch's
 * `torch.optim.AdamW` computes it, and gradient clipping by global norm. tfjs's own Adam has no
 * decoupled weight decay and keeps its moments out of reach; here every moment is a named
 * variable that a checkpoint saves and restores exactly.
 *
 * MEGABYTE trains with β = (0.9, 0.98) and gradients clipped to norm 1.0 (Yu et al. 2023, appendix).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/** Hyperparameters of {@link AdamW}. */
export interface AdamWOptions {
  /** Decay of the first moment. @default {0.9} */
  beta1?: number;
  /** Decay of the second moment. @default {0.98} */
  beta2?: number;
  /** Added to the root of the second moment. @default {1e-8} */
  epsilon?: number;
  /** Decoupled weight decay, applied to the tensors {@link decaysWeight} picks. @default {0.1} */
  weightDecay?: number;
}

/** The optimizer's state in plain arrays, as a checkpoint stores it. */
export interface AdamWState {
  /** Steps taken (the `t` of the bias corrections). */
  step: number;
  /** First and second moments by parameter name. */
  moments: Map<string, { m: Float32Array; v: Float32Array }>;
}

/**
 * Whether a parameter gets weight decay: matrices do; norm gains, embeddings and pads do not
 * (as nanoGPT's `configure_optimizers`, which decays only tensors of rank ≥ 2, embeddings aside).
 *
 * @param name The tensor's name (lib/model/ARCHITECTURE.md).
 * @param shape Its shape.
 * @returns True for the projection matrices (`wqkv`, `wo`, `w1`, `w2`, `g2l.w`, `local.head`).
 */
export function decaysWeight(name: string, shape: readonly number[]): boolean {
  return shape.length >= 2 && !name.endsWith("_emb");
}

/**
 * AdamW over a fixed set of named variables.
 *
 * @example One step moves a weight against its gradient
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { AdamW } from "./adamw.ts";
 * await tf.setBackend("cpu");
 * const w = tf.variable(tf.tensor1d([1]));
 * const opt = new AdamW(new Map([["w", w]]));
 * opt.apply(new Map([["w", tf.tensor1d([0.5])]]), 0.1);
 * assert.ok(w.dataSync()[0] < 1);
 * ```
 */
export class AdamW {
  /** Steps taken so far. */
  step = 0;
  readonly #params: Map<string, tf.Variable>;
  readonly #m = new Map<string, tf.Variable>();
  readonly #v = new Map<string, tf.Variable>();
  readonly #beta1: number;
  readonly #beta2: number;
  readonly #epsilon: number;
  readonly #weightDecay: number;

  /**
   * Creates the optimizer with zero moments.
   *
   * @param params The variables it updates, by name.
   * @param options Hyperparameters.
   */
  constructor(params: Map<string, tf.Variable>, options: AdamWOptions = {}) {
    this.#params = params;
    this.#beta1 = options.beta1 ?? 0.9;
    this.#beta2 = options.beta2 ?? 0.98;
    this.#epsilon = options.epsilon ?? 1e-8;
    this.#weightDecay = options.weightDecay ?? 0.1;
    for (const [name, p] of params) {
      this.#m.set(name, tf.variable(tf.zerosLike(p), false));
      this.#v.set(name, tf.variable(tf.zerosLike(p), false));
    }
  }

  /**
   * Takes one step: for each parameter p with gradient g, PyTorch's AdamW
   * `p ← p·(1 − lr·wd)` (decayed tensors only), `m ← β1·m + (1−β1)·g`, `v ← β2·v + (1−β2)·g²`,
   * `p ← p − lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε)`.
   *
   * @param grads A gradient for every parameter, by name (not disposed here).
   * @param lr The learning rate of this step.
   */
  apply(grads: Map<string, tf.Tensor>, lr: number): void {
    this.step++;
    const t = this.step;
    const b1 = this.#beta1;
    const b2 = this.#beta2;
    const stepSize = lr / (1 - b1 ** t);
    const rootCorrection2 = Math.sqrt(1 - b2 ** t);
    tf.tidy(() => {
      for (const [name, p] of this.#params) {
        const g = grads.get(name);
        if (g === undefined) {
          throw new TypeError(`Cannot take an AdamW step: no gradient for ${name}`);
        }
        const m = this.#m.get(name)!;
        const v = this.#v.get(name)!;
        const m1 = tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)); // same shape as p
        const v1 = tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2));
        m.assign(m1);
        v.assign(v1);
        const decayed = decaysWeight(name, p.shape) && this.#weightDecay !== 0
          ? tf.mul(p, 1 - lr * this.#weightDecay)
          : p;
        const denom = tf.add(tf.div(tf.sqrt(v1), rootCorrection2), this.#epsilon);
        p.assign(tf.sub(decayed, tf.mul(tf.div(m1, denom), stepSize)));
      }
    });
  }

  /**
   * Reads the moments back, for a checkpoint.
   *
   * @returns The step count and every moment as float32.
   */
  async getState(): Promise<AdamWState> {
    const moments = new Map<string, { m: Float32Array; v: Float32Array }>();
    for (const name of this.#params.keys()) {
      const m = await this.#m.get(name)!.data() as Float32Array;
      const v = await this.#v.get(name)!.data() as Float32Array;
      moments.set(name, { m, v });
    }
    return { step: this.step, moments };
  }

  /**
   * Restores a state from {@link AdamW.getState}, checking every name and size.
   *
   * @param state The saved state.
   */
  setState(state: AdamWState): void {
    for (const [name, p] of this.#params) {
      const saved = state.moments.get(name);
      if (saved === undefined) throw new RangeError(`Cannot restore AdamW: no moments for ${name}`);
      if (saved.m.length !== p.size || saved.v.length !== p.size) {
        throw new RangeError(`Cannot restore AdamW: moments of ${name} have the wrong size`);
      }
      this.#m.get(name)!.assign(tf.tensor(saved.m, p.shape, "float32"));
      this.#v.get(name)!.assign(tf.tensor(saved.v, p.shape, "float32"));
    }
    this.step = state.step;
  }

  /** Frees the moments (not the parameters). */
  dispose(): void {
    for (const t of [...this.#m.values(), ...this.#v.values()]) t.dispose();
  }
}

/**
 * Scales gradients so that their global L2 norm is at most `maxNorm` (PyTorch's
 * `clip_grad_norm_`: factor `min(1, maxNorm / (norm + 1e-6))`), without reading back to the CPU.
 *
 * @param grads Gradients by name (not disposed here).
 * @param maxNorm The largest allowed norm.
 * @returns The clipped gradients (new tensors) and the norm before clipping, a scalar tensor.
 */
export function clipByGlobalNorm(
  grads: Map<string, tf.Tensor>,
  maxNorm: number,
): { grads: Map<string, tf.Tensor>; norm: tf.Scalar } {
  const names = [...grads.keys()];
  // tidy keeps tensors in arrays and plain objects, not in Maps: build the Map outside it.
  const { clipped, norm } = tf.tidy(() => {
    const squares = names.map((name) => tf.sum(tf.square(grads.get(name)!))); // each ()
    // A chain of adds, not tf.addN: webgpu's AddN gave 0 or garbage for this many inputs
    // (llvmpipe and the H200), so the clipping never clipped there.
    const norm = tf.sqrt(squares.reduce((a, b) => tf.add(a, b))) as tf.Scalar; // ()
    const factor = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1); // ()
    return { clipped: names.map((name) => tf.mul(grads.get(name)!, factor)), norm };
  });
  return { grads: new Map(names.map((name, i) => [name, clipped[i]])), norm };
}
