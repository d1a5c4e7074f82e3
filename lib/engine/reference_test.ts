import assert from "node:assert/strict";
import {
  ENGINE_TEST_CONFIGS,
  randomModel,
  Rng,
  SMALL_CONFIG,
} from "../../tests/engine/_random_model.ts";
import { LEVELS } from "../model/configs.ts";
import { freqsFromLogits, referenceLogits, referenceTables } from "./reference.ts";

Deno.test("referenceLogits() is causal: changing byte t changes no row ≤ t, across patch boundaries", () => {
  for (const config of ENGINE_TEST_CONFIGS) {
    const model = randomModel(config, 1);
    const rng = new Rng(2);
    const bytes = rng.bytes(config.context);
    const base = referenceLogits(model, bytes);
    for (const t of [0, config.patchSize - 1, config.patchSize, config.context - 1]) {
      const changed = bytes.slice();
      changed[t] ^= 0x55;
      const logits = referenceLogits(model, changed);
      assert.deepEqual(
        logits.subarray(0, (t + 1) * 256),
        base.subarray(0, (t + 1) * 256),
        `byte ${t}`,
      );
      if (t + 1 < config.context) {
        assert.notDeepEqual(
          logits.subarray((t + 1) * 256),
          base.subarray((t + 1) * 256),
          `byte ${t} matters`,
        );
      }
    }
  }
});

Deno.test("referenceLogits() of a prefix is the prefix of the logits", () => {
  for (const config of [SMALL_CONFIG, LEVELS.tinyhash]) {
    const model = randomModel(config, 3);
    const bytes = new Rng(4).bytes(config.context);
    const all = referenceLogits(model, bytes);
    for (const n of [1, 3, 4, 5, 33]) {
      assert.deepEqual(
        referenceLogits(model, bytes.subarray(0, n)),
        all.subarray(0, n * 256),
        `prefix ${n}`,
      );
    }
    assert.throws(() => referenceLogits(model, new Uint8Array(65)), /exceed its context of 64/);
  }
});

Deno.test("freqsFromLogits() keeps every entry ≥ 1, sums to 65536 and orders entries like the logits", () => {
  const rng = new Rng(5);
  const table = new Uint32Array(256);
  for (const scale of [0, 0.01, 1, 10, 100, 1e4]) {
    const logits = rng.floats(256, scale);
    freqsFromLogits(logits, table);
    assert.equal(table.reduce((a, b) => a + b, 0), 65536);
    assert.ok(table.every((f) => f >= 1));
    for (let i = 0; i < 255; i++) {
      if (logits[i] < logits[i + 1]) {
        assert.ok(table[i] <= table[i + 1] + 255, `scale ${scale}, ${i}`);
      }
    }
  }
  const peaked = new Float32Array(256).fill(-1000);
  peaked[65] = 0;
  freqsFromLogits(peaked, table);
  assert.equal(table[65], 65536 - 255);
});

Deno.test("referenceTables() cannot predict random bytes well; uniform logits give the flat table", () => {
  const model = randomModel(SMALL_CONFIG, 6);
  const bytes = new Rng(7).bytes(SMALL_CONFIG.context);
  const tables = referenceTables(model, bytes);
  let bits = 0;
  for (let t = 0; t < bytes.length; t++) bits -= Math.log2(tables[t * 256 + bytes[t]] / 65536);
  assert.ok(bits / bytes.length > 1, "random bytes cannot be predicted well");
  const uniform = new Uint32Array(256);
  freqsFromLogits(new Float32Array(256), uniform);
  assert.ok(uniform.every((f) => f === 256));
});
