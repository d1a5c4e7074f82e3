import assert from "node:assert/strict";
import { validateConfig } from "./config.ts";
import { LEVELS } from "./configs.ts";
import { flopsPerByte, paramCount } from "./flops.ts";

Deno.test("LEVELS holds valid tiny, small, default, local4, tinyhash, local4hash, local4hash64k, tinymatch and local4hashmatch configs", () => {
  assert.deepEqual(Object.keys(LEVELS), [
    "tiny",
    "small",
    "default",
    "local4",
    "tinyhash",
    "local4hash",
    "local4hash64k",
    "tinymatch",
    "local4hashmatch",
  ]);
  for (const config of Object.values(LEVELS)) validateConfig(config);
  assert.throws(() => {
    (LEVELS as Record<string, unknown>).huge = {};
  }, TypeError);
});

Deno.test("LEVELS.default fits the CPU engine: ≤ 3 MFLOP per byte, mostly global, ≤ 24 MiB as int8 or float16", () => {
  const config = LEVELS.default;
  const n = paramCount(config);
  assert.ok(flopsPerByte(config) <= 3e6, `${flopsPerByte(config)} FLOP per byte`);
  assert.ok(n.global > 0.8 * n.total, `global ${n.global} of ${n.total}`);
  assert.ok(2 * n.total < 24 * 2 ** 20, `${n.total} parameters`);
});

Deno.test("LEVELS.local4 is default with two more local layers (so --init can grow the shipped model)", () => {
  assert.deepEqual(LEVELS.local4, {
    ...LEVELS.default,
    localLayers: LEVELS.default.localLayers + 2,
  });
});

Deno.test("LEVELS.tiny keeps the sizes the engine fixtures are built on", () => {
  assert.deepEqual(LEVELS.tiny, {
    patchSize: 4,
    globalDim: 8,
    globalLayers: 2,
    globalHeads: 2,
    localDim: 16,
    localLayers: 2,
    localHeads: 2,
    context: 64,
    mlpRatio: 4,
  });
});

Deno.test("LEVELS.local4hash is local4 with hashed n-gram tables (so --init can grow the shipped model)", () => {
  assert.deepEqual(LEVELS.local4hash, { ...LEVELS.local4, hashOrders: 5, hashRows: 32768 });
  assert.deepEqual(LEVELS.local4hash64k, { ...LEVELS.local4hash, hashRows: 65536 });
  assert.deepEqual(LEVELS.tinyhash, { ...LEVELS.tiny, hashOrders: 2, hashRows: 64 });
});
