import assert from "node:assert/strict";
import { Rng } from "./rng.ts";

Deno.test("Rng() gives equal streams for equal seeds and different streams for different seeds", () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const sa = Array.from({ length: 8 }, () => a.uint32());
  assert.deepEqual(sa, Array.from({ length: 8 }, () => b.uint32()));
  assert.notDeepEqual(sa, Array.from({ length: 8 }, () => c.uint32()));
});

Deno.test("Rng.setState() continues the stream where getState() left it", () => {
  const a = new Rng(7);
  for (let i = 0; i < 5; i++) a.uint32();
  const saved = a.getState();
  const expected = Array.from({ length: 5 }, () => a.int(1000));
  const b = new Rng(99);
  b.setState(saved);
  assert.deepEqual(Array.from({ length: 5 }, () => b.int(1000)), expected);
});

Deno.test("Rng.int() stays in range and covers every value", () => {
  const rng = new Rng(1);
  const seen = new Array(7).fill(0);
  for (let i = 0; i < 7000; i++) {
    const v = rng.int(7);
    assert.ok(Number.isInteger(v) && v >= 0 && v < 7);
    seen[v]++;
  }
  for (const count of seen) assert.ok(count > 800 && count < 1200, `counts ${seen}`);
  for (let i = 0; i < 100; i++) {
    const v = rng.int(2 ** 40 + 3);
    assert.ok(Number.isInteger(v) && v >= 0 && v < 2 ** 40 + 3);
  }
});

Deno.test("Rng.setState() rejects an all-zero or malformed state", () => {
  const rng = new Rng(1);
  assert.throws(() => rng.setState([0, 0, 0, 0]), RangeError);
  assert.throws(() => rng.setState([1, 2, 3]), RangeError);
  assert.throws(() => rng.setState([1, 2, 3, 2 ** 32]), RangeError);
});
