import assert from "node:assert/strict";
import { expf, geluf, roundEven, rsqrtf, tanhf } from "./f32_math.ts";

/** Float32 values spread over the ranges the engine uses them on. */
function samples(): number[] {
  const out: number[] = [];
  for (let i = -4000; i <= 4000; i++) out.push(Math.fround(i / 40));
  for (let e = -30; e <= 30; e++) out.push(Math.fround(1.37 * 2 ** e), Math.fround(-1.37 * 2 ** e));
  return out;
}

Deno.test("roundEven() rounds ties to even and keeps the sign of zero, like f32.nearest", () => {
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999998, 7].map(roundEven), [
    0,
    2,
    2,
    -0,
    -2,
    -2,
    2,
    7,
  ]);
  assert.ok(Object.is(roundEven(-0.3), -0));
  assert.ok(Object.is(roundEven(0.3), 0));
  assert.equal(roundEven(2 ** 24 + 2), 2 ** 24 + 2);
});

Deno.test("expf() is within 1e-6 relative of e^x on [−80, 0], 0 below −87, 1 at 0 and above", () => {
  let worst = 0;
  for (const v of samples()) {
    const x = -Math.abs(v);
    if (x > -80) worst = Math.max(worst, Math.abs(expf(x) / Math.exp(x) - 1));
  }
  assert.ok(worst < 1e-6, `worst relative error ${worst}`);
  assert.equal(expf(0), 1);
  assert.equal(expf(3), 1);
  assert.equal(expf(-87.5), 0);
  assert.equal(expf(NaN), 0);
});

Deno.test("expf() never increases with x on [−87, 0]", () => {
  let prev = 0;
  for (let i = -87 * 64; i <= 0; i++) {
    const y = expf(i / 64);
    assert.ok(y >= prev, `expf(${i / 64}) = ${y} < ${prev}`);
    prev = y;
  }
});

Deno.test("tanhf(), geluf() and rsqrtf() are within 1e-6 of the true functions", () => {
  let tanh = 0, gelu = 0, rsqrt = 0;
  for (const x of samples()) {
    tanh = Math.max(tanh, Math.abs(tanhf(x) - Math.tanh(x)));
    const g = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    gelu = Math.max(gelu, Math.abs(geluf(x) - g) / Math.max(1, Math.abs(x)));
    if (x > 1e-6) rsqrt = Math.max(rsqrt, Math.abs(rsqrtf(x) * Math.sqrt(x) - 1));
  }
  assert.ok(tanh < 1e-6, `tanh error ${tanh}`);
  assert.ok(gelu < 1e-6, `gelu error ${gelu}`);
  assert.ok(rsqrt < 1e-6, `rsqrt error ${rsqrt}`);
  assert.equal(tanhf(-100), -1);
  assert.ok(Object.is(tanhf(-0), 0));
});
