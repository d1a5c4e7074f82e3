// This module imports no tfjs.
/**
 * The one place where the CLI imports the codec and the model-file reader.
 *
 * @module
 */
import type { ModelFile } from "../lib/model/model_file_types.ts";

export {
  compressStream,
  CorruptArchiveError,
  decompressStream,
  inspectArchive,
  ModelMismatchError,
  score,
} from "../codec/mod.ts";
export type { ArchiveInfo, CompressOptions, DecompressOptions, ScoreResult } from "../codec/mod.ts";
export type { ModelFile };

/** Where the model engineer's reader lives (`loadModel`, `readModelFile`). */
const READER_URL = new URL("../lib/model/model_file_read.ts", import.meta.url).href;

/**
 * Reads a model file (`lib/model/model_file_read.ts`), imported on first use.
 *
 * @param path The model file.
 * @returns The model.
 */
export async function loadModel(path: string | URL): Promise<ModelFile> {
  let reader: { loadModel?: (path: string | URL) => Promise<ModelFile> };
  try {
    reader = await import(READER_URL);
  } catch {
    reader = {};
  }
  if (typeof reader.loadModel !== "function") {
    // Still fail like a missing file when there is none, so that messages stay useful.
    await Deno.stat(path);
    throw new Error("the model file reader (lib/model/model_file_read.ts) is not available yet");
  }
  return await reader.loadModel(path);
}
