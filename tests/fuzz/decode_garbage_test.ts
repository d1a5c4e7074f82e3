// This module imports no tfjs.
// Ensure that random bytes, alone or behind a valid header, are rejected with a typed error and
// never crash or hang the decoder: 600 seeded inputs.
import { compress } from "../../codec/compress.ts";
import { assertDecodesOrRejects, Random } from "./_fuzz.ts";

Deno.test("decompress() rejects 300 random byte strings", async () => {
  for (let seed = 0; seed < 300; seed++) {
    const random = new Random(seed);
    const garbage = random.bytes(random.below(300));
    if (seed % 3 === 0 && garbage.length >= 4) garbage.set([0x89, 0x4d, 0x42, 0x5a]); // the magic
    await assertDecodesOrRejects(garbage, new Uint8Array(0), null, `garbage seed ${seed}`);
  }
});

Deno.test("decompress() rejects 300 valid headers followed by random bytes", async () => {
  const archive = await compress(new Uint8Array(0), { blockSize: 5000 });
  const header = archive.subarray(0, archive.length - 26); // all but the empty block and the footer
  for (let seed = 0; seed < 300; seed++) {
    const random = new Random(1_000_000 + seed);
    const body = random.bytes(random.below(400));
    if (body.length > 0) body[0] = random.below(8); // a plausible Block_Descriptor
    if (body.length > 1) body[1] = random.below(128); // and a one-byte Raw_Size
    const input = new Uint8Array([...header, ...body]);
    await assertDecodesOrRejects(input, new Uint8Array(0), null, `header + garbage seed ${seed}`);
  }
});
