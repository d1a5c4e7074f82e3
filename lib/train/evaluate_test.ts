import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { setBackend } from "../model/backend.ts";
import { LEVELS } from "../model/configs.ts";
import { Megabyte } from "../model/megabyte.ts";
import { evaluateBpb } from "./evaluate.ts";
import { matchRowsAfter } from "../model/match.ts";
import { Rng } from "./rng.ts";
import type { ValidationSet } from "./windows.ts";

await setBackend("cpu");

Deno.test("evaluateBpb() gives each category's and the overall bits per byte, whatever the batch", async () => {
  const config = LEVELS.tiny;
  const T = config.context;
  const model = new Megabyte(config, { seed: 3 });
  const rng = new Rng(4);
  const set = (name: string, count: number, spread: number): ValidationSet => ({
    name,
    count,
    windows: Int32Array.from({ length: count * T }, () => 97 + rng.int(spread)),
  });
  const sets = [set("narrow", 3, 4), set("wide", 2, 150)];
  // Reference: one window at a time, nats → bits.
  const windowBits = (s: ValidationSet, i: number) =>
    tf.tidy(() => model.loss(tf.tensor2d(s.windows.subarray(i * T, (i + 1) * T), [1, T], "int32")))
      .dataSync()[0] / Math.LN2;
  const narrow = [0, 1, 2].map((i) => windowBits(sets[0], i));
  const wide = [0, 1].map((i) => windowBits(sets[1], i));
  for (const batch of [1, 2, 5]) {
    const result = await evaluateBpb(model, sets, { length: T, batch, step: 7 });
    assert.equal(result.step, 7);
    const close = (a: number, b: number) => Math.abs(a - b) < 1e-5;
    assert.ok(close(result.categories.narrow, narrow.reduce((a, b) => a + b) / 3));
    assert.ok(close(result.categories.wide, wide.reduce((a, b) => a + b) / 2));
    assert.ok(
      close(result.bpb, [...narrow, ...wide].reduce((a, b) => a + b) / 5),
      `batch ${batch}`,
    );
  }
  model.dispose();
});

Deno.test("evaluateBpb() looks the match row up in a set's own matchRows where it has them", async () => {
  const config = LEVELS.tinymatch;
  const T = config.context;
  const k = config.matchLength!;
  const model = new Megabyte(config, { seed: 5 });
  const table = model.variables.get("local.match_emb")!;
  table.assign(tf.randomNormal(table.shape, 0, 1, "float32", 6)); // a match row that matters
  const text = new TextEncoder().encode("abcdefgh ijklmnop qrstuvwx ".repeat(20));
  const windows = Int32Array.from(text.subarray(0, 3 * T)); // (3, T)
  const plain: ValidationSet = { name: "a", count: 3, windows };
  // Each window's own rows: the same as none given.
  const own = new Int32Array(3 * T);
  for (let b = 0; b < 3; b++) {
    own.set(matchRowsAfter(windows.subarray(b * T, (b + 1) * T), 0, T, k, -1), b * T);
  }
  // Rows found in the whole text before each window.
  const long = new Int32Array(3 * T);
  for (let b = 0; b < 3; b++) long.set(matchRowsAfter(text, b * T, T, k, -1).subarray(0, T), b * T);
  const options = { length: T, batch: 2, step: 0 };
  const without = await evaluateBpb(model, [plain], options);
  const withOwn = await evaluateBpb(model, [{ ...plain, matchRows: own }], options);
  const withLong = await evaluateBpb(model, [{ ...plain, matchRows: long }], options);
  assert.ok(Math.abs(withOwn.bpb - without.bpb) < 1e-6);
  assert.ok(Math.abs(withLong.bpb - without.bpb) > 1e-3, "the rows given were not used");
  model.dispose();
});
