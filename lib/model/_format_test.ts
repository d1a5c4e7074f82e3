import assert from "node:assert/strict";
import { LEVELS } from "./configs.ts";
import {
  configSize,
  dequantizeInt8,
  formatVersionOf,
  fromFloat16,
  isNgramTable,
  minHeaderSize,
  packInt4,
  quantizeInt4,
  quantizeInt8,
  toFloat16,
  unpackInt4,
} from "./_format.ts";

Deno.test("toFloat16() and fromFloat16() round-trip every finite half exactly", () => {
  for (let h = 0; h < 0x10000; h++) {
    if (((h >>> 10) & 0x1f) === 31) {
      assert.ok(Number.isNaN(fromFloat16(h)));
      continue;
    }
    assert.equal(toFloat16(fromFloat16(h)), h, `bits 0x${h.toString(16)}`);
  }
});

Deno.test("toFloat16() rounds to nearest, ties to even, and clamps to ±65504", () => {
  assert.equal(fromFloat16(toFloat16(1 + 2 ** -11)), 1); // tie: 1 has the even mantissa
  assert.equal(fromFloat16(toFloat16(1 + 3 * 2 ** -11)), 1 + 2 ** -9); // tie: goes up to even
  assert.equal(fromFloat16(toFloat16(1 + 2 ** -11 + 2 ** -20)), 1 + 2 ** -10); // above the tie
  assert.equal(fromFloat16(toFloat16(2 ** -25)), 0); // half the smallest subnormal: to even (0)
  assert.equal(fromFloat16(toFloat16(3 * 2 ** -25)), 2 * 2 ** -24);
  assert.equal(fromFloat16(toFloat16(2 ** -14 - 2 ** -26)), 2 ** -14); // rounds up into the normals
  assert.equal(fromFloat16(toFloat16(65519)), 65504);
  assert.equal(fromFloat16(toFloat16(1e9)), 65504);
  assert.equal(fromFloat16(toFloat16(-1e9)), -65504);
  assert.equal(toFloat16(-0), 0x8000);
  assert.equal(fromFloat16(toFloat16(0.1)), 0.0999755859375);
});

Deno.test("quantizeInt8() gives every column its own scale, ±127 at the column's largest magnitude", () => {
  const data = new Float32Array([
    1.0,
    0,
    -127 / 128, //
    -0.5,
    0,
    63.5 / 128, //
    0.25,
    0,
    0.01, //
  ]);
  const { values, scales } = quantizeInt8(data, 3, 3);
  assert.deepEqual([...scales], [Math.fround(1 / 127), 0, 1 / 128]);
  assert.deepEqual([...values], [127, 0, -127, -64, 0, 64, 32, 0, 1]); // 63.5 rounds away from 0
  const back = dequantizeInt8(values, scales);
  for (let i = 0; i < data.length; i++) {
    assert.ok(Math.abs(back[i] - data[i]) <= scales[i % 3] / 2 + 1e-9, `index ${i}`);
    assert.equal(back[i], Math.fround(values[i] * scales[i % 3]));
  }
});

Deno.test("quantizeInt8() rounds halves away from zero, on both sides", () => {
  const scale = Math.fround(127 / 127); // column max 127 → scale 1
  const { values } = quantizeInt8(new Float32Array([127, 2.5, -2.5, -0.5, 0.5, 0.49]), 6, 1);
  assert.equal(scale, 1);
  assert.deepEqual([...values], [127, 3, -3, -1, 1, 0]);
});

Deno.test("formatVersionOf() gives version 3 exactly to models with tables stored as int4", () => {
  assert.equal(formatVersionOf(LEVELS.tinyhash, "int4"), 3);
  assert.equal(formatVersionOf(LEVELS.local4hash, "int4"), 3);
  assert.equal(formatVersionOf(LEVELS.local4hash, "int8"), 2);
  assert.equal(formatVersionOf(LEVELS.tiny, "int4"), 1); // no tables to store
  assert.equal(configSize(3), 44);
  assert.equal(minHeaderSize(3), 76);
});

Deno.test("packInt4() and unpackInt4() round-trip every level, low nibble first", () => {
  const levels = Int8Array.from({ length: 16 }, (_, i) => i - 8);
  const packed = packInt4(levels);
  assert.deepEqual([...packed.subarray(0, 2)], [0x98, 0xba]); // −8 = 1000, −7 = 1001, …
  assert.deepEqual(unpackInt4(packed, 16), levels);
  const odd = packInt4(new Int8Array([-1, 7, 3]));
  assert.deepEqual([...odd], [0x7f, 0x03]); // the unused high nibble stays 0
  assert.deepEqual([...unpackInt4(odd, 3)], [-1, 7, 3]);
});

Deno.test("quantizeInt4() picks, per column, the clip of least squared error, levels in −7..7", () => {
  // Column 0: evenly spread values, so the largest sets the scale (k = 40); column 1: one outlier
  // among small values, which a clip serves better; column 2: zeros.
  const rows = 64;
  const data = new Float32Array(rows * 3);
  for (let r = 0; r < rows; r++) {
    data[r * 3] = Math.fround(((r % 15) - 7) / 7);
    data[r * 3 + 1] = r === 0 ? 1 : Math.fround(((r % 9) - 4) / 40);
  }
  const { values, scales } = quantizeInt4(data, rows, 3);
  assert.equal(scales[0], Math.fround(1 / 7));
  for (let r = 0; r < rows; r++) assert.equal(values[r * 3], (r % 15) - 7);
  assert.ok(scales[1] < Math.fround(1 / 7), `clipped: ${scales[1]}`);
  assert.equal(values[3 + 1] === 0, false); // r = 1: −0.075 gets a level of its own
  assert.equal(values[1], 7); // the outlier is clipped to the top level
  assert.equal(scales[2], 0);
  assert.ok(values.every((v) => v >= -7 && v <= 7));
  // Least error among the candidates the spec lists (k = 12..40 of 40).
  const error = (s: number) => {
    let e = 0;
    for (let r = 0; r < rows; r++) {
      const x = data[r * 3 + 1];
      e += (x - Math.fround(Math.max(-7, Math.min(7, Math.round(x / s))) * s)) ** 2;
    }
    return e;
  };
  for (let k = 12; k <= 40; k++) {
    assert.ok(error(scales[1]) <= error(Math.fround(k / 280)) + 1e-12, `k = ${k}`);
  }
});

Deno.test("isNgramTable() names the hashed n-gram tables and nothing else", () => {
  assert.ok(isNgramTable("local.ngram2_emb") && isNgramTable("local.ngram9_emb"));
  for (const name of ["local.byte_emb", "global.byte_emb", "local.ngram2_emb.x", "ngram2_emb"]) {
    assert.ok(!isNgramTable(name), name);
  }
});

Deno.test("formatVersionOf() gives version 2 exactly to models with hashed n-gram tables", () => {
  for (const name of ["tiny", "small", "default", "local4"]) {
    assert.equal(formatVersionOf(LEVELS[name]), 1, name);
  }
  assert.equal(formatVersionOf({ ...LEVELS.tiny, hashOrders: 0, hashRows: 0 }), 1);
  assert.equal(formatVersionOf(LEVELS.tinyhash), 2);
  assert.equal(formatVersionOf(LEVELS.local4hash), 2);
});

Deno.test("configSize() and minHeaderSize() grow by Hash_Orders and Hash_Rows in version 2", () => {
  assert.equal(configSize(1), 36);
  assert.equal(configSize(2), 44);
  assert.equal(minHeaderSize(1), 68);
  assert.equal(minHeaderSize(2), 76);
});
