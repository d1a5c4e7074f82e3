import assert from "node:assert/strict";
import { InvalidArgumentError } from "commander";
import {
  availableMemory,
  BASE_MEMORY,
  effectiveWorkers,
  parseSize,
  parseWorkers,
  WORKER_MEMORY,
} from "./_parse.ts";

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
  const cores = Math.max(1, navigator.hardwareConcurrency || 1);
  assert.equal(effectiveWorkers(0, true, null), cores);
  assert.equal(effectiveWorkers(3, true, null), 3);
  assert.equal(effectiveWorkers(3, true, 0), 3, "a count given is kept, whatever the memory");
  assert.equal(effectiveWorkers(0, true, 2 ** 50), cores);
});

Deno.test("effectiveWorkers(0) starts no more workers than the available memory holds, at least one", () => {
  const cores = Math.max(1, navigator.hardwareConcurrency || 1);
  const fit = (kind: "model" | "noModel", workers: number) =>
    BASE_MEMORY[kind] + workers * WORKER_MEMORY[kind];
  assert.equal(effectiveWorkers(0, true, fit("model", 1)), 1);
  assert.equal(effectiveWorkers(0, true, fit("model", 2) - 1), 1);
  assert.equal(effectiveWorkers(0, true, fit("model", 2)), Math.min(2, cores));
  assert.equal(effectiveWorkers(0, true, 0), 1);
  // Without a model a worker takes far less: the same memory holds more of them.
  assert.equal(effectiveWorkers(0, false, fit("model", 1)), Math.min(cores, 9));
});

Deno.test("availableMemory() is null without --allow-sys=systemMemoryInfo, else the bytes available", () => {
  const state = Deno.permissions.querySync({ name: "sys", kind: "systemMemoryInfo" }).state;
  const available = availableMemory();
  if (state === "granted") assert.ok(available !== null && available > 0);
  else assert.equal(available, null);
});
