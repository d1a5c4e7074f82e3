/**
 * AdamW (Loshchilov and Hutter 2019) on tfjs variables, with the update written out as PyTorch's
 * `torch.optim.AdamW` computes it, and gradient clipping by global norm. tfjs's own Adam has no
 * decoupled weight decay and keeps its moments out of reach; here the moments are read and
 * restored exactly, by parameter name, for a checkpoint.
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
  /**
   * Learning-rate multipliers by parameter name, on the Adam update only (not the weight decay);
   * parameters not named keep 1. @default {none}
   */
  lrScales?: ReadonlyMap<string, number>;
  /**
   * Decoupled weight decay by parameter name, in place of `weightDecay` (or of none) for the
   * parameters named; `p ← p·(1 − lr·wd)` with the base learning rate. @default {none}
   */
  weightDecays?: ReadonlyMap<string, number>;
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
 * opt.apply(new Map([["w", tf.tensor1d([0.5])]]), 0.1).dispose(); // returns the gradients' norm
 * assert.ok(w.dataSync()[0] < 1);
 * ```
 */
export class AdamW {
  /** Steps taken so far. */
  step = 0;
  readonly #params: Map<string, tf.Variable>;
  /** Each parameter's size, in the order of `#params`: its stretch of the flat moments. */
  readonly #sizes: number[];
  /** Both moments of every parameter, end to end (one update for all, not one per tensor). */
  readonly #m: tf.Variable;
  readonly #v: tf.Variable;
  /**
   * 1 where the flat layout holds a tensor that {@link decaysWeight} picks, else 0; or, with
   * `weightDecays`, each value's own decay rate.
   */
  readonly #decays: tf.Tensor1D;
  /** Whether `#decays` holds rates (`weightDecays` given) rather than a 0/1 mask. */
  readonly #rates: boolean;
  /** Each value's learning-rate multiplier in the flat layout, or null when all are 1. */
  readonly #scales: tf.Tensor1D | null;
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
    this.#sizes = [...params.values()].map((p) => p.size);
    const total = this.#sizes.reduce((a, b) => a + b, 0);
    this.#m = tf.variable(tf.zeros([total]), false);
    this.#v = tf.variable(tf.zeros([total]), false);
    const weightDecays = options.weightDecays ?? new Map<string, number>();
    for (const [name, rate] of weightDecays) {
      if (!params.has(name)) {
        throw new RangeError(`Cannot decay the weights of ${name}: no such parameter`);
      }
      if (!(rate >= 0 && Number.isFinite(rate))) {
        throw new RangeError(`Cannot decay the weights of ${name} at ${rate}`);
      }
    }
    // Without per-name rates, a 0/1 mask times lr·wd, as before they existed (the same bits).
    this.#rates = weightDecays.size > 0;
    const decays = new Float32Array(total);
    let at = 0;
    for (const [name, p] of params) {
      const rate = weightDecays.get(name) ??
        (decaysWeight(name, p.shape) ? (this.#rates ? this.#weightDecay : 1) : 0);
      decays.fill(rate, at, at + p.size);
      at += p.size;
    }
    this.#decays = tf.tensor1d(decays);
    const lrScales = options.lrScales ?? new Map<string, number>();
    for (const [name, scale] of lrScales) {
      if (!params.has(name)) {
        throw new RangeError(`Cannot scale the learning rate of ${name}: no such parameter`);
      }
      if (!(scale >= 0 && Number.isFinite(scale))) {
        throw new RangeError(`Cannot scale the learning rate of ${name} by ${scale}`);
      }
    }
    if ([...lrScales.values()].every((scale) => scale === 1)) this.#scales = null;
    else {
      const scales = new Float32Array(total).fill(1);
      at = 0;
      for (const [name, p] of params) {
        scales.fill(lrScales.get(name) ?? 1, at, at + p.size);
        at += p.size;
      }
      this.#scales = tf.tensor1d(scales);
    }
  }

  /**
   * Takes one step: the gradients g, laid end to end, are scaled so that their global L2 norm is
   * at most `maxNorm` (PyTorch's `clip_grad_norm_`: factor `min(1, maxNorm / (norm + 1e-6))`), then
   * for every parameter p PyTorch's AdamW `p ← p·(1 − lr·wd)` (decayed tensors only; wd from
   * `weightDecays` for those it names),
   * `m ← β1·m + (1−β1)·g`, `v ← β2·v + (1−β2)·g²`,
   * `p ← p − s·lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε)` with s the parameter's `lrScales` entry.
   * All parameters go through one chain of element-wise kernels over the flat layout, not one
   * chain per tensor: on webgpu each kernel has a fixed cost, and `local4` has 52 tensors.
   *
   * @param grads A gradient for every parameter, by name (not disposed here).
   * @param lr The learning rate of this step.
   * @param maxNorm The largest global norm of the gradients (default: no clipping).
   * @returns The global norm of the gradients before clipping, a scalar tensor (dispose it), so
   *   that it is read back with the loss in one transfer.
   */
  apply(grads: Map<string, tf.Tensor>, lr: number, maxNorm = Infinity): tf.Scalar {
    this.step++;
    const t = this.step;
    const b1 = this.#beta1;
    const b2 = this.#beta2;
    const stepSize = lr / (1 - b1 ** t);
    const rootCorrection2 = Math.sqrt(1 - b2 ** t);
    const names = [...this.#params.keys()];
    for (const name of names) {
      if (!grads.has(name)) {
        throw new TypeError(`Cannot take an AdamW step: no gradient for ${name}`);
      }
    }
    return tf.tidy(() => {
      const flat = (xs: tf.Tensor[]) => tf.concat(xs.map((x) => tf.reshape(x, [-1]))); // (total)
      const raw = flat(names.map((name) => grads.get(name)!));
      const norm = tf.sqrt(tf.sum(tf.square(raw))) as tf.Scalar; // ()
      const g = Number.isFinite(maxNorm)
        ? tf.mul(raw, tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1))
        : raw;
      const m1 = tf.add(tf.mul(this.#m, b1), tf.mul(g, 1 - b1)); // (total)
      const v1 = tf.add(tf.mul(this.#v, b2), tf.mul(tf.square(g), 1 - b2));
      this.#m.assign(m1);
      this.#v.assign(v1);
      const p = flat([...this.#params.values()]);
      const decayed = this.#rates
        ? tf.sub(p, tf.mul(tf.mul(p, this.#decays), lr)) // p·(1 − lr·wd), wd per value
        : this.#weightDecay !== 0
        ? tf.sub(p, tf.mul(tf.mul(p, this.#decays), lr * this.#weightDecay))
        : p;
      const denom = tf.add(tf.div(tf.sqrt(v1), rootCorrection2), this.#epsilon);
      const step = tf.mul(tf.div(m1, denom), stepSize);
      const scaled = this.#scales === null ? step : tf.mul(step, this.#scales);
      const updated = tf.split(tf.sub(decayed, scaled), this.#sizes);
      names.forEach((name, i) => {
        const param = this.#params.get(name)!;
        param.assign(tf.reshape(updated[i], param.shape));
      });
      return norm;
    });
  }

  /**
   * Reads the moments back, for a checkpoint.
   *
   * @returns The step count and every moment as float32.
   */
  async getState(): Promise<AdamWState> {
    const m = await this.#m.data() as Float32Array;
    const v = await this.#v.data() as Float32Array;
    const moments = new Map<string, { m: Float32Array; v: Float32Array }>();
    let at = 0;
    [...this.#params.keys()].forEach((name, i) => {
      const end = at + this.#sizes[i];
      moments.set(name, { m: m.slice(at, end), v: v.slice(at, end) });
      at = end;
    });
    return { step: this.step, moments };
  }

  /**
   * Restores a state from {@link AdamW.getState}, checking every name and size.
   *
   * @param state The saved state.
   */
  setState(state: AdamWState): void {
    const m = new Float32Array(this.#m.size);
    const v = new Float32Array(this.#v.size);
    let at = 0;
    for (const [name, p] of this.#params) {
      const saved = state.moments.get(name);
      if (saved === undefined) throw new RangeError(`Cannot restore AdamW: no moments for ${name}`);
      if (saved.m.length !== p.size || saved.v.length !== p.size) {
        throw new RangeError(`Cannot restore AdamW: moments of ${name} have the wrong size`);
      }
      m.set(saved.m, at);
      v.set(saved.v, at);
      at += p.size;
    }
    tf.tidy(() => {
      this.#m.assign(tf.tensor1d(m));
      this.#v.assign(tf.tensor1d(v));
    });
    this.step = state.step;
  }

  /** Frees the moments (not the parameters). */
  dispose(): void {
    tf.dispose([this.#m, this.#v, this.#decays]);
    this.#scales?.dispose();
  }
}
