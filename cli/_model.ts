/**
 * Which model file the CLI uses: `--model PATH`, else `$MEGAZIP_MODEL`, else the shipped
 * `models/default.mgb`; `--no-model` for none.
 *
 * @module
 */
import { loadModel, type ModelFile, ModelFileError } from "./_codec.ts";
import { CliError, codecDetail, EXIT, oneLine } from "./_errors.ts";

/** The shipped default model, next to this module's folder. */
export const DEFAULT_MODEL_URL: URL = new URL("../models/default.mgb", import.meta.url);

/** The environment variable naming a model file used when `--model` is not given. */
export const MODEL_ENV = "MEGAZIP_MODEL";

/** Reads an environment variable, or undefined when it is unset or not permitted. */
function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

/** Loads the model at `path`, or throws a {@link CliError} (exit 4) naming it. */
async function loadNamed(path: string | URL): Promise<ModelFile> {
  const name = path instanceof URL ? decodeURIComponent(path.pathname) : path;
  try {
    return await loadModel(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Deno.errors.IsADirectory
      ? "is a directory"
      : error instanceof ModelFileError
      ? codecDetail(error)
      : oneLine(error);
    throw new CliError(`cannot load model ${name}: ${why}`, EXIT.model);
  }
}

/**
 * Resolves the `--model` option into a model, or null for none.
 *
 * - `false` (`--no-model`): null.
 * - a path: that model; a missing or invalid file is an error.
 * - `undefined`: `$MEGAZIP_MODEL` if set (must load), else `models/default.mgb` when it exists
 *   (silently null when it does not: the codec then works without the neural method).
 *
 * @param option The value of `--model` as commander parsed it.
 * @returns The model file, or null.
 */
export async function resolveModel(
  option: string | boolean | undefined,
): Promise<ModelFile | null> {
  if (option === false) return null;
  if (typeof option === "string") return await loadNamed(option);
  const fromEnv = readEnv(MODEL_ENV);
  if (fromEnv !== undefined) return await loadNamed(fromEnv);
  if (DEFAULT_MODEL_URL.protocol !== "file:") return null;
  try {
    await Deno.stat(DEFAULT_MODEL_URL);
  } catch {
    return null;
  }
  return await loadNamed(DEFAULT_MODEL_URL);
}
