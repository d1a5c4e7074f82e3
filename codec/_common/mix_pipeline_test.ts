// This module imports no tfjs.
import assert from "node:assert/strict";
import { createNeuralPredictor } from "../../lib/predict/neural.ts";
import { Random } from "../_testing/random.ts";
import { sampleFromModel, TINY_MATCH_CONFIG, tinyModel } from "../_testing/tiny_model.ts";
import { hasLongMatch, isMix, METHOD_NAMES } from "./format.ts";
import { createPredictor } from "./methods.ts";
import { encodeMixSegment } from "./mix_pipeline.ts";
import { encodeSegments } from "./segment_coding.ts";

const model = tinyModel(31); // context 64
const neural = createNeuralPredictor(model);
const tablesOf = (bytes: Uint8Array) => Promise.resolve(neural.predictSegment!(bytes));

Deno.test("encodeMixSegment() codes a segment as the mix predictor does, whatever its windows and lookahead", async () => {
  const mix = createPredictor("mix", model);
  const text = new Random(32).text(64 * 5 + 13);
  for (const n of [1, 63, 64, 65, 64 * 5, 64 * 5 + 13]) {
    const segment = n <= 64 ? sampleFromModel(model, n, n) : text.subarray(0, n);
    const [expected] = encodeSegments(mix, [segment], 1);
    for (const ahead of [1, 2, 7]) {
      assert.deepEqual(
        await encodeMixSegment(segment, 64, tablesOf, ahead),
        expected,
        `${n} ${ahead}`,
      );
    }
  }
});

Deno.test("encodeMixSegment() asks for every window once, `ahead` windows before it codes them", async () => {
  const segment = new Random(33).text(64 * 6 + 5);
  const asked: number[] = [];
  const release: (() => void)[] = [];
  const manual = (bytes: Uint8Array) => {
    asked.push(bytes.length);
    const { promise, resolve } = Promise.withResolvers<Uint32Array>();
    release.push(() => resolve(neural.predictSegment!(bytes)));
    return promise;
  };
  const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
  const coding = encodeMixSegment(segment, 64, manual, 3);
  await tick();
  assert.equal(asked.length, 3); // windows 0-2, none of them answered yet
  for (let k = 0; k < 7; k++) {
    release[k]!(); // window k answered: coded, and window k + 3 asked for
    await tick();
    assert.equal(asked.length, Math.min(7, k + 4), `after window ${k}`);
  }
  assert.deepEqual(asked, [64, 64, 64, 64, 64, 64, 5]);
  assert.deepEqual(await coding, encodeSegments(createPredictor("mix", model), [segment], 1)[0]);
});

Deno.test("encodeMixSegment() fails with the tables' error, and on tables of the wrong size", async () => {
  const segment = new Random(34).text(200);
  let calls = 0;
  const failing = (bytes: Uint8Array) => {
    if (++calls === 2) return Promise.reject(new Error("worker gone"));
    return tablesOf(bytes);
  };
  await assert.rejects(encodeMixSegment(segment, 64, failing, 4), /worker gone/);
  const short = (bytes: Uint8Array) => tablesOf(bytes.subarray(1));
  await assert.rejects(
    encodeMixSegment(segment, 64, short, 2),
    /Cannot encode window 0: expected 16384 table entries, got 16128/,
  );
});

Deno.test("encodeMixSegment() with long matches codes a segment as the mix-long predictor does (as mix-sse to mix-sse9 for those methods), and differs from mix", async () => {
  const matching = tinyModel(35, "tiny-match", 35, TINY_MATCH_CONFIG);
  const mixLong = createPredictor("mix-long", matching);
  const neuralOf = createNeuralPredictor(matching);
  const tables = (bytes: Uint8Array, rows?: Int32Array) =>
    Promise.resolve(neuralOf.predictSegment(bytes, rows));
  const phrase = new Random(36).text(150);
  const segment = new Uint8Array([...phrase, ...new Random(37).text(100), ...phrase]);
  const [expected] = encodeSegments(mixLong, [segment], 1);
  for (const ahead of [1, 3]) {
    assert.deepEqual(
      await encodeMixSegment(segment, 64, tables, ahead, "mix-long", 3),
      expected,
      `${ahead}`,
    );
  }
  const [mix] = encodeSegments(createPredictor("mix", matching), [segment], 1);
  assert.notDeepEqual(mix, expected);
  assert.deepEqual(await encodeMixSegment(segment, 64, tables, 2), mix);
  // mix-sse to mix-sse9: the same pipeline, the mix refined (lib/predict/sse.ts, sse2.ts).
  for (
    const method of METHOD_NAMES.filter(isMix).filter((m) => hasLongMatch(m) && m !== "mix-long")
  ) {
    const [refined] = encodeSegments(createPredictor(method, matching), [segment], 1);
    assert.notDeepEqual(refined, expected);
    for (const ahead of [1, 3]) {
      assert.deepEqual(
        await encodeMixSegment(segment, 64, tables, ahead, method, 3),
        refined,
        `${method} ${ahead}`,
      );
    }
  }
});
