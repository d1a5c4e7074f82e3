/**
 * Seeded random inputs for the engine tests: a PRNG built from exact integer operations only
 * (so the same seed gives the same floats on every machine, which the golden digest relies on)
 * and random MEGABYTE models in the in-memory model-file form.
 *
 * @module
 */
import type { MegabyteConfig } from "../../lib/model/config.ts";
import type { ModelFile, ModelTensor } from "../../lib/model/model_file_types.ts";
import { tensorShapes } from "../../lib/model/tensor_shapes.ts";
import { LEVELS } from "../../lib/model/configs.ts";
import { rsqrtf } from "../../lib/engine/f32_math.ts";

/** xorshift128+-style generator on 32-bit words (sfc32); exact on every engine. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** Seeds the generator. */
  constructor(seed: number) {
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.u32();
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }

  /** A uniform float in [0, 1), exact (a multiple of 2^−32). */
  uniform(): number {
    return this.u32() / 4294967296;
  }

  /** Approximately normal (Irwin–Hall of 4 uniforms, variance 1), float32. */
  normal(): number {
    const s = this.uniform() + this.uniform() + this.uniform() + this.uniform() - 2;
    return Math.fround(s * 1.7320508075688772);
  }

  /** n float32 values `mean + std · normal()`. */
  floats(n: number, std = 1, mean = 0): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** n random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 255;
    return out;
  }
}

/** A small config whose sizes are multiples of 4 (the vector paths): the frozen `tiny` level. */
export const SMALL_CONFIG: MegabyteConfig = LEVELS.tiny;

/** A config with odd sizes (P = 3, head sizes 6 and 5): the scalar tails of every kernel. */
export const ODD_CONFIG: MegabyteConfig = {
  patchSize: 3,
  globalDim: 6,
  globalLayers: 1,
  globalHeads: 3,
  localDim: 10,
  localLayers: 2,
  localHeads: 2,
  context: 45,
  mlpRatio: 3,
};

/**
 * ODD_CONFIG with hashed n-gram tables of orders 2..4 and 8 rows: order 4 reaches back over more
 * than one patch of 3, and 8 rows make most n-grams collide.
 */
export const ODD_HASH_CONFIG: MegabyteConfig = { ...ODD_CONFIG, hashOrders: 3, hashRows: 8 };

/** The configs every engine-against-reference test runs: vector and scalar paths, with tables and without. */
export const ENGINE_TEST_CONFIGS: readonly MegabyteConfig[] = [
  SMALL_CONFIG,
  ODD_CONFIG,
  LEVELS.tinyhash,
  ODD_HASH_CONFIG,
];

/**
 * A random model with `config`: embeddings (n-gram tables too) of std 1, matrices of std 1/sqrt(rows) (our own rsqrt: no engine-dependent Math) (the head 3×
 * that, for peaked distributions), gains 1 ± 0.2. Identical for the same seed everywhere.
 */
export function randomModel(config: MegabyteConfig, seed: number, name = "random-test"): ModelFile {
  const rng = new Rng(seed);
  const tensors = new Map<string, ModelTensor>();
  for (const [tensor, shape] of tensorShapes(config)) {
    const size = shape.reduce((a, b) => a * b, 1);
    let data: Float32Array;
    if (shape.length === 1 && !tensor.endsWith("pad")) data = rng.floats(size, 0.2, 1); // gains
    else if (tensor.endsWith("_emb") || tensor.endsWith("pad")) data = rng.floats(size, 1);
    else data = rng.floats(size, (tensor === "local.head" ? 3 : 1) * rsqrtf(shape[0]));
    tensors.set(tensor, { shape, data });
  }
  return {
    name,
    config,
    tensors,
    metadata: { data: "random", steps: 0, bytesSeen: 0, validBpb: NaN },
    hash: new Uint8Array(32),
  };
}
