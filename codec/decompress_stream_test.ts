// This module imports no tfjs.
import assert from "node:assert/strict";
import { buildArchive, splitArchive } from "./_testing/archive_builder.ts";
import { Random } from "./_testing/random.ts";
import { compress } from "./compress.ts";
import { decompressStream } from "./decompress_stream.ts";
import { CorruptArchiveError } from "./errors.ts";

function chunks(bytes: Uint8Array, most: number, seed: number): Uint8Array[] {
  const random = new Random(seed);
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const n = 1 + random.below(most);
    out.push(bytes.slice(at, at + n));
    at += n;
  }
  return out;
}

/** Reads the decompressed stream; returns what came out and how it ended. */
async function run(archive: Uint8Array, most = 500, workers = 1) {
  const stream = ReadableStream.from(chunks(archive, most, most)).pipeThrough(
    decompressStream({ workers }),
  );
  const reader = stream.getReader();
  const out: number[] = [];
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return { output: new Uint8Array(out), error: null };
      out.push(...value);
    }
  } catch (error) {
    return { output: new Uint8Array(out), error };
  }
}

Deno.test("decompressStream() round-trips archives fed in chunks of any size", async () => {
  const input = new Random(1).text(20_000);
  const archive = await compress(input, { blockSize: 3000, segmentSize: 1000 });
  for (const most of [1, 13, 4096, 1 << 20]) {
    const { output, error } = await run(archive, most);
    assert.equal(error, null);
    assert.deepEqual(output, input, `chunks of up to ${most} bytes`);
  }
  const { output } = await run(archive, 300, 2);
  assert.deepEqual(output, input, "2 workers");
  const empty = await run(await compress(new Uint8Array(0)));
  assert.deepEqual(empty, { output: new Uint8Array(0), error: null });
});

Deno.test("decompressStream() errors on a bad block and passes on only the blocks before it", async () => {
  const input = new Random(2).text(9000);
  const fields = splitArchive(await compress(input, { blockSize: 3000 }));
  fields.blocks[1]!.data[5]! ^= 1;
  const { output, error } = await run(await buildArchive(fields));
  assert.ok(error instanceof CorruptArchiveError);
  assert.equal(error.message, "Cannot decode block 1: checksum mismatch");
  assert.deepEqual(output, input.subarray(0, 3000));
});

Deno.test("decompressStream() does not close before the content checksum matched", async () => {
  const input = new Random(3).text(5000);
  const fields = splitArchive(await compress(input, { blockSize: 2000 }));
  fields.footer.contentChecksum! ^= 1n;
  const { output, error } = await run(await buildArchive(fields));
  assert.deepEqual(output, input, "every block verified and passed on");
  assert.ok(error instanceof CorruptArchiveError);
  assert.equal(error.section, "Content_Checksum");
});

Deno.test("decompressStream() errors on truncation and trailing bytes", async () => {
  const archive = await compress(new Random(4).text(3000));
  for (const cut of [0, 1, 50, archive.length - 1]) {
    const { error } = await run(archive.subarray(0, cut));
    assert.ok(error instanceof CorruptArchiveError, `cut at ${cut}`);
  }
  const { error } = await run(new Uint8Array([...archive, 1, 2, 3]));
  assert.ok(error instanceof CorruptArchiveError);
  assert.equal(error.section, "End_Of_Archive");
});

Deno.test("decompressStream() passes blocks on before the archive ends", async () => {
  const input = new Random(5).bytes(8000);
  const archive = await compress(input, { blockSize: 2000 });
  const stream = decompressStream();
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  let received = 0;
  const reading = (async () => {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return;
      received += value.length;
    }
  })();
  await writer.write(archive.subarray(0, archive.length - 3000));
  await writer.write(archive.subarray(archive.length - 3000, archive.length - 2999));
  assert.ok(received >= 4000, `only ${received} bytes out before the end of the archive`);
  await writer.write(archive.subarray(archive.length - 2999));
  await writer.close();
  await reading;
  assert.equal(received, 8000);
});

Deno.test("decompressStream() stops when its reader cancels", async () => {
  const archive = await compress(new Random(6).text(20_000), { blockSize: 4096 });
  const stream = decompressStream({ workers: 2 });
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const first = reader.read();
  const writing = writer.write(archive.subarray(0, 3000));
  assert.equal((await first).done, false);
  await reader.cancel(new RangeError("enough"));
  await writing.catch(() => {});
  await assert.rejects(writer.write(archive.subarray(3000)), RangeError);
});
