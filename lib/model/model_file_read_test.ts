import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { dequantizeInt8 } from "./_format.ts";
import { LEVELS } from "./configs.ts";
import { loadModel, ModelFileError, readAtMost, readModelFile } from "./model_file_read.ts";
import { writeModelFile } from "./model_file_write.ts";
import { randomModel } from "./_test_util.ts";

const tiny = LEVELS.tiny;
const tinyhash = LEVELS.tinyhash;
const NAME_AT = 52; // Model_Name: after the 16-byte preamble and the 36-byte config
const DESCRIPTION_AT = NAME_AT + 1 + "tiny-test".length;
const STEPS_AT = DESCRIPTION_AT + 2 + "random weights for tests".length;
const BPB_AT = STEPS_AT + 16;
const FIRST_ENTRY_AT = BPB_AT + 8 + 4;
// Version 2: Hash_Orders and Hash_Rows follow the nine fields, moving the rest by 8 bytes.
const HASH_ORDERS_AT = 16 + 36;
const HASH_ROWS_AT = HASH_ORDERS_AT + 4;
const V2_COUNT_AT = FIRST_ENTRY_AT + 8 - 4;

/** Recomputes the content checksum after an edit, so the reader gets past it. */
function reseal(bytes: Uint8Array): Uint8Array {
  const end = bytes.length - 32;
  bytes.set(createHash("sha256").update(bytes.subarray(0, end)).digest(), end);
  return bytes;
}

/** Asserts that the reader rejects `bytes` with a ModelFileError naming `field`. */
function rejects(bytes: Uint8Array, field: string, message?: RegExp): void {
  assert.throws(
    () => readModelFile(bytes),
    (error: unknown) => {
      assert.ok(error instanceof ModelFileError, `not a ModelFileError: ${error}`);
      assert.equal(error.field, field, error.message);
      if (message) assert.match(error.message, message);
      assert.ok(!error.message.includes("\n"), "one line");
      return true;
    },
  );
}

Deno.test("readModelFile() round-trips every field of a float32 file exactly", () => {
  const model = randomModel(tiny, 1);
  const bytes = writeModelFile(model, { dtype: "float32" });
  const read = readModelFile(bytes);
  assert.equal(read.name, model.name);
  assert.deepEqual(read.config, tiny);
  assert.deepEqual(read.metadata, model.metadata);
  assert.deepEqual([...read.tensors.keys()], [...model.tensors.keys()]);
  for (const [name, t] of model.tensors) {
    assert.deepEqual(read.tensors.get(name)!.shape, t.shape, name);
    assert.deepEqual(read.tensors.get(name)!.data, t.data, name);
  }
  assert.deepEqual([...read.hash], [...createHash("sha256").update(bytes).digest()]);
});

Deno.test("readModelFile() keeps an unmeasured validBpb as NaN and large step counts exactly", () => {
  const model = randomModel(tiny, 1);
  model.metadata = { data: "λ ünïcode", steps: 2 ** 53 - 1, bytesSeen: 0, validBpb: NaN };
  const read = readModelFile(writeModelFile(model));
  assert.ok(Number.isNaN(read.metadata.validBpb));
  assert.equal(read.metadata.steps, 2 ** 53 - 1);
  assert.equal(read.metadata.data, "λ ünïcode");
});

Deno.test("readModelFile() of float16 and int8 files returns values within their rounding", () => {
  const model = randomModel(tiny, 2);
  const f16 = readModelFile(writeModelFile(model, { dtype: "float16" }));
  const i8 = readModelFile(writeModelFile(model, { dtype: "int8" }));
  for (const [name, t] of model.tensors) {
    const a = f16.tensors.get(name)!.data;
    const b = i8.tensors.get(name)!;
    const cols = t.shape[t.shape.length - 1];
    for (let i = 0; i < t.data.length; i++) {
      assert.ok(
        Math.abs(a[i] - t.data[i]) <= Math.abs(t.data[i]) * 2 ** -11 + 2 ** -25,
        `${name}[${i}] f16`,
      );
      const bound = t.shape.length === 2 ? b.quantized!.scales[i % cols] / 2 + 1e-9 : 0;
      assert.ok(Math.abs(b.data[i] - t.data[i]) <= bound, `${name}[${i}] int8`);
    }
  }
});

Deno.test("readModelFile() computes an int8 tensor's float32 data on first read and keeps it", () => {
  const read = readModelFile(writeModelFile(randomModel(tinyhash, 4), { dtype: "int8" }));
  let int8 = 0;
  for (const [name, t] of read.tensors) {
    const descriptor = Object.getOwnPropertyDescriptor(t, "data")!;
    if (!t.quantized) {
      assert.ok(descriptor.value instanceof Float32Array, name);
      continue;
    }
    int8++;
    // An own enumerable accessor: spreads, structured clones and deepEqual still read it.
    assert.equal(typeof descriptor.get, "function", name);
    assert.ok(descriptor.enumerable, name);
    const data = t.data;
    assert.deepEqual(data, dequantizeInt8(t.quantized.values, t.quantized.scales), name);
    assert.equal(t.data, data, `${name}: kept, not computed again`);
    assert.deepEqual({ ...t }.data, data, name);
    assert.deepEqual(structuredClone(t).data, data, name);
  }
  assert.ok(int8 > 0);
});

Deno.test("readModelFile() reads a file held in the middle of a larger buffer", () => {
  const bytes = writeModelFile(randomModel(tiny, 3), { dtype: "int8" });
  const big = new Uint8Array(bytes.length + 13);
  big.set(bytes, 5);
  const read = readModelFile(big.subarray(5, 5 + bytes.length));
  assert.deepEqual(read.tensors, readModelFile(bytes).tensors);
});

Deno.test("readModelFile() gives different models different hashes", () => {
  const a = readModelFile(writeModelFile(randomModel(tiny, 1)));
  const b = readModelFile(writeModelFile({ ...randomModel(tiny, 1), name: "other" }));
  assert.notDeepEqual(a.hash, b.hash);
});

Deno.test("readModelFile() rejects a bad magic number, version, flags and header size", () => {
  const good = writeModelFile(randomModel(tiny, 1));
  rejects(
    new TextEncoder().encode("PK\x03\x04 not a model"),
    "Magic_Number",
    /not a \.mgb model file/,
  );
  rejects(new Uint8Array(0), "Magic_Number");
  const version = good.slice();
  version[8] = 5;
  rejects(version, "Format_Version", /unsupported version 5/);
  const zero = good.slice();
  zero[8] = 0;
  rejects(zero, "Format_Version", /unsupported version 0/);
  const flags = good.slice();
  flags[11] = 0x80;
  rejects(flags, "Flags");
  const small = good.slice();
  new DataView(small.buffer).setUint32(12, 10, true);
  rejects(small, "Header_Size");
  const huge = good.slice();
  new DataView(huge.buffer).setUint32(12, 0xffffffff, true);
  rejects(huge, "Header_Size");
});

Deno.test("readModelFile() rejects every truncation and trailing bytes", () => {
  const good = writeModelFile(randomModel(tiny, 1), { dtype: "float16" });
  for (const n of [7, 8, 15, 16, 40, 100, 400, 1000, good.length - 33, good.length - 1]) {
    assert.throws(() => readModelFile(good.subarray(0, n)), ModelFileError, `length ${n}`);
  }
  rejects(good.subarray(0, good.length - 1), "Tensor_Data", /truncated/);
  const longer = new Uint8Array(good.length + 1);
  longer.set(good);
  rejects(longer, "Content_Checksum", /1 bytes after the checksum/);
});

Deno.test("readModelFile() rejects a corrupted byte anywhere by the checksum", () => {
  const good = writeModelFile(randomModel(tiny, 1));
  for (const at of [good.length - 40, good.length - 2000, good.length - 1]) {
    const bad = good.slice();
    bad[at] ^= 0x10;
    rejects(bad, "Content_Checksum", /checksum mismatch/);
  }
});

Deno.test("readModelFile() rejects non-zero padding before the checksum is even computed", () => {
  const good = writeModelFile(randomModel(tiny, 1));
  const headerEnd = 16 + new DataView(good.buffer).getUint32(12, true);
  if (headerEnd % 64 === 0) throw new Error("test needs padding after the header");
  const bad = good.slice();
  bad[headerEnd] = 1;
  rejects(bad, "Padding");
});

Deno.test("readModelFile() rejects a config that breaks an invariant or needs other tensors", () => {
  const good = writeModelFile(randomModel(tiny, 1));
  const context = good.slice();
  new DataView(context.buffer).setUint32(16 + 7 * 4, 63, true); // context not a multiple of P
  rejects(reseal(context), "Config", /multiple of patchSize/);
  const layers = good.slice();
  new DataView(layers.buffer).setUint32(16 + 2 * 4, 1 << 24, true); // globalLayers
  rejects(reseal(layers), "Tensor_Count");
  const width = good.slice();
  new DataView(width.buffer).setUint32(16 + 4 * 4, 32, true); // localDim 32: other shapes
  rejects(reseal(width), "Dims");
});

Deno.test("readModelFile() rejects bad strings, metadata and tensor entries", () => {
  const good = writeModelFile(randomModel(tiny, 1));
  const utf8 = good.slice();
  utf8[NAME_AT + 1] = 0xff;
  rejects(reseal(utf8), "Model_Name", /invalid UTF-8/);
  const empty = good.slice();
  empty[NAME_AT] = 0; // the name's bytes now run into the following fields
  assert.throws(() => readModelFile(reseal(empty)), ModelFileError);
  const steps = good.slice();
  new DataView(steps.buffer).setBigUint64(STEPS_AT, 2n ** 60n, true);
  rejects(reseal(steps), "Steps", /exceeds 2\^53 - 1/);
  const bpb = good.slice();
  new DataView(bpb.buffer).setFloat64(BPB_AT, -1, true);
  rejects(reseal(bpb), "Valid_Bpb");
  const name = good.slice();
  name[FIRST_ENTRY_AT + 1] = "G".charCodeAt(0); // "Global.byte_emb"
  rejects(reseal(name), "Tensor_Name", /where global\.byte_emb belongs/);
  const dtypeAt = FIRST_ENTRY_AT + 1 + "global.byte_emb".length;
  const reserved = good.slice();
  reserved[dtypeAt] = 4;
  rejects(reseal(reserved), "Dtype", /reserved dtype 4/);
  const offset = good.slice();
  const view = new DataView(offset.buffer);
  view.setBigUint64(dtypeAt + 10, view.getBigUint64(dtypeAt + 10, true) + 64n, true);
  rejects(reseal(offset), "Data_Offset");
  const size = good.slice();
  new DataView(size.buffer).setBigUint64(dtypeAt + 18, 1n, true);
  rejects(reseal(size), "Data_Size");
});

Deno.test("readModelFile() rejects int8 on a rank-1 tensor, -128, bad scales and non-finite floats", () => {
  const i8 = writeModelFile(randomModel(tiny, 1), { dtype: "int8" });
  const table = readModelFile(i8);
  assert.ok(table.tensors.get("global.pad")!.data.length > 0);
  // The third entry is global.pad (rank 1, float32): mark it int8.
  let at = FIRST_ENTRY_AT;
  for (let i = 0; i < 2; i++) at += 1 + i8[at] + 2 + 4 * i8[at + i8[at] + 2] + 16;
  assert.equal(new TextDecoder().decode(i8.subarray(at + 1, at + 1 + i8[at])), "global.pad");
  const rank1 = i8.slice();
  rank1[at + 1 + i8[at]] = 2;
  rejects(reseal(rank1), "Dtype", /int8 dtype on rank-1/);
  // global.byte_emb is int8: its data starts with 8 scales, then 256×8 values.
  const dataAt = Number(
    new DataView(i8.buffer).getBigUint64(FIRST_ENTRY_AT + 1 + 15 + 2 + 8, true),
  );
  const minus128 = i8.slice();
  minus128[dataAt + 32 + 5] = 0x80;
  rejects(reseal(minus128), "Tensor_Data of global.byte_emb", /-128/);
  const scale = i8.slice();
  new DataView(scale.buffer).setFloat32(dataAt + 4, -1, true);
  rejects(reseal(scale), "Tensor_Data of global.byte_emb", /scale/);
  const f32 = writeModelFile(randomModel(tiny, 1), { dtype: "float32" });
  const nan = f32.slice();
  new DataView(nan.buffer).setFloat32(dataAt + 12, NaN, true);
  rejects(reseal(nan), "Tensor_Data of global.byte_emb", /non-finite/);
  const f16 = writeModelFile(randomModel(tiny, 1), { dtype: "float16" });
  const inf = f16.slice();
  new DataView(inf.buffer).setUint16(dataAt + 6, 0x7c00, true);
  rejects(reseal(inf), "Tensor_Data of global.byte_emb", /non-finite/);
});

Deno.test("loadModel() reads a file from disk with the same identity as its bytes", async () => {
  const bytes = writeModelFile(randomModel(tiny, 5));
  const path = await Deno.makeTempFile({ suffix: ".mgb" });
  try {
    await Deno.writeFile(path, bytes);
    const model = await loadModel(path);
    assert.deepEqual(model.hash, readModelFile(bytes).hash);
    const fromUrl = await loadModel(new URL(`file://${path}`));
    assert.deepEqual(fromUrl.hash, model.hash);
  } finally {
    await Deno.remove(path);
  }
  await assert.rejects(() => loadModel(`${path}.missing`), Deno.errors.NotFound);
});

Deno.test("readModelFile() and loadModel() throw a TypeError for arguments of the wrong type", async () => {
  // A string or plain array failed in a DataView ("First argument to DataView constructor must
  // be an ArrayBuffer"); a number as a path was read as the path "".
  const typeError = (message: RegExp) => ({ name: "TypeError", message });
  // @ts-expect-error: not bytes
  assert.throws(() => readModelFile("MEGAZIPM"), typeError(/expected its bytes/));
  // @ts-expect-error: not bytes
  assert.throws(() => readModelFile([77, 69]), typeError(/expected its bytes/));
  // @ts-expect-error: not a path
  await assert.rejects(() => loadModel(5), typeError(/expected a path or a file URL/));
  await assert.rejects(() => loadModel(Deno.cwd()), Deno.errors.IsADirectory);
});

Deno.test("readModelFile() round-trips a model with hashed n-gram tables (version 2) in every dtype", () => {
  const model = randomModel(tinyhash, 6);
  for (const dtype of ["float32", "float16", "int8"] as const) {
    const bytes = writeModelFile(model, { dtype });
    assert.equal(new DataView(bytes.buffer).getUint16(8, true), 2, dtype);
    const read = readModelFile(bytes);
    assert.deepEqual(read.config, tinyhash, dtype);
    assert.deepEqual([...read.tensors.keys()], [...model.tensors.keys()], dtype);
    assert.deepEqual(read.metadata, model.metadata, dtype);
    for (const name of ["local.ngram2_emb", "local.ngram3_emb"]) {
      const t = model.tensors.get(name)!;
      const r = read.tensors.get(name)!;
      assert.deepEqual(r.shape, [64, 16], name);
      assert.equal(r.quantized !== undefined, dtype === "int8", `${dtype} ${name}`);
      for (let i = 0; i < t.data.length; i++) {
        const bound = dtype === "float32"
          ? 0
          : dtype === "float16"
          ? Math.abs(t.data[i]) * 2 ** -11 + 2 ** -25
          : r.quantized!.scales[i % 16] / 2 + 1e-9;
        assert.ok(Math.abs(r.data[i] - t.data[i]) <= bound, `${dtype} ${name}[${i}]`);
      }
    }
  }
});

Deno.test("readModelFile() leaves the hash fields absent in a version-1 file's config", () => {
  const read = readModelFile(writeModelFile(randomModel(tiny, 1)));
  assert.ok(!("hashOrders" in read.config) && !("hashRows" in read.config));
  assert.deepEqual(read.config, tiny);
});

Deno.test("readModelFile() rejects a version-2 config without tables, with too many or bad rows", () => {
  const good = writeModelFile(randomModel(tinyhash, 1));
  assert.equal(readModelFile(good).config.hashOrders, 2);
  const set = (at: number, v: number) => {
    const bad = good.slice();
    new DataView(bad.buffer).setUint32(at, v, true);
    return reseal(bad);
  };
  rejects(set(HASH_ORDERS_AT, 0), "Config", /hashOrders must be in 1\.\.8 in version 2, got 0/);
  const noRows = set(HASH_ORDERS_AT, 0);
  new DataView(noRows.buffer).setUint32(HASH_ROWS_AT, 0, true);
  rejects(reseal(noRows), "Config", /hashOrders/); // H = 0, rows = 0: a version-1 model
  rejects(set(HASH_ORDERS_AT, 9), "Config", /hashOrders must be in 1\.\.8 in version 2, got 9/);
  rejects(set(HASH_ROWS_AT, 63), "Config", /hashRows must be a power of two/);
  rejects(set(HASH_ROWS_AT, 0), "Config", /hashRows/);
  rejects(set(HASH_ROWS_AT, 1), "Config", /hashRows/);
  rejects(set(HASH_ROWS_AT, 2 ** 25), "Config", /hashRows/);
  assert.throws(() => readModelFile(set(HASH_ROWS_AT, 63)), (e: ModelFileError) => {
    assert.equal(e.offset, HASH_ROWS_AT);
    return true;
  });
});

Deno.test("readModelFile() rejects a version-2 tensor table that does not match its tables", () => {
  const good = writeModelFile(randomModel(tinyhash, 1));
  const view = new DataView(good.buffer);
  assert.equal(view.getUint32(V2_COUNT_AT, true), 36);
  const orders = good.slice();
  new DataView(orders.buffer).setUint32(HASH_ORDERS_AT, 3, true); // would need local.ngram4_emb
  rejects(reseal(orders), "Tensor_Count", /36 tensors, the config needs 37/);
  const count = good.slice();
  new DataView(count.buffer).setUint32(V2_COUNT_AT, 34, true); // a version-1 tiny table
  rejects(reseal(count), "Tensor_Count", /34 tensors, the config needs 36/);
  const rows = good.slice();
  new DataView(rows.buffer).setUint32(HASH_ROWS_AT, 128, true); // tables stored with 64 rows
  rejects(
    reseal(rows),
    "Dims",
    /local\.ngram2_emb has shape \[64,16\], the config needs \[128,16\]/,
  );
  // The tensors in version 1 order under a version-2 header: each table must follow local.pad.
  const v1 = writeModelFile(randomModel(tiny, 1));
  const relabeled = new Uint8Array(v1.length + 8);
  relabeled.set(v1.subarray(0, 16 + 36));
  relabeled.set(v1.subarray(16 + 36), 16 + 44);
  const r = new DataView(relabeled.buffer);
  r.setUint16(8, 2, true);
  r.setUint32(12, r.getUint32(12, true) + 8, true);
  r.setUint32(HASH_ORDERS_AT, 2, true);
  r.setUint32(HASH_ROWS_AT, 64, true);
  r.setUint32(V2_COUNT_AT, 36, true);
  rejects(relabeled, "Tensor_Name", /where local\.ngram2_emb belongs/);
});

Deno.test("readModelFile() holds a version-2 header to its own minimum size", () => {
  const good = writeModelFile(randomModel(tinyhash, 1));
  const small = good.slice();
  new DataView(small.buffer).setUint32(12, 68, true); // version 1's minimum, 8 short of version 2's
  rejects(small, "Header_Size", /header size 68 is out of range/);
});

Deno.test({
  name: "loadModel() reads a device to its end, and never past the size limit",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    // /dev/zero never ends and says size 0: it was read until memory ran out.
    await assert.rejects(() => readAtMost("/dev/zero", 100_000), ModelFileError);
    await assert.rejects(() => loadModel("/dev/null"), ModelFileError);
    const path = await Deno.makeTempFile();
    try {
      const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => i % 251);
      await Deno.writeFile(path, bytes);
      assert.deepEqual(await readAtMost(path, 70_000), bytes);
      await assert.rejects(() => readAtMost(path, 69_999), ModelFileError);
    } finally {
      await Deno.remove(path);
    }
  },
});

Deno.test("readModelFile() keeps a Model_Name that starts with a byte-order mark as written", () => {
  const model = { ...randomModel(tiny, 1), name: "\uFEFFbom-model" };
  assert.equal(readModelFile(writeModelFile(model)).name, "\uFEFFbom-model");
});
