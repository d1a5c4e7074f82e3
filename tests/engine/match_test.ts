/**
 * The match row in the engine (`lib/model/match.ts`): the engine's local input adds the row
 * `matchRow(seq, t, k)` of `local.match_emb` after the n-gram rows, and the match table changes
 * the logits exactly at the positions that read one of its rows. (Engine against reference, paths,
 * batches and slots: `contract_test.ts`.)
 *
 * @module
 */
import assert from "node:assert/strict";
import { createEngine, localInputRow } from "../../lib/engine/engine.ts";
import { prepareModel } from "../../lib/engine/prepared_model.ts";
import { referenceTables } from "../../lib/engine/reference.ts";
import { LEVELS } from "../../lib/model/configs.ts";
import { matchRow } from "../../lib/model/match.ts";
import type { ModelFile } from "../../lib/model/model_file_types.ts";
import { ngramRow } from "../../lib/model/ngram.ts";
import { randomModel, Rng } from "./_random_model.ts";

const f = Math.fround;
const CONFIG = LEVELS.tinymatch; // tinyhash + a match row of minimum length 3
const DL = CONFIG.localDim;
const K = CONFIG.matchLength!;
const TEXT = new TextEncoder().encode("abcabcabd abcabcabd, then abcab again: abcabcabd.");

Deno.test("the engine's local input adds the match row after the n-gram rows, by hand from the tensors", () => {
  const model = randomModel(CONFIG, 81);
  const pm = prepareModel(model);
  const tensor = (name: string) => model.tensors.get(name)!.data;
  const lg = new Rng(82).floats(DL);
  let matched = 0;
  for (let t = 0; t < TEXT.length; t++) {
    const out = new Float32Array(DL);
    localInputRow(pm, lg, 0, TEXT, t, out, 0);
    const p = t % CONFIG.patchSize;
    const grams = [2, 3].map((n) => ngramRow(TEXT, t, n, CONFIG.hashRows!));
    const m = matchRow(TEXT.subarray(0, t), t, K);
    if (m >= 0) matched++;
    for (let d = 0; d < DL; d++) {
      const prev = p === 0
        ? tensor("local.pad")[d]
        : tensor("local.byte_emb")[TEXT[t - 1] * DL + d];
      let v = f(f(lg[d] + tensor("local.pos_emb")[p * DL + d]) + prev);
      grams.forEach((r, j) => {
        if (r >= 0) v = f(v + tensor(`local.ngram${j + 2}_emb`)[r * DL + d]);
      });
      if (m >= 0) v = f(v + tensor("local.match_emb")[m * DL + d]);
      assert.equal(out[d], v, `t = ${t}, d = ${d}`);
    }
  }
  assert.ok(matched > 10, `only ${matched} positions matched`);
});

Deno.test("zeroing the match table changes the logits exactly from the first position that reads it", () => {
  const model = randomModel(CONFIG, 91);
  const tensors = new Map(model.tensors);
  const t = model.tensors.get("local.match_emb")!;
  tensors.set("local.match_emb", { shape: t.shape, data: new Float32Array(t.data.length) });
  const zeroed: ModelFile = { ...model, tensors };
  const logits = (m: ModelFile) => {
    const engine = createEngine(m);
    const out = engine.logits(TEXT);
    engine.close();
    return out;
  };
  const a = logits(model), b = logits(zeroed);
  const first = Array.from(TEXT).findIndex((_, i) => matchRow(TEXT, i, K) >= 0);
  assert.ok(first > 0);
  const same = (i: number) =>
    new Uint32Array(a.buffer, i * 1024, 256).every((v, j) =>
      v === new Uint32Array(b.buffer, i * 1024, 256)[j]
    );
  for (let i = 0; i < first; i++) assert.ok(same(i), `position ${i} before the first match`);
  assert.ok(!same(first), `position ${first}, the first match`);
});

Deno.test("a match row without hashed n-gram tables: the engine adds it, as the reference does", () => {
  const config = { ...LEVELS.tiny, matchLength: 3 };
  const model = randomModel(config, 93);
  const engine = createEngine(model);
  const tables = engine.predictSegment(TEXT);
  engine.close();
  assert.deepEqual(tables, referenceTables(model, TEXT));
  const zeroed = new Map(model.tensors);
  const t = model.tensors.get("local.match_emb")!;
  zeroed.set("local.match_emb", { shape: t.shape, data: new Float32Array(t.data.length) });
  assert.notDeepEqual(referenceTables({ ...model, tensors: zeroed }, TEXT), tables);
});
