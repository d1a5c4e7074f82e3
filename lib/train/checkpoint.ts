// This module imports no tfjs.
/**
 * Training checkpoints: everything a run needs to continue exactly where it stopped, in one
 * folder.
 *
 * - `state.json`: format and version, step, bytes seen, elapsed seconds, the generator's state,
 *   the model config, the run's settings, the identity of the training and validation data
 *   (and the paths they were read from), the last validation result, a table of the tensors
 *   (name, shape, byte offset) and the list of tensor files with their sizes and SHA-256.
 * - `tensors-STEP-PART.bin`: for each tensor in table order its weights, Adam's first moment and
 *   its second moment, float32 little-endian, back to back, cut into files of at most 15 MiB
 *   (what one device call brings back per file) and read back as one byte string.
 *
 * Writing is crash-safe: the tensors go to new files first, then `state.json` is replaced by an
 * atomic rename, and only then are older tensor files removed. A folder therefore always holds one
 * complete checkpoint.
 *
 * Moving a checkpoint from one device session to the next, in parts that fit the device tool's
 * calls: `checkpoint_transfer.ts`.
 *
 * @module
 */
import type { MegabyteConfig } from "../model/config.ts";
import type { ModelTensor } from "../model/model_file_types.ts";
import type { CorpusIdentity } from "./corpus.ts";
import type { ScheduleName } from "./schedule.ts";
import { sha256Hex } from "./_sha256.ts";

/** The checkpoint format version this module writes and reads. */
export const CHECKPOINT_VERSION = 2;

/** The settings that define a run; a resumed run keeps them (only `steps` may be extended). */
export interface TrainSettings {
  /** Named level of lib/model/configs.ts the config came from, or "custom". */
  configName: string;
  /** Optimizer steps of the whole run; the schedule's decay reaches the floor here. */
  steps: number;
  /**
   * The learning-rate schedule (`schedule.ts`): "cosine", or "wsd" (warmup, stable, decay over the
   * last `decaySteps` steps). Absent in checkpoints written before it existed: "cosine".
   */
  schedule?: ScheduleName;
  /** wsd only: steps of the final decay (0: none); a resumed run may change it. */
  decaySteps?: number;
  /** Windows per step. */
  batch: number;
  /** Fraction of training windows written with CRLF line ends (windows.ts). Absent: 0. */
  crlf?: number;
  /** Peak learning rate. */
  maxLr: number;
  /** Learning-rate floor at the end of the cosine. */
  minLr: number;
  /** Steps of linear warmup. */
  warmupSteps: number;
  /** AdamW's decoupled weight decay on matrices. */
  weightDecay: number;
  /** Learning-rate multiplier of the hashed n-gram tables (AdamW's `lrScales`). Absent: 1. */
  ngramLrScale?: number;
  /** Probability of dropping a training byte's n-gram lookup (`ngram_dropout.ts`). Absent: 0. */
  ngramDropout?: number;
  /** AdamW's weight decay of the hashed n-gram tables (its `weightDecays`). Absent: 0. */
  ngramWeightDecay?: number;
  /** Bytes of file before a training window that its match rows may search (`matchRowsAfter`). Absent: 0. */
  matchHistory?: number;
  /** The mixture loss (`mixture_loss.ts`): cm's targets' folder and the ten weights. Absent: cross-entropy. */
  mixLoss?: { cmTargets: string; weights: number[] };
  /** Bytes of file before a validation window that its match rows may search, logged as "valid-history". Absent: 0. */
  validHistory?: number;
  /** Adam's β1. */
  beta1: number;
  /** Adam's β2. */
  beta2: number;
  /** Adam's ε. */
  epsilon: number;
  /** Gradients are clipped to this global norm. */
  gradClip: number;
  /** Seed of the model's initial weights and of the window generator. */
  seed: number;
  /** Steps between validations (each followed by a checkpoint). */
  evalEvery: number;
  /** Validation windows per validation file. */
  validWindows: number;
  /** The model file whose weights the run started from (a warm start), if any. */
  init?: { path: string; name: string; sha256: string };
}

/** Bits per byte on the validation set, overall and per category. */
export interface ValidationResult {
  /** Steps taken when it was measured. */
  step: number;
  /** Total bits over total bytes of every validation window. */
  bpb: number;
  /** Bits per byte of each category's windows, by category name. */
  categories: Record<string, number>;
}

/** One checkpoint in memory. */
export interface Checkpoint {
  /** Optimizer steps taken. */
  step: number;
  /** Training bytes seen (steps × batch × context). */
  bytesSeen: number;
  /** Wall-clock seconds of the run's sessions up to this checkpoint (corpus loading included). */
  elapsedSeconds: number;
  /** State of the window generator. */
  rng: number[];
  /** The model's sizes. */
  config: MegabyteConfig;
  /** The run's settings. */
  settings: TrainSettings;
  /** Identity of the training corpus. */
  data: CorpusIdentity;
  /** Identity of the validation corpus. */
  valid: CorpusIdentity;
  /** Where the corpora were read from last: the defaults of a resumed run. */
  paths: { data: string[]; valid: string[] };
  /** The latest validation, or null before the first. */
  lastValid: ValidationResult | null;
  /** Weights by name (lib/model/ARCHITECTURE.md). */
  params: Map<string, ModelTensor>;
  /** Adam's moments by parameter name. */
  moments: Map<string, { m: Float32Array; v: Float32Array }>;
}

interface TensorEntry {
  name: string;
  shape: number[];
  offset: number;
}

/** One tensor file of a checkpoint, as `state.json` lists it. */
export interface CheckpointFile {
  /** File name inside the checkpoint folder, `tensors-STEP-PART.bin`. */
  name: string;
  /** Its size. */
  bytes: number;
  /** Its SHA-256, lowercase hex. */
  sha256: string;
}

interface StateFile extends Omit<Checkpoint, "params" | "moments"> {
  format: "megazip-checkpoint";
  version: number;
  tensorsFiles: CheckpointFile[];
  tensors: TensorEntry[];
}

/**
 * Largest tensor file: 15 MiB, below the 16 MiB a device call brings back per file
 * (../shared/DEVICE.md).
 */
const PART_BYTES = 15 * 1024 * 1024;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Writes a checkpoint into `dir` (created if missing), replacing the one there.
 *
 * @param dir The checkpoint folder, e.g. `runs/NAME/ckpt`.
 * @param checkpoint What to save.
 */
export async function saveCheckpoint(dir: string, checkpoint: Checkpoint): Promise<void> {
  if (!LITTLE_ENDIAN) {
    throw new Error("Cannot write a checkpoint: big-endian hosts are not supported");
  }
  await Deno.mkdir(dir, { recursive: true });
  const entries: TensorEntry[] = [];
  let bytes = 0;
  for (const [name, t] of checkpoint.params) {
    const moments = checkpoint.moments.get(name);
    if (moments === undefined) {
      throw new RangeError(`Cannot write the checkpoint: no moments for ${name}`);
    }
    if (moments.m.length !== t.data.length || moments.v.length !== t.data.length) {
      throw new RangeError(`Cannot write the checkpoint: moments of ${name} have the wrong size`);
    }
    entries.push({ name, shape: [...t.shape], offset: bytes });
    bytes += 3 * 4 * t.data.length;
  }
  const blob = new Uint8Array(bytes);
  for (const entry of entries) {
    const data = checkpoint.params.get(entry.name)!.data;
    const { m, v } = checkpoint.moments.get(entry.name)!;
    let at = entry.offset;
    for (const part of [data, m, v]) {
      blob.set(new Uint8Array(part.buffer, part.byteOffset, part.byteLength), at);
      at += part.byteLength;
    }
  }
  // Parts of at most PART_BYTES each, so that every file fits the device machine's transfers.
  const step = String(checkpoint.step).padStart(8, "0");
  const tensorsFiles: CheckpointFile[] = [];
  for (let at = 0, i = 0; at < bytes || i === 0; at += PART_BYTES, i++) {
    const part = blob.subarray(at, Math.min(bytes, at + PART_BYTES));
    const name = `tensors-${step}-${String(i).padStart(3, "0")}.bin`;
    await Deno.writeFile(`${dir}/${name}.tmp`, part);
    await Deno.rename(`${dir}/${name}.tmp`, `${dir}/${name}`);
    tensorsFiles.push({ name, bytes: part.length, sha256: await sha256Hex(part) });
  }
  const { params: _params, moments: _moments, ...rest } = checkpoint;
  const state: StateFile = {
    format: "megazip-checkpoint",
    version: CHECKPOINT_VERSION,
    ...rest,
    tensorsFiles,
    tensors: entries,
  };
  await Deno.writeTextFile(`${dir}/state.json.tmp`, JSON.stringify(state, null, 1) + "\n");
  await Deno.rename(`${dir}/state.json.tmp`, `${dir}/state.json`);
  const keep = new Set(tensorsFiles.map((f) => f.name));
  for await (const entry of Deno.readDir(dir)) {
    if (!keep.has(entry.name) && /^tensors-[\d-]+\.bin(\.tmp)?$/.test(entry.name)) {
      await Deno.remove(`${dir}/${entry.name}`);
    }
  }
}

/** A checkpoint's `state.json`, checked for format and version, without its tensors. */
export interface CheckpointIndex {
  /** The file's text, byte for byte. */
  text: string;
  /** Optimizer steps taken. */
  step: number;
  /** The tensor files the checkpoint needs, in order. */
  files: CheckpointFile[];
}

/**
 * Reads `state.json` of the checkpoint in `dir` and checks its format and version.
 *
 * @param dir The checkpoint folder (or any folder holding a checkpoint's `state.json`).
 * @returns Its text, step and tensor files.
 */
export async function readCheckpointIndex(dir: string): Promise<CheckpointIndex> {
  const text = await readState(dir);
  const state = parseState(dir, text);
  return { text, step: state.step, files: state.tensorsFiles };
}

/**
 * Reads one tensor file of a checkpoint and checks its size and SHA-256 against `state.json`'s
 * entry.
 *
 * @param dir The folder holding the file.
 * @param file Its entry in `state.json`.
 * @returns The file's bytes.
 */
export async function readCheckpointFile(dir: string, file: CheckpointFile): Promise<Uint8Array> {
  const bytes = await Deno.readFile(`${dir}/${file.name}`);
  if (bytes.length !== file.bytes || (await sha256Hex(bytes)) !== file.sha256) {
    throw new Error(
      `Cannot read the checkpoint in ${dir}: ${file.name} is damaged (checksum mismatch)`,
    );
  }
  return bytes;
}

async function readState(dir: string): Promise<string> {
  try {
    return await Deno.readTextFile(`${dir}/state.json`);
  } catch (error) {
    throw new Error(`Cannot read the checkpoint in ${dir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function parseState(dir: string, text: string): StateFile {
  let state: StateFile;
  try {
    state = JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(`Cannot read the checkpoint in ${dir}: state.json is not JSON`, {
      cause: error,
    });
  }
  if (state === null || typeof state !== "object" || state.format !== "megazip-checkpoint") {
    throw new TypeError(
      `Cannot read the checkpoint in ${dir}: state.json is not a megazip checkpoint`,
    );
  }
  if (state.version !== CHECKPOINT_VERSION) {
    throw new RangeError(
      `Cannot read the checkpoint in ${dir}: version ${state.version} is not supported (expected ${CHECKPOINT_VERSION})`,
    );
  }
  return state;
}

/**
 * Reads the checkpoint in `dir`, verifying its format, version and tensor data.
 *
 * @param dir The checkpoint folder.
 * @returns The checkpoint.
 */
export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  if (!LITTLE_ENDIAN) {
    throw new Error("Cannot read a checkpoint: big-endian hosts are not supported");
  }
  const state = parseState(dir, await readState(dir));
  const parts: Uint8Array[] = [];
  for (const part of state.tensorsFiles) parts.push(await readCheckpointFile(dir, part));
  const blob = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  parts.reduce((at, p) => (blob.set(p, at), at + p.length), 0);
  const params = new Map<string, ModelTensor>();
  const moments = new Map<string, { m: Float32Array; v: Float32Array }>();
  for (const entry of state.tensors) {
    const size = entry.shape.reduce((a, b) => a * b, 1);
    const at = entry.offset;
    if (!Number.isInteger(at) || at < 0 || at + 12 * size > blob.length) {
      throw new RangeError(
        `Cannot read the checkpoint in ${dir}: tensor ${entry.name} lies outside the file`,
      );
    }
    // Copy out: the slices must own 4-byte-aligned buffers.
    const part = (i: number) =>
      new Float32Array(blob.slice(at + 4 * size * i, at + 4 * size * (i + 1)).buffer);
    params.set(entry.name, { shape: entry.shape, data: part(0) });
    moments.set(entry.name, { m: part(1), v: part(2) });
  }
  const {
    format: _format,
    version: _version,
    tensorsFiles: _files,
    tensors: _tensors,
    ...rest
  } = state;
  return { ...rest, params, moments };
}
