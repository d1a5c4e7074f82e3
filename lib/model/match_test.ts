import assert from "node:assert/strict";
import {
  FileMatchIndex,
  fileWindowMatchRows,
  MATCH_MAX_LENGTH,
  MatchIndex,
  matchRow,
  matchRows,
  matchRowsAfter,
  matchTableRows,
} from "./match.ts";

/** Deterministic bytes from a small alphabet, so that matches of every length occur. */
function bytes(n: number, alphabet: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = 97 + (s >>> 24) % alphabet;
  }
  return out;
}

Deno.test("matchRow() follows its definition on hand-made cases", () => {
  const x = new TextEncoder().encode("abcabcabcx");
  const c = (ch: string) => ch.charCodeAt(0);
  assert.equal(matchRow(x, 0, 2), -1);
  assert.equal(matchRow(x, 2, 2), -1); // "ab" never before
  assert.equal(matchRow(x, 4, 1), 0 * 256 + c("b")); // "a" before 3 -> s = 1 ("b"); x[-1] absent
  // Before 9: "abc" ends at 8; the newest s < 9 with x[s-3..s-1] = "abc" is 6, whose match runs back
  // over "abcabc" (6 bytes: x[0..5] = x[3..8]) -> L = 6.
  assert.equal(matchRow(x, 9, 3), (6 - 3) * 256 + c("a"));
  // The newest occurrence wins over a longer, older one.
  const y = new TextEncoder().encode("xyabQ" + "zzabR" + "xyab");
  assert.equal(matchRow(y, 14, 2), 0 * 256 + c("R"));
  assert.equal(matchRow(y, 14, 4), 0 * 256 + c("Q"));
  // A run of one byte predicts itself, the length capped at MATCH_MAX_LENGTH.
  const run = new Uint8Array(100).fill(7);
  assert.equal(matchRow(run, 99, 4), (MATCH_MAX_LENGTH - 4) * 256 + 7);
  assert.equal(matchRow(run, 6, 4), (5 - 4) * 256 + 7); // s = 5: x[0..4] = x[1..5], 5 bytes
});

Deno.test("matchRows() equals matchRow() at every position of every window", () => {
  // [alphabet, k, period]: a period > 0 repeats the first `period` bytes, for long matches.
  const cases = [[2, 1, 0], [3, 4, 0], [4, 6, 0], [26, 3, 0], [2, 32, 0], [26, 5, 70], [4, 32, 45]];
  for (const [alphabet, k, period] of cases) {
    const B = 3;
    const T = 300;
    const x = bytes(B * T, alphabet, alphabet * 100 + k);
    if (period > 0) { for (let i = period; i < x.length; i++) x[i] = x[i - period]; }
    const none = matchTableRows(k);
    const rows = matchRows(x, B, T, k, none);
    let matched = 0;
    for (let b = 0; b < B; b++) {
      const w = x.subarray(b * T, (b + 1) * T);
      for (let t = 0; t < T; t++) {
        const want = matchRow(w, t, k);
        assert.equal(
          rows[b * T + t],
          want < 0 ? none : want,
          `alphabet ${alphabet} k ${k} [${b}, ${t}]`,
        );
        if (want >= 0) {
          matched++;
          assert.ok(want < matchTableRows(k));
        }
      }
    }
    if (k < 32 || period > 0) assert.ok(matched > 0, `no match for alphabet ${alphabet}, k ${k}`);
  }
});

Deno.test("matchRows() treats each window as its own segment and rejects a bad k", () => {
  const w = new TextEncoder().encode("abcdabcd");
  const twice = new Uint8Array([...w, ...w]);
  const rows = matchRows(twice, 2, 8, 2, -1);
  assert.deepEqual(rows.subarray(8), rows.subarray(0, 8)); // the second window cannot see the first
  assert.throws(() => matchRows(w, 1, 8, 0, -1), RangeError);
  assert.throws(() => matchRows(w, 1, 8, MATCH_MAX_LENGTH + 1, -1), RangeError);
});

Deno.test("MatchIndex gives matchRow() at increasing positions, repeated or skipped, and resets", () => {
  const x = bytes(500, 3, 77);
  for (let i = 100; i < x.length; i++) if (i % 7 !== 0) x[i] = x[i - 60]; // long matches too
  const index = new MatchIndex(4, x.length);
  let t = 0;
  let step = 0;
  while (t < x.length) {
    assert.equal(index.row(x, t), matchRow(x, t, 4), `t = ${t}`);
    assert.equal(index.row(x, t), matchRow(x, t, 4), `t = ${t}, again`);
    t += 1 + (step++ % 4); // 1, 2, 3, 4, 1, …
  }
  assert.throws(() => index.row(x, 3), /went back/);
  index.reset();
  for (let u = 0; u < 50; u++) {
    assert.equal(index.row(x, u), matchRow(x, u, 4), `after reset, ${u}`);
  }
  assert.throws(() => new MatchIndex(0, 10), RangeError);
});

Deno.test("matchRowsAfter() equals matchRow() over history and window, and matchRows() without history", () => {
  for (const [alphabet, k, period] of [[3, 4, 0], [26, 5, 700], [4, 6, 0], [2, 32, 50]]) {
    const x = bytes(3000, alphabet, alphabet * 7 + k);
    if (period > 0) { for (let i = period; i < x.length; i++) x[i] = x[i - period]; }
    const history = 2000;
    const T = 1000;
    const rows = matchRowsAfter(x, history, T, k, -1);
    let fromHistory = 0;
    for (let t = 0; t < T; t++) {
      assert.equal(rows[t], matchRow(x, history + t, k), `alphabet ${alphabet} k ${k} t ${t}`);
      if (rows[t] >= 0 && matchRow(x.subarray(history), t, k) !== rows[t]) fromHistory++;
    }
    if (period > 0) assert.ok(fromHistory > 0, "the history gave no match the window lacked");
    assert.deepEqual(matchRowsAfter(x, 0, T, k, -1), matchRows(x, 1, T, k, -1));
  }
});

Deno.test("MatchIndex finds the same rows with a 1 MiB capacity (wider hash) as matchRow()", () => {
  const x = bytes(20000, 3, 5);
  const index = new MatchIndex(5, 1 << 20);
  for (let t = 0; t < x.length; t += 1) {
    const r = index.row(x, t);
    if (t % 97 === 0) assert.equal(r, matchRow(x, t, 5));
  }
});

Deno.test("FileMatchIndex.windowRows() equals fileWindowMatchRows() for any window and history", () => {
  for (
    const [alphabet, k, period] of [[3, 4, 0], [26, 5, 700], [4, 6, 0], [2, 32, 50], [26, 6, 0]]
  ) {
    const x = bytes(6000, alphabet, alphabet * 11 + k);
    if (period > 0) { for (let i = period; i < x.length; i++) x[i] = x[i - period]; }
    const index = new FileMatchIndex(x, k);
    let cut = 0; // rows that the history's limit changed
    for (
      const [start, T, history] of [
        [0, 500, 9999],
        [37, 400, 0],
        [1000, 500, 1],
        [2500, 700, 64],
        [4000, 2000, 1500],
        [3000, 300, 3000],
        [5990, 10, 100],
        [2048, 1024, k + 1],
      ]
    ) {
      const want = fileWindowMatchRows(x, start, T, k, history);
      assert.deepEqual(
        index.windowRows(start, T, history),
        want,
        `k ${k} window ${start} history ${history}`,
      );
      const all = fileWindowMatchRows(x, start, T, k, start);
      for (let t = 0; t < T; t++) if (all[t] !== want[t]) cut++;
    }
    if (alphabet <= 4 || period > 0) assert.ok(cut > 0, `no history limit mattered (k ${k})`);
  }
});
