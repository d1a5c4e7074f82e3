import assert from "node:assert/strict";
import { hashTables, MAX_HASH_ORDERS, sameConfig, validateConfig } from "./config.ts";
import { LEVELS } from "./configs.ts";

Deno.test("sameConfig() tells models apart by their hash tables, absent fields being 0", () => {
  assert.ok(sameConfig(LEVELS.local4, { ...LEVELS.local4 }));
  assert.ok(sameConfig(LEVELS.local4, { ...LEVELS.local4, hashOrders: 0, hashRows: 0 }));
  assert.ok(!sameConfig(LEVELS.local4, LEVELS.local4hash));
  assert.ok(!sameConfig(LEVELS.local4hash, { ...LEVELS.local4hash, hashRows: 65536 }));
  assert.ok(!sameConfig(LEVELS.tiny, { ...LEVELS.tiny, localLayers: 3 }));
  assert.deepEqual(hashTables(LEVELS.tiny), { orders: 0, rows: 0 });
  assert.deepEqual(hashTables(LEVELS.local4hash), { orders: 5, rows: 32768 });
});

Deno.test("validateConfig() takes 0..8 orders with power-of-two rows, and no rows without orders", () => {
  validateConfig({ ...LEVELS.tiny, hashOrders: MAX_HASH_ORDERS, hashRows: 2 });
  validateConfig({ ...LEVELS.tiny, hashOrders: 1, hashRows: 1 << 24 });
  const bad: [number | undefined, number | undefined, RegExp][] = [
    [MAX_HASH_ORDERS + 1, 64, /hashOrders must be an integer in 0\.\.8/],
    [-1, 64, /hashOrders/],
    [1.5, 64, /hashOrders/],
    [2, 48, /hashRows must be a power of two/],
    [2, 1, /hashRows/],
    [2, 2 ** 25, /hashRows/],
    [2, undefined, /hashRows/],
    [undefined, 64, /hashRows must be 0 without hashOrders/],
    [0, 64, /hashRows must be 0 without hashOrders/],
  ];
  for (const [hashOrders, hashRows, message] of bad) {
    assert.throws(
      () => validateConfig({ ...LEVELS.tiny, hashOrders, hashRows }),
      message,
      `${hashOrders}, ${hashRows}`,
    );
  }
});
