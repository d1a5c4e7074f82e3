// This module imports no tfjs.
/**
 * The one place where the CLI imports the codec and the model-file reader.
 *
 * @module
 */
export {
  compressStream,
  CorruptArchiveError,
  decompressStream,
  inspectArchive,
  ModelMismatchError,
  score,
} from "../codec/mod.ts";
export { concatBytes } from "../codec/_common/bytes.ts";
export { BLOCK_MAXIMUM_SIZE_LIMIT } from "../codec/_common/format.ts";
export type { ArchiveInfo, CompressOptions, DecompressOptions, ScoreResult } from "../codec/mod.ts";
export {
  hasModelMagic,
  loadModel,
  ModelFileError,
  readModelFile,
} from "../lib/model/model_file_read.ts";
export type { ModelFile } from "../lib/model/model_file_types.ts";
