import assert from "node:assert/strict";
import { learningRate } from "./schedule.ts";

const schedule = { maxLr: 1e-3, minLr: 1e-4, warmupSteps: 9, decaySteps: 109 };

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
