// This module imports no tfjs.
// Archives do not depend on how the work was spread: batch size, workers, whole array or stream.
import assert from "node:assert/strict";
import { compress } from "../codec/compress.ts";
import { compressStream } from "../codec/compress_stream.ts";
import { decompress } from "../codec/decompress.ts";
import { sampleFromModel, TINY_MATCH_CONFIG, tinyModel } from "../codec/_testing/tiny_model.ts";
import { inspectArchive } from "../codec/inspect_archive.ts";
import type { BlockMethod } from "../codec/options.ts";
import { Random } from "../codec/_testing/random.ts";
import { isMix, METHOD_IDS, METHOD_NAMES } from "../codec/_common/format.ts";

const CORPORA = new URL("../../shared/corpora/", import.meta.url);

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("compress() writes identical cm archives for batchSize 1 and 3, workers 1 and 2, array or stream", async () => {
  const input = await Deno.readFile(new URL("calgary/paper1", CORPORA));
  const base = { blockSize: 16_384, segmentSize: 4096 }; // 4 blocks of 4 segments
  const reference = await sha256(await compress(input, { ...base, batchSize: 1 }));
  for (const options of [{ batchSize: 3 }, { workers: 2 }, { workers: 2, batchSize: 3 }]) {
    const archive = await compress(input, { ...base, ...options });
    assert.equal(await sha256(archive), reference, JSON.stringify(options));
  }
  const streamed = await new Response(
    ReadableStream.from([input.subarray(0, 10_000), input.subarray(10_000)]).pipeThrough(
      compressStream({ ...base, workers: 2 }),
    ),
  ).bytes();
  assert.equal(await sha256(streamed), reference, "stream");
  const archive = await compress(input, base);
  for (const options of [{ batchSize: 1 }, { batchSize: 3, workers: 2 }]) {
    assert.deepEqual(await decompress(archive, options), input, JSON.stringify(options));
  }
});

Deno.test("compress() writes identical neural archives for batchSize 1 and 3, workers 1 and 2", async () => {
  const model = tinyModel(51);
  const input = sampleFromModel(model, 2500, 3);
  const base = { model, blockSize: 1000, methods: ["stored", "neural"] as BlockMethod[] };
  const archive = await compress(input, { ...base, batchSize: 1 });
  for (const options of [{ batchSize: 3 }, { workers: 2, batchSize: 3 }]) {
    assert.deepEqual(
      await compress(input, { ...base, ...options }),
      archive,
      JSON.stringify(options),
    );
  }
  for (const options of [{ batchSize: 1 }, { batchSize: 5, workers: 2 }]) {
    assert.deepEqual(
      await decompress(archive, { model, ...options }),
      input,
      JSON.stringify(options),
    );
  }
});

/** How a test spreads the work: compress options against batchSize 1, the stream, decodes. */
interface Spreads {
  title: string;
  encodings: { batchSize?: number; workers?: number }[];
  stream: boolean;
  decodings: { batchSize: number; workers?: number }[];
}

const FULL: Spreads = {
  title: "batchSize 1 and 3, workers 1 and 2, array or stream",
  encodings: [{ batchSize: 3 }, { workers: 2 }, { workers: 2, batchSize: 3 }],
  stream: true,
  decodings: [{ batchSize: 1 }, { batchSize: 3, workers: 2 }],
};
/**
 * Methods 6 to 12 run method 13's stage code with other flags (12 with fewer contexts, 11 with
 * them coding tables): the two most distant spreads.
 */
const SHORT: Spreads = {
  title: "batchSize 1 against 3 with 2 workers",
  encodings: [{ workers: 2, batchSize: 3 }],
  stream: false,
  decodings: [{ batchSize: 3, workers: 2 }],
};
const isOlderFlags = (m: BlockMethod) =>
  METHOD_IDS[m] >= METHOD_IDS["mix-sse2"] && METHOD_IDS[m] < METHOD_IDS["mix-sse9"];

// Every mix method, "mix" to the newest.
for (const method of METHOD_NAMES.filter(isMix)) {
  const spreads = isOlderFlags(method) ? SHORT : FULL;
  Deno.test(`compress() writes identical ${method} archives for ${spreads.title}`, async () => {
    // mix-long and mix-sse with a model that has a match row, looked up across the whole segment.
    const model = method === "mix"
      ? tinyModel(52)
      : tinyModel(53, "tiny-match", 53, TINY_MATCH_CONFIG);
    const input = new Uint8Array([...sampleFromModel(model, 2000, 4), ...new Random(5).text(1600)]);
    // 3 blocks of 3 or 4 segments of 350 bytes, each longer than the model's context of 64.
    const base = { model, blockSize: 1200, segmentSize: 350, methods: [method] as BlockMethod[] };
    const archive = await compress(input, { ...base, batchSize: 1 });
    const info = await inspectArchive(archive, { model });
    assert.deepEqual(info.blocks.map((b) => [b.method, b.segments]), [
      [method, 4],
      [method, 4],
      [method, 4],
    ]);
    for (const options of spreads.encodings) {
      assert.deepEqual(
        await compress(input, { ...base, ...options }),
        archive,
        JSON.stringify(options),
      );
    }
    if (spreads.stream) {
      const streamed = await new Response(
        ReadableStream.from([input.subarray(0, 1000), input.subarray(1000)]).pipeThrough(
          compressStream({ ...base, batchSize: 2 }),
        ),
      ).bytes();
      assert.deepEqual(streamed, archive, "stream");
    }
    for (const options of spreads.decodings) {
      assert.deepEqual(
        await decompress(archive, { model, ...options }),
        input,
        JSON.stringify(options),
      );
    }
  });
}
