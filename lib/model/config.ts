// This module imports no tfjs.
/**
 * The MEGABYTE configuration: every size the model, the trainer, the model file and the engine
 * agree on. The exact forward pass is written down in `lib/model/ARCHITECTURE.md`.
 *
 * @module
 */

/** Sizes of a MEGABYTE model (Yu et al. 2023, section 2). */
export interface MegabyteConfig {
  /** P: bytes per patch. The global model runs once per patch, so a larger P makes it cheaper per byte. */
  patchSize: number;
  /** DG: width of each byte's global embedding; the global model's width is P·DG. */
  globalDim: number;
  /** Layers of the global transformer. */
  globalLayers: number;
  /** Heads of the global transformer; must divide P·DG. */
  globalHeads: number;
  /** DL: width of the local transformer. */
  localDim: number;
  /** Layers of the local transformer. */
  localLayers: number;
  /** Heads of the local transformer; must divide DL. */
  localHeads: number;
  /** T: context length in bytes (a multiple of P); also the longest segment the codec gives it. */
  context: number;
  /** Hidden width of every MLP as a multiple of its block's width (4 in GPT-2 and the paper). */
  mlpRatio: number;
}

/** Every field of {@link MegabyteConfig}, in the order the model file stores them. */
export const CONFIG_FIELDS = [
  "patchSize",
  "globalDim",
  "globalLayers",
  "globalHeads",
  "localDim",
  "localLayers",
  "localHeads",
  "context",
  "mlpRatio",
] as const satisfies readonly (keyof MegabyteConfig)[];

/** Throws a RangeError for the first broken invariant of `config`. */
export function validateConfig(config: MegabyteConfig): void {
  for (const key of CONFIG_FIELDS) {
    const v = config[key];
    if (!Number.isInteger(v) || v < 1 || v > 1 << 24) {
      throw new RangeError(
        `Cannot use the model config: ${key} must be an integer in 1..2^24, got ${v}`,
      );
    }
  }
  if (config.context % config.patchSize !== 0) {
    throw new RangeError(
      `Cannot use the model config: context (${config.context}) must be a multiple of patchSize (${config.patchSize})`,
    );
  }
  if ((config.patchSize * config.globalDim) % config.globalHeads !== 0) {
    throw new RangeError(
      "Cannot use the model config: globalHeads must divide patchSize·globalDim",
    );
  }
  if (config.localDim % config.localHeads !== 0) {
    throw new RangeError("Cannot use the model config: localHeads must divide localDim");
  }
}
