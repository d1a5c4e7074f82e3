import assert from "node:assert/strict";
import { LEVELS } from "./configs.ts";
import { readModelFile } from "./model_file_read.ts";
import { writeModelFile } from "./model_file_write.ts";
import { randomModel, rejects, reseal } from "./_test_util.ts";

// Version 4 (lib/model/FORMAT.md): a match row (`Match_Length`, `local.match_emb`).
const tinymatch = LEVELS.tinymatch; // tinyhash + matchLength 3: (30·256, 16)

Deno.test("a model with a match row is a version-4 file that round-trips in every dtype", () => {
  const model = randomModel(tinymatch, 3);
  for (const options of [{ dtype: "float32" as const }, {}, { tableDtype: "int4" as const }]) {
    const bytes = writeModelFile(model, options);
    const view = new DataView(bytes.buffer);
    assert.equal(view.getUint16(8, true), 4);
    assert.equal(view.getUint32(16 + 44, true), 3, "Match_Length after the eleven fields");
    const read = readModelFile(bytes);
    assert.deepEqual(read.config, tinymatch);
    assert.equal(read.storage!.formatVersion, 4);
    assert.deepEqual([...read.tensors.keys()], [...model.tensors.keys()]);
    assert.deepEqual(read.tensors.get("local.match_emb")!.shape, [30 * 256, 16]);
    // The match table is never int4: only the n-gram tables are.
    const stored = read.storage!.dtypes;
    assert.notEqual(stored.get("local.match_emb"), "int4");
    if (options.tableDtype === "int4") assert.equal(stored.get("local.ngram2_emb"), "int4");
    assert.deepEqual(
      writeModelFile(read, options),
      bytes,
      "a read file writes back the same bytes",
    );
  }
  // Without the match row the same model is version 2, byte for byte as before.
  const { matchLength: _, ...hashOnly } = tinymatch;
  const tensors = new Map(model.tensors);
  tensors.delete("local.match_emb");
  const v2 = writeModelFile({ ...model, config: hashOnly, tensors });
  assert.equal(new DataView(v2.buffer).getUint16(8, true), 2);
  assert.equal(readModelFile(v2).config.matchLength, undefined);
});

Deno.test("readModelFile() rejects a version-4 Match_Length of 0 or over 32, and a missing table", () => {
  const bytes = writeModelFile(randomModel(tinymatch, 4), { dtype: "float32" });
  for (const k of [0, 33]) {
    const bad = bytes.slice();
    new DataView(bad.buffer).setUint32(16 + 44, k, true);
    rejects(reseal(bad), "Config", /matchLength must be in 1\.\.32 in version 4/);
  }
  // Another k needs another table size.
  const other = bytes.slice();
  new DataView(other.buffer).setUint32(16 + 44, 4, true);
  rejects(
    reseal(other),
    "Dims",
    /local\.match_emb has shape \[7680,16\], the config needs \[7424,16\]/,
  );
});

Deno.test("writeModelFile() refuses a match row without hashed n-gram tables", () => {
  const { hashOrders: _, hashRows: __, ...noTables } = tinymatch;
  const model = randomModel(noTables, 5);
  assert.throws(() => writeModelFile(model), /a match row needs hashed n-gram tables/);
});
