import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { hasWebGpu, relError, runWebGpuScript } from "../model/_test_util.ts";
import { AdamW, decaysWeight } from "./adamw.ts";

await tf.setBackend("cpu");

/** PyTorch's AdamW written out in float64, one parameter array at a time. */
function reference(
  p: number[],
  grads: number[][],
  lrs: number[],
  o: { b1: number; b2: number; eps: number; wd: number; scale?: number },
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
      p[i] -= ((o.scale ?? 1) * lr * mHat) / (Math.sqrt(vHat) + o.eps);
    }
  });
  return p;
}

/** One step per learning rate, parameter i getting gradient `grads[i]` every time. */
function takeSteps(
  opt: AdamW,
  params: Map<string, tf.Variable>,
  grads: number[][],
  lrs: number[],
): void {
  for (const lr of lrs) {
    const g = new Map<string, tf.Tensor>(
      [...params].map(([name, p], i) => [name, tf.tensor(grads[i], p.shape)]),
    );
    opt.apply(g, lr).dispose();
    tf.dispose([...g.values()]);
  }
}

/** Asserts every parameter named in `want` holds its values to 1e-6. */
function assertParams(params: Map<string, tf.Variable>, want: Record<string, number[]>): void {
  for (const [name, values] of Object.entries(want)) {
    const got = params.get(name)!.dataSync();
    values.forEach((w, i) =>
      assert.ok(Math.abs(got[i] - w) < 1e-6, `${name}: ${got} vs ${values}`)
    );
  }
}

Deno.test("AdamW.apply() matches a hand computation, decaying matrices and not gains", () => {
  const w0 = [0.5, -1.25, 2, 0.125];
  const ln0 = [1, 0.75];
  const w = tf.variable(tf.tensor2d(w0, [2, 2]));
  const ln = tf.variable(tf.tensor1d(ln0));
  const params = new Map<string, tf.Variable>([["local.h0.ln1", ln], ["local.h0.w1", w]]);
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

Deno.test("AdamW.apply() multiplies the update of the parameters in lrScales, not their decay", () => {
  const start = {
    "local.ngram2_emb": [0.5, -0.25],
    "local.h0.w1": [1, -2],
    "local.h0.ln1": [1, 1],
  };
  const scales = new Map([["local.ngram2_emb", 10], ["local.h0.w1", 3]]);
  const params = new Map<string, tf.Variable>([
    ["local.ngram2_emb", tf.variable(tf.tensor2d(start["local.ngram2_emb"], [1, 2]))],
    ["local.h0.w1", tf.variable(tf.tensor2d(start["local.h0.w1"], [1, 2]))],
    ["local.h0.ln1", tf.variable(tf.tensor1d(start["local.h0.ln1"]))],
  ]);
  const opt = new AdamW(params, { weightDecay: 0.1, lrScales: scales });
  const grads = [[0.1, -0.2], [0.3, 0.05], [-0.4, 0.2]];
  const lrs = [0.01, 0.02];
  takeSteps(opt, params, grads, lrs);
  const hyper = { b1: 0.9, b2: 0.98, eps: 1e-8 };
  const want = {
    "local.ngram2_emb": reference(start["local.ngram2_emb"], [grads[0], grads[0]], lrs, {
      ...hyper,
      wd: 0, // an embedding: never decayed
      scale: 10,
    }),
    "local.h0.w1": reference(start["local.h0.w1"], [grads[1], grads[1]], lrs, {
      ...hyper,
      wd: 0.1, // decayed at lr, the update at 3·lr
      scale: 3,
    }),
    "local.h0.ln1": reference(start["local.h0.ln1"], [grads[2], grads[2]], lrs, {
      ...hyper,
      wd: 0,
    }),
  };
  assertParams(params, want);
  assert.throws(
    () => new AdamW(params, { lrScales: new Map([["local.ngram9_emb", 2]]) }),
    /no such parameter/,
  );
  assert.throws(() => new AdamW(params, { lrScales: new Map([["local.h0.w1", -1]]) }), RangeError);
  opt.dispose();
  tf.dispose([...params.values()]);
});

Deno.test("AdamW.apply() decays the parameters in weightDecays at their own rate, the rest as before", () => {
  const start = {
    "local.ngram2_emb": [0.5, -0.25],
    "local.h0.w1": [1, -2],
    "local.h0.ln1": [1, 1],
    "local.byte_emb": [0.75, 0.5],
  };
  const params = new Map<string, tf.Variable>(
    Object.entries(start).map(([name, v]) => [
      name,
      tf.variable(name.endsWith("ln1") ? tf.tensor1d(v) : tf.tensor2d(v, [1, 2])),
    ]),
  );
  const opt = new AdamW(params, {
    weightDecay: 0.1,
    lrScales: new Map([["local.ngram2_emb", 10]]),
    weightDecays: new Map([["local.ngram2_emb", 5]]),
  });
  const grads = [[0.1, -0.2], [0.3, 0.05], [-0.4, 0.2], [0.2, 0.1]];
  const lrs = [0.01, 0.02];
  takeSteps(opt, params, grads, lrs);
  const hyper = { b1: 0.9, b2: 0.98, eps: 1e-8 };
  const want = {
    "local.ngram2_emb": reference(start["local.ngram2_emb"], [grads[0], grads[0]], lrs, {
      ...hyper,
      wd: 5, // its own rate, at the base lr; the update at 10·lr
      scale: 10,
    }),
    "local.h0.w1": reference(start["local.h0.w1"], [grads[1], grads[1]], lrs, {
      ...hyper,
      wd: 0.1,
    }),
    "local.h0.ln1": reference(start["local.h0.ln1"], [grads[2], grads[2]], lrs, {
      ...hyper,
      wd: 0,
    }),
    "local.byte_emb": reference(start["local.byte_emb"], [grads[3], grads[3]], lrs, {
      ...hyper,
      wd: 0, // an embedding not named: still not decayed
    }),
  };
  assertParams(params, want);
  const undecayed = reference(start["local.ngram2_emb"], [grads[0], grads[0]], lrs, {
    ...hyper,
    wd: 0,
    scale: 10,
  });
  assert.ok(Math.abs(undecayed[0] - want["local.ngram2_emb"][0]) > 1e-3); // the decay shows
  assert.throws(
    () => new AdamW(params, { weightDecays: new Map([["local.ngram9_emb", 1]]) }),
    /Cannot decay the weights of local.ngram9_emb: no such parameter/,
  );
  assert.throws(
    () => new AdamW(params, { weightDecays: new Map([["local.h0.w1", -1]]) }),
    /Cannot decay the weights of local.h0.w1 at -1/,
  );
  opt.dispose();
  tf.dispose([...params.values()]);
});

Deno.test("AdamW.setState() restores moments so the next step is the same", async () => {
  const make = () =>
    new Map<string, tf.Variable>([
      ["g2l.w", tf.variable(tf.tensor2d([1, 2, 3, 4], [2, 2]))],
      ["local.h0.ln1", tf.variable(tf.tensor1d([1, 0.5, 2]))],
    ]);
  const a = make();
  const optA = new AdamW(a);
  const g = new Map<string, tf.Tensor>([
    ["g2l.w", tf.tensor2d([0.1, -0.3, 0.2, 0.4], [2, 2])],
    ["local.h0.ln1", tf.tensor1d([0.5, -1, 0.25])],
  ]);
  optA.apply(g, 0.01).dispose();
  const saved = await optA.getState();
  // Each parameter's own moments, by name: m = (1 − β1)·g after one step.
  const m = Array.from(saved.moments.get("local.h0.ln1")!.m);
  [0.05, -0.1, 0.025].forEach((want, i) => assert.ok(Math.abs(m[i] - want) < 1e-8, `${m}`));
  const b = make();
  for (const [name, p] of a) b.get(name)!.assign(p);
  const optB = new AdamW(b);
  optB.setState(saved);
  optA.apply(g, 0.01).dispose();
  optB.apply(g, 0.01).dispose();
  for (const name of a.keys()) {
    assert.deepEqual(Array.from(b.get(name)!.dataSync()), Array.from(a.get(name)!.dataSync()));
  }
  assert.throws(() => optB.setState({ step: 1, moments: new Map() }), RangeError);
  optA.dispose();
  optB.dispose();
  tf.dispose([...a.values(), ...b.values(), ...g.values()]);
});

Deno.test("AdamW.apply() clips the gradients to the global norm and returns the norm before", async () => {
  const grads = new Map<string, tf.Tensor>([["a", tf.tensor1d([3])], ["b", tf.tensor1d([0, 4])]]);
  /** The first moments after one step (m = (1 − β1)·g, so they show the clipped g) and the norm. */
  const step = async (maxNorm?: number) => {
    const params = new Map<string, tf.Variable>([
      ["a", tf.variable(tf.tensor1d([1]))],
      ["b", tf.variable(tf.ones([2]))],
    ]);
    const opt = new AdamW(params, { weightDecay: 0 });
    const norm = opt.apply(grads, 0.1, maxNorm);
    const { moments } = await opt.getState();
    const out = {
      norm: (await norm.data())[0],
      m: [...moments.get("a")!.m, ...moments.get("b")!.m],
    };
    opt.dispose();
    tf.dispose([norm, ...params.values()]);
    return out;
  };
  const close = (got: number[], want: number[]) =>
    got.forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 1e-6, `${got} vs ${want}`));
  const clipped = await step(1); // norm 5 scaled to 1: g = (0.6; 0, 0.8)
  assert.ok(Math.abs(clipped.norm - 5) < 1e-5, `${clipped.norm}`);
  close(clipped.m, [0.06, 0, 0.08]);
  const loose = await step(10); // under the limit: g as it is
  assert.ok(Math.abs(loose.norm - 5) < 1e-5);
  close(loose.m, [0.3, 0, 0.4]);
  close((await step()).m, [0.3, 0, 0.4]); // no limit
  tf.dispose([...grads.values()]);
});

Deno.test("decaysWeight() picks projection matrices, not gains, embeddings or pads", () => {
  assert.equal(decaysWeight("global.h0.wqkv", [8, 24]), true);
  assert.equal(decaysWeight("local.head", [8, 256]), true);
  assert.equal(decaysWeight("g2l.w", [4, 8]), true);
  assert.equal(decaysWeight("global.h0.ln1", [8]), false);
  assert.equal(decaysWeight("global.byte_emb", [256, 4]), false);
  assert.equal(decaysWeight("local.pos_emb", [4, 8]), false);
  assert.equal(decaysWeight("global.pad", [8]), false);
  assert.equal(decaysWeight("local.ngram2_emb", [32768, 80]), false);
});

/**
 * Two clipped AdamW steps over the tiny model's tensors on cpu and on webgpu, in a
 * `--unstable-webgpu` Deno, from the same gradients (made in JavaScript, so that only the
 * optimizer's arithmetic differs: Adam's m/√v turns tiny gradient differences into whole steps).
 */
const WEBGPU_SCRIPT = `
import * as tf from "@tensorflow/tfjs-core";
import { setBackend } from "${new URL("../model/backend.ts", import.meta.url)}";
import { LEVELS } from "${new URL("../model/configs.ts", import.meta.url)}";
import { Megabyte } from "${new URL("../model/megabyte.ts", import.meta.url)}";
import { prng } from "${new URL("../model/_test_util.ts", import.meta.url)}";
import { AdamW } from "${new URL("./adamw.ts", import.meta.url)}";
async function train(backend) {
  await setBackend(backend);
  const model = new Megabyte(LEVELS.tiny, { seed: 3 });
  const opt = new AdamW(model.variables);
  const random = prng(7);
  const norms = [];
  for (const lr of [1e-2, 5e-3]) {
    const grads = new Map([...model.variables].map(([name, v]) => [
      name,
      tf.tensor(Float32Array.from({ length: v.size }, () => random() - 0.5), v.shape),
    ]));
    const norm = opt.apply(grads, lr, 2);
    norms.push((await norm.data())[0]);
    tf.dispose([norm, ...grads.values()]);
  }
  const params = {};
  for (const [name, v] of model.variables) params[name] = Array.from(await v.data());
  const tensors = model.variables.size;
  opt.dispose();
  model.dispose();
  return { params, norms, tensors };
}
console.log(JSON.stringify({ cpu: await train("cpu"), gpu: await train("webgpu") }));
`;

Deno.test({
  name: "AdamW steps on webgpu match cpu (one flat update over every tensor of the tiny model)",
  ignore: !(await hasWebGpu()),
  fn: async () => {
    type Run = { params: Record<string, number[]>; norms: number[]; tensors: number };
    const { cpu, gpu } = await runWebGpuScript(WEBGPU_SCRIPT) as { cpu: Run; gpu: Run };
    // More tensors than a WebGPU shader may bind at once (8 by default): the concat is chunked.
    assert.ok(cpu.tensors > 8, `${cpu.tensors}`);
    assert.ok(cpu.norms[0] > 2, `the steps clip: norm ${cpu.norms[0]}`);
    cpu.norms.forEach((n, i) => assert.ok(Math.abs(gpu.norms[i] - n) < 1e-5 * n, `${gpu.norms}`));
    for (const name of Object.keys(cpu.params)) {
      const err = relError(gpu.params[name], cpu.params[name], 1e-6);
      assert.ok(err < 1e-5, `${name}: ${err}`);
    }
  },
});
