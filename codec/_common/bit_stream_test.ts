// This module imports no tfjs.
import assert from "node:assert/strict";
import { BitReader, BitWriter } from "./bit_stream.ts";

Deno.test("BitWriter fills bytes from bit 7 down and pads with zeros", () => {
  const writer = new BitWriter();
  for (const bit of [1, 0, 1, 1, 0, 0, 0, 1, 1, 1]) writer.write(bit);
  assert.equal(writer.length, 1);
  writer.close();
  assert.deepEqual(writer.toBytes(), new Uint8Array([0b10110001, 0b11000000]));
});

Deno.test("BitWriter grows past its first capacity", () => {
  const writer = new BitWriter(16);
  for (let i = 0; i < 8 * 1000; i++) writer.write((i >> 3) & 1);
  const bytes = writer.toBytes();
  assert.equal(bytes.length, 1000);
  assert.ok(bytes.every((b, i) => b === (i & 1 ? 0xff : 0)));
});

Deno.test("BitReader reads bits in order, then -1 past the end", () => {
  const reader = new BitReader(new Uint8Array([0b10100000]));
  const bits = Array.from({ length: 10 }, () => reader.read());
  assert.deepEqual(bits, [1, 0, 1, 0, 0, 0, 0, 0, -1, -1]);
});
