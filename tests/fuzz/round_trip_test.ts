// This module imports no tfjs.
// Ensure that random inputs with random options compress to the same bytes twice and decode to
// exactly the input, as a whole array and as a stream cut into random chunks: 60 seeds.
import assert from "node:assert/strict";
import { compress } from "../../codec/compress.ts";
import { compressStream } from "../../codec/compress_stream.ts";
import { decompress } from "../../codec/decompress.ts";
import { decompressStream } from "../../codec/decompress_stream.ts";
import type { CompressOptions } from "../../codec/options.ts";
import { Random } from "./_fuzz.ts";

/** A seeded input of a random kind and size. */
function input(random: Random): Uint8Array {
  const n = random.below(4) === 0 ? random.below(10) : random.below(12_000);
  switch (random.below(4)) {
    case 0:
      return random.text(n);
    case 1:
      return random.bytes(n);
    case 2: // runs of one byte
      return new Uint8Array(n).map((_, i) => (i >> (2 + (n % 7))) & 0xff);
    default:
      return new Uint8Array([
        ...random.text(n >> 1),
        ...random.bytes(n >> 2),
        ...random.text(n >> 2),
      ]);
  }
}

function options(random: Random): CompressOptions {
  return {
    blockSize: 1 + random.below(random.below(2) === 0 ? 100 : 6000),
    segmentSize: 1 + random.below(3000),
    batchSize: 1 + random.below(4),
    methods: random.below(5) === 0 ? ["stored"] : ["stored", "cm"],
  };
}

function chunks(bytes: Uint8Array, random: Random): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const n = 1 + random.below(2000);
    out.push(bytes.slice(at, at + n));
    at += n;
  }
  return out;
}

async function through(
  bytes: Uint8Array,
  stream: TransformStream<Uint8Array, Uint8Array>,
  random: Random,
) {
  return await new Response(ReadableStream.from(chunks(bytes, random)).pipeThrough(stream)).bytes();
}

Deno.test("compress() is deterministic and round-trips 60 random inputs with random options", async () => {
  for (let seed = 0; seed < 60; seed++) {
    const random = new Random(424242 + seed);
    const data = input(random);
    const settings = options(random);
    const label = `seed ${seed} (${data.length} bytes, ${JSON.stringify(settings)})`;
    const archive = await compress(data, settings);
    assert.deepEqual(
      await compress(data, settings),
      archive,
      `${label}: compressed twice differently`,
    );
    assert.deepEqual(await decompress(archive, { batchSize: 1 + random.below(3) }), data, label);
    if (seed % 3 === 0) {
      assert.deepEqual(
        await through(data, compressStream(settings), random),
        archive,
        `${label}: stream`,
      );
      assert.deepEqual(
        await through(archive, decompressStream(), random),
        data,
        `${label}: stream`,
      );
    }
  }
});
