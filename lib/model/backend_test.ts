import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { setBackend } from "./backend.ts";

Deno.test("setBackend() switches to the cpu backend", async () => {
  await setBackend("cpu");
  assert.equal(tf.getBackend(), "cpu");
  assert.deepEqual(tf.tidy(() => tf.add(tf.tensor([1, 2]), 1).arraySync()), [2, 3]);
});

Deno.test("setBackend() fails in one line when @tensorflow/tfjs-node-gpu is not installed", async () => {
  await assert.rejects(() => setBackend("tensorflow"), (error: Error) => {
    assert.match(
      error.message,
      /^Cannot use the tensorflow backend: @tensorflow\/tfjs-node-gpu is not installed/,
    );
    assert.ok(!error.message.includes("\n"));
    return true;
  });
  await setBackend("cpu");
});

Deno.test("setBackend() rejects an unknown backend name", async () => {
  await assert.rejects(() => setBackend("cuda" as "cpu"), TypeError);
});
