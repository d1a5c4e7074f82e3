import assert from "node:assert/strict";
import { readModelFile } from "../model/model_file_read.ts";
import { writeModelFile } from "../model/model_file_write.ts";
import type { ModelFile } from "../model/model_file_types.ts";
import { randomModel, Rng, SMALL_CONFIG } from "../../tests/engine/_random_model.ts";
import { LEVELS } from "../model/configs.ts";
import { createEngine } from "./engine.ts";
import {
  addNgramRow,
  int8Matrix,
  prepareModel,
  quantizeMatrix,
  quantLevels,
} from "./prepared_model.ts";
import { referenceTables } from "./reference.ts";

Deno.test("quantLevels() keeps k·qa·qw within int32 and both ranges within int16", () => {
  for (const k of [1, 2, 3, 64, 80, 127, 128, 320, 512, 2048, 4096, 65536, 1 << 20]) {
    const { qw, qa } = quantLevels(k);
    assert.ok(k * qa * qw <= 2 ** 31 - 1, `k=${k}: ${k}·${qa}·${qw} overflows`);
    assert.ok(qw >= 1 && qw <= 32767 && qa >= 1 && qa <= 32767, `k=${k}`);
    assert.ok(k * (qa + 1) * qw > 2 ** 31 - 1 || qa === 32767, `k=${k}: qa could be larger`);
  }
  assert.throws(() => quantLevels(0), RangeError);
});

Deno.test("quantizeMatrix() maps each column's largest magnitude to ±qw and keeps zero columns zero", () => {
  const rng = new Rng(1);
  const k = 33, n = 9;
  const data = rng.floats(k * n);
  for (let i = 0; i < k; i++) data[i * n + 4] = 0;
  const m = quantizeMatrix(data, k, n);
  for (let j = 0; j < n; j++) {
    let max = 0;
    for (let i = 0; i < k; i++) max = Math.max(max, Math.abs(m.q[i * n + j]));
    assert.equal(max, j === 4 ? 0 : m.qw, `column ${j}`);
    for (let i = 0; i < k; i++) {
      const err = Math.abs(m.q[i * n + j] * m.scale[j] - data[i * n + j]);
      assert.ok(err <= m.scale[j] * 0.5 + 1e-6, `entry ${i},${j}: error ${err}`);
    }
  }
  assert.throws(() => quantizeMatrix(data, k, n + 1), RangeError);
});

Deno.test("int8Matrix() takes stored int8 weights as they are, with the column factor on the scales", () => {
  const values = new Int8Array([1, -127, 5, 64, 0, 127]);
  const scales = new Float32Array([0.25, 0.5, 0.125]);
  const m = int8Matrix(values, scales, 2, 3, (j) => (j === 0 ? 0.5 : 1))!;
  assert.equal(m.q, values); // the stored array, not a copy
  assert.deepEqual([...m.scale], [0.125, 0.5, 0.125]);
  assert.equal(int8Matrix(new Int8Array(1 << 18), new Float32Array(1), 1 << 18, 1), undefined);
});

for (const [label, config] of [["small", SMALL_CONFIG], ["tinyhash", LEVELS.tinyhash]] as const) {
  Deno.test(`prepareModel() uses an int8 model file's integers, and the engine stays exact on it (${label})`, () => {
    const model = randomModel(config, 2);
    const { hash: _hash, ...rest } = model;
    const stored = readModelFile(writeModelFile(rest, { dtype: "int8" }));
    const pm = prepareModel(stored);
    const w1 = stored.tensors.get("global.h1.w1")!.quantized!;
    assert.equal(pm.global[1].w1.q, w1.values); // shared: preparing copies no weights
    assert.deepEqual(pm.global[1].w1.scale, w1.scales);
    // n-gram tables: the stored integers and scales, not the reader's float32 values.
    pm.ngramEmb.forEach((table, j) => {
      const { values, scales } = stored.tensors.get(`local.ngram${j + 2}_emb`)!.quantized!;
      assert.equal(table.values, values);
      assert.equal(table.scales, scales);
    });
    assert.equal(pm.ngramEmb.length, config.hashOrders ?? 0);
    const bytes = new TextEncoder().encode(
      "an int8 model file, run exactly as it is stored".repeat(2),
    );
    const engine = createEngine(stored);
    assert.deepEqual(
      engine.predictSegment(bytes.subarray(0, 64)),
      referenceTables(pm, bytes.subarray(0, 64)),
    );
    engine.close();
  });
}

Deno.test("prepareModel() names the tensor that does not fit the config", () => {
  const model = randomModel(SMALL_CONFIG, 3);
  model.tensors.set("local.h0.w1", { shape: [16, 60], data: new Float32Array(960) });
  assert.throws(
    () => prepareModel(model),
    /tensor local.h0.w1 has shape \[16,60\], expected \[16,64\]/,
  );
  const extra = randomModel(SMALL_CONFIG, 3);
  extra.tensors.set("local.bias", { shape: [1], data: new Float32Array(1) });
  assert.throws(() => prepareModel(extra), /unexpected tensor local.bias/);
  // n-gram tables: as many as hashOrders, hashRows rows each, and none without hashOrders.
  const hashed = randomModel(LEVELS.tinyhash, 3);
  const table = hashed.tensors.get("local.ngram3_emb")!;
  assert.throws(
    () => prepareModel({ ...hashed, config: LEVELS.tiny }),
    /unexpected tensor local.ngram2_emb/,
  );
  hashed.tensors.delete("local.ngram3_emb");
  assert.throws(() => prepareModel(hashed), /tensor local.ngram3_emb is missing/);
  hashed.tensors.set("local.ngram3_emb", { shape: [32, 16], data: table.data.subarray(0, 512) });
  assert.throws(
    () => prepareModel(hashed),
    /local.ngram3_emb has shape \[32,16\], expected \[64,16\]/,
  );
});

Deno.test("prepareModel() checks int8 tensors by their integers and scales", () => {
  const model = readModelFile(writeModelFile(randomModel(SMALL_CONFIG, 4), { dtype: "int8" }));
  const t = model.tensors.get("local.h0.w1")!;
  const { values, scales } = t.quantized!;
  // A finite scale whose product with the column's largest integer overflows float32.
  const column = values.indexOf(values.reduce((a, v) => (Math.abs(v) > Math.abs(a) ? v : a), 0));
  const c = column % scales.length;
  model.tensors.set("local.h0.w1", {
    shape: t.shape,
    data: new Float32Array(values.length), // not read: the integers decide
    quantized: { values, scales: scales.map((s, j) => (j === c ? 3e38 : s)) },
  });
  assert.throws(
    () => prepareModel(model),
    new RegExp(`tensor local.h0.w1 holds a non-finite value in column ${c}`),
  );
  // The same scale over a column of zeros is finite: the integers are scanned, not bounded by 128.
  const zeroed = values.map((v, i) => (i % scales.length === c ? 0 : v));
  model.tensors.set("local.h0.w1", {
    shape: t.shape,
    data: new Float32Array(values.length),
    quantized: { values: zeroed, scales: scales.map((s, j) => (j === c ? 3e38 : s)) },
  });
  prepareModel(model);
  model.tensors.set("local.h0.w1", {
    shape: t.shape,
    data: t.data,
    quantized: { values: values.subarray(1), scales },
  });
  assert.throws(() => prepareModel(model), /tensor local.h0.w1 holds \d+ values and \d+ scales/);
});

Deno.test("prepareModel() holds float n-gram tables in order, as the model file's own float32 values", () => {
  const model = randomModel(LEVELS.tinyhash, 4);
  const pm = prepareModel(model);
  assert.equal(pm.ngramEmb.length, 2);
  assert.deepEqual(pm.ngramEmb[0], { values: model.tensors.get("local.ngram2_emb")!.data });
  assert.equal(pm.ngramEmb[1].values, model.tensors.get("local.ngram3_emb")!.data);
  assert.deepEqual(prepareModel(randomModel(SMALL_CONFIG, 4)).ngramEmb, []);
});

Deno.test("prepareModel() holds int8 n-gram tables as their integers, and they add the file's float32 values", () => {
  const config = LEVELS.tinyhash;
  const { hash: _hash, ...rest } = randomModel(config, 5);
  const stored = readModelFile(writeModelFile(rest, { dtype: "int8" }));
  const pm = prepareModel(stored);
  const DL = config.localDim;
  const R = config.hashRows!;
  const rng = new Rng(6);
  pm.ngramEmb.forEach((table, j) => {
    const tensor = stored.tensors.get(`local.ngram${j + 2}_emb`)!;
    assert.ok(table.values instanceof Int8Array, `table ${j}: int8 values`);
    assert.equal(table.values.length, R * DL);
    assert.notEqual(table.values.buffer, tensor.data.buffer, "no hold on the float32 copy");
    const start = rng.floats(DL);
    for (let r = 0; r < R; r++) {
      // From zero: the row itself; from random values: fround(out + value), as on a Float32Array.
      const got = new Float32Array(DL);
      addNgramRow(table, r, got, 0, DL);
      assert.deepEqual(got, tensor.data.subarray(r * DL, (r + 1) * DL), `table ${j}, row ${r}`);
      const sum = start.slice();
      addNgramRow(table, r, sum, 0, DL);
      const want = start.slice();
      for (let d = 0; d < DL; d++) want[d] += tensor.data[r * DL + d];
      assert.deepEqual(new Uint32Array(sum.buffer), new Uint32Array(want.buffer));
    }
  });
  // The whole engine: the same tables as with the n-gram tables as float32 values alone.
  const floats = new Map(stored.tensors);
  for (const [name, t] of floats) {
    if (name.includes("ngram")) floats.set(name, { shape: t.shape, data: t.data });
  }
  const bytes = new TextEncoder().encode("integers in, the same float32 values out".repeat(2));
  const tables = (model: ModelFile) => {
    const engine = createEngine(model);
    const out = engine.predictSegment(bytes.subarray(0, config.context));
    engine.close();
    return out;
  };
  assert.deepEqual(tables(stored), tables({ ...stored, tensors: floats }));
});

Deno.test("prepareModel() and createEngine() of an int8 file read no matrix's float32 data", () => {
  const read = readModelFile(writeModelFile(randomModel(LEVELS.tinyhash, 5), { dtype: "int8" }));
  const reads = new Set<string>();
  for (const [name, t] of read.tensors) {
    if (!t.quantized) continue;
    const { get } = Object.getOwnPropertyDescriptor(t, "data")!;
    Object.defineProperty(t, "data", {
      enumerable: true,
      get: () => {
        reads.add(name);
        return get!.call(t);
      },
    });
  }
  const prepared = prepareModel(read);
  const engine = createEngine(read);
  try {
    assert.equal(engine.predictSegment(new TextEncoder().encode("lazy")).length, 4 * 256);
  } finally {
    engine.close();
  }
  assert.ok(prepared.ngramEmb.length > 0);
  // Only the embeddings, which the engine takes as float32 (about 1 MB of models/default.mgb):
  // every matrix and n-gram table stays int8.
  const embeddings = ["global.byte_emb", "global.pos_emb", "local.byte_emb", "local.pos_emb"];
  assert.deepEqual([...reads].sort(), embeddings.filter((n) => read.tensors.get(n)!.quantized));
});
