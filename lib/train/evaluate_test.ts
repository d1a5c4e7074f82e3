import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { setBackend } from "../model/backend.ts";
import { LEVELS } from "../model/configs.ts";
import { Megabyte } from "../model/megabyte.ts";
import { evaluateBpb } from "./evaluate.ts";
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
