import assert from "node:assert/strict";
import { dropNgrams } from "./ngram_dropout.ts";
import { Rng } from "./rng.ts";

Deno.test("dropNgrams() drops about p of the entries, only to the none row, the same ones for the same seed", () => {
  const rows = Int32Array.from({ length: 100_000 }, (_, i) => i % 64);
  const a = rows.slice();
  const dropped = dropNgrams(a, 64, 0.2, new Rng(7));
  assert.ok(Math.abs(dropped / rows.length - 0.2) < 0.01, `${dropped}`);
  for (let i = 0; i < rows.length; i++) assert.ok(a[i] === rows[i] || a[i] === 64);
  assert.equal(a.filter((r, i) => r !== rows[i]).length, dropped);
  const b = rows.slice();
  dropNgrams(b, 64, 0.2, new Rng(7));
  assert.deepEqual(b, a);
});

Deno.test("dropNgrams() with p = 0 changes nothing and draws nothing from the generator", () => {
  const rows = Int32Array.from([1, 2, 3]);
  const rng = new Rng(3);
  assert.equal(dropNgrams(rows, 64, 0, rng), 0);
  assert.deepEqual([...rows], [1, 2, 3]);
  assert.equal(rng.uint32(), new Rng(3).uint32());
  assert.throws(() => dropNgrams(rows, 64, 1, rng), /p must be in \[0, 1\), got 1/);
  assert.throws(() => dropNgrams(rows, 64, -0.1, rng), /got -0.1/);
});
