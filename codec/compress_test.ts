// This module imports no tfjs.
import assert from "node:assert/strict";
import { hasLongMatch, METHOD_NAMES } from "./_common/format.ts";
import { Random } from "./_testing/random.ts";
import { sampleFromModel, TINY_MATCH_CONFIG, tinyModel } from "./_testing/tiny_model.ts";
import { compress } from "./compress.ts";
import { decompress } from "./decompress.ts";
import { ModelMismatchError } from "./errors.ts";
import { inspectArchive } from "./inspect_archive.ts";

async function assertRoundTrip(input: Uint8Array, options: Parameters<typeof compress>[1] = {}) {
  const archive = await compress(input, options);
  const output = await decompress(archive, { model: options.model ?? null });
  assert.equal(output.length, input.length);
  assert.deepEqual(output, input);
  return archive;
}

Deno.test("compress() round-trips the empty input", async () => {
  const archive = await assertRoundTrip(new Uint8Array(0));
  const info = await inspectArchive(archive);
  assert.deepEqual(info.blocks.map((b) => [b.method, b.rawSize]), [["stored", 0]]);
});

Deno.test("compress() round-trips 1 byte", async () => {
  await assertRoundTrip(new Uint8Array([0x42]));
});

Deno.test("compress() round-trips every byte value", async () => {
  const every = new Uint8Array(256 * 8).map((_, i) => i & 0xff);
  await assertRoundTrip(every);
  await assertRoundTrip(every.slice(0, 256).reverse());
});

Deno.test("compress() keeps 1 MiB of random bytes stored, within 0.1% of their size", async () => {
  const input = new Random(1).bytes(1 << 20);
  const archive = await assertRoundTrip(input);
  assert.ok(archive.length <= input.length * 1.001, `${archive.length} bytes`);
  const info = await inspectArchive(archive);
  assert.deepEqual(info.blocks.map((b) => b.method), ["stored"]);
});

Deno.test("compress() round-trips 1 MiB of one byte value, near the format's ratio limit", async () => {
  const input = new Uint8Array(1 << 20).fill(0x61);
  const archive = await assertRoundTrip(input, { methods: ["stored", "cm"] });
  // 2048 raw bytes per coded byte is the limit (FORMAT.md, Segment_Table); cm reaches ~1400.
  assert.ok(archive.length < 2000, `${archive.length} bytes`);
});

Deno.test("compress() round-trips a multi-block input with a small blockSize", async () => {
  const input = new Random(2).text(20_000);
  const archive = await assertRoundTrip(input, { blockSize: 3000, segmentSize: 1000 });
  const info = await inspectArchive(archive);
  assert.equal(info.blockSize, 3000);
  assert.equal(info.blocks.length, 7);
  assert.deepEqual(info.blocks.map((b) => b.rawSize), [3000, 3000, 3000, 3000, 3000, 3000, 2000]);
  assert.ok(
    info.blocks.every((b) => b.method === "cm" && b.segments === Math.ceil(b.rawSize / 1000)),
  );
  assert.ok(archive.length < input.length / 2);
});

Deno.test("compress() round-trips an input already compressed by xz, growing it by a few bytes", async () => {
  const text = new Random(3).text(300_000);
  const xz = new Deno.Command("xz", { args: ["-9", "-c"], stdin: "piped", stdout: "piped" })
    .spawn();
  const writer = xz.stdin.getWriter();
  await writer.write(text);
  await writer.close();
  const { code, stdout: input } = await xz.output();
  assert.equal(code, 0);
  const archive = await assertRoundTrip(input, { blockSize: 4096 });
  const blocks = Math.ceil(input.length / 4096);
  assert.ok(
    archive.length <= input.length + 72 + 12 * blocks,
    `${archive.length} for ${input.length}`,
  );
});

Deno.test("compress() writes the same bytes when run twice", async () => {
  const input = new Random(4).text(30_000);
  const options = { blockSize: 8192, segmentSize: 2048 };
  assert.deepEqual(await compress(input, options), await compress(input, options));
});

Deno.test("compress() keeps the smallest method per block: cm for text, stored for noise", async () => {
  const random = new Random(5);
  const input = new Uint8Array([...random.text(4096), ...random.bytes(4096)]);
  const archive = await assertRoundTrip(input, { blockSize: 4096 });
  const info = await inspectArchive(archive);
  assert.deepEqual(info.blocks.map((b) => b.method), ["cm", "stored"]);
});

Deno.test('compress() with methods ["stored"] writes only stored blocks', async () => {
  const input = new Random(6).text(10_000);
  const archive = await assertRoundTrip(input, { methods: ["stored"], blockSize: 4000 });
  const info = await inspectArchive(archive);
  assert.deepEqual(info.blocks.map((b) => b.method), ["stored", "stored", "stored"]);
});

Deno.test("compress() codes blocks with the neural model when it is smaller, and names the model", async () => {
  const model = tinyModel(21);
  const input = sampleFromModel(model, 3000, 1);
  const archive = await assertRoundTrip(input, { model, methods: ["stored", "neural"] });
  const info = await inspectArchive(archive, { model });
  assert.equal(info.modelName, "tiny-random");
  assert.equal(info.modelHash, "15".repeat(32));
  assert.deepEqual(info.blocks.map((b) => [b.method, b.segments]), [["neural", 47]]);
  assert.ok(info.checksumOk);
});

Deno.test("compress() with a model tries stored, cm and mix-sse9 by default, not neural, mix, mix-long or mix-sse to mix-sse8", async () => {
  const model = tinyModel(21);
  const input = sampleFromModel(model, 3000, 1);
  const archive = await assertRoundTrip(input, { model });
  const info = await inspectArchive(archive, { model });
  assert.equal(info.modelName, "tiny-random");
  // One segment (Segment_Size = the block), 47 times the model's context of 64 bytes.
  assert.deepEqual(info.blocks.map((b) => [b.method, b.segments]), [["mix-sse9", 1]]);
  assert.ok(info.checksumOk);
  // The mix of cm and the model beats cm alone on what the model knows.
  const cm = await compress(input, { methods: ["stored", "cm"] });
  assert.ok(archive.length < cm.length, `mix ${archive.length}, cm ${cm.length}`);
  await assert.rejects(decompress(archive), ModelMismatchError);
});

Deno.test("compress(): mix-sse and the later methods round-trip and code text with repeats smaller than mix-long", async () => {
  // The stages learn within the segment what the mix does not know: here, that repeats of
  // the segment come back exactly (the match map) and which bytes follow which (the byte map).
  const model = tinyModel(24, "tiny-match", 24, TINY_MATCH_CONFIG);
  const random = new Random(25);
  const words = Array.from({ length: 12 }, () => random.text(40));
  const input = new Uint8Array(6000);
  for (let at = 0; at < input.length; at += 40) {
    input.set(words[(at * 7) % 11]!.subarray(0, Math.min(40, input.length - at)), at);
  }
  // Every method from mix-long on (4 to the last), so that the next one is not left out.
  const methods = METHOD_NAMES.filter(hasLongMatch);
  assert.deepEqual(methods.slice(0, 2), ["mix-long", "mix-sse"]);
  const sizes: number[] = [];
  for (const method of methods) {
    const archive = await assertRoundTrip(input, { model, methods: [method] });
    const info = await inspectArchive(archive, { model });
    assert.deepEqual(info.blocks.map((b) => b.method), [method]);
    sizes.push(archive.length);
  }
  for (let k = 1; k < methods.length; k++) {
    assert.ok(sizes[k]! < sizes[0]!, `mix-long ${sizes[0]}, ${methods[k]} ${sizes[k]}`);
  }
});

Deno.test("compress() round-trips mix blocks of several segments, text and noise mixed", async () => {
  const model = tinyModel(23);
  const random = new Random(9);
  const input = new Uint8Array([
    ...sampleFromModel(model, 1300, 2),
    ...random.text(1300),
    ...random.bytes(1300),
  ]);
  const options = { model, blockSize: 1300, segmentSize: 500, methods: ["stored", "mix"] as const };
  const archive = await assertRoundTrip(input, { ...options, methods: [...options.methods] });
  const info = await inspectArchive(archive, { model });
  assert.deepEqual(
    info.blocks.map((b) => [b.method, b.segments]),
    [["mix", 3], ["mix", 3], ["stored", 0]],
  );
});

Deno.test("compress() with methods including neural tries it after mix", async () => {
  const model = tinyModel(24);
  const input = sampleFromModel(model, 1000, 3);
  const methods = ["stored", "cm", "mix", "neural"] as const;
  const archive = await assertRoundTrip(input, { model, methods: [...methods] });
  const mix = await compress(input, { model, methods: ["stored", "cm", "mix"] });
  const neural = await compress(input, { model, methods: ["stored", "neural"] });
  assert.equal(archive.length, Math.min(mix.length, neural.length));
});

Deno.test("compress() rejects a model the engine cannot run with a TypeError, unless no method needs it", async () => {
  const broken = { ...tinyModel(22), tensors: new Map() };
  const input = new Random(7).text(2000);
  await assert.rejects(compress(input, { model: broken }), TypeError);
  await assert.rejects(
    compress(input, { model: broken }),
    /Cannot run model .*tensor .* is missing/,
  );
  const archive = await compress(input, { model: broken, methods: ["stored", "cm"] });
  assert.equal((await inspectArchive(archive)).modelHash, "");
  assert.deepEqual(await decompress(archive), input);
});

Deno.test("compress() reports progress after each block, up to the input's length", async () => {
  const seen: number[] = [];
  await compress(new Random(8).text(10_000), { blockSize: 4000, onProgress: (n) => seen.push(n) });
  assert.deepEqual(seen, [4000, 8000, 10_000]);
});

Deno.test("compress() throws a RangeError or TypeError for bad options", async () => {
  const input = new Uint8Array(10);
  await assert.rejects(compress(input, { blockSize: 0 }), RangeError);
  await assert.rejects(compress(input, { blockSize: 2 ** 26 + 1 }), RangeError);
  await assert.rejects(compress(input, { blockSize: 1.5 }), RangeError);
  await assert.rejects(compress(input, { workers: -1 }), RangeError);
  await assert.rejects(compress(input, { batchSize: 0 }), RangeError);
  // @ts-expect-error: not a method name
  await assert.rejects(compress(input, { methods: ["zip"] }), RangeError);
  await assert.rejects(
    compress(input, { model: { ...tinyModel(1), hash: new Uint8Array(32) } }),
    TypeError,
  );
  // @ts-expect-error: not bytes
  await assert.rejects(compress("text"), TypeError);
});

Deno.test("compress() throws a TypeError naming the option for ill-typed options, before coding", async () => {
  const input = new Uint8Array(10);
  const typeError = (message: RegExp) => ({ name: "TypeError", message });
  // @ts-expect-error: null is not an options object
  await assert.rejects(compress(input, null), typeError(/the options: expected an object/));
  // @ts-expect-error: nor is a string (it was ignored, all options default)
  await assert.rejects(compress(input, "fast"), typeError(/the options: expected an object/));
  let progress = 0;
  await assert.rejects(
    // @ts-expect-error: not a function (it threw only after the first block was coded)
    compress(input, { onProgress: "log", methods: ["stored"], workers: 0 }),
    typeError(/onProgress: expected a function/),
  );
  await compress(input, { onProgress: () => progress++ });
  assert.equal(progress, 1);
  // @ts-expect-error: not a model file
  await assert.rejects(compress(input, { model: "default" }), typeError(/expected a model file/));
});

Deno.test("an archive's Model_Name that starts with a byte-order mark reads back as written", async () => {
  const model = { ...tinyModel(21), name: "\uFEFFbom" };
  const archive = await compress(sampleFromModel(model, 300, 1), { model });
  assert.equal((await inspectArchive(archive)).modelName, "\uFEFFbom");
});
