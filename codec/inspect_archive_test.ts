// This module imports no tfjs.
import assert from "node:assert/strict";
import { buildArchive, splitArchive } from "./_testing/archive_builder.ts";
import { Random } from "./_testing/random.ts";
import { sampleFromModel, tinyModel } from "./_testing/tiny_model.ts";
import { compress } from "./compress.ts";
import { CorruptArchiveError } from "./errors.ts";
import { inspectArchive } from "./inspect_archive.ts";

Deno.test("inspectArchive() lists the header and every block", async () => {
  const random = new Random(1);
  const input = new Uint8Array([...random.text(5000), ...random.bytes(1500)]);
  const archive = await compress(input, { blockSize: 2500, segmentSize: 1000 });
  const info = await inspectArchive(archive);
  const cm = (index: number) => ({ index, method: "cm", checksumOk: true });
  const stored = (index: number) => ({ index, method: "stored", checksumOk: true });
  assert.deepEqual(info, {
    formatVersion: 2,
    modelName: "",
    modelHash: "",
    blockSize: 2500,
    contentSize: 6500,
    checksumOk: true,
    blocks: [
      { ...cm(0), rawSize: 2500, codedSize: info.blocks[0]!.codedSize, segments: 3 },
      { ...cm(1), rawSize: 2500, codedSize: info.blocks[1]!.codedSize, segments: 3 },
      { ...stored(2), rawSize: 1500, codedSize: 1500 + 1 + 2 + 8, segments: 0 },
    ],
  });
  const total = info.blocks.reduce((n, b) => n + b.codedSize, 0);
  assert.equal(archive.length - total, 4 + 1 + 1 + 2 + 32 + 1 + 4 + 16);
});

Deno.test("inspectArchive() reads a stream as well as an array", async () => {
  const archive = await compress(new Random(2).text(7000), { blockSize: 2000 });
  const stream = ReadableStream.from([archive.slice(0, 100), archive.slice(100)]);
  assert.deepEqual(await inspectArchive(stream), await inspectArchive(archive));
});

Deno.test("inspectArchive() reports a checksum mismatch instead of throwing", async () => {
  const fields = splitArchive(await compress(new Random(3).text(3000), { blockSize: 1000 }));
  fields.blocks[1]!.data[3]! ^= 4;
  const info = await inspectArchive(await buildArchive(fields));
  assert.equal(info.checksumOk, false);
  assert.deepEqual(info.blocks.map((b) => b.checksumOk), [true, false, true]);
});

Deno.test("inspectArchive() lists neural blocks without the model, unverified", async () => {
  const model = tinyModel(41, "tiny-inspect");
  const archive = await compress(sampleFromModel(model, 600, 1), {
    model,
    methods: ["stored", "neural"],
  });
  const without = await inspectArchive(archive);
  assert.equal(without.modelName, "tiny-inspect");
  assert.equal(without.blocks[0]!.method, "neural");
  assert.equal(without.checksumOk, false);
  assert.equal((await inspectArchive(archive, { model })).checksumOk, true);
  assert.equal((await inspectArchive(archive, { model, verify: false })).checksumOk, false);
});

Deno.test("inspectArchive() lists mix blocks without the model, unverified", async () => {
  const model = tinyModel(42, "tiny-inspect-mix");
  const archive = await compress(sampleFromModel(model, 600, 2), { model });
  const without = await inspectArchive(archive);
  assert.equal(without.modelName, "tiny-inspect-mix");
  assert.deepEqual(without.blocks.map((b) => b.method), ["mix-sse9"]);
  assert.equal(without.checksumOk, false);
  assert.equal((await inspectArchive(archive, { model })).checksumOk, true);
});

Deno.test("inspectArchive() throws a TypeError for a stream of chunks that are not a Uint8Array", async () => {
  const archive = await compress(new Random(4).text(1000));
  const typeError = { name: "TypeError", message: /Cannot inspect the chunk/ };
  const stream = (chunk: unknown) => ReadableStream.from([chunk]) as ReadableStream<Uint8Array>;
  // A string crashed in the byte queue ("chunk.subarray is not a function"); a Uint16Array of the
  // archive's bytes was read as bytes modulo 256.
  await assert.rejects(inspectArchive(stream("text")), typeError);
  await assert.rejects(inspectArchive(stream(new Uint16Array(archive))), typeError);
});

Deno.test("inspectArchive() throws a TypeError for ill-typed options", async () => {
  const archive = await compress(new Random(4).text(1000));
  // @ts-expect-error: null is not an options object
  await assert.rejects(inspectArchive(archive, null), { name: "TypeError", message: /options/ });
  // @ts-expect-error: "no" is not a boolean (it was truthy: the blocks were verified)
  await assert.rejects(inspectArchive(archive, { verify: "no" }), TypeError);
});

Deno.test("inspectArchive() throws CorruptArchiveError on structural damage", async () => {
  const archive = await compress(new Random(4).text(1000));
  await assert.rejects(inspectArchive(archive.subarray(0, 60)), CorruptArchiveError);
  await assert.rejects(inspectArchive(new Uint8Array(10)), CorruptArchiveError);
  await assert.rejects(
    inspectArchive(ReadableStream.from([archive, new Uint8Array([0])])),
    CorruptArchiveError,
  );
});
