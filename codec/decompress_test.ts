// This module imports no tfjs.
import assert from "node:assert/strict";
import { buildArchive, splitArchive } from "./_testing/archive_builder.ts";
import { Random } from "./_testing/random.ts";
import { sampleFromModel, tinyModel } from "./_testing/tiny_model.ts";
import { compress } from "./compress.ts";
import { decompress } from "./decompress.ts";
import { decompressStream } from "./decompress_stream.ts";
import { CorruptArchiveError, ModelMismatchError } from "./errors.ts";

async function rejectsCorrupt(archive: Uint8Array, section: string, offset?: number) {
  await assert.rejects(decompress(archive), (error: unknown) => {
    assert.ok(error instanceof CorruptArchiveError, `expected CorruptArchiveError, got ${error}`);
    assert.equal(error.section, section, error.message);
    if (offset !== undefined) assert.equal(error.offset, offset, error.message);
    assert.ok(!error.message.includes("\n"), "one-line message");
    return true;
  });
}

Deno.test("decompress() rejects empty input and non-archives at Magic_Number", async () => {
  await rejectsCorrupt(new Uint8Array(0), "Magic_Number", 0);
  await rejectsCorrupt(new TextEncoder().encode("hello, not an archive"), "Magic_Number", 0);
  await rejectsCorrupt(new Uint8Array([0x89, 0x4d]), "Magic_Number", 2);
});

Deno.test("decompress() rejects every truncation of an archive", async () => {
  const archive = await compress(new Random(1).text(3000), { blockSize: 1000, segmentSize: 400 });
  for (let n = 0; n < archive.length; n++) {
    await assert.rejects(decompress(archive.subarray(0, n)), CorruptArchiveError, `length ${n}`);
  }
});

Deno.test("decompress() rejects trailing bytes after the footer", async () => {
  const archive = await compress(new Random(2).text(500));
  const longer = new Uint8Array([...archive, 0]);
  await rejectsCorrupt(longer, "End_Of_Archive", archive.length);
});

Deno.test("decompress() names the block and the offset of a block checksum mismatch", async () => {
  const fields = splitArchive(await compress(new Random(3).text(3000), { blockSize: 1000 }));
  fields.blocks[2]!.checksum! ^= 1n;
  const archive = await buildArchive(fields);
  const checksumAt = archive.length - 16 - 8;
  await assert.rejects(decompress(archive), (error: unknown) => {
    assert.ok(error instanceof CorruptArchiveError);
    assert.equal(error.message, "Cannot decode block 2: checksum mismatch");
    assert.equal(error.section, "Block_Checksum");
    assert.equal(error.offset, checksumAt);
    return true;
  });
});

Deno.test("decompress() rejects a changed byte of coded data", async () => {
  const input = new Random(4).text(5000);
  const archive = await compress(input);
  const fields = splitArchive(archive);
  assert.equal(fields.blocks[0]!.descriptor >>> 1, 1, "a cm block");
  fields.blocks[0]!.data[100]! ^= 0x10;
  await rejectsCorrupt(await buildArchive(fields), "Block_Checksum");
});

Deno.test("decompress() rejects a Content_Size or Content_Checksum that does not match", async () => {
  const fields = splitArchive(await compress(new Random(5).text(800)));
  const archive = await buildArchive(fields);
  await rejectsCorrupt(
    await buildArchive({ ...fields, footer: { ...fields.footer, contentSize: 801n } }),
    "Content_Size",
    archive.length - 16,
  );
  await rejectsCorrupt(
    await buildArchive({ ...fields, footer: { ...fields.footer, contentChecksum: 12345n } }),
    "Content_Checksum",
    archive.length - 8,
  );
});

Deno.test("decompress() throws ModelMismatchError without the archive's model", async () => {
  const model = tinyModel(31, "tiny-a");
  const input = sampleFromModel(model, 500, 2);
  const archive = await compress(input, { model });
  await assert.rejects(decompress(archive), (error: unknown) => {
    assert.ok(error instanceof ModelMismatchError);
    assert.match(error.message, /needs model tiny-a \(sha256 (1f){32}\), but no model was given/);
    return true;
  });
  const other = tinyModel(32, "tiny-b");
  await assert.rejects(decompress(archive, { model: other }), (error: unknown) => {
    assert.ok(error instanceof ModelMismatchError);
    assert.match(
      error.message,
      /needs model tiny-a .* but model tiny-b \(sha256 (20){32}\) was given/,
    );
    return true;
  });
  assert.deepEqual(await decompress(archive, { model }), input);
});

Deno.test("decompress() ignores a model given for an archive that needs none", async () => {
  const input = new Random(6).text(700);
  assert.deepEqual(await decompress(await compress(input), { model: tinyModel(33) }), input);
});

Deno.test("decompress() with 2 workers and any batch size gives the same output", async () => {
  const input = new Random(7).text(40_000);
  const archive = await compress(input, { blockSize: 10_000, segmentSize: 2500 });
  assert.deepEqual(await decompress(archive, { workers: 2, batchSize: 3 }), input);
  assert.deepEqual(await decompress(archive, { batchSize: 1 }), input);
});

Deno.test("decompress() reports progress after each verified block", async () => {
  const archive = await compress(new Random(8).text(2500), { blockSize: 1000 });
  const seen: number[] = [];
  await decompress(archive, { onProgress: (n) => seen.push(n) });
  assert.deepEqual(seen, [1000, 2000, 2500]);
});

Deno.test("decompress() throws a TypeError or RangeError for bad arguments", async () => {
  // @ts-expect-error: not bytes
  await assert.rejects(decompress([1, 2, 3]), TypeError);
  await assert.rejects(decompress(new Uint8Array(0), { workers: 1.5 }), RangeError);
});

Deno.test("decompress() and decompressStream() throw a TypeError at once for ill-typed options", async () => {
  const archive = await compress(new Random(8).text(2500), { blockSize: 1000 });
  const typeError = (message: RegExp) => ({ name: "TypeError", message });
  // @ts-expect-error: null is not an options object
  await assert.rejects(decompress(archive, null), typeError(/the options: expected an object/));
  await assert.rejects(
    // @ts-expect-error: not a function (it threw only after the first block was decoded)
    decompress(archive, { onProgress: true }),
    typeError(/onProgress: expected a function/),
  );
  // @ts-expect-error: not an options object
  assert.throws(() => decompressStream(null), TypeError);
  // @ts-expect-error: not a function (the stream passed on the first block, then errored)
  assert.throws(() => decompressStream({ onProgress: "log" }), TypeError);
});
