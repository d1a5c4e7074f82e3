// This module imports no tfjs.
/**
 * The error a model-file reader throws for a file it must reject (lib/model/FORMAT.md).
 *
 * @module
 */

/**
 * A model file that is not one, is truncated, corrupt or breaks a rule of lib/model/FORMAT.md.
 * The message is one line, e.g. "Cannot read the model file: checksum mismatch (at byte 1024,
 * Content_Checksum)".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ModelFileError } from "./model_file_error.ts";
 * import { readModelFile } from "./model_file_read.ts";
 *
 * assert.throws(() => readModelFile(new Uint8Array(10)), ModelFileError);
 * ```
 */
export class ModelFileError extends Error {
  /** Byte offset in the file where the problem was found. */
  readonly offset: number;
  /** The field of FORMAT.md that is wrong (e.g. "Magic_Number"). */
  readonly field: string;

  /**
   * Builds the error; its message names the problem, the offset and the field.
   *
   * @param problem What is wrong, e.g. "bad magic number (not a .mgb model file)".
   * @param offset Byte offset of the field.
   * @param field The FORMAT.md field name.
   */
  constructor(problem: string, offset: number, field: string) {
    super(`Cannot read the model file: ${problem} (at byte ${offset}, ${field})`);
    this.name = "ModelFileError";
    this.offset = offset;
    this.field = field;
  }
}
