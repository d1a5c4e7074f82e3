// This module imports no tfjs.
import assert from "node:assert/strict";
import { Random } from "./_testing/random.ts";
import { compress } from "./compress.ts";
import { score } from "./score.ts";

Deno.test("score() reports 8 bits per archive byte and the blocks compress() writes", async () => {
  const random = new Random(1);
  const input = new Uint8Array([...random.text(3000), ...random.bytes(1000)]);
  const options = { blockSize: 3000 };
  const result = await score(input, options);
  const archive = await compress(input, options);
  assert.equal(result.bytes, 4000);
  assert.equal(result.bits, 8 * archive.length);
  assert.equal(result.bitsPerByte, result.bits / 4000);
  assert.deepEqual(result.blocks.map((b) => [b.method, b.inputBytes]), [["cm", 3000], [
    "stored",
    1000,
  ]]);
  assert.equal(result.blocks[1]!.codedBytes, 1000 + 1 + 2 + 8);
  const overhead = archive.length - result.blocks.reduce((n, b) => n + b.codedBytes, 0);
  assert.equal(overhead, 4 + 1 + 1 + 2 + 32 + 1 + 4 + 16, "header and footer");
  // The payload leaves out every block's header, segment table and checksum: the stored block's
  // descriptor, Raw_Size (2) and checksum (8); the cm block's (one segment of 3000 bytes coded in
  // 128..16383 bytes) descriptor, Raw_Size (2), Segment_Size (2), Coded_Size (2) and checksum (8).
  const framing = (1 + 2 + 8) + (1 + 2 + 2 + 2 + 8);
  assert.equal(result.payloadBits, 8 * (archive.length - overhead - framing));
});

Deno.test("score() of the empty input has 0 bits per byte", async () => {
  const result = await score(new Uint8Array(0));
  assert.equal(result.bytes, 0);
  assert.equal(result.bitsPerByte, 0);
  assert.ok(result.bits > 0);
});
