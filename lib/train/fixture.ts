// This module imports no tfjs.
/**
 * The engine fixture: a few input bytes, the float logits that tfjs computes for them with a
 * model file's weights, and the loss. `megazip train --export` writes one beside the model file;
 * the exact engine (`lib/engine/`) checks its own predictions against it within a tolerance
 * (the engine and tfjs agree closely, never bit for bit).
 *
 * JSON layout (`*_fixture.json`):
 *
 * | field | meaning |
 * | --- | --- |
 * | `format` | `"megazip-engine-fixture"` |
 * | `version` | 1 |
 * | `model` | base name of the model file |
 * | `modelHash` | SHA-256 of the model file, lowercase hex (its identity) |
 * | `backend` | tfjs backend that computed the numbers |
 * | `length` | T, bytes of input |
 * | `input` | the T bytes, base64 |
 * | `logits` | (T, 256) float32 little-endian, base64: row t predicts input byte t from bytes < t |
 * | `bits` | T numbers: −log2 softmax(logits[t])[input[t]] |
 * | `bitsPerByte` | mean of `bits` |
 *
 * @module
 */

/** A fixture in memory. */
export interface EngineFixture {
  /** Base name of the model file. */
  model: string;
  /** SHA-256 of the model file, lowercase hex. */
  modelHash: string;
  /** tfjs backend that computed the numbers. */
  backend: string;
  /** The input bytes (T). */
  input: Uint8Array;
  /** (T, 256) logits, row-major: row t predicts `input[t]`. */
  logits: Float32Array;
  /** Bits of each input byte under the model: −log2 p(input[t] | input[0..t−1]). */
  bits: number[];
  /** Mean of `bits`. */
  bitsPerByte: number;
}

/**
 * Serializes a fixture as JSON text.
 *
 * @param fixture The fixture.
 * @returns JSON as `deno fmt` formats it.
 */
export function encodeFixture(fixture: EngineFixture): string {
  const T = fixture.input.length;
  if (fixture.logits.length !== T * 256 || fixture.bits.length !== T) {
    throw new RangeError(`Cannot encode the fixture: logits and bits must cover ${T} bytes`);
  }
  const logits = new Uint8Array(T * 256 * 4);
  const view = new DataView(logits.buffer);
  fixture.logits.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return JSON.stringify(
    {
      format: "megazip-engine-fixture",
      version: 1,
      model: fixture.model,
      modelHash: fixture.modelHash,
      backend: fixture.backend,
      length: T,
      input: toBase64(fixture.input),
      logits: toBase64(logits),
      bits: fixture.bits,
      bitsPerByte: fixture.bitsPerByte,
    },
    null,
    2, // as deno fmt writes JSON, so a committed fixture passes `deno fmt --check`
  ) + "\n";
}

/**
 * Parses a fixture written by {@link encodeFixture}.
 *
 * @param text The JSON text.
 * @returns The fixture.
 * @example Round trip
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeFixture, encodeFixture } from "./fixture.ts";
 * const fixture = {
 *   model: "m.mgb", modelHash: "00", backend: "cpu", input: new Uint8Array([65]),
 *   logits: new Float32Array(256), bits: [8], bitsPerByte: 8,
 * };
 * assert.deepEqual(decodeFixture(encodeFixture(fixture)), fixture);
 * ```
 */
export function decodeFixture(text: string): EngineFixture {
  const json = JSON.parse(text);
  if (json.format !== "megazip-engine-fixture" || json.version !== 1) {
    throw new TypeError("Cannot read the fixture: not a version 1 megazip engine fixture");
  }
  const input = fromBase64(json.input);
  const raw = fromBase64(json.logits);
  const T = json.length;
  if (input.length !== T || raw.length !== T * 256 * 4 || json.bits.length !== T) {
    throw new RangeError(`Cannot read the fixture: its arrays do not hold ${T} positions`);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const logits = Float32Array.from({ length: T * 256 }, (_, i) => view.getFloat32(4 * i, true));
  return {
    model: json.model,
    modelHash: json.modelHash,
    backend: json.backend,
    input,
    logits,
    bits: json.bits,
    bitsPerByte: json.bitsPerByte,
  };
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}
