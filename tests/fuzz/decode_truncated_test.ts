// This module imports no tfjs.
// Ensure that every truncation of an archive is rejected with a CorruptArchiveError, never
// decoded and never a crash: all prefixes of every sample archive.
import assert from "node:assert/strict";
import { decompress } from "../../codec/decompress.ts";
import { CorruptArchiveError } from "../../codec/errors.ts";
import { samples } from "./_fuzz.ts";

for (const sample of await samples()) {
  Deno.test(`decompress() rejects every truncation of the ${sample.name} archive (${sample.archive.length} cuts)`, async () => {
    for (let length = 0; length < sample.archive.length; length++) {
      await assert.rejects(
        decompress(sample.archive.subarray(0, length), { model: sample.model }),
        CorruptArchiveError,
        `${sample.name} archive cut to ${length} bytes`,
      );
    }
  });
}
