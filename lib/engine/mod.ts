// This module imports no tfjs.
/**
 * The exact inference engine: a MEGABYTE model file run bit-identically everywhere (see
 * `README.md` in this folder for the arithmetic and the determinism argument).
 *
 * @example Tables of a segment, whole and byte by byte
 * ```ts
 * import assert from "node:assert/strict";
 * import { createEngine } from "./mod.ts";
 * import { loadModel } from "../model/model_file_read.ts";
 *
 * const engine = createEngine(await loadModel("tests/fixtures/tiny.mgb"));
 * const bytes = new TextEncoder().encode("hello");
 * const whole = engine.predictSegment(bytes); // (5, 256)
 * const batch = engine.start(1);
 * const table = new Uint32Array(256);
 * batch.predict(table);
 * assert.deepEqual(table, whole.subarray(0, 256));
 * batch.close();
 * engine.close();
 * ```
 *
 * @module
 */
export * from "./engine.ts";
export * from "./prepared_model.ts";
export * from "./reference.ts";
