// This module imports no tfjs.
/**
 * The model of the golden neural archive: the tiny random model of `codec/_testing/`, seeded.
 *
 * @module
 */
import type { ModelFile } from "../../lib/model/model_file_types.ts";
import { TINY_MATCH_CONFIG, tinyModel } from "../../codec/_testing/tiny_model.ts";

/** Seed of {@link goldenModel} and of its sampled content. */
export const GOLDEN_MODEL_SEED = 1128;

/** The tiny random model that `ok/neural_tiny_model.mbz` needs (hash: 0x68 repeated). */
export function goldenModel(): ModelFile {
  return tinyModel(GOLDEN_MODEL_SEED, "golden-tiny");
}

/** The tiny random model with a match row that `ok/mix_long_match_model.mbz` needs (hash: 0x6a repeated). */
export function goldenMatchModel(): ModelFile {
  return tinyModel(GOLDEN_MODEL_SEED + 2, "golden-tiny-match", undefined, TINY_MATCH_CONFIG);
}

/** The model an `ok/` entry names: "golden", "golden-match", or none. */
export function goldenModelOf(name: string | undefined): ModelFile | null {
  if (name === "golden") return goldenModel();
  if (name === "golden-match") return goldenMatchModel();
  return null;
}
