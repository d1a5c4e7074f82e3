// This module imports no tfjs.
/**
 * Internal test helpers: random model contents without tfjs, a relative error, and a child Deno
 * with WebGPU.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { MegabyteConfig } from "./config.ts";
import { ModelFileError } from "./model_file_error.ts";
import { readModelFile } from "./model_file_read.ts";
import type { ModelFile, ModelTensor } from "./model_file_types.ts";
import { tensorShapes } from "./tensor_shapes.ts";

/** mulberry32: a seeded PRNG in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every tensor of `config`, filled with seeded values of about ±scale. */
export function randomTensors(
  config: MegabyteConfig,
  seed: number,
  scale = 0.1,
): Map<string, ModelTensor> {
  const random = prng(seed);
  const tensors = new Map<string, ModelTensor>();
  for (const [name, shape] of tensorShapes(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = (random() * 2 - 1) * scale;
    tensors.set(name, { shape, data });
  }
  return tensors;
}

/** A whole model (without hash) with random tensors. */
export function randomModel(config: MegabyteConfig, seed: number): Omit<ModelFile, "hash"> {
  return {
    name: "tiny-test",
    config,
    tensors: randomTensors(config, seed),
    metadata: {
      data: "random weights for tests",
      steps: 1234,
      bytesSeen: 5_000_000_000,
      validBpb: 2.5,
    },
  };
}

/** Whether `deno --unstable-webgpu` finds an adapter here (a GPU, or llvmpipe without one). */
export async function hasWebGpu(): Promise<boolean> {
  const probe = "Deno.exit((await navigator.gpu?.requestAdapter()) ? 0 : 3)";
  const args = ["eval", "--unstable-webgpu", probe];
  try {
    return (await new Deno.Command(Deno.execPath(), { args }).output()).code === 0;
  } catch {
    return false; // no --allow-run
  }
}

/**
 * Runs a JavaScript module in a `--unstable-webgpu` Deno from the repository root (the test's own
 * Deno has no WebGPU), and parses what it prints as JSON.
 *
 * @param script The module's source; it imports by absolute URL and prints one JSON value.
 * @returns The parsed output.
 * @throws {Error} With the child's stderr if it exits non-zero.
 */
export async function runWebGpuScript(script: string): Promise<unknown> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--unstable-webgpu", "--ext=js", script],
    cwd: new URL("../..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (output.code !== 0) throw new Error(new TextDecoder().decode(output.stderr));
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

/**
 * The largest |x − y| over the largest |y| (at least `minScale`): 0 for equal arrays.
 *
 * @param x The values under test.
 * @param y The reference values.
 * @param minScale The smallest divisor, for references at or near zero.
 * @returns The relative error.
 */
export function relError(x: ArrayLike<number>, y: ArrayLike<number>, minScale = 0): number {
  let diff = 0, scale = minScale;
  for (let i = 0; i < y.length; i++) {
    diff = Math.max(diff, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return diff / scale;
}

/** Recomputes a model file's content checksum after an edit, so the reader gets past it. */
export function reseal(bytes: Uint8Array): Uint8Array {
  const end = bytes.length - 32;
  bytes.set(createHash("sha256").update(bytes.subarray(0, end)).digest(), end);
  return bytes;
}

/** Asserts that the reader rejects `bytes` with a ModelFileError naming `field`. */
export function rejects(bytes: Uint8Array, field: string, message: RegExp): void {
  assert.throws(() => readModelFile(bytes), (error: unknown) => {
    assert.ok(error instanceof ModelFileError, `not a ModelFileError: ${error}`);
    assert.equal(error.field, field, error.message);
    assert.match(error.message, message);
    return true;
  });
}
