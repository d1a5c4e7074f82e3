// This module imports no tfjs.
/**
 * Shared parts of the fuzz tests: the archives they start from, seeded mutations, and the one
 * property every damaged archive must have.
 *
 * @module
 */
import assert from "node:assert/strict";
import { compress } from "../../codec/compress.ts";
import { decompress } from "../../codec/decompress.ts";
import { CorruptArchiveError, ModelMismatchError } from "../../codec/errors.ts";
import { METHOD_IDS, METHOD_NAMES } from "../../codec/_common/format.ts";
import type { ModelFile } from "../../lib/model/model_file_types.ts";
import { Random } from "../../codec/_testing/random.ts";
import { sampleFromModel, TINY_MATCH_CONFIG, tinyModel } from "../../codec/_testing/tiny_model.ts";

export { Random };

/** A valid archive, what it decodes to, and the model it needs. */
export interface Sample {
  name: string;
  archive: Uint8Array;
  content: Uint8Array;
  model: ModelFile | null;
}

/**
 * Methods 5 to 10 get one segment each: every segment's stage has tables of 100s of MB, and a
 * decode of three 150-byte segments took 1.0–1.5 s here (page faults, mostly) against 0.1–0.6 s
 * for one of 400 bytes. Segment tables are fuzzed on the cm, mix, mix-long and mix-sse9 archives.
 * Methods 11 and 12 have no sample of their own (CI time): 11 is method 12's stage coding tables,
 * as 5 to 10 code them, and 12 is method 13's with fewer contexts, so every part is fuzzed; their
 * golden archives and determinism tests remain.
 */
const OLDER_SSE = METHOD_NAMES.filter((m) =>
  METHOD_IDS[m] >= METHOD_IDS["mix-sse"] && METHOD_IDS[m] < METHOD_IDS["mix-sse7"]
);

/** The archives the fuzzers damage: cm blocks and segments, stored blocks, empty, neural, each mix. */
export async function samples(): Promise<Sample[]> {
  const random = new Random(20261128);
  const text = random.text(3000);
  const mixed = new Uint8Array([...random.text(1200), ...random.bytes(500), ...random.text(300)]);
  const model = tinyModel(61, "tiny-fuzz");
  const sampled = sampleFromModel(model, 400, 61);
  const matching = tinyModel(62, "tiny-fuzz-match", 62, TINY_MATCH_CONFIG);
  const sampledMatching = sampleFromModel(matching, 400, 62);
  const older: Sample[] = [];
  for (const name of OLDER_SSE) {
    const options = { model: matching, segmentSize: sampledMatching.length, methods: [name] };
    const archive = await compress(sampledMatching, options);
    older.push({ name, archive, content: sampledMatching, model: matching });
  }
  return [
    {
      name: "cm",
      archive: await compress(text, { blockSize: 1000, segmentSize: 400 }),
      content: text,
      model: null,
    },
    {
      name: "mixed",
      archive: await compress(mixed, { blockSize: 700 }),
      content: mixed,
      model: null,
    },
    {
      name: "empty",
      archive: await compress(new Uint8Array(0)),
      content: new Uint8Array(0),
      model: null,
    },
    {
      name: "neural",
      archive: await compress(sampled, { model, methods: ["stored", "neural"] }),
      content: sampled,
      model,
    },
    {
      name: "mix",
      archive: await compress(sampled, { model, segmentSize: 150, methods: ["mix"] }),
      content: sampled,
      model,
    },
    {
      name: "mix-long",
      archive: await compress(sampledMatching, {
        model: matching,
        segmentSize: 150,
        methods: ["mix-long"],
      }),
      content: sampledMatching,
      model: matching,
    },
    ...older,
    {
      name: "mix-sse9",
      archive: await compress(sampledMatching, { model: matching, segmentSize: 150 }),
      content: sampledMatching,
      model: matching,
    },
  ];
}

/** The kinds of damage {@link mutate} does. */
export type Mutation = "bit flip" | "byte change" | "insertion" | "deletion";

/** `archive` with one seeded mutation of `kind` (it always changes the bytes). */
export function mutate(archive: Uint8Array, kind: Mutation, random: Random): Uint8Array {
  const out = Array.from(archive);
  const at = random.below(archive.length);
  switch (kind) {
    case "bit flip": {
      const flips = 1 + random.below(3);
      for (let i = 0; i < flips; i++) out[random.below(out.length)]! ^= 1 << random.below(8);
      out[at]! ^= 1 << random.below(8); // at least one flip that the others cannot undo
      break;
    }
    case "byte change":
      out[at] = (out[at]! + 1 + random.below(255)) & 0xff;
      break;
    case "insertion":
      out.splice(random.below(archive.length + 1), 0, ...random.bytes(1 + random.below(4)));
      break;
    case "deletion":
      out.splice(at, 1 + random.below(4));
      break;
  }
  return new Uint8Array(out);
}

/**
 * The property: decoding `damaged` either gives exactly `content` or throws a
 * CorruptArchiveError or ModelMismatchError; anything else fails with `label` (which names the
 * seed to reproduce it).
 */
export async function assertDecodesOrRejects(
  damaged: Uint8Array,
  content: Uint8Array,
  model: ModelFile | null,
  label: string,
): Promise<"decoded" | "rejected"> {
  let output: Uint8Array;
  try {
    output = await decompress(damaged, { model });
  } catch (error) {
    if (error instanceof CorruptArchiveError || error instanceof ModelMismatchError) {
      assert.ok(!error.message.includes("\n"), `${label}: multi-line message ${error.message}`);
      return "rejected";
    }
    throw new Error(`${label}: unexpected ${error}`, { cause: error });
  }
  assert.ok(
    output.length === content.length && output.every((b, i) => b === content[i]),
    `${label}: decoded to other bytes`,
  );
  return "decoded";
}
