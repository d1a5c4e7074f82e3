/**
 * Ensures the model-file reader never crashes or hangs: random mutations of valid files (bit
 * flips, overwritten header bytes, truncations, insertions and deletions, and edits with the
 * checksum recomputed so that the deeper checks run) either read as a model or fail with a
 * ModelFileError, never any other error.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { LEVELS } from "../../lib/model/configs.ts";
import { ModelFileError, readModelFile } from "../../lib/model/model_file_read.ts";
import { writeModelFile } from "../../lib/model/model_file_write.ts";
import { prng, randomModel } from "../../lib/model/_test_util.ts";

const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 20261128);
const ITERATIONS = 2000;

const files = (["float32", "float16", "int8"] as const).map((dtype) =>
  writeModelFile(randomModel(LEVELS.tiny, 1), { dtype })
);

/** Recomputes the content checksum (when the file is long enough to have one). */
function reseal(bytes: Uint8Array): void {
  if (bytes.length < 64) return;
  const end = bytes.length - 32;
  bytes.set(createHash("sha256").update(bytes.subarray(0, end)).digest(), end);
}

/** One random mutation of `file`, described for the failure message. */
function mutate(file: Uint8Array, random: () => number): { bytes: Uint8Array; what: string } {
  const pick = (n: number) => Math.floor(random() * n);
  const headerEnd = Math.min(file.length, 16 + new DataView(file.buffer).getUint32(12, true));
  const kind = pick(6);
  let bytes = file.slice();
  let what: string;
  if (kind === 0) {
    const n = 1 + pick(8);
    for (let i = 0; i < n; i++) bytes[pick(bytes.length)] ^= 1 << pick(8);
    what = `${n} bit flips`;
  } else if (kind === 1) {
    const n = 1 + pick(4);
    for (let i = 0; i < n; i++) bytes[pick(headerEnd)] = pick(256);
    reseal(bytes);
    what = `${n} header bytes overwritten, resealed`;
  } else if (kind === 2) {
    const at = pick(bytes.length);
    bytes = bytes.slice(0, at);
    what = `truncated to ${at}`;
  } else if (kind === 3) {
    const at = pick(bytes.length);
    const n = 1 + pick(16);
    const grown = new Uint8Array(bytes.length + n);
    grown.set(bytes.subarray(0, at));
    for (let i = 0; i < n; i++) grown[at + i] = pick(256);
    grown.set(bytes.subarray(at), at + n);
    bytes = grown;
    if (random() < 0.5) reseal(bytes);
    what = `${n} bytes inserted at ${at}`;
  } else if (kind === 4) {
    const at = pick(bytes.length);
    const n = 1 + pick(16);
    bytes = new Uint8Array([...bytes.subarray(0, at), ...bytes.subarray(at + n)]);
    if (random() < 0.5) reseal(bytes);
    what = `${n} bytes deleted at ${at}`;
  } else {
    const n = 1 + pick(16);
    for (let i = 0; i < n; i++) bytes[headerEnd + pick(bytes.length - headerEnd)] = pick(256);
    reseal(bytes);
    what = `${n} data bytes overwritten, resealed`;
  }
  return { bytes, what };
}

Deno.test("readModelFile() survives random mutations of valid files: a model or a ModelFileError", () => {
  const random = prng(SEED);
  const outcomes = { read: 0, rejected: 0 };
  const fields = new Set<string>();
  for (let i = 0; i < ITERATIONS; i++) {
    const source = files[i % files.length];
    const { bytes, what } = mutate(source, random);
    try {
      const model = readModelFile(bytes);
      assert.equal(model.tensors.size, 34);
      outcomes.read++;
    } catch (error) {
      if (!(error instanceof ModelFileError)) {
        throw new Error(`FUZZ_SEED=${SEED} iteration ${i} (${what}): ${error}`);
      }
      assert.ok(
        !error.message.includes("\n"),
        `FUZZ_SEED=${SEED} iteration ${i}: multi-line message`,
      );
      fields.add(error.field);
      outcomes.rejected++;
    }
  }
  // The mutations reach deep: rejections come from many fields, not only the checksum.
  assert.ok(fields.size >= 10, `only ${[...fields].join(", ")}`);
  assert.ok(outcomes.rejected > ITERATIONS / 2, JSON.stringify(outcomes));
});
