import assert from "node:assert/strict";
import { LEVELS } from "./configs.ts";
import { flopsPerByte, paramCount } from "./flops.ts";

Deno.test("paramCount() splits the tiny config's parameters by where they run", () => {
  const n = paramCount(LEVELS.tiny);
  // Global blocks: 2 × (2·32 + 32·96 + 32·32 + 32·128 + 128·32) + pad 32 + ln_f 32.
  assert.equal(n.global, 2 * (64 + 3072 + 1024 + 4096 + 4096) + 64);
  // Local: g2l 8·16, pad 16, blocks 2 × (2·16 + 16·48 + 16·16 + 16·64 + 64·16), ln_f 16, head 16·256.
  assert.equal(n.local, 128 + 16 + 2 * (32 + 768 + 256 + 1024 + 1024) + 16 + 4096);
  assert.equal(n.embeddings, 256 * 8 + 64 * 8 + 256 * 16 + 4 * 16);
  assert.equal(n.hash, 0);
  assert.equal(n.total, n.global + n.local + n.embeddings);
});

Deno.test("paramCount() counts the hashed n-gram tables apart, and in the total", () => {
  const plain = paramCount(LEVELS.tiny);
  const n = paramCount(LEVELS.tinyhash);
  assert.equal(n.hash, 2 * 64 * 16); // H tables of R rows × DL
  assert.deepEqual({ ...n, hash: 0, total: plain.total }, plain);
  assert.equal(n.total, plain.total + n.hash);
  // local4hash: +13.1 M parameters, as configs.ts says.
  assert.equal(paramCount(LEVELS.local4hash).hash, 5 * 32768 * 80);
  assert.equal(
    paramCount(LEVELS.local4hash).total,
    paramCount(LEVELS.local4).total + 13_107_200,
  );
});

Deno.test("flopsPerByte() counts matmuls once per patch for the global model, once per byte for the local one", () => {
  const c = LEVELS.tiny; // P 4, E 32, K 16, DL 16, DG 8, 2 + 2 layers, mlpRatio 4
  const expected = 2 * 2 * 12 * 32 * 32 / 4 + // global blocks, per byte
    2 * 2 * 32 * 17 / 4 + // global attention
    2 * 8 * 16 + // g2l
    2 * 2 * 12 * 16 * 16 + // local blocks
    2 * 2 * 16 * 5 + // local attention
    2 * 16 * 256; // head
  assert.equal(flopsPerByte(c), expected);
  // Doubling P at a fixed global width halves the global blocks' share.
  const wide = { ...c, patchSize: 8, globalDim: 4 };
  assert.ok(flopsPerByte(wide) < flopsPerByte(c));
});

Deno.test("flopsPerByte() adds H·DL per byte for the hashed n-gram tables", () => {
  assert.equal(flopsPerByte(LEVELS.tinyhash), flopsPerByte(LEVELS.tiny) + 2 * 16);
  assert.equal(flopsPerByte(LEVELS.local4hash), flopsPerByte(LEVELS.local4) + 5 * 80);
  assert.equal(flopsPerByte(LEVELS.local4), 3_227_648); // the shipped model's figure, unchanged
});
