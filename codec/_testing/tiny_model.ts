// This module imports no tfjs.
/**
 * A tiny random MEGABYTE model for the codec's neural-method tests, and inputs sampled from it
 * (which it compresses well, so that blocks really take the neural method).
 *
 * @module
 */
import type { MegabyteConfig } from "../../lib/model/config.ts";
import type { ModelFile, ModelTensor } from "../../lib/model/model_file_types.ts";
import { tensorShapes } from "../../lib/model/tensor_shapes.ts";
import { createNeuralPredictor } from "../../lib/predict/neural.ts";
import { ALPHABET } from "../../lib/predict/predictor.ts";
import { Random } from "./random.ts";

/** A small config: 64-byte context, so a few KiB make many segments. */
export const TINY_CONFIG: MegabyteConfig = {
  patchSize: 4,
  globalDim: 8,
  globalLayers: 1,
  globalHeads: 2,
  localDim: 16,
  localLayers: 1,
  localHeads: 2,
  context: 64,
  mlpRatio: 2,
};

/** {@link TINY_CONFIG} with a match row (minimum length 3), for the "mix-long" method. */
export const TINY_MATCH_CONFIG: MegabyteConfig = { ...TINY_CONFIG, matchLength: 3 };

/**
 * A random model of {@link TINY_CONFIG} (or `config`) whose hash is `hashByte` repeated (a
 * stand-in for the SHA-256 of a file): models of different seeds or hash bytes are different models.
 */
export function tinyModel(
  seed: number,
  name = "tiny-random",
  hashByte = seed & 0xff || 1,
  config: MegabyteConfig = TINY_CONFIG,
): ModelFile {
  const random = new Random(seed);
  const tensors = new Map<string, ModelTensor>();
  for (const [tensorName, shape] of tensorShapes(config)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const gain = shape.length === 1 && !tensorName.endsWith("pad");
    const scale = gain
      ? 0.2
      : tensorName === "local.head"
      ? 3 / Math.sqrt(shape[0]!)
      : 1 / Math.sqrt(shape[0]!);
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      const normal = (random.float() + random.float() + random.float() - 1.5) * 2;
      data[i] = (gain ? 1 : 0) + scale * normal;
    }
    tensors.set(tensorName, { shape, data });
  }
  return {
    name,
    config,
    tensors,
    metadata: { data: "random", steps: 0, bytesSeen: 0, validBpb: NaN },
    hash: new Uint8Array(32).fill(hashByte),
  };
}

/** `n` bytes sampled from `model`, one context-long segment at a time (seeded). */
export function sampleFromModel(model: ModelFile, n: number, seed: number): Uint8Array {
  const random = new Random(seed);
  const predictor = createNeuralPredictor(model);
  const out = new Uint8Array(n);
  const table = new Uint32Array(ALPHABET);
  for (let start = 0; start < n; start += model.config.context) {
    const batch = predictor.start(1);
    for (let i = start; i < Math.min(n, start + model.config.context); i++) {
      batch.predict(table);
      let value = random.below(65536);
      let v = 0;
      while (value >= table[v]!) value -= table[v++]!;
      out[i] = v;
      batch.advance(out.subarray(i, i + 1));
    }
    batch.close();
  }
  return out;
}
