import assert from "node:assert/strict";
import { decodeFixture, encodeFixture, type EngineFixture } from "./fixture.ts";

function sample(): EngineFixture {
  const T = 3;
  const logits = Float32Array.from({ length: T * 256 }, (_, i) => Math.fround(Math.sin(i) * 3));
  return {
    model: "tiny.mgb",
    modelHash: "ab".repeat(32),
    backend: "cpu",
    input: new Uint8Array([0, 128, 255]),
    logits,
    bits: [8.5, 7.25, 1e-3],
    bitsPerByte: (8.5 + 7.25 + 1e-3) / 3,
  };
}

Deno.test("decodeFixture() reads back exactly what encodeFixture() wrote", () => {
  const fixture = sample();
  const text = encodeFixture(fixture);
  assert.deepEqual(decodeFixture(text), fixture);
  assert.equal(JSON.parse(text).length, 3);
});

Deno.test("decodeFixture() rejects other JSON and arrays of the wrong length", () => {
  assert.throws(() => decodeFixture('{"format":"other","version":1}'), TypeError);
  const json = JSON.parse(encodeFixture(sample()));
  assert.throws(() => decodeFixture(JSON.stringify({ ...json, length: 4 })), RangeError);
  assert.throws(() => encodeFixture({ ...sample(), bits: [1] }), RangeError);
});
