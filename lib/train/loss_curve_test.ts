import assert from "node:assert/strict";
import { lossCurveSvg } from "./loss_curve.ts";
import type { LogRecord } from "./run_log.ts";

Deno.test("lossCurveSvg() draws the training and validation series inside the plot", () => {
  const records: LogRecord[] = [];
  for (let s = 1; s <= 20; s++) {
    records.push({
      kind: "train",
      step: s,
      bytesSeen: s * 1000,
      lr: 1e-3,
      bpb: 8 - s / 5,
      gradNorm: 1,
      bytesPerSecond: 1,
    });
    if (s % 5 === 0) {
      records.push({ kind: "valid", step: s, bytesSeen: s * 1000, bpb: 8 - s / 6, categories: {} });
    }
  }
  const svg = lossCurveSvg(records, "run <a&b>");
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /run &lt;a&amp;b&gt;/);
  assert.equal(svg.match(/<circle /g)?.length, 4); // one marker per validation
  assert.equal(svg.match(/<path /g)?.length, 3); // raw train, its average, valid
  for (const m of svg.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)) {
    const [x, y] = [Number(m[1]), Number(m[2])];
    assert.ok(x >= 60 && x <= 700 && y >= 36 && y <= 372, `point ${x},${y} outside the plot`);
  }
  assert.match(svg, /<\/svg>\n$/);
});

Deno.test("lossCurveSvg() draws at most 1500 points per training series of a long run", () => {
  const records: LogRecord[] = [];
  for (let s = 1; s <= 10_000; s++) {
    records.push({
      kind: "train",
      step: s,
      bytesSeen: s * 64,
      lr: 1e-3,
      bpb: 8 - s / 2000,
      gradNorm: 1,
      bytesPerSecond: 1,
    });
  }
  const svg = lossCurveSvg(records, "long");
  const paths = [...svg.matchAll(/<path d="([^"]*)"/g)].map((m) => m[1].split(/[ML]/).length - 1);
  assert.equal(paths.length, 2);
  for (const n of paths) assert.ok(n > 1000 && n <= 1501, `${n} points`);
  assert.ok(svg.length < 100_000, `${svg.length} characters`);
});

Deno.test("lossCurveSvg() draws validation with history as its own series, with a legend line, only when logged", () => {
  const records: LogRecord[] = [];
  for (let s = 1; s <= 3; s++) {
    const common = { step: s, bytesSeen: s * 1000, categories: {} };
    records.push({ kind: "valid", ...common, bpb: 3 - s / 10 });
    records.push({ kind: "valid-history", history: 65536, ...common, bpb: 2.5 - s / 10 });
  }
  const svg = lossCurveSvg(records, "history");
  assert.equal(svg.match(/<circle [^>]*fill="#e6550d"/g)?.length, 3);
  assert.equal(svg.match(/<circle [^>]*fill="#31a354"/g)?.length, 3);
  assert.equal(svg.match(/<path /g)?.length, 2); // valid, valid with history
  assert.match(svg, />valid with history</);
  const plain = lossCurveSvg(records.filter((r) => r.kind === "valid"), "plain");
  assert.doesNotMatch(plain, /valid with history|#31a354/);
});
