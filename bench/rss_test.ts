import assert from "node:assert/strict";
import { measureRss, MixedData } from "./rss.ts";

function drain(data: MixedData): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let c = data.chunk(); c !== null; c = data.chunk()) chunks.push(c);
  return chunks;
}

Deno.test("MixedData yields exactly its size, the same bytes on every run", () => {
  const size = 3 * 65536 + 123;
  const a = drain(new MixedData(size));
  const b = drain(new MixedData(size));
  assert.equal(a.reduce((n, c) => n + c.length, 0), size);
  assert.deepEqual(a, b);
  assert.notDeepEqual(drain(new MixedData(size, 7)), a);
});

Deno.test("MixedData mixes compressible and incompressible stretches", () => {
  const chunks = drain(new MixedData(1 << 22));
  let printable = 0;
  let total = 0;
  const seen = new Set<number>();
  for (const c of chunks) {
    for (const b of c) {
      if (b >= 32 && b < 127) printable++;
      seen.add(b);
    }
    total += c.length;
  }
  assert.ok(printable > 0.2 * total && printable < 0.9 * total, `${printable} of ${total}`);
  assert.equal(seen.size, 256);
});

Deno.test("measureRss() runs piped, compress alone and decompress alone, each verified", async () => {
  const result = await measureRss({ size: 300_000, workers: 2 });
  assert.equal(result.inputBytes, 300_000);
  assert.ok(result.archiveBytes > 0 && result.archiveBytes < 300_000);
  assert.equal(result.roundTripOk, true);
  assert.equal(result.alone?.compress.ok, true);
  assert.equal(result.alone?.decompress.ok, true);
  for (const r of [result, result.alone!.compress, result.alone!.decompress]) {
    assert.ok(r.peakRssBytes > 0 && r.seconds > 0);
  }
  assert.deepEqual(result.options, { workers: 2 });
});
