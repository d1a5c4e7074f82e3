import assert from "node:assert/strict";
import type { Corpus } from "./corpus.ts";
import { Rng } from "./rng.ts";
import { sampleWindows, validationWindows, writeCrlf } from "./windows.ts";

/** Files whose byte i is (i + offset) % 256, so a window's values reveal where it came from. */
function corpus(sizes: number[]): Corpus {
  const files = sizes.map((size, f) => ({
    name: `f${f}`,
    path: `f${f}`,
    bytes: Uint8Array.from({ length: size }, (_, i) => (i + 100 * f) % 256),
    sha256: "",
  }));
  return { files, totalBytes: sizes.reduce((a, b) => a + b, 0) };
}

Deno.test("sampleWindows() cuts windows of consecutive bytes inside one file", () => {
  const c = corpus([50, 10, 300]);
  const rng = new Rng(5);
  const T = 16;
  const rows = sampleWindows(c, rng, { batch: 64, length: T });
  assert.equal(rows.length, 64 * T);
  const fileOf = new Map<number, number>();
  for (let b = 0; b < 64; b++) {
    const row = rows.subarray(b * T, (b + 1) * T);
    // Find the file and start that produce this row.
    let found = false;
    for (const [f, file] of c.files.entries()) {
      for (let s = 0; s + T <= file.bytes.length && !found; s++) {
        if (row.every((v, i) => v === file.bytes[s + i])) {
          found = true;
          fileOf.set(b, f);
        }
      }
    }
    assert.ok(found, `row ${b} is not a window of any file`);
  }
  assert.ok(
    ![...fileOf.values()].includes(1),
    "file 1 is shorter than a window and must not be used",
  );
});

Deno.test("sampleWindows() is deterministic per seed and differs between seeds", () => {
  const c = corpus([1000, 2000]);
  const a = sampleWindows(c, new Rng(1), { batch: 4, length: 32 });
  const b = sampleWindows(c, new Rng(1), { batch: 4, length: 32 });
  const d = sampleWindows(c, new Rng(2), { batch: 4, length: 32 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, d);
});

Deno.test("sampleWindows() picks files in proportion to their windows", () => {
  // File 0 holds only 0s, file 1 only 1s: 1000 and 3000 windows of 32 bytes.
  const files = [1031, 3031].map((size, f) => ({
    name: `f${f}`,
    path: `f${f}`,
    bytes: new Uint8Array(size).fill(f),
    sha256: "",
  }));
  const rows = sampleWindows({ files, totalBytes: 4062 }, new Rng(3), { batch: 4000, length: 32 });
  let second = 0;
  for (let b = 0; b < 4000; b++) second += rows[b * 32];
  assert.ok(second > 2850 && second < 3150, `file 1 drawn ${second} times of 4000`);
});

Deno.test("sampleWindows() rejects a corpus with no file as long as a window", () => {
  assert.throws(
    () => sampleWindows(corpus([10, 20]), new Rng(1), { batch: 1, length: 21 }),
    RangeError,
  );
});

Deno.test("validationWindows() are fixed, evenly spaced, and span each file", () => {
  const c = corpus([100, 40, 10]);
  const sets = validationWindows(c, { length: 20, perFile: 5 });
  assert.deepEqual(sets.map((s) => [s.name, s.count]), [["f0", 5], ["f1", 5]]); // f2 too short
  const starts = Array.from({ length: 5 }, (_, i) => sets[0].windows[i * 20]);
  assert.deepEqual(starts, [0, 20, 40, 60, 80]); // last window ends at the file's end
  assert.deepEqual(validationWindows(c, { length: 20, perFile: 5 }), sets);
  const few = validationWindows(corpus([22]), { length: 20, perFile: 8 });
  assert.equal(few[0].count, 3); // only 3 distinct starts
});

Deno.test("writeCrlf() writes every bare LF as CR LF and fills the row", () => {
  const text = (s: string) => new TextEncoder().encode(s);
  const row = new Int32Array(10);
  writeCrlf(text("ab\ncd\r\nef\n\ngh"), row);
  assert.equal(String.fromCharCode(...row), "ab\r\ncd\r\nef");
  // A CR written last leaves no room for its LF: the row still holds exactly `length` bytes.
  const short = new Int32Array(3);
  writeCrlf(text("ab\ncdef"), short);
  assert.equal(String.fromCharCode(...short), "ab\r");
  // Without LF the row is a plain copy.
  const plain = new Int32Array(4);
  writeCrlf(text("abcdef"), plain);
  assert.equal(String.fromCharCode(...plain), "abcd");
});

Deno.test("sampleWindows() writes about the asked fraction of windows with CRLF, and none at 0", () => {
  const line = "0123456\n";
  const bytes = new TextEncoder().encode(line.repeat(200));
  const c: Corpus = {
    files: [{ name: "t", path: "t", bytes, sha256: "" }],
    totalBytes: bytes.length,
  };
  const T = 64;
  const count = (rows: Int32Array) => {
    let n = 0;
    for (let b = 0; b < rows.length / T; b++) {
      if (rows.subarray(b * T, (b + 1) * T).includes(0x0d)) n++;
    }
    return n;
  };
  const batch = 2000;
  const some = count(sampleWindows(c, new Rng(3), { batch, length: T, crlf: 0.25 }));
  assert.ok(some > 0.2 * batch && some < 0.3 * batch, `${some} of ${batch} windows in CRLF`);
  assert.equal(count(sampleWindows(c, new Rng(3), { batch, length: T, crlf: 0 })), 0);
  // crlf 0 draws as a run without the option did: the same windows.
  assert.deepEqual(
    sampleWindows(c, new Rng(9), { batch: 8, length: T, crlf: 0 }),
    sampleWindows(c, new Rng(9), { batch: 8, length: T }),
  );
  assert.throws(() => sampleWindows(c, new Rng(1), { batch: 1, length: T, crlf: 1.5 }), /crlf/);
});
