import assert from "node:assert/strict";
import { createContextMixingPredictor } from "../lib/predict/context_mixing.ts";
import { unfittedWeights } from "../lib/predict/sse2.ts";
import { orderZero, stepTables, TEXT } from "../lib/predict/_test_util.ts";
import { fitStarts, startsModule, UNIT } from "./fit_starts.ts";

/** A segment of `bytes` with cm's and order 0's tables as its parts. */
function segment(bytes: Uint8Array) {
  const parts = [stepTables(createContextMixingPredictor(), bytes), stepTables(orderZero(), bytes)];
  return { parts: parts as [Uint32Array, Uint32Array], bytes };
}

Deno.test("fitStarts(): mix A's and the final mix's rows are the mean of the segments' ends", () => {
  const one = segment(TEXT.subarray(0, 300)), two = segment(TEXT.subarray(100, 500));
  const [a, b] = [
    unfittedWeights(10, one.parts, one.bytes),
    unfittedWeights(10, two.parts, two.bytes),
  ];
  const fitted = fitStarts([one, two]);
  assert.equal(fitted.a.length, 9 * 37);
  assert.equal(fitted.final.length, 64 * 5);
  for (let k = 0; k < fitted.a.length; k++) {
    assert.ok(Math.abs(fitted.a[k]! - (a.a[k]! + b.a[k]!) / 2) < 1e-12);
  }
  for (let k = 0; k < fitted.final.length; k++) {
    assert.ok(Math.abs(fitted.final[k]! - (a.final[k]! + b.final[k]!) / 2) < 1e-12);
  }
  // The sets learned from: mix A's first set (no match, |x| < 2) moved from its start.
  assert.notEqual(fitted.a[1], 0.3);
});

Deno.test("fitStarts(): mixes B and C get one row, their sets weighted by the bits they learned from", () => {
  // One byte value repeated: mix B learns at the eight nodes on its path, mix C after that byte.
  const bytes = new Uint8Array(200).fill(0x41);
  const seg = segment(bytes);
  const w = unfittedWeights(10, seg.parts, bytes);
  const fitted = fitStarts([seg]);
  const path = [1, 2, 5, 10, 20, 40, 80, 160]; // the nodes of 0x41: (0x41 + 256) >> (8 − d)
  for (let k = 0; k < 37; k++) {
    const b = path.reduce((sum, n) => sum + w.b[n * 37 + k]!, 0) / 8;
    assert.ok(Math.abs(fitted.b[k]! - b) < 1e-12, `b[${k}]`);
    // Set 0 (the segment's first byte has none before it) once, set 0x41 199 times.
    const c = (w.c[k]! + 199 * w.c[0x41 * 37 + k]!) / 200;
    assert.ok(Math.abs(fitted.c[k]! - c) < 1e-12, `c[${k}]`);
  }
  assert.throws(() => fitStarts([]), RangeError);
});

Deno.test("startsModule(): writes each weight as an integer count of 1/4096, one set per row", () => {
  const fitted = fitStarts([segment(TEXT.subarray(0, 200))]);
  const text = startsModule(fitted, ["tmp/v-a.txt", "tmp/v-b.txt"], "About them.");
  assert.match(text, /`v-a.txt`, `v-b.txt`\./);
  assert.match(text, /About them\./);
  const table = (name: string) => {
    const body = text.slice(text.indexOf(`${name}: Int16Array`)).split("]);")[0]!;
    return body.split("\n").slice(1).filter((l) => l.trim() !== "").map((l) =>
      l.split(",").filter((v) => v.trim() !== "").map(Number)
    );
  };
  const a = table("START_A");
  assert.equal(a.length, 9);
  assert.deepEqual(a.flat(), [...fitted.a].map((v) => Math.round(v * UNIT) + 0));
  assert.deepEqual(table("START_F").flat(), [...fitted.final].map((v) => Math.round(v * UNIT) + 0));
  assert.deepEqual(table("START_B"), [[...fitted.b].map((v) => Math.round(v * UNIT) + 0)]);
});

Deno.test("fitStarts() and startsModule() for method 11: its stage's 49 inputs, its module's title", () => {
  const seg = segment(TEXT.subarray(0, 200));
  const fitted = fitStarts([seg], 11);
  const w = unfittedWeights(11, seg.parts, seg.bytes);
  assert.deepEqual([fitted.a.length, fitted.b.length, fitted.final.length], [9 * 49, 49, 320]);
  assert.deepEqual([...fitted.a], [...w.a]);
  const text = startsModule(fitted, ["tmp/v-a.txt"], "", 11);
  assert.match(text, /Block method 11's start weights \(`codec\/FORMAT.md`, Appendix K\)/);
  assert.match(text, /Mix A's, \(9, 49\)\./);
});
