/**
 * The hashed n-gram tables in the engine (`lib/model/ARCHITECTURE.md`, step 5): the engine's local
 * input equals a hand computation from the tensors and `ngramRow`; each table changes the logits
 * exactly where one of its rows is read; a row that no n-gram of the input hashes to changes
 * nothing. (Engine against reference, paths, batches and slots: `contract_test.ts`.)
 *
 * @module
 */
import assert from "node:assert/strict";
import { createEngine, localInputRow } from "../../lib/engine/engine.ts";
import { prepareModel } from "../../lib/engine/prepared_model.ts";
import { LEVELS } from "../../lib/model/configs.ts";
import type { ModelFile } from "../../lib/model/model_file_types.ts";
import { ngramRow } from "../../lib/model/ngram.ts";
import { randomModel, Rng } from "./_random_model.ts";

const f = Math.fround;
const CONFIG = LEVELS.tinyhash; // P = 4, DL = 16, orders 2 and 3, 64 rows
const R = CONFIG.hashRows!;
const DL = CONFIG.localDim;
const ORDERS = [2, 3];

/** A copy of `model` whose table `local.ngram{n}_emb` went through `change`. */
function withTable(model: ModelFile, n: number, change: (data: Float32Array) => void): ModelFile {
  const tensors = new Map(model.tensors);
  const name = `local.ngram${n}_emb`;
  const data = model.tensors.get(name)!.data.slice();
  change(data);
  tensors.set(name, { shape: [R, DL], data });
  return { ...model, tensors };
}

function logitsOf(model: ModelFile, bytes: Uint8Array): Float32Array {
  const engine = createEngine(model);
  const logits = engine.logits(bytes);
  engine.close();
  return logits;
}

/** Whether rows t of two (T, 256) logit arrays are bit-identical. */
function sameRow(a: Float32Array, b: Float32Array, t: number): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset + t * 1024, 256);
  const y = new Uint32Array(b.buffer, b.byteOffset + t * 1024, 256);
  return x.every((v, i) => v === y[i]);
}

Deno.test("the engine's local input is l_glob + pos + prev + ngram_2 + ngram_3, by hand from the tensors", () => {
  const model = randomModel(CONFIG, 71);
  const pm = prepareModel(model);
  const tensor = (name: string) => model.tensors.get(name)!.data;
  const bytes = new TextEncoder().encode("abcdefghij");
  const lg = new Rng(72).floats(3 * DL);
  for (let t = 0; t < bytes.length; t++) {
    const out = new Float32Array(DL + 2).fill(NaN);
    localInputRow(pm, lg, DL, bytes, t, out, 1);
    assert.ok(Number.isNaN(out[0]) && Number.isNaN(out[DL + 1]), "writes only its row");
    const p = t % CONFIG.patchSize;
    const before = bytes.subarray(0, t); // what the n-grams may read
    const rows = ORDERS.map((n) => ngramRow(before, t, n, R)); // at p = 0 from the patch before
    assert.equal(rows.filter((r) => r >= 0).length, Math.max(0, Math.min(2, t - 1)), `t = ${t}`);
    for (let d = 0; d < DL; d++) {
      const prev = p === 0
        ? tensor("local.pad")[d]
        : tensor("local.byte_emb")[bytes[t - 1] * DL + d];
      let v = f(f(lg[DL + d] + tensor("local.pos_emb")[p * DL + d]) + prev);
      ORDERS.forEach((n, j) => {
        if (rows[j] >= 0) v = f(v + tensor(`local.ngram${n}_emb`)[rows[j] * DL + d]);
      });
      assert.equal(out[1 + d], v, `t = ${t}, d = ${d}`);
    }
  }
});

Deno.test("zeroing an n-gram table changes every row from position n on, and no row before", () => {
  const model = randomModel(CONFIG, 61);
  const bytes = new TextEncoder().encode("The quick brown fox jumps over the lazy dog.");
  const base = logitsOf(model, bytes);
  for (const n of ORDERS) {
    const zeroed = logitsOf(withTable(model, n, (data) => data.fill(0)), bytes);
    for (let t = 0; t < bytes.length; t++) {
      assert.equal(sameRow(zeroed, base, t), t < n, `order ${n}, position ${t}`);
    }
  }
});

Deno.test("a table row that no n-gram of the input hashes to changes no logit; a used one does", () => {
  const model = randomModel(CONFIG, 62);
  const bytes = new TextEncoder().encode("abracadabra, abracadabra");
  const base = logitsOf(model, bytes);
  for (const n of ORDERS) {
    const used = new Set<number>();
    for (let t = n; t < bytes.length; t++) used.add(ngramRow(bytes, t, n, R));
    const unused = [...Array(R).keys()].filter((r) => !used.has(r));
    assert.ok(unused.length > R / 2, `order ${n}: ${used.size} rows used`);
    const bump = (row: number) => (data: Float32Array) => data.fill(3, row * DL, (row + 1) * DL);
    const other = logitsOf(
      withTable(model, n, (data) => unused.forEach((r) => bump(r)(data))),
      bytes,
    );
    assert.deepEqual(new Uint32Array(other.buffer), new Uint32Array(base.buffer), `order ${n}`);
    // The row of the last position's n-gram: that position's logits move.
    const last = bytes.length - 1;
    const moved = logitsOf(withTable(model, n, bump(ngramRow(bytes, last, n, R))), bytes);
    assert.ok(!sameRow(moved, base, last), `order ${n}: the used row matters`);
  }
});
