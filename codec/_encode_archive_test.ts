// This module imports no tfjs.
import assert from "node:assert/strict";
import { ArraySource } from "./_common/byte_source.ts";
import { concatBytes } from "./_common/bytes.ts";
import { encodeArchive, type EncodedBlockInfo } from "./_encode_archive.ts";
import { Random } from "./_testing/random.ts";
import { sampleFromModel, tinyModel } from "./_testing/tiny_model.ts";
import { decompress } from "./decompress.ts";
import type { CompressOptions } from "./options.ts";

/** The archive of `input` and what each block reported. */
async function encode(input: Uint8Array, options: CompressOptions) {
  const parts: Uint8Array[] = [];
  const blocks: EncodedBlockInfo[] = [];
  await encodeArchive(
    new ArraySource(input),
    (b) => {
      parts.push(b.slice());
    },
    options,
    { onBlock: (info) => blocks.push(info) },
  );
  return { archive: concatBytes(parts), blocks };
}

Deno.test("encodeArchive() skips the model's methods in a block that cm cannot code smaller than stored", async () => {
  const model = tinyModel(51);
  const text = sampleFromModel(model, 700, 3);
  const noise = new Random(52).bytes(700);
  const input = new Uint8Array([...text, ...noise]);
  const { archive, blocks } = await encode(input, { model, blockSize: 700 });
  // The text block tries cm and the default model method; the noise block, where cm loses to
  // stored, tries cm only and is stored.
  assert.deepEqual(blocks.map((b) => [b.method, b.tried]), [
    ["mix-sse9", ["cm", "mix-sse9"]],
    ["stored", ["cm"]],
  ]);
  assert.deepEqual(await decompress(archive, { model }), input);
  // Without cm among the methods there is nothing to judge by: every listed method runs.
  const alone = await encode(noise, { model, methods: ["stored", "mix-sse9"] });
  assert.deepEqual(alone.blocks.map((b) => [b.method, b.tried]), [["stored", ["mix-sse9"]]]);
});
