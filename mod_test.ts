import assert from "node:assert/strict";
import * as megazip from "./mod.ts";

Deno.test("mod.ts exports exactly the public API", () => {
  assert.deepEqual(Object.keys(megazip).sort(), [
    "CorruptArchiveError",
    "ModelFileError",
    "ModelMismatchError",
    "compress",
    "compressStream",
    "decompress",
    "decompressStream",
    "inspectArchive",
    "loadModel",
    "readModelFile",
    "score",
  ]);
});

Deno.test("compress() and decompress() from mod.ts round-trip every byte value", async () => {
  const input = new Uint8Array(4096).map((_, i) => (i * 7 + (i >> 8)) & 0xff);
  const archive = await megazip.compress(input, { blockSize: 1024 });
  assert.deepEqual(await megazip.decompress(archive), input);
  const info = await megazip.inspectArchive(archive);
  assert.equal(info.blocks.length, 4);
  const scored = await megazip.score(input, { blockSize: 1024 });
  assert.equal(scored.bits, 8 * archive.length);
});

Deno.test("decompress() from mod.ts rejects a truncated archive with CorruptArchiveError", async () => {
  const archive = await megazip.compress(new TextEncoder().encode("abc".repeat(100)));
  await assert.rejects(
    megazip.decompress(archive.slice(0, archive.length - 1)),
    megazip.CorruptArchiveError,
  );
});
