import assert from "node:assert/strict";
import { dropMask } from "./ngram_dropout.ts";
import { Rng } from "./rng.ts";

Deno.test("dropMask() drops about p of the entries, the same ones for the same seed", () => {
  const a = dropMask(100_000, 0.2, new Rng(7))!;
  assert.ok(a.every((k) => k === 0 || k === 1));
  const dropped = a.filter((k) => k === 0).length;
  assert.ok(Math.abs(dropped / a.length - 0.2) < 0.01, `${dropped}`);
  assert.deepEqual(dropMask(100_000, 0.2, new Rng(7)), a);
  assert.notDeepEqual(dropMask(100_000, 0.2, new Rng(8)), a);
});

Deno.test("dropMask() with p = 0 is no mask and draws nothing from the generator", () => {
  const rng = new Rng(3);
  assert.equal(dropMask(3, 0, rng), undefined);
  assert.equal(rng.uint32(), new Rng(3).uint32());
  assert.throws(() => dropMask(3, 1, rng), /p must be in \[0, 1\), got 1/);
  assert.throws(() => dropMask(3, -0.1, rng), /got -0.1/);
});
