// This module imports no tfjs.
import assert from "node:assert/strict";
import { Random } from "./_testing/random.ts";
import { tinyModel } from "./_testing/tiny_model.ts";
import { compress } from "./compress.ts";
import { compressStream } from "./compress_stream.ts";
import { decompress } from "./decompress.ts";

/** `bytes` cut into chunks of 1 to `most` bytes (seeded). */
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

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return await new Response(stream).bytes();
}

Deno.test("compressStream() writes the same archive as compress(), whatever the chunks", async () => {
  const input = new Random(1).text(25_000);
  const options = { blockSize: 4000, segmentSize: 1500 };
  const expected = await compress(input, options);
  for (const most of [1, 777, 100_000]) {
    const archive = await collect(
      ReadableStream.from(chunks(input, most, most)).pipeThrough(compressStream(options)),
    );
    assert.deepEqual(archive, expected, `chunks of up to ${most} bytes`);
  }
  assert.deepEqual(
    await collect(ReadableStream.from([]).pipeThrough(compressStream())),
    await compress(new Uint8Array(0)),
  );
});

Deno.test("compressStream() with 2 workers writes the same archive", async () => {
  const input = new Random(2).text(30_000);
  const options = { blockSize: 5000, segmentSize: 2000 };
  const archive = await collect(
    ReadableStream.from(chunks(input, 3000, 2)).pipeThrough(
      compressStream({ ...options, workers: 2 }),
    ),
  );
  assert.deepEqual(archive, await compress(input, options));
  assert.deepEqual(await decompress(archive), input);
});

Deno.test("compressStream() passes blocks on before its input ends", async () => {
  const blockSize = 2000;
  const input = new Random(3).text(blockSize * 4);
  const stream = compressStream({ blockSize, methods: ["stored"] });
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const read: Uint8Array[] = [];
  const reading = (async () => {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return;
      read.push(value);
    }
  })();
  // Write three blocks and a byte: the first two blocks must come out before the writer closes.
  await writer.write(input.subarray(0, 3 * blockSize + 1));
  await writer.write(input.subarray(3 * blockSize + 1, 3 * blockSize + 2));
  const before = read.reduce((n, c) => n + c.length, 0);
  assert.ok(before >= 2 * blockSize, `only ${before} archive bytes before the end of input`);
  await writer.write(input.subarray(3 * blockSize + 2));
  await writer.close();
  await reading;
  assert.deepEqual(await decompress(new Uint8Array(read.flatMap((c) => [...c]))), input);
});

Deno.test("compressStream() throws a RangeError at once for bad options", () => {
  assert.throws(() => compressStream({ blockSize: 0 }), RangeError);
  assert.throws(() => compressStream({ workers: 1000 }), RangeError);
  // The model's name must fit Model_Name (255 bytes): checked at once, not when the header is
  // written.
  const model = { ...tinyModel(3), name: "é".repeat(128) };
  assert.throws(() => compressStream({ model, methods: ["cm", "mix"] }), RangeError);
});

Deno.test("compressStream() throws a TypeError at once for ill-typed options", () => {
  // @ts-expect-error: not an options object
  assert.throws(() => compressStream(null), TypeError);
  // @ts-expect-error: not a function
  assert.throws(() => compressStream({ onProgress: 1 }), TypeError);
});

Deno.test("compressStream() errors the stream on a chunk that is not bytes", async () => {
  const stream = ReadableStream.from(["text" as unknown as Uint8Array]).pipeThrough(
    compressStream(),
  );
  await assert.rejects(collect(stream), TypeError);
});

Deno.test("compressStream() stops its workers when the writer aborts", async () => {
  const stream = compressStream({ workers: 2, blockSize: 4096 });
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const reading = (async () => {
    while (!(await reader.read()).done);
  })();
  await writer.write(new Random(4).text(20_000));
  await writer.abort(new RangeError("stop"));
  await assert.rejects(reading, RangeError);
});

Deno.test("compressStream() refuses a model the engine cannot run at once, with a TypeError", () => {
  const broken = { ...tinyModel(22), tensors: new Map() };
  assert.throws(() => compressStream({ model: broken }), TypeError);
  assert.throws(() => compressStream({ model: broken }), /Cannot run model .*tensor .* is missing/);
});

Deno.test("an abandoned compressStream with two workers lets the process exit (its idle workers stop)", async () => {
  const script = new URL("./_testing/abandoned_stream.ts", import.meta.url).pathname;
  // The old pool kept its workers, and the process, alive for ever: give up after a minute.
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", script],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  assert.match(text, /^read \d+ bytes, then abandoned the stream\n$/);
});
