import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { LEVELS } from "./configs.ts";
import { readModelFile } from "./model_file_read.ts";
import { writeModelFile } from "./model_file_write.ts";
import { randomModel } from "./_test_util.ts";

const tiny = LEVELS.tiny;
const tinyhash = LEVELS.tinyhash;

/** Lower-case hex SHA-256 of `bytes`. */
function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

Deno.test("writeModelFile() writes the same bytes for the same model and dtype", () => {
  for (const dtype of ["float32", "float16", "int8"] as const) {
    const a = writeModelFile(randomModel(tiny, 1), { dtype });
    const b = writeModelFile(randomModel(tiny, 1), { dtype });
    assert.deepEqual(a, b, dtype);
  }
  assert.notDeepEqual(writeModelFile(randomModel(tiny, 1)), writeModelFile(randomModel(tiny, 2)));
});

Deno.test("writeModelFile() lays out magic, version, aligned tensors and the SHA-256 checksum of FORMAT.md", () => {
  const bytes = writeModelFile(randomModel(tiny, 1), { dtype: "float32" });
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x4d, 0x47, 0x42, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert.equal(view.getUint16(8, true), 1); // Format_Version
  assert.equal(view.getUint16(10, true), 0); // Flags
  const headerSize = view.getUint32(12, true);
  assert.deepEqual(
    Array.from({ length: 9 }, (_, i) => view.getUint32(16 + 4 * i, true)),
    [4, 8, 2, 2, 16, 2, 2, 64, 4], // the tiny config, in Config order
  );
  // First tensor entry: after name (1 + 9), description, steps, bytes seen, bpb, count.
  const description = view.getUint16(16 + 36 + 10, true);
  let at = 16 + 36 + 10 + 2 + description + 24;
  assert.equal(view.getUint32(at, true), 34); // Tensor_Count of the tiny config
  at += 4;
  assert.equal(
    new TextDecoder().decode(bytes.subarray(at + 1, at + 1 + bytes[at])),
    "global.byte_emb",
  );
  at += 1 + bytes[at];
  assert.equal(bytes[at], 0); // float32
  assert.equal(bytes[at + 1], 2); // rank
  const firstOffset = Number(view.getBigUint64(at + 10, true));
  assert.equal(firstOffset, Math.ceil((16 + headerSize) / 64) * 64);
  assert.equal(Number(view.getBigUint64(at + 18, true)), 256 * 8 * 4);
  const end = bytes.length - 32;
  const digest = createHash("sha256").update(bytes.subarray(0, end)).digest();
  assert.deepEqual([...bytes.subarray(end)], [...digest]);
});

Deno.test("writeModelFile() stores rank-2 tensors in the dtype asked for, rank-1 ones as float32", () => {
  const model = randomModel(tiny, 3);
  const f32 = writeModelFile(model, { dtype: "float32" });
  const f16 = writeModelFile(model, { dtype: "float16" });
  const i8 = writeModelFile(model);
  assert.ok(f16.length < 0.56 * f32.length, `${f16.length} vs ${f32.length}`);
  assert.ok(i8.length < 0.33 * f32.length, `${i8.length} vs ${f32.length}`);
  const read = readModelFile(i8);
  assert.ok(read.tensors.get("global.h0.wqkv")!.quantized !== undefined); // default dtype: int8
  assert.equal(read.tensors.get("global.h0.ln1")!.quantized, undefined);
  assert.deepEqual(
    read.tensors.get("global.h0.ln1")!.data,
    model.tensors.get("global.h0.ln1")!.data,
  );
});

Deno.test("writeModelFile() of a read file gives the same bytes back, for every dtype", () => {
  for (const dtype of ["float32", "float16", "int8"] as const) {
    const bytes = writeModelFile(randomModel(tiny, 4), { dtype });
    assert.deepEqual(writeModelFile(readModelFile(bytes), { dtype }), bytes, dtype);
  }
});

Deno.test("writeModelFile() rejects missing, extra and misshapen tensors and non-finite values", () => {
  const missing = randomModel(tiny, 1);
  missing.tensors.delete("g2l.w");
  assert.throws(() => writeModelFile(missing), /tensor g2l\.w is missing/);
  const extra = randomModel(tiny, 1);
  extra.tensors.set("global.bias", { shape: [32], data: new Float32Array(32) });
  assert.throws(() => writeModelFile(extra), /unexpected tensor global\.bias/);
  const misshapen = randomModel(tiny, 1);
  misshapen.tensors.set("g2l.w", { shape: [16, 8], data: new Float32Array(128) });
  assert.throws(() => writeModelFile(misshapen), /g2l\.w has shape \[16,8\]/);
  const short = randomModel(tiny, 1);
  short.tensors.set("g2l.w", { shape: [8, 16], data: new Float32Array(100) });
  assert.throws(() => writeModelFile(short), TypeError);
  const nan = randomModel(tiny, 1);
  nan.tensors.get("local.head")!.data[5] = NaN;
  assert.throws(() => writeModelFile(nan), /local\.head holds NaN at index 5/);
});

Deno.test("writeModelFile() rejects bad names, metadata, configs and dtypes", () => {
  const model = randomModel(tiny, 1);
  assert.throws(() => writeModelFile({ ...model, name: "" }), RangeError);
  assert.throws(() => writeModelFile({ ...model, name: "x".repeat(256) }), RangeError);
  assert.throws(
    () => writeModelFile({ ...model, metadata: { ...model.metadata, steps: -1 } }),
    RangeError,
  );
  assert.throws(
    () => writeModelFile({ ...model, metadata: { ...model.metadata, bytesSeen: 2 ** 53 } }),
    RangeError,
  );
  assert.throws(
    () => writeModelFile({ ...model, metadata: { ...model.metadata, validBpb: Infinity } }),
    RangeError,
  );
  assert.throws(
    () => writeModelFile({ ...model, metadata: { ...model.metadata, data: "x".repeat(65536) } }),
    RangeError,
  );
  assert.throws(() => writeModelFile({ ...model, config: { ...tiny, context: 63 } }), RangeError);
  assert.throws(() => writeModelFile(model, { dtype: "bfloat16" as "int8" }), TypeError);
});

Deno.test("writeModelFile() writes version 2 with eleven config fields and the tables after local.pad", () => {
  const bytes = writeModelFile(randomModel(tinyhash, 1), { dtype: "float32" });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert.equal(view.getUint16(8, true), 2); // Format_Version
  assert.deepEqual(
    Array.from({ length: 11 }, (_, i) => view.getUint32(16 + 4 * i, true)),
    [4, 8, 2, 2, 16, 2, 2, 64, 4, 2, 64], // tinyhash, then Hash_Orders and Hash_Rows
  );
  const v1Header = new DataView(writeModelFile(randomModel(tiny, 1)).buffer).getUint32(12, true);
  const entries = 2 * (1 + "local.ngram2_emb".length + 1 + 1 + 8 + 16);
  assert.equal(view.getUint32(12, true), v1Header + 8 + entries); // Header_Size
  const description = view.getUint16(16 + 44 + 10, true);
  let at = 16 + 44 + 10 + 2 + description + 24;
  assert.equal(view.getUint32(at, true), 36); // Tensor_Count: tiny's 34 and two tables
  at += 4;
  const names: string[] = [];
  for (let i = 0; i < 36; i++) {
    names.push(new TextDecoder().decode(bytes.subarray(at + 1, at + 1 + bytes[at])));
    at += 1 + bytes[at];
    const rank = bytes[at + 1];
    if (names[i].startsWith("local.ngram")) {
      assert.deepEqual([rank, view.getUint32(at + 2, true), view.getUint32(at + 6, true)], [
        2,
        64,
        16,
      ]);
    }
    at += 2 + 4 * rank + 16;
  }
  const pad = names.indexOf("local.pad");
  assert.deepEqual(names.slice(pad, pad + 4), [
    "local.pad",
    "local.ngram2_emb",
    "local.ngram3_emb",
    "local.h0.ln1",
  ]);
});

Deno.test("writeModelFile() writes version 1, byte for byte, for a model without tables", () => {
  const model = randomModel(tiny, 7);
  const bytes = writeModelFile(model);
  assert.equal(new DataView(bytes.buffer).getUint16(8, true), 1);
  // hashOrders 0 and hashRows 0 mean no tables, as absent fields do.
  const zeros = { ...model, config: { ...tiny, hashOrders: 0, hashRows: 0 } };
  assert.deepEqual(writeModelFile(zeros), bytes);
});

Deno.test("writeModelFile() rewrites the committed models, version 1 and 4, with their bytes", async () => {
  // tiny.mgb is version 1 (no tables), the shipped default.mgb version 4 (local4hashmatch).
  for (
    const [path, version] of [
      ["../../models/default.mgb", 4],
      ["../../tests/fixtures/tiny.mgb", 1],
    ] as const
  ) {
    const bytes = await Deno.readFile(new URL(path, import.meta.url));
    assert.equal(bytes[8] | (bytes[9] << 8), version, path); // Format_Version, u16 LE at offset 8
    const again = writeModelFile(readModelFile(bytes), { dtype: "int8" });
    assert.equal(again.length, bytes.length, path);
    assert.equal(sha256Hex(again), sha256Hex(bytes), path);
  }
});

Deno.test("writeModelFile() of a read version-2 file gives the same bytes back, for every dtype", () => {
  for (const dtype of ["float32", "float16", "int8"] as const) {
    const bytes = writeModelFile(randomModel(tinyhash, 4), { dtype });
    assert.deepEqual(writeModelFile(readModelFile(bytes), { dtype }), bytes, dtype);
  }
});

Deno.test("writeModelFile() rejects tables missing from, or left over in, the config", () => {
  const withoutTables = { ...randomModel(tiny, 1), config: tinyhash };
  assert.throws(() => writeModelFile(withoutTables), /tensor local\.ngram2_emb is missing/);
  const leftOver = { ...randomModel(tinyhash, 1), config: tiny };
  assert.throws(() => writeModelFile(leftOver), /unexpected tensor local\.ngram2_emb/);
  const badRows = { ...randomModel(tinyhash, 1), config: { ...tinyhash, hashRows: 48 } };
  assert.throws(() => writeModelFile(badRows), /hashRows must be a power of two/);
});
