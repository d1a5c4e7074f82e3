import assert from "node:assert/strict";
import { LEVELS } from "./configs.ts";
import { readModelFile } from "./model_file_read.ts";
import { writeModelFile } from "./model_file_write.ts";
import { randomModel, rejects, reseal } from "./_test_util.ts";

// Version 3 (lib/model/FORMAT.md): the hashed n-gram tables stored as int4.
const tinyhash = LEVELS.tinyhash; // two tables, (64, 16) each

/** The byte offsets of tensor `name`'s Dtype field and of its data, from the table. */
function entryOf(bytes: Uint8Array, name: string): { dtypeAt: number; dataAt: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  let at = 16 + 44; // preamble and the eleven config fields
  at += 1 + bytes[at]; // Model_Name
  at += 2 + view.getUint16(at, true) + 24; // Data_Description, Steps, Bytes_Seen, Valid_Bpb
  const count = view.getUint32(at, true);
  at += 4;
  for (let i = 0; i < count; i++) {
    const n = new TextDecoder().decode(bytes.subarray(at + 1, at + 1 + bytes[at]));
    const dtypeAt = at + 1 + bytes[at];
    const rank = bytes[dtypeAt + 1];
    const offsetAt = dtypeAt + 2 + 4 * rank;
    if (n === name) return { dtypeAt, dataAt: Number(view.getBigUint64(offsetAt, true)) };
    at = offsetAt + 16;
  }
  throw new Error(`no tensor ${name}`);
}

Deno.test("writeModelFile() stores the tables as int4 in a version-3 file, the rest as asked", () => {
  const model = randomModel(tinyhash, 7);
  const v2 = writeModelFile(model);
  const v3 = writeModelFile(model, { tableDtype: "int4" });
  assert.equal(new DataView(v3.buffer).getUint16(8, true), 3);
  for (const name of ["local.ngram2_emb", "local.ngram3_emb"]) {
    assert.equal(v3[entryOf(v3, name).dtypeAt], 3, name); // int4
    assert.equal(v2[entryOf(v2, name).dtypeAt], 2, name); // int8
  }
  assert.equal(v3[entryOf(v3, "local.byte_emb").dtypeAt], 2); // other matrices stay int8
  // Each table: 16 scales and 64·16 values, half a byte each, instead of one.
  assert.equal(v2.length - v3.length, 2 * (64 * 16) / 2);
  // Matrices other than the tables in float32, the tables in int4.
  const mixed = readModelFile(writeModelFile(model, { dtype: "float32", tableDtype: "int4" }));
  assert.equal(mixed.tensors.get("local.byte_emb")!.quantized, undefined);
  assert.ok(mixed.tensors.get("local.ngram2_emb")!.quantized !== undefined);
});

Deno.test("readModelFile() of a version-3 file gives the int4 levels and their float32 values", () => {
  const model = randomModel(tinyhash, 8);
  const read = readModelFile(writeModelFile(model, { tableDtype: "int4" }));
  assert.deepEqual(read.config, tinyhash);
  for (const name of ["local.ngram2_emb", "local.ngram3_emb"]) {
    const t = model.tensors.get(name)!;
    const { values, scales } = read.tensors.get(name)!.quantized!;
    assert.ok(values.every((v) => v >= -7 && v <= 7), name);
    assert.ok(values.some((v) => v === 7 || v === -7), name);
    const data = read.tensors.get(name)!.data;
    let error = 0;
    for (let i = 0; i < data.length; i++) {
      assert.equal(data[i], Math.fround(values[i] * scales[i % 16]), `${name}[${i}]`);
      error += (data[i] - t.data[i]) ** 2;
    }
    // Near the 15 levels of a uniform spread: rms error under a third of a step of max/7.
    const max = t.data.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    assert.ok(Math.sqrt(error / data.length) < max / 7 / 3, name);
  }
});

Deno.test("writeModelFile() of a read version-3 file gives the same bytes back", () => {
  const bytes = writeModelFile(randomModel(tinyhash, 9), { tableDtype: "int4" });
  const again = writeModelFile(readModelFile(bytes), { tableDtype: "int4" });
  assert.deepEqual(again, bytes);
  // Written as int8 it keeps the same values: a version-2 file of the same function.
  const v2 = readModelFile(writeModelFile(readModelFile(bytes)));
  const v3 = readModelFile(bytes);
  for (const name of ["local.ngram2_emb", "local.ngram3_emb"]) {
    assert.deepEqual(v2.tensors.get(name)!.data, v3.tensors.get(name)!.data, name);
  }
});

Deno.test("writeModelFile() refuses int4 for anything but the tables", () => {
  assert.throws(
    () => writeModelFile(randomModel(tinyhash, 1), { dtype: "int4" }),
    /int4 stores only the hashed n-gram tables/,
  );
  assert.throws(
    () => writeModelFile(randomModel(tinyhash, 1), { tableDtype: "int3" as "int4" }),
    /unknown dtype "int3"/,
  );
});

Deno.test("readModelFile() rejects int4 outside a version-3 table, -8, a bad scale, and a version 3 without it", () => {
  const v3 = writeModelFile(randomModel(tinyhash, 10), { tableDtype: "int4" });
  assert.ok(readModelFile(v3));
  const table = entryOf(v3, "local.ngram2_emb");
  // Another tensor marked int4 (its size then mismatches too, but the dtype is checked first).
  const other = v3.slice();
  other[entryOf(v3, "local.byte_emb").dtypeAt] = 3;
  rejects(reseal(other), "Dtype", /int4 dtype for local\.byte_emb, which is not a hashed/);
  // The same table in a version-2 file.
  const v2 = v3.slice();
  new DataView(v2.buffer).setUint16(8, 2, true);
  rejects(reseal(v2), "Dtype", /int4 dtype for local\.ngram2_emb in a version-2 file/);
  // A version-3 file whose tables are int8.
  const int8 = writeModelFile(randomModel(tinyhash, 10));
  new DataView(int8.buffer).setUint16(8, 3, true);
  rejects(reseal(int8), "Format_Version", /version-3 file without an int4 table/);
  // The nibble 1000 (−8), in the high half of the table's fifth byte of values.
  const minus8 = v3.slice();
  const at = table.dataAt + 4 * 16 + 4;
  minus8[at] = (minus8[at] & 0x0f) | 0x80;
  rejects(reseal(minus8), "Tensor_Data of local.ngram2_emb", /int4 value -8/);
  const scale = v3.slice();
  new DataView(scale.buffer).setFloat32(table.dataAt + 8, Infinity, true);
  rejects(reseal(scale), "Tensor_Data of local.ngram2_emb", /scale/);
  // A version the reader does not know.
  const v5 = v3.slice();
  new DataView(v5.buffer).setUint16(8, 5, true);
  rejects(reseal(v5), "Format_Version", /unsupported version 5 \(this reader knows 1 to 4\)/);
});

Deno.test("readModelFile() reports each file's version, size and dtypes in storage", () => {
  const model = randomModel(tinyhash, 8);
  const cases = [
    { options: { dtype: "float32" as const }, version: 2, table: "float32", matrix: "float32" },
    { options: { dtype: "int8" as const }, version: 2, table: "int8", matrix: "int8" },
    { options: { tableDtype: "int4" as const }, version: 3, table: "int4", matrix: "int8" },
  ];
  for (const { options, version, table, matrix } of cases) {
    const bytes = writeModelFile(model, options);
    const { storage } = readModelFile(bytes);
    assert.ok(storage !== undefined);
    assert.equal(storage.formatVersion, version, table);
    assert.equal(storage.fileSize, bytes.length, table);
    assert.deepEqual([...storage.dtypes.keys()], [...model.tensors.keys()], table);
    assert.equal(storage.dtypes.get("local.ngram2_emb"), table);
    assert.equal(storage.dtypes.get("local.byte_emb"), matrix);
    // Norm gains are rank 1: never int8 or int4.
    const gains = [...storage.dtypes].filter(([name]) => /ln|norm/.test(name));
    assert.ok(gains.length > 0 && gains.every(([, d]) => d === "float32"), table);
  }
  const plain = readModelFile(writeModelFile(randomModel(LEVELS.tiny, 8))).storage!;
  assert.equal(plain.formatVersion, 1);
});
