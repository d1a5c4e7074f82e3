import assert from "node:assert/strict";
import { LEVELS } from "./configs.ts";
import { ngramRow, ngramRows } from "./ngram.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("ngramRow hashes exactly the n bytes before t, and gives -1 before n bytes exist", () => {
  const x = bytes("abcabcabd");
  assert.equal(ngramRow(x, 0, 2, 1 << 15), -1);
  assert.equal(ngramRow(x, 1, 2, 1 << 15), -1);
  assert.ok(ngramRow(x, 2, 2, 1 << 15) >= 0);
  // "ab" before t = 2 and t = 5; "bc" before t = 3 differs.
  assert.equal(ngramRow(x, 2, 2, 1 << 15), ngramRow(x, 5, 2, 1 << 15));
  assert.notEqual(ngramRow(x, 2, 2, 1 << 15), ngramRow(x, 3, 2, 1 << 15));
  // Order 3: "abc" before 3 and 6, "cab" before 5 and 8.
  assert.equal(ngramRow(x, 3, 3, 1 << 15), ngramRow(x, 6, 3, 1 << 15));
  assert.equal(ngramRow(x, 5, 3, 1 << 15), ngramRow(x, 8, 3, 1 << 15));
  // The same bytes at another order land elsewhere (the order is hashed in).
  assert.notEqual(ngramRow(bytes("aa"), 2, 2, 1 << 15), ngramRow(bytes("aa"), 2, 1, 1 << 15));
});

Deno.test("ngramRow is pinned: the model files and the engine depend on these exact rows", () => {
  // Expected values computed apart from this code, in Python from the definition's text.
  const x = bytes("the quick brown fox");
  const rows = [2, 3, 4, 5, 6].map((n) => ngramRow(x, 10, n, 1 << 15));
  assert.deepEqual(rows, [18258, 17929, 7094, 4817, 20934]);
  assert.equal(ngramRow(x, 19, 6, 1 << 24), 9179834);
});

Deno.test("ngramRow spreads the 65,536 byte pairs over a table of 32,768 rows", () => {
  const counts = new Uint32Array(1 << 15);
  for (let a = 0; a < 256; a++) {
    for (let b = 0; b < 256; b++) counts[ngramRow([a, b], 2, 2, 1 << 15)]++;
  }
  const used = counts.filter((c) => c > 0).length;
  // Balls in bins: 32768·(1 − e^−2) ≈ 28,333 rows used; far fewer means a bad hash.
  assert.ok(used > 27_500, `${used} rows used`);
  assert.ok(Math.max(...counts) <= 12, `a row got ${Math.max(...counts)} pairs`);
});

Deno.test("ngramRows lays out (B, T, H) per window, with rows for 'none', windows independent", () => {
  const config = LEVELS.tinyhash;
  const T = 6;
  const x = bytes("abcdefabcdef");
  const out = ngramRows(x, 2, T, config);
  assert.equal(out.length, 2 * T * 2);
  for (let b = 0; b < 2; b++) {
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < 2; j++) {
        const row = ngramRow(x.subarray(b * T, (b + 1) * T), t, j + 2, 64);
        assert.equal(out[(b * T + t) * 2 + j], row < 0 ? 64 : row);
      }
    }
  }
  // Window 1 starts a segment: its first bytes have no n-grams, though window 0's bytes precede.
  assert.equal(out[(T + 1) * 2], 64);
  assert.equal(ngramRows(x, 2, T, LEVELS.tiny).length, 0);
});
