// This module imports no tfjs.
import assert from "node:assert/strict";
import { addVarintByte, pushVarint, varintLength } from "./varint.ts";

function read(bytes: number[]): number | string {
  let value = 0;
  for (let i = 0; i < bytes.length; i++) {
    const next = addVarintByte(value, bytes[i]!, i);
    if (typeof next === "string") return next;
    value = next;
    if ((bytes[i]! & 0x80) === 0) return i === bytes.length - 1 ? value : "trailing bytes";
  }
  return "unterminated";
}

Deno.test("pushVarint() and addVarintByte() round-trip values up to 2^53 - 1", () => {
  for (
    const value of [
      0,
      1,
      127,
      128,
      300,
      16383,
      16384,
      2 ** 26,
      2 ** 32 + 5,
      Number.MAX_SAFE_INTEGER,
    ]
  ) {
    const bytes: number[] = [];
    pushVarint(bytes, value);
    assert.equal(bytes.length, varintLength(value));
    assert.equal(read(bytes), value);
  }
});

Deno.test("addVarintByte() rejects non-minimal, too long and too large varints", () => {
  assert.equal(read([0x81, 0x00]), "not minimal");
  assert.equal(read([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), "too long");
  assert.equal(read([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), "too large");
});

Deno.test("pushVarint() throws a RangeError for negative and unsafe values", () => {
  assert.throws(() => pushVarint([], -1), RangeError);
  assert.throws(() => pushVarint([], 2 ** 53), RangeError);
  assert.throws(() => pushVarint([], 1.5), RangeError);
});
