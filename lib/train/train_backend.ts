/**
 * The trainer's backend switch: lib/model/backend.ts's `cpu`, `webgpu` and `tensorflow`, plus
 * `wasm`, tfjs's WebAssembly backend (XNNPACK kernels), which runs the MEGABYTE training step
 * here 10–20× faster than `cpu` (measured on a 140k-parameter model, 16×256-byte batches:
 * ~1.5 KB/s on cpu, ~23 KB/s on wasm). The CPU fallback when no GPU is at hand.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { BACKENDS, setBackend } from "../model/backend.ts";

/** Backends the trainer accepts. */
export type TrainBackendName = (typeof TRAIN_BACKENDS)[number];

/** Backends the trainer accepts, in the order `--help` lists them. */
export const TRAIN_BACKENDS = [...BACKENDS, "wasm"] as const;

/**
 * Makes `name` the tfjs backend of every later op.
 *
 * @param name One of {@link TRAIN_BACKENDS}.
 * @returns When the backend is ready.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { useTrainBackend } from "./train_backend.ts";
 * await useTrainBackend("cpu");
 * assert.equal(tf.getBackend(), "cpu");
 * ```
 */
export async function useTrainBackend(name: TrainBackendName): Promise<void> {
  if (name !== "wasm") return await setBackend(name);
  tf.enableProdMode();
  // The .wasm binaries lie in the package's dist/ folder; tfjs fetches them from there.
  setWasmPaths(
    new URL("../../node_modules/@tensorflow/tfjs-backend-wasm/dist/", import.meta.url).href,
  );
  if (!(await tf.setBackend("wasm"))) {
    throw new Error("Cannot use the wasm backend: tfjs could not initialize it");
  }
  await tf.ready();
}
