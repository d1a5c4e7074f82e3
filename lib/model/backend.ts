/**
 * Picks the tfjs backend the model trains and evaluates on.
 *
 * - `cpu`: `@tensorflow/tfjs-backend-cpu`, plain JavaScript; tests and CI.
 * - `webgpu`: `@tensorflow/tfjs-backend-webgpu` through Deno's WebGPU (run Deno with
 *   `--unstable-webgpu`); the GPU machine (../shared/DEVICE.md). Loaded only when asked for.
 * - `tensorflow`: `@tensorflow/tfjs-node-gpu`, native TensorFlow with CUDA. Its install
 *   downloads a native TensorFlow binary, which cannot be fetched here, so it is not in
 *   deno.json: where it installs, add `"@tensorflow/tfjs-node-gpu":
 *   "npm:@tensorflow/tfjs-node-gpu@4.22.0"` to the imports; until then asking for it fails with
 *   one clear line.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";

/** The backends {@link setBackend} accepts. */
export type BackendName = "cpu" | "webgpu" | "tensorflow";

/** The backends by name, in the order `--help` lists them. */
export const BACKENDS: readonly BackendName[] = ["cpu", "webgpu", "tensorflow"];

/** Imports a module by a specifier hidden from `deno check`, which would insist on resolving it. */
function importOptional(specifier: string): Promise<unknown> {
  return import(specifier);
}

/**
 * Makes `name` the tfjs backend of every later op, loading its package first if needed, and
 * switches on tfjs's production mode (no per-op NaN checks, no "install tfjs-node" banner).
 *
 * @param name "cpu", "webgpu" or "tensorflow".
 * @returns When the backend is ready.
 * @throws {TypeError} For an unknown name.
 * @throws {Error} When the backend cannot start, with one line saying why.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { setBackend } from "./backend.ts";
 *
 * await setBackend("cpu");
 * assert.equal(tf.getBackend(), "cpu");
 * ```
 */
export async function setBackend(name: BackendName): Promise<void> {
  if (!BACKENDS.includes(name)) {
    throw new TypeError(`Cannot use backend "${name}": expected one of ${BACKENDS.join(", ")}`);
  }
  tf.enableProdMode();
  if (name === "webgpu") {
    if (!("gpu" in navigator) || navigator.gpu === undefined) {
      throw new Error(
        "Cannot use the webgpu backend: navigator.gpu is missing (run Deno with --unstable-webgpu)",
      );
    }
    await import("@tensorflow/tfjs-backend-webgpu");
  } else if (name === "tensorflow") {
    try {
      await importOptional("@tensorflow/tfjs-node-gpu");
    } catch (error) {
      const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
      throw new Error(
        `Cannot use the tensorflow backend: @tensorflow/tfjs-node-gpu is not installed (${why}); ` +
          `it needs a native TensorFlow download, see lib/model/backend.ts`,
      );
    }
  }
  if (!(await tf.setBackend(name))) {
    throw new Error(`Cannot use the ${name} backend: tfjs could not initialize it`);
  }
  await tf.ready();
}
