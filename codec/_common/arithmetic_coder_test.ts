// This module imports no tfjs.
// Property tests of `arithmetic-coding` 1.2.3 under JavaScript numbers: which state bits and
// table totals are exact (FORMAT.md, Appendix A), and the adapter that enforces them.
import assert from "node:assert/strict";
// @ts-types="./arithmetic_encoder.d.ts"
import ArithmeticEncoder from "arithmetic-coding/src/arithmetic-encoder.js";
// @ts-types="./arithmetic_decoder.d.ts"
import ArithmeticDecoder from "arithmetic-coding/src/arithmetic-decoder.js";
import { BIT_FREQUENCY_MIN, FREQ_TOTAL } from "../../lib/predict/predictor.ts";
import { Random } from "../_testing/random.ts";
import {
  BitTable,
  CheckedTable,
  MAX_EXACT_TOTAL,
  SegmentDecoder,
  SegmentEncoder,
  STATE_BITS,
} from "./arithmetic_coder.ts";
import type { FrequencyTable } from "./arithmetic_coding_types.ts";
import { BitReader, BitWriter } from "./bit_stream.ts";

interface TestTable extends FrequencyTable {
  cumulative: Float64Array;
}

/** A random 256-symbol table of `total`, every entry ≥ 1, some symbols far likelier. */
function randomTable(random: Random, total: number): TestTable {
  const weights = Array.from(
    { length: 256 },
    () => 1 + random.below(1000) * (random.below(8) === 0 ? 100 : 1),
  );
  const sum = weights.reduce((a, b) => a + b, 0);
  const f = weights.map((w) => Math.max(1, Math.floor((w * (total - 256)) / sum)));
  f[random.below(256)]! += total - f.reduce((a, b) => a + b, 0);
  const cumulative = new Float64Array(257);
  for (let v = 0; v < 256; v++) cumulative[v + 1] = cumulative[v]! + f[v]!;
  return {
    total,
    symbolLimit: 256,
    cumulative,
    getLow: (s) => cumulative[s]!,
    getHigh: (s) => cumulative[s + 1]!,
  };
}

/** `n` symbols drawn from `table`'s own distribution. */
function drawSymbols(random: Random, table: TestTable, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const value = random.float() * table.total;
    let s = 0;
    while (table.cumulative[s + 1]! <= value) s++;
    out[i] = s;
  }
  return out;
}

/** Codes `symbols` and decodes them back; returns the coded bytes, or null if they differ. */
function roundTrip(bits: number, table: TestTable, symbols: Uint8Array): Uint8Array | null {
  const output = new BitWriter();
  const encoder = new ArithmeticEncoder(bits, output);
  for (const s of symbols) encoder.write(table, s);
  encoder.finish();
  const coded = output.toBytes();
  const decoder = new ArithmeticDecoder(bits, new BitReader(coded));
  for (const s of symbols) if (decoder.read(table) !== s) return null;
  return coded;
}

Deno.test("ArithmeticEncoder with 31 state bits is exact for totals up to 2^22, within a few bytes of ideal", () => {
  for (const logTotal of [8, 16, 20, 22]) {
    for (let trial = 0; trial < 12; trial++) {
      const seed = logTotal * 1000 + trial;
      const random = new Random(seed);
      const table = randomTable(random, 2 ** logTotal);
      const symbols = drawSymbols(random, table, 4000);
      const coded = roundTrip(31, table, symbols);
      assert.ok(coded !== null, `round trip failed: total 2^${logTotal}, seed ${seed}`);
      let ideal = 0;
      for (const s of symbols) {
        ideal -= Math.log2((table.getHigh(s) - table.getLow(s)) / table.total);
      }
      assert.ok(
        coded.length <= Math.ceil(ideal / 8) + 6,
        `${coded.length} bytes against an ideal ${ideal / 8}: total 2^${logTotal}, seed ${seed}`,
      );
    }
  }
});

Deno.test("ArithmeticEncoder with 31 state bits is not exact for totals over 2^22", () => {
  // range × total reaches 2^60 > 2^53: products round, and encoder and decoder drift apart.
  let failures = 0;
  for (let trial = 0; trial < 20; trial++) {
    const random = new Random(29_000 + trial);
    const table = randomTable(random, 2 ** 29);
    const symbols = drawSymbols(random, table, 4000);
    try {
      if (roundTrip(31, table, symbols) === null) failures++;
    } catch {
      failures++;
    }
  }
  assert.ok(failures > 0, "expected some of 20 seeded round trips with total 2^29 to fail");
});

Deno.test("ArithmeticEncoder with 32 state bits fails at once", () => {
  // 1 << 32 is 1 in JavaScript: the coder's ranges collapse.
  const random = new Random(32);
  const table = randomTable(random, 2 ** 16);
  assert.throws(() => roundTrip(32, table, drawSymbols(random, table, 100)));
});

Deno.test("STATE_BITS and FREQ_TOTAL are the proven-exact parameters", () => {
  assert.equal(STATE_BITS, 31);
  assert.ok(FREQ_TOTAL <= MAX_EXACT_TOTAL);
  assert.equal(MAX_EXACT_TOTAL, 2 ** 22);
  // The products the coder forms (range ≤ 2^31 times a cumulative frequency ≤ total) are at
  // most 2^53, every integer of which a JavaScript number holds exactly.
  assert.ok(2 ** STATE_BITS * MAX_EXACT_TOTAL <= 2 ** 53);
});

Deno.test("CheckedTable.load() rejects tables with a zero entry or the wrong sum", () => {
  const table = new CheckedTable();
  const good = new Uint32Array(256).fill(256);
  table.load(good, 0);
  assert.equal(table.getLow(1), 256);
  assert.equal(table.getHigh(255), FREQ_TOTAL);
  const zero = good.slice();
  zero[3] = 0;
  zero[4] = 512;
  assert.throws(() => table.load(zero, 0), RangeError);
  const short = good.slice();
  short[7] = 255;
  assert.throws(() => table.load(short, 0), RangeError);
});

Deno.test("SegmentEncoder and SegmentDecoder round-trip bytes with changing tables", () => {
  const random = new Random(7);
  const n = 3000;
  const tables = new Uint32Array(n * 256);
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const t = randomTable(random, FREQ_TOTAL);
    for (let v = 0; v < 256; v++) tables[i * 256 + v] = t.getHigh(v) - t.getLow(v);
    bytes[i] = drawSymbols(random, t, 1)[0]!;
  }
  const encoder = new SegmentEncoder();
  for (let i = 0; i < n; i++) encoder.encode(tables, i * 256, bytes[i]!);
  const coded = encoder.finish();
  assert.notEqual(coded[coded.length - 1], 0, "the final 1 bit makes the last byte non-zero");
  const decoder = new SegmentDecoder(coded);
  for (let i = 0; i < n; i++) assert.equal(decoder.decode(tables, i * 256), bytes[i]);
});

Deno.test("SegmentDecoder reads past the end of its bytes as zeros, without throwing", () => {
  const tables = new Uint32Array(256).fill(256);
  const decoder = new SegmentDecoder(new Uint8Array(0));
  const decoded = Array.from({ length: 64 }, () => decoder.decode(tables, 0));
  assert.deepEqual(decoded, new Array(64).fill(0));
});

Deno.test("BitTable.load() takes integer frequencies of a 1 from 32 to 65504, and gives 0 the rest", () => {
  const table = new BitTable();
  for (const one of [BIT_FREQUENCY_MIN, 1000, FREQ_TOTAL - BIT_FREQUENCY_MIN]) {
    table.load(one);
    assert.deepEqual(
      [table.getLow(0), table.getHigh(0), table.getLow(1), table.getHigh(1)],
      [0, FREQ_TOTAL - one, FREQ_TOTAL - one, FREQ_TOTAL],
    );
  }
  for (const bad of [0, 31, 65505, FREQ_TOTAL, 100.5, NaN, -40]) {
    assert.throws(() => table.load(bad), RangeError, `${bad}`);
  }
});

Deno.test("SegmentEncoder and SegmentDecoder round-trip bits and bytes mixed, within 2 bytes of ideal", () => {
  // Method 12 codes bits; the same stream may hold bytes too (the coder does not care).
  const random = new Random(12);
  const n = 20000;
  const ones = Array.from(
    { length: n },
    () => BIT_FREQUENCY_MIN + random.below(FREQ_TOTAL - 2 * BIT_FREQUENCY_MIN + 1),
  );
  const bits = ones.map((one) => (random.float() * FREQ_TOTAL < one ? 1 : 0));
  const table = new Uint32Array(256).fill(256);
  const encoder = new SegmentEncoder();
  let ideal = 0;
  for (let i = 0; i < n; i++) {
    encoder.encodeBit(ones[i]!, bits[i]!);
    ideal -= Math.log2((bits[i] ? ones[i]! : FREQ_TOTAL - ones[i]!) / FREQ_TOTAL);
    if (i % 100 === 0) encoder.encode(table, 0, i & 255);
  }
  const coded = encoder.finish();
  assert.ok(coded.length <= (ideal + 200 * 8) / 8 + 2, `${coded.length} bytes, ideal ${ideal / 8}`);
  const decoder = new SegmentDecoder(coded);
  for (let i = 0; i < n; i++) {
    assert.equal(decoder.decodeBit(ones[i]!), bits[i], `bit ${i}`);
    if (i % 100 === 0) assert.equal(decoder.decode(table, 0), i & 255);
  }
  assert.throws(() => new SegmentEncoder().encodeBit(FREQ_TOTAL, 1), RangeError);
  assert.throws(() => new SegmentDecoder(coded).decodeBit(0), RangeError);
});
