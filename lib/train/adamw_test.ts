import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { AdamW, clipByGlobalNorm, decaysWeight } from "./adamw.ts";

await tf.setBackend("cpu");

/** PyTorch's AdamW written out in float64, one parameter array at a time. */
function reference(
  p: number[],
  grads: number[][],
  lrs: number[],
  o: { b1: number; b2: number; eps: number; wd: number },
): number[] {
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  p = [...p];
  grads.forEach((g, s) => {
    const t = s + 1;
    const lr = lrs[s];
    for (let i = 0; i < p.length; i++) {
      p[i] *= 1 - lr * o.wd;
      m[i] = o.b1 * m[i] + (1 - o.b1) * g[i];
      v[i] = o.b2 * v[i] + (1 - o.b2) * g[i] * g[i];
      const mHat = m[i] / (1 - o.b1 ** t);
      const vHat = v[i] / (1 - o.b2 ** t);
      p[i] -= (lr * mHat) / (Math.sqrt(vHat) + o.eps);
    }
  });
  return p;
}

Deno.test("AdamW.apply() matches a hand computation, decaying matrices and not gains", () => {
  const w0 = [0.5, -1.25, 2, 0.125];
  const ln0 = [1, 0.75];
  const w = tf.variable(tf.tensor2d(w0, [2, 2]));
  const ln = tf.variable(tf.tensor1d(ln0));
  const params = new Map<string, tf.Variable>([["local.h0.w1", w], ["local.h0.ln1", ln]]);
  const opt = new AdamW(params, { weightDecay: 0.1 });
  const wGrads = [[0.1, -0.2, 0.3, 0.05], [-0.4, 0.1, 0.2, 0.0], [0.3, 0.3, -0.1, 0.2]];
  const lnGrads = [[0.5, -0.5], [0.25, 1], [-1, 0.1]];
  const lrs = [0.01, 0.02, 0.005];
  for (let s = 0; s < 3; s++) {
    const grads = new Map<string, tf.Tensor>([
      ["local.h0.w1", tf.tensor2d(wGrads[s], [2, 2])],
      ["local.h0.ln1", tf.tensor1d(lnGrads[s])],
    ]);
    opt.apply(grads, lrs[s]);
    tf.dispose([...grads.values()]);
  }
  const hyper = { b1: 0.9, b2: 0.98, eps: 1e-8 };
  const wantW = reference(w0, wGrads, lrs, { ...hyper, wd: 0.1 });
  const wantLn = reference(ln0, lnGrads, lrs, { ...hyper, wd: 0 });
  const gotW = Array.from(w.dataSync());
  const gotLn = Array.from(ln.dataSync());
  for (let i = 0; i < 4; i++) {
    assert.ok(Math.abs(gotW[i] - wantW[i]) < 1e-6, `w[${i}]: ${gotW[i]} vs ${wantW[i]}`);
  }
  for (let i = 0; i < 2; i++) {
    assert.ok(Math.abs(gotLn[i] - wantLn[i]) < 1e-6, `ln[${i}]: ${gotLn[i]} vs ${wantLn[i]}`);
  }
  // Decay made a difference: without it the matrix would have moved less towards 0.
  const noDecay = reference(w0, wGrads, lrs, { ...hyper, wd: 0 });
  assert.ok(Math.abs(noDecay[2] - wantW[2]) > 1e-5);
  assert.equal(opt.step, 3);
  opt.dispose();
  tf.dispose([w, ln]);
});

Deno.test("AdamW.setState() restores moments so the next step is the same", async () => {
  const make = () => tf.variable(tf.tensor2d([1, 2, 3, 4], [2, 2]));
  const a = make();
  const optA = new AdamW(new Map([["g2l.w", a]]));
  const g = new Map<string, tf.Tensor>([["g2l.w", tf.tensor2d([0.1, -0.3, 0.2, 0.4], [2, 2])]]);
  optA.apply(g, 0.01);
  const saved = await optA.getState();
  const b = tf.variable(tf.tensor2d(a.dataSync(), [2, 2]));
  const optB = new AdamW(new Map([["g2l.w", b]]));
  optB.setState(saved);
  optA.apply(g, 0.01);
  optB.apply(g, 0.01);
  assert.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()));
  assert.throws(() => optB.setState({ step: 1, moments: new Map() }), RangeError);
  optA.dispose();
  optB.dispose();
  tf.dispose([a, b, ...g.values()]);
});

Deno.test("clipByGlobalNorm() scales gradients down to the norm and leaves small ones alone", async () => {
  const grads = new Map<string, tf.Tensor>([["a", tf.tensor1d([3])], ["b", tf.tensor1d([0, 4])]]);
  const big = clipByGlobalNorm(grads, 1);
  assert.ok(Math.abs((await big.norm.data())[0] - 5) < 1e-6);
  const a = (await big.grads.get("a")!.data())[0];
  const b = Array.from(await big.grads.get("b")!.data());
  assert.ok(Math.abs(a - 0.6) < 1e-6 && Math.abs(b[1] - 0.8) < 1e-6, `${a} ${b}`);
  const small = clipByGlobalNorm(grads, 10);
  assert.deepEqual(Array.from(await small.grads.get("b")!.data()), [0, 4]);
  tf.dispose([
    ...grads.values(),
    ...big.grads.values(),
    big.norm,
    ...small.grads.values(),
    small.norm,
  ]);
});

Deno.test("decaysWeight() picks projection matrices, not gains, embeddings or pads", () => {
  assert.equal(decaysWeight("global.h0.wqkv", [8, 24]), true);
  assert.equal(decaysWeight("local.head", [8, 256]), true);
  assert.equal(decaysWeight("g2l.w", [4, 8]), true);
  assert.equal(decaysWeight("global.h0.ln1", [8]), false);
  assert.equal(decaysWeight("global.byte_emb", [256, 4]), false);
  assert.equal(decaysWeight("local.pos_emb", [4, 8]), false);
  assert.equal(decaysWeight("global.pad", [8]), false);
});
