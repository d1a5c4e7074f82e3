import assert from "node:assert/strict";
import { LEVELS } from "./configs.ts";
import { tensorShapes } from "./tensor_shapes.ts";

Deno.test("tensorShapes() lists ARCHITECTURE.md's tensors in canonical order with their shapes", () => {
  const shapes = tensorShapes({ ...LEVELS.tiny, globalLayers: 1, localLayers: 1 });
  assert.deepEqual([...shapes], [
    ["global.byte_emb", [256, 8]],
    ["global.pos_emb", [64, 8]],
    ["global.pad", [32]],
    ["global.h0.ln1", [32]],
    ["global.h0.wqkv", [32, 96]],
    ["global.h0.wo", [32, 32]],
    ["global.h0.ln2", [32]],
    ["global.h0.w1", [32, 128]],
    ["global.h0.w2", [128, 32]],
    ["global.ln_f", [32]],
    ["g2l.w", [8, 16]],
    ["local.byte_emb", [256, 16]],
    ["local.pos_emb", [4, 16]],
    ["local.pad", [16]],
    ["local.h0.ln1", [16]],
    ["local.h0.wqkv", [16, 48]],
    ["local.h0.wo", [16, 16]],
    ["local.h0.ln2", [16]],
    ["local.h0.w1", [16, 64]],
    ["local.h0.w2", [64, 16]],
    ["local.ln_f", [16]],
    ["local.head", [16, 256]],
  ]);
});

Deno.test("tensorShapes() has 10 + 6 tensors per layer and rejects an invalid config", () => {
  assert.equal(
    tensorShapes(LEVELS.default).size,
    10 + 6 * (LEVELS.default.globalLayers + LEVELS.default.localLayers),
  );
  assert.throws(() => tensorShapes({ ...LEVELS.tiny, globalHeads: 3 }), RangeError);
});

Deno.test("tensorShapes() puts the hashed n-gram tables, orders 2..H+1, right after local.pad", () => {
  const plain = [...tensorShapes(LEVELS.tiny)];
  const hashed = [...tensorShapes(LEVELS.tinyhash)];
  const pad = plain.findIndex(([name]) => name === "local.pad");
  assert.deepEqual(hashed, [
    ...plain.slice(0, pad + 1),
    ["local.ngram2_emb", [64, 16]],
    ["local.ngram3_emb", [64, 16]],
    ...plain.slice(pad + 1),
  ]);
  assert.equal(hashed.length, 10 + 6 * 4 + 2);
  const local4hash = [...tensorShapes(LEVELS.local4hash).keys()].filter((n) => n.includes("ngram"));
  assert.deepEqual(local4hash, [2, 3, 4, 5, 6].map((n) => `local.ngram${n}_emb`));
  assert.deepEqual(
    [...tensorShapes({ ...LEVELS.tiny, hashOrders: 0, hashRows: 0 })],
    plain,
  );
  assert.throws(() => tensorShapes({ ...LEVELS.tinyhash, hashRows: 0 }), RangeError);
});
