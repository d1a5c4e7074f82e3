// This module imports no tfjs.
// Ensure that decompressStream() treats damaged archives like decompress(): it errors with a
// typed error, or passes on exactly the original and closes; 200 seeded cases, random chunks.
import assert from "node:assert/strict";
import { decompress } from "../../codec/decompress.ts";
import { decompressStream } from "../../codec/decompress_stream.ts";
import { CorruptArchiveError, ModelMismatchError } from "../../codec/errors.ts";
import { mutate, type Mutation, Random, samples } from "./_fuzz.ts";

const KINDS: Mutation[] = ["bit flip", "byte change", "insertion", "deletion"];

Deno.test("decompressStream() agrees with decompress() on 200 damaged archives", async () => {
  const all = await samples();
  for (let seed = 0; seed < 200; seed++) {
    const random = new Random(77_000 + seed);
    const sample = all[seed % all.length]!;
    const kind = KINDS[random.below(KINDS.length)]!;
    const damaged = mutate(sample.archive, kind, random);
    const label = `${kind} seed ${seed} on the ${sample.name} archive`;
    const whole = await decompress(damaged, { model: sample.model }).then(
      (bytes) => ({ bytes, error: null }),
      (error) => ({ bytes: null, error }),
    );
    const parts: Uint8Array[] = [];
    for (let at = 0; at < damaged.length;) {
      const n = 1 + random.below(300);
      parts.push(damaged.slice(at, at + n));
      at += n;
    }
    const streamed = await new Response(
      ReadableStream.from(parts).pipeThrough(decompressStream({ model: sample.model })),
    ).bytes().then((bytes) => ({ bytes, error: null }), (error) => ({ bytes: null, error }));
    if (whole.error === null) {
      assert.equal(streamed.error, null, `${label}: the stream failed where decompress() did not`);
      assert.deepEqual(streamed.bytes, whole.bytes, label);
    } else {
      assert.ok(
        streamed.error instanceof CorruptArchiveError ||
          streamed.error instanceof ModelMismatchError,
        `${label}: unexpected ${streamed.error}`,
      );
      assert.equal(streamed.error.constructor, whole.error.constructor, label);
    }
  }
});
