// This module imports no tfjs.
/**
 * The in-memory form of a model file (`.mgb`), shared by its reader and writer, the trainer's
 * export and the engine. The byte layout is specified in `lib/model/FORMAT.md`.
 *
 * @module
 */
import type { MegabyteConfig } from "./config.ts";

/**
 * One named weight tensor, always handed out as float32 (dequantized if stored otherwise). The
 * reader computes an int8 or int4 tensor's `data` on first read and keeps it (an own enumerable accessor):
 * code that needs only `quantized`, such as the exact engine, never allocates the float32 copy.
 */
export interface ModelTensor {
  /** Dimensions, outermost first (row-major). */
  shape: number[];
  /**
   * The values, `shape` multiplied out. For an int8 tensor from the reader, computed from
   * `quantized` when first read (4× the integers' memory), then the same array on every read.
   */
  data: Float32Array;
  /**
   * For a tensor stored as int8 or int4 (lib/model/FORMAT.md): the stored integers (row-major,
   * −127..127, or −7..7 for int4, unpacked one per byte) and one scale per column;
   * `data[r·C + c]` is `fround(values[r·C + c] · scales[c])`. Absent for tensors stored as floats.
   * The writer keeps these when it writes int8 again, or int4 when they are int4 levels.
   */
  quantized?: { values: Int8Array; scales: Float32Array };
}

/** How the model was trained: carried in the file for model cards and `megazip info`. */
export interface TrainingMetadata {
  /** What the model trained on (e.g. corpus names). */
  data: string;
  /** Optimizer steps taken. */
  steps: number;
  /** Training bytes seen. */
  bytesSeen: number;
  /** Validation bits per byte (float evaluation) at export, or NaN when not measured. */
  validBpb: number;
}

/** How a model file stores its tensors, as the reader found it (`lib/model/FORMAT.md`). */
export interface ModelStorage {
  /** `Format_Version`: 1 to 4. */
  formatVersion: 1 | 2 | 3 | 4;
  /** The file's size in bytes. */
  fileSize: number;
  /** Each tensor's `Dtype`, in the file's order. */
  dtypes: Map<string, "float32" | "float16" | "int8" | "int4">;
}

/** A model file read into memory. */
export interface ModelFile {
  /** Short human name, e.g. "default" or "tiny-test". */
  name: string;
  /**
   * The model's sizes. Read from a file, `hashOrders` and `hashRows` are present (H ≥ 1) exactly
   * when it is `Format_Version` 2 to 4, and `matchLength` (k ≥ 1) exactly when it is version 4; a
   * writer writes version 2 to 4 exactly when H ≥ 1, and 4 exactly when k ≥ 1.
   */
  config: MegabyteConfig;
  /** Weights by the names of `lib/model/ARCHITECTURE.md`. */
  tensors: Map<string, ModelTensor>;
  /** Training metadata. */
  metadata: TrainingMetadata;
  /** SHA-256 of the whole file's bytes: the model's identity in archives (32 bytes). */
  hash: Uint8Array;
  /** How the file stored it: set by the reader (for `megazip info`), ignored by the writer. */
  storage?: ModelStorage;
}
