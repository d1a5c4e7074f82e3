import assert from "node:assert/strict";
import { formatBytes, startProgress } from "./_progress.ts";

Deno.test("formatBytes() prints bytes below 1 KiB and one decimal above", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(1023), "1023 B");
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(3 * 1024 ** 3), "3.0 GiB");
});

Deno.test("startProgress() draws nothing when disabled and tolerates any call order", () => {
  const progress = startProgress("compressing x", 100, false);
  progress.update(50);
  progress.stop();
  progress.stop();
  progress.update(100);
});
