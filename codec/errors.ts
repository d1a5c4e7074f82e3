// This module imports no tfjs.
/**
 * The two errors that callers of the codec catch: a bad archive, and a missing or wrong model.
 *
 * @module
 */

/** Options of {@link CorruptArchiveError}. */
export interface CorruptArchiveErrorOptions {
  /** Byte offset in the archive where the problem was found (the start of the bad field). */
  offset: number;
  /** The `codec/FORMAT.md` heading of the field that was rejected, e.g. "Block_Checksum". */
  section: string;
  /** The error that led to this one, if any. */
  cause?: unknown;
}

/**
 * The archive is not a megazip archive, is truncated, corrupted, or breaks a rule of
 * `codec/FORMAT.md`. The message is one line, e.g. "Cannot decode block 3: checksum mismatch".
 *
 * @example Telling a bad archive apart from other failures
 * ```ts
 * import assert from "node:assert/strict";
 * import { CorruptArchiveError } from "./errors.ts";
 * const error = new CorruptArchiveError("Cannot read the archive: bad magic number", {
 *   offset: 0,
 *   section: "Magic_Number",
 * });
 * assert.ok(error instanceof Error);
 * assert.equal(error.section, "Magic_Number");
 * ```
 */
export class CorruptArchiveError extends Error {
  /** Byte offset in the archive where the problem was found. */
  readonly offset: number;
  /** The `codec/FORMAT.md` heading of the rejected field. */
  readonly section: string;

  /**
   * Creates the error.
   *
   * @param message one line naming the problem
   * @param options where it was found
   */
  constructor(message: string, options: CorruptArchiveErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CorruptArchiveError";
    this.offset = options.offset;
    this.section = options.section;
  }
}

/**
 * The archive needs a neural model that was not given, or another model than the one given.
 * The message names both models.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ModelMismatchError } from "./errors.ts";
 * const error = new ModelMismatchError("Cannot decode: the archive needs model default, none given");
 * assert.equal(error.name, "ModelMismatchError");
 * ```
 */
export class ModelMismatchError extends Error {
  /**
   * Creates the error.
   *
   * @param message one line naming the model the archive needs and the one given
   */
  constructor(message: string) {
    super(message);
    this.name = "ModelMismatchError";
  }
}
