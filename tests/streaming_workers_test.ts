// This module imports no tfjs.
/**
 * Streams on workers: a compressStream piped into a decompressStream shares one worker pool,
 * writes the same archive as compress() in this thread, and leaves no worker behind, so that a
 * program that streams exits by itself.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Random } from "../codec/_testing/random.ts";
import { compress, compressStream, decompressStream } from "../codec/mod.ts";
import { sharedWorkersStarted } from "../codec/_common/segment_runner.ts";
import { tinyModel } from "../codec/_testing/tiny_model.ts";

const ROOT = new URL("../", import.meta.url);

Deno.test("compressStream piped into decompressStream on 2 workers: same archive, no worker left", async () => {
  const input = new Random(21).text(40_000);
  const options = { blockSize: 6000, segmentSize: 2500 };
  const expected = await compress(input, options);
  const archive: Uint8Array<ArrayBuffer>[] = [];
  const tap = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      archive.push(chunk.slice());
      controller.enqueue(chunk);
    },
  });
  const watch = workerWatch();
  const output = await new Response(
    ReadableStream.from([input.subarray(0, 15_000), input.subarray(15_000)])
      .pipeThrough(compressStream({ ...options, workers: 2 }))
      .pipeThrough(tap)
      .pipeThrough(decompressStream({ workers: 2 }))
      .pipeThrough(watch.stream),
  ).bytes();
  assert.deepEqual(output, input);
  assert.deepEqual(await new Blob(archive).bytes(), expected);
  const most = watch.most();
  assert.ok(most >= 1 && most <= 2, `${most} workers for both streams`);
  assert.equal(sharedWorkersStarted(), 0);
});

Deno.test("a cancelled stream on workers gives its workers back", async () => {
  const input = new Random(22).text(30_000);
  const stream = ReadableStream.from([input]).pipeThrough(
    compressStream({ blockSize: 3000, workers: 2 }),
  );
  const reader = stream.getReader();
  await reader.read(); // the header
  await reader.read(); // the first block: the pool is held
  assert.ok(sharedWorkersStarted() >= 1);
  await reader.cancel("enough");
  assert.equal(sharedWorkersStarted(), 0);
});

Deno.test("a program streaming on workers exits by itself once the streams are done", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/stream.ts`;
    const mod = new URL("codec/mod.ts", ROOT).href;
    await Deno.writeTextFile(
      script,
      `import { compressStream, decompressStream } from ${JSON.stringify(mod)};
const input = new TextEncoder().encode("worker pools end with their streams ".repeat(2000));
const output = await new Response(
  ReadableStream.from([input])
    .pipeThrough(compressStream({ blockSize: 10_000, workers: 2 }))
    .pipeThrough(decompressStream({ workers: 2 })),
).bytes();
console.log(output.length === input.length ? "ok" : "bad");
`,
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--config", new URL("deno.json", ROOT).pathname, "--allow-read", script],
      cwd: ROOT.pathname,
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    });
    const result = await child.output();
    const stderr = new TextDecoder().decode(result.stderr);
    assert.equal(result.code, 0, stderr);
    assert.equal(new TextDecoder().decode(result.stdout).trim(), "ok");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A pass-through stream that notes the most workers running whenever a chunk passes. */
function workerWatch(): { stream: TransformStream<Uint8Array, Uint8Array>; most(): number } {
  let most = 0;
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      most = Math.max(most, sharedWorkersStarted());
      controller.enqueue(chunk);
    },
  });
  return { stream, most: () => most };
}

/** Runs `input` through `stream`; returns the output and the most workers seen while it flowed. */
async function throughWatched(
  input: Uint8Array,
  stream: TransformStream<Uint8Array, Uint8Array>,
): Promise<{ output: Uint8Array; most: number }> {
  const watch = workerWatch();
  const output = await new Response(
    ReadableStream.from([input]).pipeThrough(stream).pipeThrough(watch.stream),
  ).bytes();
  return { output, most: watch.most() };
}

Deno.test("a lone block of one segment is coded in this thread whatever the workers; two blocks use them", async () => {
  const input = new Random(23).text(3000);
  const one = await throughWatched(input, compressStream({ workers: 2 }));
  assert.equal(one.most, 0, "one block: no worker to compress");
  assert.deepEqual(one.output, await compress(input));
  const back = await throughWatched(one.output, decompressStream({ workers: 2 }));
  assert.equal(back.most, 0, "one block: no worker to decompress");
  assert.deepEqual(back.output, input);

  const two = await throughWatched(input, compressStream({ blockSize: 2000, workers: 2 }));
  assert.ok(two.most >= 1, "two blocks: workers compress");
  assert.deepEqual(two.output, await compress(input, { blockSize: 2000 }));
  const twoBack = await throughWatched(two.output, decompressStream({ workers: 2 }));
  assert.ok(twoBack.most >= 1, "two blocks: workers decompress");
  assert.deepEqual(twoBack.output, input);
  assert.equal(sharedWorkersStarted(), 0);
});

Deno.test("a lone mix block longer than one neural window is compressed on workers, window by window", async () => {
  const model = tinyModel(24); // context 64
  const input = new Random(25).text(3000);
  const options = { model, methods: ["mix" as const] };
  const expected = await compress(input, options);
  const one = await throughWatched(input, compressStream({ ...options, workers: 2 }));
  assert.ok(one.most >= 1, "one block: workers compute its windows");
  assert.deepEqual(one.output, expected);
  const back = await throughWatched(one.output, decompressStream({ model, workers: 2 }));
  assert.equal(back.most, 0, "one block: decoded in this thread, window after window");
  assert.deepEqual(back.output, input);
  assert.equal(sharedWorkersStarted(), 0);
});
