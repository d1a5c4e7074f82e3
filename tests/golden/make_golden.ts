// This module imports no tfjs.
/**
 * Writes the golden archives of `tests/golden/`: `ok/` (archives with the content they must
 * decode to, and the options that made them) and `errors/` (archives that break one rule of
 * `codec/FORMAT.md` each, with the error they must raise). Each file is named after what it
 * catches; an error archive puts its defect in the first block where it can, so that its error
 * does not depend on the predictions of the blocks before it. Run it only on purpose, when the format or a method's predictions change (and bump
 * the format version then):
 *
 * ```sh
 * deno run --allow-read --allow-write tests/golden/make_golden.ts
 * ```
 *
 * @module
 */
import { compress } from "../../codec/compress.ts";
import type { CompressOptions } from "../../codec/options.ts";
import {
  type ArchiveFields,
  buildArchive,
  splitArchive,
} from "../../codec/_testing/archive_builder.ts";
import { METHOD_IDS } from "../../codec/_common/format.ts";
import { Random } from "../../codec/_testing/random.ts";
import {
  GOLDEN_MODEL_SEED,
  goldenMatchModel,
  goldenModel,
  goldenModelOf,
} from "./_golden_model.ts";
import { sampleFromModel } from "../../codec/_testing/tiny_model.ts";

const HERE = new URL("./", import.meta.url);

/** What an `ok/` archive must decode to, and the options that wrote it. */
export interface OkEntry {
  /** `compress` options (the model by name: "golden" or "golden-match", `goldenModelOf`). */
  options: Omit<CompressOptions, "model"> & { model?: "golden" | "golden-match" };
}

/** The error an `errors/` archive must raise. */
export interface ErrorEntry {
  /** "CorruptArchiveError" or "ModelMismatchError". */
  error: string;
  /** The FORMAT.md section a CorruptArchiveError names. */
  section?: string;
  /** A piece of its message. */
  message: string;
}

async function main(): Promise<void> {
  const random = new Random(1128);
  const ok: Record<string, OkEntry> = {};
  const writeOk = async (name: string, content: Uint8Array, options: OkEntry["options"]) => {
    const model = goldenModelOf(options.model);
    const archive = await compress(content, { ...options, model });
    await Deno.writeFile(new URL(`ok/${name}.mbz`, HERE), archive);
    await Deno.writeFile(new URL(`ok/${name}.out`, HERE), content);
    ok[name] = { options };
  };
  await writeOk("empty_content", new Uint8Array(0), {});
  await writeOk("one_byte", new Uint8Array([0x7f]), {});
  await writeOk("stored_random_blocks", random.bytes(2500), { blockSize: 1000 });
  await writeOk("cm_text_blocks_and_segments", random.text(6000), {
    blockSize: 2500,
    segmentSize: 1000,
  });
  await writeOk(
    "cm_and_stored_mixed",
    new Uint8Array([...random.text(1500), ...random.bytes(1500), ...random.text(1500)]),
    { blockSize: 1500 },
  );
  await writeOk("every_byte_value", new Uint8Array(1024).map((_, i) => (i * 5) & 0xff), {});
  await writeOk("neural_tiny_model", sampleFromModel(goldenModel(), 700, GOLDEN_MODEL_SEED), {
    model: "golden",
    methods: ["stored", "neural"],
  });
  // Method 3 (format 1.1): blocks of several segments, each longer than the model's context.
  await writeOk(
    "mix_tiny_model",
    new Uint8Array([
      ...sampleFromModel(goldenModel(), 900, GOLDEN_MODEL_SEED + 1),
      ...new TextEncoder().encode(
        "the mixer weighs the context-mixing model against the neural model, byte by byte; ".repeat(
          8,
        ),
      ),
    ]),
    { model: "golden", blockSize: 1000, segmentSize: 400, methods: ["stored", "cm", "mix"] },
  );
  // Methods 4 (format 2.1), 5 (2.2), 6 (2.3), 7 (2.4), 8 (2.5), 9 (2.6), 10 (2.7), 11 (2.8), 12
  // (2.9) and 13 (2.10): a model with a match row, repeats windows apart in one segment; 5 to 13
  // refine 4's mix by secondary estimation, and 12 and 13 code bits.
  const phrase = new TextEncoder().encode("a phrase that comes back much later, ");
  const longMatchCases = [
    ["mix_long_match_model", "mix-long", 2],
    ["mix_sse_tiny_model", "mix-sse", 3],
    ["mix_sse2_tiny_model", "mix-sse2", 4],
    ["mix_sse3_tiny_model", "mix-sse3", 5],
    ["mix_sse4_tiny_model", "mix-sse4", 6],
    ["mix_sse5_tiny_model", "mix-sse5", 7],
    ["mix_sse6_tiny_model", "mix-sse6", 8],
    ["mix_sse7_tiny_model", "mix-sse7", 9],
    ["mix_sse8_tiny_model", "mix-sse8", 10],
    ["mix_sse9_tiny_model", "mix-sse9", 11],
  ] as const;
  for (const [name, method, seed] of longMatchCases) {
    await writeOk(
      name,
      new Uint8Array([
        ...phrase,
        ...sampleFromModel(goldenMatchModel(), 300, GOLDEN_MODEL_SEED + seed),
        ...phrase,
        ...phrase,
      ]),
      { model: "golden-match", blockSize: 1000, methods: ["stored", method] },
    );
  }
  await Deno.writeTextFile(new URL("ok/EXPECTED.json", HERE), JSON.stringify(ok, null, 2) + "\n");

  const errors: Record<string, ErrorEntry> = {};
  const writeError = async (name: string, archive: Uint8Array, expected: ErrorEntry) => {
    await Deno.writeFile(new URL(`errors/${name}.mbz`, HERE), archive);
    errors[name] = expected;
  };
  const corrupt = (section: string, message: string): ErrorEntry => ({
    error: "CorruptArchiveError",
    section,
    message,
  });
  const build = (fields: ArchiveFields) => buildArchive(fields);

  const stored = await compress(random.bytes(300), { blockSize: 100 });
  const cm = await compress(random.text(2500), { blockSize: 1000, segmentSize: 400 });
  const empty = await compress(new Uint8Array(0));
  const s = () => splitArchive(stored);
  const c = () => splitArchive(cm);

  await writeError("empty_file", new Uint8Array(0), corrupt("Magic_Number", "the input is empty"));
  await writeError(
    "not_an_archive",
    new TextEncoder().encode("just some text\n"),
    corrupt("Magic_Number", "not a megazip archive"),
  );
  await writeError("truncated_in_magic", stored.slice(0, 3), corrupt("Magic_Number", "truncated"));
  await writeError(
    "format_version_1",
    await build({ ...s(), header: { ...s().header, formatVersion: 1 } }),
    corrupt("Format_Version", "unsupported Format_Version 1"),
  );
  await writeError(
    "format_version_3",
    await build({ ...s(), header: { ...s().header, formatVersion: 3 } }),
    corrupt("Format_Version", "unsupported Format_Version 3"),
  );
  await writeError(
    "reserved_header_flag_set",
    await build({ ...s(), header: { ...s().header, flags: 0x10 } }),
    corrupt("Header_Flags", "reserved Header_Flags bits"),
  );
  await writeError(
    "block_maximum_size_2_pow_40",
    await build({ ...s(), header: { ...s().header, blockMaximumSize: 2 ** 40 } }),
    corrupt("Block_Maximum_Size", "Block_Maximum_Size 1099511627776 is out of range"),
  );
  await writeError(
    "block_maximum_size_zero",
    await build({ ...s(), header: { ...s().header, blockMaximumSize: 0 } }),
    corrupt("Block_Maximum_Size", "Block_Maximum_Size 0 is out of range"),
  );
  await writeError(
    "model_name_without_model_hash",
    await build({ ...s(), header: { ...s().header, modelName: new TextEncoder().encode("x") } }),
    corrupt("Model_Name_Length", "Model_Hash is zero"),
  );
  await writeError(
    "model_name_not_utf8",
    await build({
      ...s(),
      header: {
        ...s().header,
        modelHash: new Uint8Array(32).fill(9),
        modelName: new Uint8Array([0xff, 0xfe]),
      },
    }),
    corrupt("Model_Name", "not valid UTF-8"),
  );
  await writeError(
    "header_checksum_mismatch",
    await build({ ...s(), header: { ...s().header, headerChecksum: 0x12345678 } }),
    corrupt("Header_Checksum", "checksum mismatch"),
  );
  await writeError(
    "missing_model",
    await build({
      ...s(),
      header: {
        ...s().header,
        modelHash: goldenModel().hash,
        modelName: new TextEncoder().encode("golden-tiny"),
      },
    }),
    { error: "ModelMismatchError", message: "needs model golden-tiny" },
  );
  const withBlock = (
    fields: ArchiveFields,
    index: number,
    change: Partial<ArchiveFields["blocks"][0]>,
  ) => {
    fields.blocks[index] = { ...fields.blocks[index]!, ...change };
    return build(fields);
  };
  await writeError(
    "reserved_block_descriptor_bit_set",
    await withBlock(s(), 1, { descriptor: 0x20 }),
    corrupt("Block_Descriptor", "Cannot decode block 1: reserved Block_Descriptor bits"),
  );
  // Block_Method 14, the first value past the methods (format 2.5 widened the field to bits 1–4).
  await writeError(
    "block_method_14",
    await withBlock(s(), 1, { descriptor: 14 << 1 }),
    corrupt("Block_Descriptor", "Cannot decode block 1: unknown Block_Method 14"),
  );
  // A model method's block in an archive that names no model.
  for (
    const method of [
      "mix-sse9",
      "mix-sse8",
      "mix-sse7",
      "mix-sse6",
      "mix-sse5",
      "mix-sse4",
      "mix-sse3",
      "mix-sse2",
      "mix-sse",
      "mix-long",
      "mix",
      "neural",
    ] as const
  ) {
    await writeError(
      `${method.replace("-", "_")}_block_without_model_hash`,
      await withBlock(c(), 0, { descriptor: METHOD_IDS[method] << 1 }),
      corrupt("Block_Descriptor", `the ${method} method needs a model`),
    );
  }
  await writeError(
    "last_block_flag_missing",
    await withBlock(s(), 2, { descriptor: 0 }),
    corrupt("Block_Descriptor", "Cannot decode block 3"),
  );
  await writeError(
    "raw_size_over_block_maximum",
    await withBlock(s(), 0, { rawSize: 101, data: random.bytes(101) }),
    corrupt("Raw_Size", "Raw_Size 101 is over Block_Maximum_Size 100"),
  );
  await writeError(
    "raw_size_zero_after_a_block",
    await withBlock(s(), 1, { rawSize: 0, data: new Uint8Array(0) }),
    corrupt("Raw_Size", "Raw_Size 0 is allowed only"),
  );
  const nonMinimal = empty.slice();
  const headerLength = empty.length - 26; // the empty block (descriptor, Raw_Size, checksum) and footer
  await writeError(
    "raw_size_varint_not_minimal",
    new Uint8Array([
      ...nonMinimal.subarray(0, headerLength + 1),
      0x80,
      ...nonMinimal.subarray(headerLength + 1),
    ]),
    corrupt("Raw_Size", "bad varint in Raw_Size (not minimal)"),
  );
  await writeError(
    "segment_size_zero",
    await withBlock(c(), 0, { segmentSize: 0 }),
    corrupt("Segment_Table", "Segment_Size 0 is out of range"),
  );
  await writeError(
    "segment_size_over_raw_size",
    await withBlock(c(), 0, { segmentSize: 1001 }),
    corrupt("Segment_Table", "Segment_Size 1001 is out of range 1..1000"),
  );
  const cmBlock = c().blocks[0]!;
  await writeError(
    "coded_size_zero",
    await withBlock(c(), 0, { codedSizes: [cmBlock.codedSizes![0]!, 0, cmBlock.codedSizes![2]!] }),
    corrupt("Segment_Table", "segment 1 has a Coded_Size of 0"),
  );
  await writeError(
    "coded_block_not_smaller_than_raw",
    await withBlock(c(), 0, {
      rawSize: 10,
      segmentSize: 10,
      codedSizes: [9],
      data: new Uint8Array(9).fill(1),
    }),
    corrupt("Segment_Table", "the coded block is not smaller than its Raw_Size 10"),
  );
  await writeError(
    "segment_ratio_over_limit",
    await build({
      ...c(),
      header: { ...c().header, blockMaximumSize: 1 << 20 },
      blocks: [{
        descriptor: 1 | (1 << 1),
        rawSize: 200_000,
        segmentSize: 200_000,
        codedSizes: [5],
        data: new Uint8Array(5).fill(3),
        checksum: 0n,
      }],
    }),
    corrupt("Segment_Table", "over the ratio limit"),
  );
  const lastByteZero = c();
  lastByteZero.blocks[0]!.data[lastByteZero.blocks[0]!.codedSizes![0]! - 1] = 0;
  await writeError(
    "segment_last_byte_zero",
    await build(lastByteZero),
    corrupt("Segment", "segment 0 does not end in a non-zero byte"),
  );
  const flipped = c();
  flipped.blocks[0]!.data[7]! ^= 0x20;
  await writeError(
    "coded_byte_changed",
    await build(flipped),
    corrupt("Block_Checksum", "Cannot decode block 0: checksum mismatch"),
  );
  await writeError(
    "block_checksum_mismatch",
    await withBlock(s(), 2, { checksum: s().blocks[2]!.checksum! ^ 0x8000n }),
    corrupt("Block_Checksum", "Cannot decode block 2: checksum mismatch"),
  );
  await writeError(
    "truncated_in_block_data",
    cm.slice(0, 200),
    corrupt("Block_Data", "truncated"),
  );
  await writeError(
    "truncated_in_footer",
    stored.slice(0, stored.length - 3),
    corrupt("Content_Checksum", "truncated"),
  );
  await writeError(
    "content_size_mismatch",
    await build({ ...s(), footer: { ...s().footer, contentSize: 299n } }),
    corrupt("Content_Size", "Content_Size 299 does not match the blocks' total 300"),
  );
  await writeError(
    "content_checksum_mismatch",
    await build({
      ...s(),
      footer: { ...s().footer, contentChecksum: s().footer.contentChecksum! ^ 1n },
    }),
    corrupt("Content_Checksum", "content checksum mismatch"),
  );
  await writeError(
    "trailing_bytes",
    new Uint8Array([...stored, 0x00]),
    corrupt("End_Of_Archive", "trailing bytes"),
  );
  await Deno.writeTextFile(
    new URL("errors/EXPECTED.json", HERE),
    JSON.stringify(errors, null, 2) + "\n",
  );
  console.log(
    `wrote ${Object.keys(ok).length} ok and ${Object.keys(errors).length} error archives`,
  );
}

if (import.meta.main) await main();
