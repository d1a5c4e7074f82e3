import assert from "node:assert/strict";
import type { Corpus } from "../../lib/train/corpus.ts";
import { validationWindows } from "../../lib/train/windows.ts";
import { cutWindows } from "./valid_windows.ts";

Deno.test("cutWindows() keeps exactly the windows the trainer validates on, which it picks again from the cut", () => {
  const bytes = Uint8Array.from({ length: 100_003 }, (_, i) => (i * 7919) % 251);
  const corpus = (b: Uint8Array): Corpus => ({
    files: [{ name: "f", path: "f", bytes: b, sha256: "" }],
    totalBytes: b.length,
  });
  for (const [perFile, length] of [[8, 64], [32, 4096], [1, 512]]) {
    const cut = cutWindows(bytes, perFile, length);
    assert.equal(cut.length, perFile * length);
    const whole = validationWindows(corpus(bytes), { length, perFile });
    const again = validationWindows(corpus(cut), { length, perFile });
    assert.deepEqual(again, whole);
  }
  assert.equal(cutWindows(bytes.subarray(0, 100), 8, 128).length, 0); // shorter than one window
  assert.equal(cutWindows(bytes.subarray(0, 130), 8, 128).length, 3 * 128); // three starts only
  // (from which 8 would be picked again: the cut is for files of at least --valid-windows starts)
});
