// This module imports no tfjs.
/**
 * The megazip codec: the archive format of `codec/FORMAT.md`, whole-array and streaming
 * compression and decompression, scoring and inspection.
 *
 * @example Round trip
 * ```ts
 * import assert from "node:assert/strict";
 * import { compress, decompress } from "./mod.ts";
 * const input = new TextEncoder().encode("megazip ".repeat(20));
 * assert.deepEqual(await decompress(await compress(input)), input);
 * ```
 *
 * @module
 */
export * from "./compress.ts";
export * from "./decompress.ts";
export * from "./compress_stream.ts";
export * from "./decompress_stream.ts";
export * from "./score.ts";
export * from "./inspect_archive.ts";
export * from "./errors.ts";
export * from "./options.ts";
export type { ModelFile, ModelTensor, TrainingMetadata } from "../lib/model/model_file_types.ts";
export type { MegabyteConfig } from "../lib/model/config.ts";
