import assert from "node:assert/strict";
import { createContextMixingPredictor } from "./context_mixing.ts";
import { ALPHABET, FREQ_TOTAL } from "./predictor.ts";

/** Runs one segment through a fresh batch of one; returns every table, concatenated. */
function tablesOf(bytes: Uint8Array): Uint32Array {
  const batch = createContextMixingPredictor().start(1);
  const all = new Uint32Array((bytes.length + 1) * ALPHABET);
  const one = new Uint32Array(ALPHABET);
  for (let i = 0; i <= bytes.length; i++) {
    batch.predict(one);
    all.set(one, i * ALPHABET);
    if (i < bytes.length) batch.advance(bytes.subarray(i, i + 1));
  }
  batch.close();
  return all;
}

Deno.test("createContextMixingPredictor() yields tables of entries ≥ 1 summing to FREQ_TOTAL", () => {
  const text = new TextEncoder().encode("abracadabra, abracadabra! ".repeat(20));
  const tables = tablesOf(text);
  for (let i = 0; i < tables.length; i += ALPHABET) {
    let sum = 0;
    for (let v = 0; v < ALPHABET; v++) {
      assert.ok(tables[i + v]! >= 1);
      sum += tables[i + v]!;
    }
    assert.equal(sum, FREQ_TOTAL);
  }
});
