/**
 * Export: a checkpoint becomes a model file (`.mgb`, lib/model/FORMAT.md) with its training
 * metadata, plus the engine fixture beside it (`NAME_fixture.json`, see `fixture.ts`): sample
 * bytes, the tfjs float logits for them computed on the cpu backend from the weights as the file
 * stores them (dequantized), and their bits per byte.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { Megabyte, ngramTensor } from "../model/megabyte.ts";
import { readModelFile } from "../model/model_file_read.ts";
import { writeModelFile } from "../model/model_file_write.ts";
import { type Checkpoint, loadCheckpoint } from "./checkpoint.ts";
import { encodeFixture, type EngineFixture } from "./fixture.ts";
import { sha256Hex } from "./_sha256.ts";

/** Options of {@link exportModel}. */
export interface ExportOptions {
  /** The model's name inside the file. @default {the file's base name without extension} */
  name?: string;
  /** Where the fixture goes; null writes none. @default {"NAME_fixture.json" beside the model} */
  fixture?: string | null;
  /**
   * How the hashed n-gram tables are stored (`WriteModelFileOptions.tableDtype`): "int4" halves
   * their bytes and makes a `Format_Version` 3 file. @default {"int8"}
   */
  tableDtype?: "int8" | "int4";
}

/** What {@link exportModel} wrote. */
export interface ExportResult {
  /** The model file. */
  path: string;
  /** Its size in bytes. */
  bytes: number;
  /** Its SHA-256, lowercase hex: the model's identity in archives. */
  hash: string;
  /** The model's name inside the file. */
  name: string;
  /** Steps of the checkpoint. */
  step: number;
  /** Validation bits per byte stored as metadata (NaN when the checkpoint's step was not validated). */
  validBpb: number;
  /** The fixture file, or null. */
  fixturePath: string | null;
  /** Bits per byte of the fixture's input under the exported model, or NaN without a fixture. */
  fixtureBpb: number;
}

/**
 * The fixture input: a fixed mix of prose, code, markup and data, so that the logits cover
 * typical bytes. Cut to the model's context, at most {@link FIXTURE_BYTES}.
 */
const FIXTURE_TEXT = "The quick brown fox jumps over the lazy dog. " +
  'int main(void) { printf("%d\\n", 42); return 0; }\n' +
  '<p class="note">Hello, world &amp; friends!</p>\n' +
  '{"id": 17, "tags": ["a", "b"], "ok": true}\n' +
  "def f(x):\n    return x * 2  # doubled\n" +
  "From: alice@example.com\nSubject: Re: lunch?\n\nSounds good, see you at noon.\n";

/** Bytes of fixture input: enough to cross several patches, small enough to commit. */
export const FIXTURE_BYTES = 128;

/**
 * Where {@link exportModel} writes the fixture of a model file by default: `NAME_fixture.json`
 * beside it.
 *
 * @param path The model file.
 * @returns The fixture's path (`models/tiny.mgb` → `models/tiny_fixture.json`).
 */
export function defaultFixturePath(path: string): string {
  return path.replace(/\.[^./]*$/, "") + "_fixture.json";
}

/**
 * Writes the checkpoint of `runDir` as a model file at `path` (atomically: a temporary file
 * renamed into place), and the engine fixture beside it.
 *
 * @param runDir The run folder (or its `ckpt/` folder).
 * @param path The model file to write.
 * @param options Name and fixture path.
 * @returns What was written.
 */
export async function exportModel(
  runDir: string,
  path: string,
  options: ExportOptions = {},
): Promise<ExportResult> {
  const dir = runDir.replace(/\/+$/, "").replace(/\/ckpt$/, "");
  const ckpt = await loadCheckpoint(`${dir}/ckpt`);
  const base = path.slice(path.lastIndexOf("/") + 1);
  const name = options.name ?? base.replace(/\.[^.]*$/, "");
  const validBpb = ckpt.lastValid !== null && ckpt.lastValid.step === ckpt.step
    ? ckpt.lastValid.bpb
    : NaN;
  const bytes = writeModelFile({
    name,
    config: ckpt.config,
    tensors: ckpt.params,
    metadata: {
      data: await describeData(ckpt),
      steps: ckpt.step,
      bytesSeen: ckpt.bytesSeen,
      validBpb,
    },
  }, { tableDtype: options.tableDtype ?? "int8" });
  const file = readModelFile(bytes); // what the engine will see: the weights as stored
  const hash = Array.from(file.hash, (b) => b.toString(16).padStart(2, "0")).join("");
  await writeAtomic(path, bytes);

  let fixturePath: string | null = null;
  let fixtureBpb = NaN;
  if (options.fixture !== null) {
    fixturePath = options.fixture ?? defaultFixturePath(path);
    // On the cpu backend, whatever the run trained on: the reference that tests and CI also have.
    const previous = tf.getBackend();
    await tf.setBackend("cpu");
    let fixture: EngineFixture;
    try {
      fixture = computeFixture(file.config, file.tensors, { model: base, modelHash: hash });
    } finally {
      await tf.setBackend(previous);
    }
    fixtureBpb = fixture.bitsPerByte;
    await writeAtomic(fixturePath, new TextEncoder().encode(encodeFixture(fixture)));
  }
  return {
    path,
    bytes: bytes.length,
    hash,
    name,
    step: ckpt.step,
    validBpb,
    fixturePath,
    fixtureBpb,
  };
}

/** The tfjs float evaluation of the fixture input with `tensors`, on the current (cpu) backend. */
function computeFixture(
  config: Checkpoint["config"],
  tensors: Checkpoint["params"],
  id: { model: string; modelHash: string },
): EngineFixture {
  const T = Math.min(config.context, FIXTURE_BYTES);
  const text = new TextEncoder().encode(FIXTURE_TEXT.repeat(Math.ceil(T / FIXTURE_TEXT.length)));
  const input = text.slice(0, T);
  const model = new Megabyte(config);
  try {
    model.importTensors(tensors);
    const [logits, logProbs] = tf.tidy(() => {
      const x = tf.tensor2d(Int32Array.from(input), [1, T], "int32"); // (1, T)
      const grams = ngramTensor(config, input, 1, T); // (1, T, G) or none
      const logits = tf.reshape(model.logits(x, grams), [T, 256]); // (1, T, V) -> (T, V)
      return [logits, tf.logSoftmax(logits)]; // (T, V), (T, V)
    });
    const values = logits.dataSync() as Float32Array;
    const lp = logProbs.dataSync();
    tf.dispose([logits, logProbs]);
    const bits = Array.from(input, (byte, t) => -lp[t * 256 + byte] / Math.LN2);
    return {
      ...id,
      backend: tf.getBackend(),
      input,
      logits: new Float32Array(values),
      bits,
      bitsPerByte: bits.reduce((a, b) => a + b, 0) / T,
    };
  } finally {
    model.dispose();
  }
}

/** "code-c, docs-text, … (10 files, 178718512 bytes, identity 1a2b3c4d5e6f7a8b)". */
async function describeData(ckpt: Checkpoint): Promise<string> {
  const files = ckpt.data.files;
  const total = files.reduce((sum, f) => sum + f.bytes, 0);
  const identity = await sha256Hex(new TextEncoder().encode(JSON.stringify(ckpt.data)));
  return `${files.map((f) => f.name).join(", ")} (${files.length} files, ${total} bytes, ` +
    `identity ${identity.slice(0, 16)})`;
}

async function writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
}
