// This module imports no tfjs.
/**
 * Internal: file-system helpers shared by the trainer's modules.
 *
 * @module
 */

/** Whether `path` exists (any kind of entry); other errors than NotFound propagate. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
