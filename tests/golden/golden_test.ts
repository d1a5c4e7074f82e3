// This module imports no tfjs.
// Committed archives keep their meaning: those of ok/ decode to their .out files and are written
// again byte for byte from them; those of errors/ fail with the error EXPECTED.json names. A
// failure of ok/ means old archives no longer decode: if the change is intended, bump the format
// version (codec/FORMAT.md) and run make_golden.ts.
import assert from "node:assert/strict";
import { compress } from "../../codec/compress.ts";
import { decompress } from "../../codec/decompress.ts";
import { CorruptArchiveError, ModelMismatchError } from "../../codec/errors.ts";
import { inspectArchive } from "../../codec/inspect_archive.ts";
import { goldenModelOf } from "./_golden_model.ts";
import type { ErrorEntry, OkEntry } from "./make_golden.ts";

const OK = new URL("ok/", import.meta.url);
const ERRORS = new URL("errors/", import.meta.url);

function stems(folder: URL, extension: string): string[] {
  return [...Deno.readDirSync(folder)]
    .filter((e) => e.isFile && e.name.endsWith(extension))
    .map((e) => e.name.slice(0, -extension.length))
    .sort();
}

const okEntries: Record<string, OkEntry> = JSON.parse(
  await Deno.readTextFile(new URL("EXPECTED.json", OK)),
);
const errorEntries: Record<string, ErrorEntry> = JSON.parse(
  await Deno.readTextFile(new URL("EXPECTED.json", ERRORS)),
);

Deno.test("tests/golden lists every committed archive in its EXPECTED.json", () => {
  assert.deepEqual(stems(OK, ".mbz"), Object.keys(okEntries).sort());
  assert.deepEqual(stems(OK, ".out"), Object.keys(okEntries).sort());
  assert.deepEqual(stems(ERRORS, ".mbz"), Object.keys(errorEntries).sort());
});

for (const [name, entry] of Object.entries(okEntries)) {
  Deno.test(`decompress() decodes golden ok/${name}.mbz, and compress() writes it again`, async () => {
    const archive = await Deno.readFile(new URL(`${name}.mbz`, OK));
    const content = await Deno.readFile(new URL(`${name}.out`, OK));
    const model = goldenModelOf(entry.options.model);
    assert.deepEqual(await decompress(archive, { model }), content, "old archives must decode");
    const again = await compress(content, { ...entry.options, model });
    assert.deepEqual(again, archive, "the encoder must write the same archive");
  });
}

for (const [name, entry] of Object.entries(errorEntries)) {
  Deno.test(`decompress() rejects golden errors/${name}.mbz with ${entry.error}`, async () => {
    const archive = await Deno.readFile(new URL(`${name}.mbz`, ERRORS));
    await assert.rejects(decompress(archive), (error: unknown) => {
      const expected = entry.error === "ModelMismatchError"
        ? ModelMismatchError
        : CorruptArchiveError;
      assert.ok(error instanceof expected, `expected ${entry.error}, got ${error}`);
      if (error instanceof CorruptArchiveError) {
        assert.equal(error.section, entry.section, error.message);
        assert.ok(error.offset >= 0 && error.offset <= archive.length, `offset ${error.offset}`);
      }
      assert.ok(
        error.message.includes(entry.message),
        `"${error.message}" does not include "${entry.message}"`,
      );
      return true;
    });
  });
}

// inspectArchive() reads the same fields: it throws the same error for every structural fault, and
// reports a checksum that does not match (checksumOk false) instead of throwing; it needs no model.
for (const [name, entry] of Object.entries(errorEntries)) {
  Deno.test(`inspectArchive() rejects golden errors/${name}.mbz, or reports what it cannot check`, async () => {
    const archive = await Deno.readFile(new URL(`${name}.mbz`, ERRORS));
    if (entry.error === "ModelMismatchError") {
      assert.ok(entry.message.includes((await inspectArchive(archive)).modelName));
      return;
    }
    const checksum = entry.section === "Block_Checksum" || entry.section === "Content_Checksum";
    if (checksum && entry.message.includes("checksum mismatch")) {
      assert.equal((await inspectArchive(archive)).checksumOk, false);
      return;
    }
    await assert.rejects(inspectArchive(archive), (error: unknown) => {
      assert.ok(error instanceof CorruptArchiveError, `expected ${entry.error}, got ${error}`);
      assert.equal(error.section, entry.section, error.message);
      assert.ok(
        error.message.includes(entry.message),
        `"${error.message}" does not include "${entry.message}"`,
      );
      return true;
    });
  });
}
