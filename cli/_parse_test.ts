import assert from "node:assert/strict";
import { InvalidArgumentError } from "commander";
import { effectiveWorkers, parseSize, parseWorkers } from "./_parse.ts";

Deno.test("parseSize() reads plain numbers and binary units", () => {
  assert.equal(parseSize("65536"), 65536);
  assert.equal(parseSize("64K"), 65536);
  assert.equal(parseSize("64kib"), 65536);
  assert.equal(parseSize("1M"), 1 << 20);
  assert.equal(parseSize("1.5M"), 1.5 * (1 << 20));
  assert.equal(parseSize("2G"), 2 * 1024 ** 3);
  assert.equal(parseSize(" 7 B "), 7);
});

Deno.test("parseSize() throws InvalidArgumentError on junk, zero and fractions of a byte", () => {
  for (const bad of ["", "x", "12x", "-1", "0", "0.5", "1.5", "1e3", "9999999999999999G"]) {
    assert.throws(() => parseSize(bad), InvalidArgumentError, bad);
  }
});

Deno.test("parseWorkers() accepts 0..1024 and nothing else", () => {
  assert.equal(parseWorkers("0"), 0);
  assert.equal(parseWorkers("2"), 2);
  assert.equal(parseWorkers("1024"), 1024);
  for (const bad of ["", "-1", "1.5", "two", "1025"]) {
    assert.throws(() => parseWorkers(bad), InvalidArgumentError, bad);
  }
});

Deno.test("effectiveWorkers() turns 0 into the number of cores and keeps other counts", () => {
  assert.equal(effectiveWorkers(0), Math.max(1, navigator.hardwareConcurrency || 1));
  assert.equal(effectiveWorkers(3), 3);
});
