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
  /**
   * H: hashed n-gram embedding tables of the local input, for orders n = 2..H+1 (`ngram.ts`);
   * 0 or absent: none (every model before model file format version 2). Parameters that cost
   * almost no FLOPs per byte: a lookup and a DL-wide add each (`flopsPerByte` counts the adds).
   */
  hashOrders?: number;
  /** Rows of each hashed n-gram table, a power of two; 0 or absent exactly when H is. */
  hashRows?: number;
  /**
   * k: the minimum length of the match row of the local input (`match.ts`): the byte that followed
   * the most recent earlier occurrence of the k bytes before, and the match's length, looked up in
   * `local.match_emb`; 0 or absent: none (every model before model file format version 4).
   */
  matchLength?: number;
}

/** The largest {@link MegabyteConfig.hashOrders}: orders 2..9. */
export const MAX_HASH_ORDERS = 8;

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

/** The fields model file format version 2 adds after {@link CONFIG_FIELDS}, in stored order. */
export const HASH_FIELDS = [
  "hashOrders",
  "hashRows",
] as const satisfies readonly (keyof MegabyteConfig)[];

/** The field model file format version 4 adds after {@link HASH_FIELDS}. */
export const MATCH_FIELDS = ["matchLength"] as const satisfies readonly (keyof MegabyteConfig)[];

/** The longest match length told apart by the match row (`match.ts`); also the largest k. */
export const MATCH_MAX_LENGTH = 32;

/**
 * k and the rows of the match table (`local.match_emb`: one per length bucket k..32 and next
 * byte), 0 and 0 when `config` has no match row.
 */
export function matchTable(config: MegabyteConfig): { length: number; rows: number } {
  const k = config.matchLength ?? 0;
  return { length: k, rows: k === 0 ? 0 : matchTableRows(k) };
}

/** Rows of the match table for minimum length k: one per (length bucket k..32, next byte). */
export function matchTableRows(k: number): number {
  return (MATCH_MAX_LENGTH - k + 1) * 256;
}

/** H and the rows per table of `config`, 0 and 0 when it has no hashed n-gram tables. */
export function hashTables(config: MegabyteConfig): { orders: number; rows: number } {
  return { orders: config.hashOrders ?? 0, rows: config.hashRows ?? 0 };
}

/** Whether two configs describe the same model (absent hash fields equal 0). */
export function sameConfig(a: MegabyteConfig, b: MegabyteConfig): boolean {
  const ha = hashTables(a);
  const hb = hashTables(b);
  return CONFIG_FIELDS.every((key) => a[key] === b[key]) && ha.orders === hb.orders &&
    ha.rows === hb.rows && matchTable(a).length === matchTable(b).length;
}

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
  const { orders, rows } = hashTables(config);
  if (!Number.isInteger(orders) || orders < 0 || orders > MAX_HASH_ORDERS) {
    throw new RangeError(
      `Cannot use the model config: hashOrders must be an integer in 0..${MAX_HASH_ORDERS}, got ${orders}`,
    );
  }
  const pow2 = Number.isInteger(rows) && rows >= 2 && rows <= 1 << 24 && (rows & (rows - 1)) === 0;
  if (orders === 0 ? rows !== 0 : !pow2) {
    throw new RangeError(
      `Cannot use the model config: hashRows must be ${
        orders === 0 ? "0 without hashOrders" : "a power of two in 2..2^24"
      }, got ${rows}`,
    );
  }
  const k = config.matchLength ?? 0;
  if (!Number.isInteger(k) || k < 0 || k > MATCH_MAX_LENGTH) {
    throw new RangeError(
      `Cannot use the model config: matchLength must be an integer in 0..${MATCH_MAX_LENGTH}, got ${k}`,
    );
  }
}
