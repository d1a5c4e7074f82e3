import assert from "node:assert/strict";
import { learningRate } from "./schedule.ts";

const schedule = { maxLr: 1e-3, minLr: 1e-4, warmupSteps: 9, steps: 109 };

Deno.test("learningRate() warms up linearly to the peak", () => {
  assert.ok(Math.abs(learningRate(0, schedule) - 1e-4) < 1e-15); // 1e-3 · 1/10
  assert.ok(Math.abs(learningRate(4, schedule) - 5e-4) < 1e-15); // 1e-3 · 5/10
  assert.ok(Math.abs(learningRate(9, schedule) - 1e-3) < 1e-15); // end of warmup: the peak
});

Deno.test("learningRate() decays along a cosine to the floor and stays there", () => {
  // Halfway through the decay the cosine term is 0.5: (max + min) / 2.
  assert.ok(Math.abs(learningRate(59, schedule) - 5.5e-4) < 1e-15);
  // A quarter: 0.5·(1 + cos(π/4)).
  const quarter = 1e-4 + 0.5 * (1 + Math.SQRT1_2) * 9e-4;
  assert.ok(Math.abs(learningRate(34, schedule) - quarter) < 1e-15);
  assert.equal(learningRate(109, schedule), 1e-4);
  assert.equal(learningRate(10_000, schedule), 1e-4);
  for (let s = 10; s < 109; s++) {
    assert.ok(learningRate(s, schedule) < learningRate(s - 1, schedule));
  }
});

Deno.test("learningRate() without warmup starts at the peak", () => {
  assert.equal(learningRate(0, { ...schedule, warmupSteps: 0 }), 1e-3);
});

Deno.test("learningRate() rejects a negative or fractional step", () => {
  assert.throws(() => learningRate(-1, schedule), RangeError);
  assert.throws(() => learningRate(1.5, schedule), RangeError);
});

const wsd = {
  shape: "wsd",
  maxLr: 1e-3,
  minLr: 1e-4,
  warmupSteps: 9,
  steps: 109,
  decaySteps: 20,
} as const;

Deno.test("learningRate() wsd warms up like the cosine, then holds the peak until the decay", () => {
  for (let s = 0; s < 9; s++) assert.equal(learningRate(s, wsd), learningRate(s, schedule));
  for (let s = 9; s < 89; s++) assert.equal(learningRate(s, wsd), 1e-3);
});

Deno.test("learningRate() wsd decays as 1 − sqrt over the last decaySteps steps to the floor", () => {
  // Step 89 is the first of 20: 1/20 done.
  assert.ok(Math.abs(learningRate(89, wsd) - (1e-4 + (1 - Math.sqrt(1 / 20)) * 9e-4)) < 1e-15);
  assert.ok(Math.abs(learningRate(93, wsd) - (1e-4 + (1 - Math.sqrt(5 / 20)) * 9e-4)) < 1e-15);
  assert.equal(learningRate(108, wsd), 1e-4); // the last step takes the floor
  assert.equal(learningRate(109, wsd), 1e-4);
  assert.equal(learningRate(5000, wsd), 1e-4);
  for (let s = 90; s < 109; s++) assert.ok(learningRate(s, wsd) < learningRate(s - 1, wsd));
});

Deno.test("learningRate() wsd until the decay does not depend on the run's length", () => {
  // A stable run (no decay) prolonged from 109 to 10 000 steps, and a copy decayed at step 500.
  const stable = { ...wsd, decaySteps: 0 };
  for (const s of [9, 50, 108]) {
    assert.equal(learningRate(s, stable), learningRate(s, { ...stable, steps: 10_000 }));
  }
  const copy = { ...stable, steps: 600, decaySteps: 100 };
  assert.equal(learningRate(499, copy), 1e-3);
  assert.ok(learningRate(500, copy) < 1e-3);
  assert.equal(learningRate(599, copy), 1e-4);
});

Deno.test("learningRate() wsd whose decay overlaps the warmup takes the smaller rate", () => {
  const short = { ...wsd, steps: 20, decaySteps: 14 }; // the decay begins at step 6, in warmup
  assert.equal(learningRate(6, short), learningRate(6, schedule)); // warmup 7e-4 < decay 7.6e-4
  const decay = 1e-4 + (1 - Math.sqrt(3 / 14)) * 9e-4; // 5.8e-4 < warmup 9e-4
  assert.ok(Math.abs(learningRate(8, short) - decay) < 1e-15);
  assert.equal(learningRate(19, short), 1e-4);
});

Deno.test("learningRate() rejects a decay longer than the run or an unknown schedule", () => {
  assert.throws(() => learningRate(0, { ...wsd, decaySteps: 110 }), RangeError);
  assert.throws(() => learningRate(0, { ...wsd, decaySteps: -1 }), RangeError);
  // deno-lint-ignore no-explicit-any
  assert.throws(() => learningRate(0, { ...wsd, shape: "linear" as any }), RangeError);
});
