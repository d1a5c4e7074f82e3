// This module imports no tfjs.
import assert from "node:assert/strict";
import type { ModelFile } from "../lib/model/model_file_types.ts";
import { concatBytes } from "./_common/bytes.ts";
import { type ArchiveFields, buildArchive, splitArchive } from "./_testing/archive_builder.ts";
import { Random } from "./_testing/random.ts";
import { sampleFromModel, tinyModel } from "./_testing/tiny_model.ts";
import { compress } from "./compress.ts";
import { decompress } from "./decompress.ts";
import { decompressStream } from "./decompress_stream.ts";
import { CorruptArchiveError, ModelMismatchError } from "./errors.ts";
import { inspectArchive } from "./inspect_archive.ts";

async function rejectsCorrupt(archive: Uint8Array, section: string, offset?: number) {
  await assert.rejects(decompress(archive), (error: unknown) => {
    assert.ok(error instanceof CorruptArchiveError, `expected CorruptArchiveError, got ${error}`);
    assert.equal(error.section, section, error.message);
    if (offset !== undefined) assert.equal(error.offset, offset, error.message);
    assert.ok(!error.message.includes("\n"), "one-line message");
    return true;
  });
}

Deno.test("decompress() rejects empty input and non-archives at Magic_Number", async () => {
  await rejectsCorrupt(new Uint8Array(0), "Magic_Number", 0);
  await rejectsCorrupt(new TextEncoder().encode("hello, not an archive"), "Magic_Number", 0);
  await rejectsCorrupt(new Uint8Array([0x89, 0x4d]), "Magic_Number", 2);
});

Deno.test("decompress() rejects every truncation of an archive", async () => {
  const archive = await compress(new Random(1).text(3000), { blockSize: 1000, segmentSize: 400 });
  for (let n = 0; n < archive.length; n++) {
    await assert.rejects(decompress(archive.subarray(0, n)), CorruptArchiveError, `length ${n}`);
  }
});

Deno.test("decompress() rejects trailing bytes after the footer", async () => {
  const archive = await compress(new Random(2).text(500));
  const longer = new Uint8Array([...archive, 0]);
  await rejectsCorrupt(longer, "End_Of_Archive", archive.length);
});

Deno.test("decompress() names the block and the offset of a block checksum mismatch", async () => {
  const fields = splitArchive(await compress(new Random(3).text(3000), { blockSize: 1000 }));
  fields.blocks[2]!.checksum! ^= 1n;
  const archive = await buildArchive(fields);
  const checksumAt = archive.length - 16 - 8;
  await assert.rejects(decompress(archive), (error: unknown) => {
    assert.ok(error instanceof CorruptArchiveError);
    assert.equal(error.message, "Cannot decode block 2: checksum mismatch");
    assert.equal(error.section, "Block_Checksum");
    assert.equal(error.offset, checksumAt);
    return true;
  });
});

Deno.test("decompress() rejects a changed byte of coded data", async () => {
  const input = new Random(4).text(5000);
  const archive = await compress(input);
  const fields = splitArchive(archive);
  assert.equal(fields.blocks[0]!.descriptor >>> 1, 1, "a cm block");
  fields.blocks[0]!.data[100]! ^= 0x10;
  await rejectsCorrupt(await buildArchive(fields), "Block_Checksum");
});

Deno.test("decompress() rejects a Content_Size or Content_Checksum that does not match", async () => {
  const fields = splitArchive(await compress(new Random(5).text(800)));
  const archive = await buildArchive(fields);
  await rejectsCorrupt(
    await buildArchive({ ...fields, footer: { ...fields.footer, contentSize: 801n } }),
    "Content_Size",
    archive.length - 16,
  );
  await rejectsCorrupt(
    await buildArchive({ ...fields, footer: { ...fields.footer, contentChecksum: 12345n } }),
    "Content_Checksum",
    archive.length - 8,
  );
});

Deno.test("decompress() throws ModelMismatchError without the archive's model", async () => {
  const model = tinyModel(31, "tiny-a");
  const input = sampleFromModel(model, 500, 2);
  const archive = await compress(input, { model });
  await assert.rejects(decompress(archive), (error: unknown) => {
    assert.ok(error instanceof ModelMismatchError);
    assert.match(error.message, /needs model tiny-a \(sha256 (1f){32}\), but no model was given/);
    return true;
  });
  const other = tinyModel(32, "tiny-b");
  await assert.rejects(decompress(archive, { model: other }), (error: unknown) => {
    assert.ok(error instanceof ModelMismatchError);
    assert.match(
      error.message,
      /needs model tiny-a .* but model tiny-b \(sha256 (20){32}\) was given/,
    );
    return true;
  });
  assert.deepEqual(await decompress(archive, { model }), input);
});

Deno.test("decompress() throws a TypeError, before any output, for the archive's model missing a tensor", async () => {
  const model = tinyModel(34, "tiny-a");
  // Block 0 stored (random bytes), block 1 coded with the model: output would start before it.
  const input = concatBytes([new Random(9).bytes(300), sampleFromModel(model, 300, 3)]);
  const archive = await compress(input, { model, blockSize: 300 });
  const methods = (await inspectArchive(archive)).blocks.map((b) => b.method);
  assert.equal(methods[0], "stored");
  assert.notEqual(methods[1], "stored");
  assert.notEqual(methods[1], "cm");
  // The right hash, a tensor short: a hand-built model object.
  const broken: ModelFile = { ...model, tensors: new Map(model.tensors) };
  broken.tensors.delete("local.head");
  const typeError = {
    name: "TypeError",
    message: "Cannot run model tiny-a: tensor local.head is missing",
  };
  const progress: number[] = [];
  await assert.rejects(
    decompress(archive, { model: broken, onProgress: (n) => progress.push(n) }),
    typeError,
  );
  assert.deepEqual(progress, []);
  const chunks: Uint8Array[] = [];
  const stream = ReadableStream.from([archive]).pipeThrough(decompressStream({ model: broken }));
  await assert.rejects(Array.fromAsync(stream, (c) => chunks.push(c)), typeError);
  assert.deepEqual(chunks, []);
  await assert.rejects(inspectArchive(archive, { model: broken }), typeError);
  assert.deepEqual(await decompress(archive, { model }), input);
});

Deno.test("decompress() ignores a model given for an archive that needs none", async () => {
  const input = new Random(6).text(700);
  assert.deepEqual(await decompress(await compress(input), { model: tinyModel(33) }), input);
});

Deno.test("decompress() with 2 workers and any batch size gives the same output", async () => {
  const input = new Random(7).text(40_000);
  const archive = await compress(input, { blockSize: 10_000, segmentSize: 2500 });
  assert.deepEqual(await decompress(archive, { workers: 2, batchSize: 3 }), input);
  assert.deepEqual(await decompress(archive, { batchSize: 1 }), input);
});

Deno.test("decompress() reports progress after each verified block", async () => {
  const archive = await compress(new Random(8).text(2500), { blockSize: 1000 });
  const seen: number[] = [];
  await decompress(archive, { onProgress: (n) => seen.push(n) });
  assert.deepEqual(seen, [1000, 2000, 2500]);
});

Deno.test("decompress() throws a TypeError or RangeError for bad arguments", async () => {
  // @ts-expect-error: not bytes
  await assert.rejects(decompress([1, 2, 3]), TypeError);
  await assert.rejects(decompress(new Uint8Array(0), { workers: 1.5 }), RangeError);
});

Deno.test("decompress() and decompressStream() throw a TypeError at once for ill-typed options", async () => {
  const archive = await compress(new Random(8).text(2500), { blockSize: 1000 });
  const typeError = (message: RegExp) => ({ name: "TypeError", message });
  // @ts-expect-error: null is not an options object
  await assert.rejects(decompress(archive, null), typeError(/the options: expected an object/));
  await assert.rejects(
    // @ts-expect-error: not a function (it threw only after the first block was decoded)
    decompress(archive, { onProgress: true }),
    typeError(/onProgress: expected a function/),
  );
  // @ts-expect-error: not an options object
  assert.throws(() => decompressStream(null), TypeError);
  // @ts-expect-error: not a function (the stream passed on the first block, then errored)
  assert.throws(() => decompressStream({ onProgress: "log" }), TypeError);
});

// Rules of codec/FORMAT.md that tests/golden/errors/ does not break (other values of a field, other
// varint faults, both sides of a limit). Each archive breaks one rule; decompress() and
// inspectArchive() must both reject it with a CorruptArchiveError naming the field.
{
  const raw = new Random(9).bytes(300);
  /** Three stored blocks of 100 bytes; the header's Block_Maximum_Size is 100 unless given. */
  const stored = (header: ArchiveFields["header"] = {}): ArchiveFields => ({
    header: { blockMaximumSize: 100, ...header },
    blocks: [0, 1, 2].map((i) => ({
      descriptor: i === 2 ? 1 : 0,
      rawSize: 100,
      data: raw.slice(i * 100, i * 100 + 100),
    })),
    footer: {},
  });
  /** One coded (cm) block that is also the last; its Segment_Table and data as given. */
  const coded = (
    rawSize: number,
    segmentSize: number,
    codedSizes: number[],
    blockMaximumSize = 1 << 20,
  ): ArchiveFields => ({
    header: { blockMaximumSize },
    blocks: [{
      descriptor: 1 | (1 << 1),
      rawSize,
      segmentSize,
      codedSizes,
      data: new Uint8Array(codedSizes.reduce((a, b) => a + b, 0)).fill(1),
      raw: new Uint8Array(rawSize),
      checksum: 0n,
    }],
    footer: {},
  });
  /** `archive` with `remove` bytes at `at` replaced by `insert`. */
  const splice = (archive: Uint8Array, at: number, remove: number, insert: number[]) =>
    new Uint8Array([...archive.subarray(0, at), ...insert, ...archive.subarray(at + remove)]);
  // With the default Block_Maximum_Size (1 MiB, a 3-byte varint at byte 6) and no Model_Name, the
  // header is 46 bytes: the first Block_Descriptor is byte 46, its Raw_Size byte 47.
  const emptyContent = () =>
    buildArchive({
      header: {},
      blocks: [{ descriptor: 1, rawSize: 0, data: new Uint8Array(0) }],
      footer: {},
    });
  const neuralModel = tinyModel(34, "tiny-context-64");
  const neuralArchive = async (segmentSize: number) => {
    const archive = await compress(sampleFromModel(neuralModel, 600, 3), {
      model: neuralModel,
      methods: ["stored", "neural"],
    });
    const fields = splitArchive(archive);
    assert.equal(fields.blocks[0]!.descriptor >>> 1, 2, "a neural block");
    assert.equal(fields.blocks[0]!.segmentSize, neuralModel.config.context);
    fields.blocks[0]!.segmentSize = segmentSize; // still 10 segments of 600 bytes
    return buildArchive(fields);
  };
  const rejected: {
    rule: string;
    archive: () => Promise<Uint8Array>;
    section: string;
    message: string;
    model?: ModelFile;
  }[] = [
    {
      rule: "a varint of 9 bytes",
      archive: async () => splice(await emptyContent(), 6, 3, [...Array(8).fill(0x80), 0x01]),
      section: "Block_Maximum_Size",
      message: "bad varint in Block_Maximum_Size (too long)",
    },
    {
      rule: "a varint over 2^53 - 1",
      archive: async () => splice(await emptyContent(), 47, 1, [...Array(7).fill(0xff), 0x7f]),
      section: "Raw_Size",
      message: "bad varint in Raw_Size (too large)",
    },
    {
      rule: "a non-minimal varint in the Segment_Table",
      archive: async () => splice(await buildArchive(coded(20, 5, [1, 1, 1, 1])), 48, 1, [0x85, 0]),
      section: "Segment_Table",
      message: "bad varint in Segment_Table (not minimal)",
    },
    ...[0x01, 0x02, 0x04, 0x08, 0x20, 0x40, 0x80].map((flags) => ({
      rule: `Header_Flags 0x${flags.toString(16)}`,
      archive: () => buildArchive(stored({ flags })),
      section: "Header_Flags",
      message: "reserved Header_Flags bits are set",
    })),
    {
      rule: "Block_Maximum_Size 2^26 + 1",
      archive: () => buildArchive(stored({ blockMaximumSize: 2 ** 26 + 1 })),
      section: "Block_Maximum_Size",
      message: "Block_Maximum_Size 67108865 is out of range 1..67108864",
    },
    ...[[0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x61, 0x80]].map((name) => ({
      rule: `Model_Name ${name.map((b) => b.toString(16)).join(" ")}`,
      archive: () =>
        buildArchive(
          stored({ modelHash: new Uint8Array(32).fill(7), modelName: new Uint8Array(name) }),
        ),
      section: "Model_Name",
      message: "the Model_Name is not valid UTF-8",
    })),
    ...[0x20, 0x40, 0x80].map((bit) => ({
      rule: `Block_Descriptor bit 0x${bit.toString(16)}`,
      archive: () => {
        const fields = stored();
        fields.blocks[0]!.descriptor |= bit;
        return buildArchive(fields);
      },
      section: "Block_Descriptor",
      message: "Cannot decode block 0: reserved Block_Descriptor bits are set",
    })),
    {
      rule: "Raw_Size 0 in the one block of an empty content, coded",
      archive: () =>
        buildArchive({
          header: {},
          blocks: [{ descriptor: 1 | (1 << 1), rawSize: 0, data: new Uint8Array(0) }],
          footer: {},
        }),
      section: "Raw_Size",
      message: "Raw_Size 0 is allowed only",
    },
    {
      rule: "Raw_Size 0 in a first stored block that is not the last",
      archive: () => {
        const fields = stored();
        fields.blocks.unshift({ descriptor: 0, rawSize: 0, data: new Uint8Array(0) });
        return buildArchive(fields);
      },
      section: "Raw_Size",
      message: "Cannot decode block 0: Raw_Size 0 is allowed only",
    },
    {
      rule: "an archive of no block (a Footer right after the Header)",
      archive: async () => {
        const archive = await emptyContent();
        return new Uint8Array([...archive.subarray(0, 46), ...archive.subarray(-16)]);
      },
      // The footer's first bytes read as a stored, not-last block of Raw_Size 0.
      section: "Raw_Size",
      message: "Cannot decode block 0: Raw_Size 0 is allowed only",
    },
    {
      rule: "Last_Block set on a block that is not the last",
      archive: () => {
        const fields = stored();
        fields.blocks[0]!.descriptor = 1;
        return buildArchive(fields);
      },
      // The next block's bytes read as the Footer.
      section: "Content_Size",
      message: "does not match the blocks' total 100",
    },
    {
      rule: "Segment_Size over the model's context in a neural block",
      archive: () => neuralArchive(65),
      section: "Segment_Table",
      message: "Cannot decode block 0: Segment_Size 65 is over the model's context 64",
      model: neuralModel,
    },
    {
      rule: "a coded block exactly as long as its Raw_Size",
      // Segment_Size (1 byte) + Coded_Size (1 byte) + 18 data bytes = 20.
      archive: () => buildArchive(coded(20, 20, [18])),
      section: "Segment_Table",
      message: "the coded block is not smaller than its Raw_Size 20",
    },
    {
      rule: "a segment of 2048 × Coded_Size + 65536 + 1 raw bytes",
      archive: () => buildArchive(coded(2048 + 65536 + 1, 2048 + 65536 + 1, [1])),
      section: "Segment_Table",
      message: "segment 0 claims 67585 bytes from 1 coded bytes, over the ratio limit",
    },
    // Over 2^53 - 1, each of these is 300 modulo 2^32 or 2^53: a decoder that truncated the field
    // would take it for the blocks' total.
    ...[2n ** 32n + 300n, 2n ** 53n + 300n, 2n ** 63n + 300n, 2n ** 64n - 1n].map((
      contentSize,
    ) => ({
      rule: `Content_Size ${contentSize}`,
      archive: () => buildArchive({ ...stored(), footer: { contentSize } }),
      section: "Content_Size",
      message: `Content_Size ${contentSize} does not match the blocks' total 300`,
    })),
  ];

  Deno.test("decompress() and inspectArchive() reject each broken rule of FORMAT.md", async () => {
    for (const { rule, archive, section, message, model } of rejected) {
      const bytes = await archive();
      const check = (error: unknown) => {
        assert.ok(error instanceof CorruptArchiveError, `${rule}: got ${error}`);
        assert.equal(error.section, section, `${rule}: ${error.message}`);
        assert.ok(error.message.includes(message), `${rule}: "${error.message}"`);
        assert.ok(error.offset >= 0 && error.offset <= bytes.length, `${rule}: ${error.offset}`);
        return true;
      };
      await assert.rejects(decompress(bytes, { model: model ?? null }), check, rule);
      await assert.rejects(inspectArchive(bytes, { model: model ?? null }), check, rule);
    }
  });

  Deno.test("decompress() and inspectArchive() accept each limit of FORMAT.md at its bound", async () => {
    // Block_Maximum_Size 2^26 decodes.
    const bytes = await buildArchive(stored({ blockMaximumSize: 2 ** 26 }));
    assert.deepEqual(await decompress(bytes), raw);
    assert.equal((await inspectArchive(bytes)).blockSize, 2 ** 26);
    // A neural block's Segment_Size equal to the model's context decodes.
    const neural = await neuralArchive(64);
    assert.equal((await decompress(neural, { model: neuralModel })).length, 600);
    // A coded block one byte shorter than its Raw_Size, and a segment of exactly 2048 × Coded_Size
    // + 65536 raw bytes, pass the block's checks: their (made-up) data fails only its checksum.
    for (
      const fields of [coded(20, 20, [17]), coded(2048 + 65536, 2048 + 65536, [1], 1 << 17)]
    ) {
      const archive = await buildArchive(fields);
      const info = await inspectArchive(archive, { verify: false });
      assert.equal(info.blocks[0]!.rawSize, fields.blocks[0]!.rawSize);
      if (fields.blocks[0]!.rawSize === 20) await rejectsCorrupt(archive, "Block_Checksum");
    }
  });
}
