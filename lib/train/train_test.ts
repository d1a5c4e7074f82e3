import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { setBackend } from "../model/backend.ts";
import { type MegabyteConfig, sameConfig } from "../model/config.ts";
import { LEVELS } from "../model/configs.ts";
import { Megabyte } from "../model/megabyte.ts";
import { loadModel } from "../model/model_file_read.ts";
import type { ModelTensor } from "../model/model_file_types.ts";
import { loadCheckpoint } from "./checkpoint.ts";
import { exportModel } from "./export.ts";
import type { LogRecord } from "./run_log.ts";
import { checkTrainable, historyMatchRows, train, type TrainOptions } from "./train.ts";
import { gramRows, NO_MATCH_ROWS } from "../model/megabyte.ts";
import { matchRow, matchRowsAfter, matchTableRows } from "../model/match.ts";
import { evaluateBpb } from "./evaluate.ts";
import { validationStarts } from "./windows.ts";
import { TEST_CONFIG } from "./_test_config.ts";
import { cmTargetsPath, computeCmTargets, encodeCmTargets } from "./cm_targets.ts";
import { loadCorpus } from "./corpus.ts";
import { DEFAULT_MIX_WEIGHTS } from "./mixture_loss.ts";
import { exists } from "./_fs.ts";

await setBackend("cpu");

const CONFIG = TEST_CONFIG;

/** A temporary folder with a small training file and two validation files. */
async function corpora(): Promise<{ dir: string; data: string[]; valid: string[] }> {
  const dir = await Deno.makeTempDir({ prefix: "megazip_train_test_" });
  const prose = "It was the best of times, it was the worst of times, it was the age of wisdom. ";
  const code = "for (let i = 0; i < n; i++) { sum += a[i] * b[i]; }\n";
  await Deno.writeTextFile(`${dir}/train.txt`, (prose + code).repeat(20));
  await Deno.mkdir(`${dir}/valid`);
  await Deno.writeTextFile(`${dir}/valid/prose-en.txt`, prose.repeat(3));
  await Deno.writeTextFile(`${dir}/valid/code-js-ts.txt`, code.repeat(3));
  return { dir, data: [`${dir}/train.txt`], valid: [`${dir}/valid`] };
}

/** Runs `test` on fresh corpora in a temporary folder, removed afterwards. */
async function withCorpora(
  test: (c: Awaited<ReturnType<typeof corpora>>) => Promise<void>,
): Promise<void> {
  const c = await corpora();
  try {
    await test(c);
  } finally {
    await Deno.remove(c.dir, { recursive: true });
  }
}

function options(
  c: { data: string[]; valid: string[] },
  out: string,
  extra: Partial<TrainOptions> = {},
): TrainOptions {
  return {
    config: { name: "test", config: CONFIG },
    data: c.data,
    valid: c.valid,
    out,
    steps: 6,
    batch: 2,
    lr: 3e-3,
    evalEvery: 3,
    validWindows: 2,
    quiet: true,
    ...extra,
  };
}

/** The hashed n-gram level, its tables at 10× the learning rate. */
const HASHED: Partial<TrainOptions> = {
  config: { name: "tinyhash", config: LEVELS.tinyhash },
  ngramLrScale: 10,
};

async function readLog(runDir: string): Promise<LogRecord[]> {
  const text = await Deno.readTextFile(`${runDir}/log.jsonl`);
  return text.trim().split("\n").map((line) => JSON.parse(line));
}

/** The log without its session lines (which carry times). */
function steps(log: LogRecord[]): LogRecord[] {
  return log.filter((r) => r.kind !== "session");
}

/** The trainer's tests that run for each: the test model, tinyhash with its tables, with n-gram dropout and with table decay. */
const LEVEL_CASES: [string, Partial<TrainOptions>][] = [
  ["test", {}],
  ["tinyhash", HASHED],
  ["tinyhash, n-gram dropout", { ...HASHED, ngramDropout: 0.25 }],
  ["tinyhash, n-gram weight decay", { ...HASHED, ngramWeightDecay: 2 }],
  ["tinymatch", { ...HASHED, config: { name: "tinymatch", config: LEVELS.tinymatch } }],
  ["tinymatch, match history, validation with history", {
    ...HASHED,
    config: { name: "tinymatch", config: LEVELS.tinymatch },
    matchHistory: 300,
    validHistory: 300,
  }],
];

for (const [level, extra] of LEVEL_CASES) {
  Deno.test(`train() resumed from a checkpoint gives exactly the losses and weights of an uninterrupted run (${level})`, () =>
    withCorpora(async (c) => {
      const whole = await train(options(c, `${c.dir}/whole`, extra));
      assert.equal(whole.step, 6);
      assert.equal(whole.finished, true);

      const first = await train({ ...options(c, `${c.dir}/split`, extra), stopAt: 4 });
      assert.equal(first.step, 4);
      assert.equal(first.stoppedBy, "stopAt");
      assert.equal(first.finished, false);
      // A checkpoint written before the schedule was recorded resumes with the cosine, unchanged.
      const statePath = `${c.dir}/split/ckpt/state.json`;
      const state = JSON.parse(await Deno.readTextFile(statePath));
      assert.equal(state.settings.schedule, "cosine");
      delete state.settings.schedule;
      await Deno.writeTextFile(statePath, JSON.stringify(state));
      const second = await train({ resume: `${c.dir}/split`, quiet: true });
      assert.equal(second.step, 6);
      assert.equal(second.finished, true);

      const a = steps(await readLog(`${c.dir}/whole`));
      const b = steps(await readLog(`${c.dir}/split`));
      assert.equal(a.filter((r) => r.kind === "train").length, 6);
      assert.deepEqual(
        b.map((r) => r.kind === "train" ? { ...r, bytesPerSecond: 0 } : r),
        a.map((r) => r.kind === "train" ? { ...r, bytesPerSecond: 0 } : r),
      );
      const ckptA = await loadCheckpoint(`${c.dir}/whole/ckpt`);
      const ckptB = await loadCheckpoint(`${c.dir}/split/ckpt`);
      assert.deepEqual(ckptB.params, ckptA.params);
      assert.equal(ckptB.settings.schedule, undefined);
      assert.deepEqual(ckptB.moments, ckptA.moments);
      assert.deepEqual(ckptB.rng, ckptA.rng);
      assert.deepEqual(ckptB.lastValid, ckptA.lastValid);
      assert.deepEqual(Object.keys(ckptA.lastValid!.categories).sort(), ["code-js-ts", "prose-en"]);
      assert.equal(ckptB.settings.ngramLrScale, extra.ngramLrScale);
      assert.equal(ckptB.settings.ngramDropout, extra.ngramDropout);
      assert.equal(ckptB.settings.ngramWeightDecay, extra.ngramWeightDecay);
      const svg = await Deno.readTextFile(`${c.dir}/whole/loss.svg`);
      assert.match(svg, /^<svg/);
    }));
}

for (const [level, extra] of LEVEL_CASES) {
  Deno.test(`train() lowers the training loss on a repetitive corpus, and the run exports (${level})`, () =>
    withCorpora(async (c) => {
      await train({ ...options(c, `${c.dir}/run`, extra), steps: 30, evalEvery: 30, lr: 1e-2 });
      const bpb = steps(await readLog(`${c.dir}/run`)).flatMap((r) =>
        r.kind === "train" ? [r.bpb] : []
      );
      assert.ok(bpb.every(Number.isFinite), `${bpb}`);
      const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
      assert.ok(
        mean(bpb.slice(-5)) < mean(bpb.slice(0, 5)) - 1,
        `first ${bpb.slice(0, 5)}, last ${bpb.slice(-5)}`,
      );
      const exported = await exportModel(`${c.dir}/run`, `${c.dir}/run.mgb`);
      const file = await loadModel(exported.path);
      const ckpt = await loadCheckpoint(`${c.dir}/run/ckpt`);
      assert.ok(sameConfig(file.config, ckpt.config));
      assert.deepEqual([...file.tensors.keys()], [...ckpt.params.keys()]);
      assert.ok(Number.isFinite(exported.fixtureBpb) && exported.fixtureBpb < 8);
      if (extra.ngramLrScale !== undefined) {
        const table = ckpt.params.get("local.ngram3_emb")!.data;
        assert.ok(table.some((v) => v !== 0), "the 3-gram table never moved");
      }
    }));
}

Deno.test("train() with no time left takes no step but leaves a resumable run", () =>
  withCorpora(async (c) => {
    const result = await train({ ...options(c, `${c.dir}/run`), maxSeconds: 0 });
    assert.equal(result.step, 0);
    assert.equal(result.stoppedBy, "maxSeconds");
    assert.equal((await loadCheckpoint(`${c.dir}/run/ckpt`)).step, 0);
    const resumed = await train({ resume: `${c.dir}/run`, stopAt: 1, quiet: true });
    assert.equal(resumed.step, 1);
  }));

Deno.test("train() refuses to overwrite a run or to resume on other data", () =>
  withCorpora(async (c) => {
    await train({ ...options(c, `${c.dir}/run`), stopAt: 1 });
    await assert.rejects(train({ ...options(c, `${c.dir}/run`) }), /already holds a checkpoint/);
    await Deno.writeTextFile(`${c.dir}/other.txt`, "different bytes ".repeat(20));
    await assert.rejects(
      train({ resume: `${c.dir}/run`, data: [`${c.dir}/other.txt`], quiet: true }),
      /training data differ/,
    );
  }));

Deno.test("train() with init starts from the model file's weights and records the file", () =>
  withCorpora(async (c) => {
    await train(options(c, `${c.dir}/first`));
    const exported = await exportModel(`${c.dir}/first`, `${c.dir}/first.mgb`);
    const file = await loadModel(`${c.dir}/first.mgb`);
    const warm = await train({
      ...options(c, `${c.dir}/warm`),
      init: `${c.dir}/first.mgb`,
      maxSeconds: 0,
    });
    assert.equal(warm.step, 0);
    const ckpt = await loadCheckpoint(`${c.dir}/warm/ckpt`);
    assert.deepEqual([...ckpt.params.keys()], [...file.tensors.keys()]);
    for (const [name, t] of file.tensors) assert.deepEqual(ckpt.params.get(name)!.data, t.data);
    assert.equal(ckpt.settings.init?.sha256, exported.hash);
    // A cold run from the same seed starts elsewhere: the weights really came from the file.
    const cold = await train({ ...options(c, `${c.dir}/cold`), maxSeconds: 0 });
    assert.equal(cold.step, 0);
    const coldCkpt = await loadCheckpoint(`${c.dir}/cold/ckpt`);
    assert.notDeepEqual(
      coldCkpt.params.get("local.head")!.data,
      file.tensors.get("local.head")!.data,
    );
  }));

Deno.test("train() refuses an init model of another config", () =>
  withCorpora(async (c) => {
    await train({ ...options(c, `${c.dir}/first`), steps: 1 });
    await exportModel(`${c.dir}/first`, `${c.dir}/first.mgb`);
    await assert.rejects(
      train({
        ...options(c, `${c.dir}/other`),
        config: { name: "other", config: { ...CONFIG, localDim: 32 } },
        init: `${c.dir}/first.mgb`,
      }),
      /Cannot start from .*first\.mgb: its localDim is 16, the run's is 32/,
    );
  }));

Deno.test("train() wsd: a stable run prolonged across resumes equals one long run; a decayed copy leaves it unchanged", () =>
  withCorpora(async (c) => {
    const wsd = (out: string): TrainOptions => ({
      ...options(c, out),
      schedule: "wsd",
      decaySteps: 0,
      warmupSteps: 2,
    });
    await train({ ...wsd(`${c.dir}/long`), steps: 8 });
    // The same run in sessions that each extend --steps (as device_train.sh's resume does).
    await train({ ...wsd(`${c.dir}/stable`), steps: 3 });
    await train({ resume: `${c.dir}/stable`, steps: 5, quiet: true });
    await train({ resume: `${c.dir}/stable`, steps: 8, quiet: true });
    const long = steps(await readLog(`${c.dir}/long`));
    const stable = steps(await readLog(`${c.dir}/stable`));
    const trainOnly = (log: LogRecord[]) =>
      log.flatMap((r) => r.kind === "train" ? [{ ...r, bytesPerSecond: 0 }] : []);
    assert.deepEqual(trainOnly(stable), trainOnly(long));
    assert.deepEqual(trainOnly(long).map((r) => r.lr), [
      1e-3,
      2e-3,
      3e-3,
      3e-3,
      3e-3,
      3e-3,
      3e-3,
      3e-3,
    ]);
    const ckptLong = await loadCheckpoint(`${c.dir}/long/ckpt`);
    const ckptStable = await loadCheckpoint(`${c.dir}/stable/ckpt`);
    assert.deepEqual(ckptStable.params, ckptLong.params);
    assert.deepEqual(ckptStable.moments, ckptLong.moments);
    assert.equal(ckptStable.settings.schedule, "wsd");
    assert.equal(ckptStable.settings.decaySteps, 0);

    // Decay a copy over 4 more steps; the stable run's checkpoint stays as it was.
    await Deno.mkdir(`${c.dir}/decay/ckpt`, { recursive: true });
    for await (const e of Deno.readDir(`${c.dir}/stable/ckpt`)) {
      await Deno.copyFile(`${c.dir}/stable/ckpt/${e.name}`, `${c.dir}/decay/ckpt/${e.name}`);
    }
    await Deno.copyFile(`${c.dir}/stable/log.jsonl`, `${c.dir}/decay/log.jsonl`);
    const decayed = await train({
      resume: `${c.dir}/decay`,
      steps: 12,
      decaySteps: 4,
      quiet: true,
    });
    assert.equal(decayed.step, 12);
    const lrs = steps(await readLog(`${c.dir}/decay`)).flatMap((r) =>
      r.kind === "train" && r.step > 8 ? [r.lr] : []
    );
    const minLr = 3e-4;
    const expected = [1, 2, 3, 4].map((k) => minLr + (1 - Math.sqrt(k / 4)) * (3e-3 - minLr));
    assert.equal(lrs.length, 4);
    lrs.forEach((lr, i) => assert.ok(Math.abs(lr - expected[i]) < 1e-15, `${lrs} vs ${expected}`));
    assert.equal((await loadCheckpoint(`${c.dir}/decay/ckpt`)).settings.decaySteps, 4);
    const still = await loadCheckpoint(`${c.dir}/stable/ckpt`);
    assert.equal(still.step, 8);
    assert.deepEqual(still.params, ckptStable.params);
  }));

Deno.test("train() keeps the schedule of the checkpoint and checks decaySteps", () =>
  withCorpora(async (c) => {
    await train({ ...options(c, `${c.dir}/cos`), stopAt: 1 });
    await assert.rejects(
      train({ resume: `${c.dir}/cos`, decaySteps: 2, quiet: true }),
      /only wsd has them/,
    );
    await assert.rejects(
      train({ resume: `${c.dir}/cos`, schedule: "wsd", quiet: true }),
      /the run's is cosine/,
    );
    await assert.rejects(
      train({ ...options(c, `${c.dir}/bad`), decaySteps: 2 }),
      /decaySteps needs the wsd schedule/,
    );
    await assert.rejects(
      train({ ...options(c, `${c.dir}/bad`), schedule: "wsd", decaySteps: 7 }),
      /decaySteps must be a whole number from 0 to steps \(6\), got 7/,
    );
    await train({ ...options(c, `${c.dir}/wsd`), schedule: "wsd", stopAt: 1 });
    assert.equal((await loadCheckpoint(`${c.dir}/wsd/ckpt`)).settings.decaySteps, 2); // ceil(6/5)
    await assert.rejects(
      train({ resume: `${c.dir}/wsd`, decaySteps: 9, quiet: true }),
      /from 0 to steps \(6\), got 9/,
    );
  }));

Deno.test("train() with crlf records the fraction, resumes exactly with it, and rejects a bad one", () =>
  withCorpora(async (c) => {
    const crlf = { ...options(c, `${c.dir}/whole`), crlf: 0.5 };
    await train(crlf);
    await train({ ...crlf, out: `${c.dir}/split`, stopAt: 3 });
    await train({ resume: `${c.dir}/split`, quiet: true });
    const whole = await loadCheckpoint(`${c.dir}/whole/ckpt`);
    const split = await loadCheckpoint(`${c.dir}/split/ckpt`);
    assert.equal(whole.settings.crlf, 0.5);
    assert.deepEqual(split.params, whole.params);
    // The CRLF windows change what the model sees: the weights differ from a run without them.
    await train(options(c, `${c.dir}/plain`));
    const plain = await loadCheckpoint(`${c.dir}/plain/ckpt`);
    assert.equal(plain.settings.crlf, undefined);
    assert.notDeepEqual(plain.params, whole.params);
    await assert.rejects(train({ ...options(c, `${c.dir}/bad`), crlf: 2 }), /crlf must be/);
  }));

Deno.test("train() with init from a shallower model adds layers that start as the identity", () =>
  withCorpora(async (c) => {
    await train({ ...options(c, `${c.dir}/first`), steps: 2 });
    await exportModel(`${c.dir}/first`, `${c.dir}/first.mgb`);
    const file = await loadModel(`${c.dir}/first.mgb`);
    const deeper = { ...CONFIG, globalLayers: 2, localLayers: 3 };
    await train({
      ...options(c, `${c.dir}/deep`),
      config: { name: "deeper", config: deeper },
      init: `${c.dir}/first.mgb`,
      maxSeconds: 0,
    });
    const ckpt = await loadCheckpoint(`${c.dir}/deep/ckpt`);
    assert.equal(ckpt.params.size, file.tensors.size + 6 * 3);
    for (const [name, t] of file.tensors) assert.deepEqual(ckpt.params.get(name)!.data, t.data);
    assert.ok(ckpt.params.get("local.h2.w1")!.data.some((v) => v !== 0)); // random, to be trained
    assert.ok(ckpt.params.get("local.h2.wo")!.data.every((v) => v === 0));
    // The same function: logits of the file's model and of the deeper one agree.
    const x = tf.tensor2d(
      Int32Array.from({ length: 2 * 32 }, (_, i) => (i * 37) % 256),
      [2, 32],
      "int32",
    );
    const shallow = new Megabyte(CONFIG);
    shallow.importTensors(file.tensors);
    const deep = new Megabyte(deeper);
    deep.importTensors(ckpt.params);
    const a = shallow.logits(x);
    const b = deep.logits(x);
    assert.ok(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] < 1e-5);
    tf.dispose([x, a, b]);
    shallow.dispose();
    deep.dispose();
    // Fewer layers than the file's would drop trained weights: refused.
    await exportModel(`${c.dir}/deep`, `${c.dir}/deep.mgb`);
    await assert.rejects(
      train({ ...options(c, `${c.dir}/shallower`), init: `${c.dir}/deep.mgb` }),
      /its globalLayers is 2, the run's is 1/,
    );
  }));

/** Asserts that `grown` (a level grown from `from`) gives `from`'s loss on `x` exactly. */
function assertSameLoss(
  from: MegabyteConfig,
  fromTensors: Map<string, ModelTensor>,
  grown: MegabyteConfig,
  grownTensors: Map<string, ModelTensor>,
  x: tf.Tensor2D,
): void {
  const before = new Megabyte(from);
  before.importTensors(fromTensors);
  const after = new Megabyte(grown);
  after.importTensors(grownTensors);
  const [a, b] = [before.loss(x), after.loss(x)];
  assert.equal(b.dataSync()[0], a.dataSync()[0]);
  tf.dispose([a, b]);
  before.dispose();
  after.dispose();
}

/**
 * Resumes the run in `dir` for one step and asserts that `table`, at zero before, moved by
 * ngramLrScale (10) × lr at most: Adam's first update is lr·sign(g) per value.
 */
async function assertFirstStepScaled(dir: string, table: string): Promise<void> {
  await train({ resume: dir, stopAt: 1, quiet: true });
  const lr = steps(await readLog(dir)).flatMap((r) => r.kind === "train" ? [r.lr] : [])[0];
  const moved = (await loadCheckpoint(`${dir}/ckpt`)).params;
  const largest = Math.max(...moved.get(table)!.data.map(Math.abs));
  assert.ok(Math.abs(largest - 10 * lr) < 1e-3 * lr, `${largest} vs 10 × ${lr}`);
}

Deno.test("train() with init from tinyhash into tinymatch adds the match table at zero: the same loss, then it learns at ngramLrScale × lr", () =>
  withCorpora(async (c) => {
    await train({ ...options(c, `${c.dir}/first`, HASHED), steps: 2 });
    await exportModel(`${c.dir}/first`, `${c.dir}/first.mgb`, { fixture: null });
    const file = await loadModel(`${c.dir}/first.mgb`);
    const MATCHED = { ...HASHED, config: { name: "tinymatch", config: LEVELS.tinymatch } };
    await train({
      ...options(c, `${c.dir}/grown`, MATCHED),
      init: `${c.dir}/first.mgb`,
      maxSeconds: 0,
    });
    const ckpt = await loadCheckpoint(`${c.dir}/grown/ckpt`);
    assert.equal(ckpt.params.size, file.tensors.size + 1);
    for (const [name, t] of file.tensors) assert.deepEqual(ckpt.params.get(name)!.data, t.data);
    assert.ok(ckpt.params.get("local.match_emb")!.data.every((v) => v === 0));
    // Before any step, the grown model's loss is the init model's, exactly (text, so matches occur).
    const text = new TextEncoder().encode(
      "the cat sat on the mat; the cat sat on the hat. ".repeat(3),
    );
    const x = tf.tensor2d(Int32Array.from(text.subarray(0, 128)), [2, 64], "int32");
    assertSameLoss(LEVELS.tinyhash, file.tensors, LEVELS.tinymatch, ckpt.params, x);
    x.dispose();
    await assertFirstStepScaled(`${c.dir}/grown`, "local.match_emb");
    // The other way, dropping a match row, is refused.
    await exportModel(`${c.dir}/grown`, `${c.dir}/grown.mgb`, { fixture: null });
    await assert.rejects(
      train({ ...options(c, `${c.dir}/back`, HASHED), init: `${c.dir}/grown.mgb` }),
      /matchLength/,
    );
  }));

Deno.test("train() with init from tiny into tinyhash adds the tables at zero: the same loss, then the tables learn at ngramLrScale × lr", () =>
  withCorpora(async (c) => {
    const tiny = { name: "tiny", config: LEVELS.tiny };
    await train({ ...options(c, `${c.dir}/first`), config: tiny, steps: 2 });
    await exportModel(`${c.dir}/first`, `${c.dir}/first.mgb`, { fixture: null });
    const file = await loadModel(`${c.dir}/first.mgb`);
    await train({
      ...options(c, `${c.dir}/grown`, HASHED),
      init: `${c.dir}/first.mgb`,
      maxSeconds: 0,
    });
    const ckpt = await loadCheckpoint(`${c.dir}/grown/ckpt`);
    assert.equal(ckpt.params.size, file.tensors.size + 2);
    for (const [name, t] of file.tensors) assert.deepEqual(ckpt.params.get(name)!.data, t.data);
    for (const n of [2, 3]) {
      assert.ok(ckpt.params.get(`local.ngram${n}_emb`)!.data.every((v) => v === 0));
    }
    // Before any step, the grown model's loss is the init model's, exactly.
    const x = tf.tensor2d(
      Int32Array.from({ length: 2 * 64 }, (_, i) => (i * 37 + (i >> 4)) % 256),
      [2, 64],
      "int32",
    );
    assertSameLoss(LEVELS.tiny, file.tensors, LEVELS.tinyhash, ckpt.params, x);
    x.dispose();
    await assertFirstStepScaled(`${c.dir}/grown`, "local.ngram2_emb");
    // A table-less run refuses a scale it would ignore.
    await assert.rejects(
      train({ ...options(c, `${c.dir}/bad`), config: tiny, ngramLrScale: 10 }),
      /ngramLrScale needs a config with hashed n-gram tables/,
    );
    await assert.rejects(
      train({ ...options(c, `${c.dir}/bad`), config: tiny, ngramDropout: 0.1 }),
      /ngramDropout needs a config with hashed n-gram tables/,
    );
    await assert.rejects(
      train({ ...options(c, `${c.dir}/bad`, HASHED), ngramDropout: 1 }),
      /ngramDropout must be a fraction from 0 to below 1, got 1/,
    );
    await assert.rejects(
      train({ ...options(c, `${c.dir}/bad`), config: tiny, ngramWeightDecay: 1 }),
      /ngramWeightDecay needs a config with hashed n-gram tables/,
    );
    await assert.rejects(
      train({ ...options(c, `${c.dir}/bad`, HASHED), ngramWeightDecay: -1 }),
      /ngramWeightDecay must be ≥ 0, got -1/,
    );
    // From a hashed model: one more order, or more rows (the table repeated, the same function),
    // grow; fewer rows or none are refused.
    await exportModel(`${c.dir}/grown`, `${c.dir}/grown.mgb`, { fixture: null });
    const hashed = (hashOrders: number, hashRows: number) => ({
      ...options(c, `${c.dir}/h${hashOrders}r${hashRows}`, HASHED),
      config: { name: "custom", config: { ...LEVELS.tinyhash, hashOrders, hashRows } },
      init: `${c.dir}/grown.mgb`,
      maxSeconds: 0,
    });
    await train(hashed(3, 64));
    const more = (await loadCheckpoint(`${c.dir}/h3r64/ckpt`)).params;
    const grownFile = await loadModel(`${c.dir}/grown.mgb`);
    assert.deepEqual(
      more.get("local.ngram2_emb")!.data,
      grownFile.tensors.get("local.ngram2_emb")!.data,
    );
    assert.ok(more.get("local.ngram2_emb")!.data.some((v) => v !== 0));
    assert.ok(more.get("local.ngram4_emb")!.data.every((v) => v === 0));
    await train(hashed(2, 128));
    const wide = (await loadCheckpoint(`${c.dir}/h2r128/ckpt`)).params;
    for (const n of [2, 3]) {
      const narrow = grownFile.tensors.get(`local.ngram${n}_emb`)!;
      assert.deepEqual(wide.get(`local.ngram${n}_emb`)!.shape, [128, LEVELS.tinyhash.localDim]);
      assert.deepEqual(
        wide.get(`local.ngram${n}_emb`)!.data,
        Float32Array.from([...narrow.data, ...narrow.data]),
      );
    }
    const y = tf.tensor2d(
      Int32Array.from({ length: 2 * 64 }, (_, i) => (i * 101 + (i >> 3)) % 256),
      [2, 64],
      "int32",
    );
    const [narrowModel, wideModel] = [LEVELS.tinyhash, { ...LEVELS.tinyhash, hashRows: 128 }]
      .map((config) => new Megabyte(config));
    narrowModel.importTensors(grownFile.tensors);
    wideModel.importTensors(wide);
    // The same n-grams read the same vectors through the wider table: the same loss, exactly.
    const [la, lb] = [narrowModel.loss(y), wideModel.loss(y)];
    assert.equal(lb.dataSync()[0], la.dataSync()[0]);
    tf.dispose([y, la, lb]);
    narrowModel.dispose();
    wideModel.dispose();
    await assert.rejects(
      train({ ...hashed(2, 32), out: `${c.dir}/fewer` }),
      /its hashRows is 64, the run's is 32/,
    );
    await assert.rejects(
      train({ ...options(c, `${c.dir}/none`), config: tiny, init: `${c.dir}/grown.mgb` }),
      /its hashOrders is 2, the run's is 0/,
    );
  }));

Deno.test("checkTrainable() refuses large hashed tables on wasm, which has no segment sum", () => {
  assert.throws(
    () => checkTrainable(LEVELS.local4hash, "wasm"),
    /hashed n-gram tables of 32768 rows on the wasm backend/,
  );
  checkTrainable(LEVELS.local4hash, "webgpu");
  checkTrainable(LEVELS.local4hash, "cpu");
  checkTrainable(LEVELS.tinyhash, "wasm"); // 64 rows: the one-hot product is small
  checkTrainable(LEVELS.local4, "wasm");
});

Deno.test("train() with ngramDropout drops lookups from the step: tables start at zero, and only rows read by a kept lookup move", () =>
  withCorpora(async (c) => {
    const movedRows = async (dir: string, ngramDropout?: number) => {
      await train({ ...options(c, dir, HASHED), ngramDropout, stopAt: 1 });
      const table = (await loadCheckpoint(`${dir}/ckpt`)).params.get("local.ngram2_emb")!;
      const D = table.shape[1];
      let rows = 0;
      for (let r = 0; r < table.shape[0]; r++) {
        if (table.data.subarray(r * D, (r + 1) * D).some((v) => v !== 0)) rows++;
      }
      return rows;
    };
    // 2 × 64 bytes read ~50 of the 64 rows; with 99% of the lookups dropped, ~1 lookup is kept.
    const kept = await movedRows(`${c.dir}/plain`);
    const dropped = await movedRows(`${c.dir}/dropped`, 0.99);
    assert.ok(kept > 20, `${kept} rows moved without dropout`);
    assert.ok(dropped < 6, `${dropped} rows moved with 99% dropout`);
  }));

Deno.test("train() with ngramWeightDecay shrinks the hashed n-gram tables, which otherwise get no decay", () =>
  withCorpora(async (c) => {
    const tableNorm = async (dir: string, ngramWeightDecay?: number) => {
      await train({ ...options(c, dir, HASHED), ngramWeightDecay });
      const ckpt = await loadCheckpoint(`${dir}/ckpt`);
      assert.equal(ckpt.settings.ngramWeightDecay, ngramWeightDecay);
      return ckpt.params.get("local.ngram2_emb")!.data.reduce((a, v) => a + v * v, 0);
    };
    const plain = await tableNorm(`${c.dir}/plain`);
    const decayed = await tableNorm(`${c.dir}/decayed`, 50); // 1 − lr·50 ≈ 0.85 per step at the peak
    assert.ok(plain > 0 && decayed < 0.9 * plain, `${decayed} vs ${plain}`);
  }));

Deno.test("historyMatchRows() gives each window the match rows of its file's bytes before it, capped, and leaves CRLF windows alone", () => {
  const config = LEVELS.tinymatch;
  const T = config.context;
  const k = config.matchLength!;
  const text = new TextEncoder().encode("the quick brown fox jumps over the lazy dog. ".repeat(40));
  const file = { name: "a", path: "a", bytes: text, sha256: "" };
  const corpus = { files: [file], totalBytes: text.length };
  const origins = [
    { file: 0, start: 500, crlf: false },
    { file: 0, start: 0, crlf: false },
    { file: 0, start: 900, crlf: true },
  ];
  const windows = new Int32Array(3 * T);
  origins.forEach((o, b) => windows.set(text.subarray(o.start, o.start + T), b * T));
  const before = gramRows(windows, 3, T, config);
  const G = before.length / (3 * T);
  const M = matchTableRows(k);
  const matched = historyMatchRows(windows, config, 100, corpus, origins);
  const rows = gramRows(windows, 3, T, config, matched);
  const column = (r: Int32Array, b: number, t: number) => r[(b * T + t) * G + G - 1];
  let gained = 0;
  for (let t = 0; t < T; t++) {
    // Window 0: 100 bytes of history (of the 500 before it).
    const want = matchRow(text.subarray(400, 500 + T), 100 + t, k);
    const i = 0 * T + t;
    assert.equal(column(rows, 0, t), want < 0 ? M + i % NO_MATCH_ROWS : want);
    if (want >= 0 && column(before, 0, t) >= M) gained++;
    assert.equal(column(rows, 1, t), column(before, 1, t)); // no bytes before it
    assert.equal(column(rows, 2, t), column(before, 2, t)); // CRLF: not the file's bytes
  }
  assert.ok(gained > 0, "the history found no match the window alone lacked");
  // Only the match column moves.
  for (let i = 0; i < rows.length; i++) if (i % G !== G - 1) assert.equal(rows[i], before[i]);
});

Deno.test("train() with matchHistory records it, changes the run, and refuses a model without a match row", () =>
  withCorpora(async (c) => {
    const MATCHED = { ...HASHED, config: { name: "tinymatch", config: LEVELS.tinymatch } };
    await train({ ...options(c, `${c.dir}/h`, MATCHED), matchHistory: 500 });
    await train(options(c, `${c.dir}/p`, MATCHED));
    const h = await loadCheckpoint(`${c.dir}/h/ckpt`);
    const p = await loadCheckpoint(`${c.dir}/p/ckpt`);
    assert.equal(h.settings.matchHistory, 500);
    assert.equal(p.settings.matchHistory, undefined);
    assert.notDeepEqual(h.params.get("local.match_emb"), p.params.get("local.match_emb"));
    await assert.rejects(
      train({ ...options(c, `${c.dir}/bad`, HASHED), matchHistory: 500 }),
      /matchHistory needs a config with a match row/,
    );
    await assert.rejects(
      train({ ...options(c, `${c.dir}/bad2`, MATCHED), matchHistory: -1 }),
      /matchHistory must be/,
    );
  }));

Deno.test("train() with validHistory logs a valid-history record after each valid one, trains the same, and refuses a model without a match row", () =>
  withCorpora(async (c) => {
    const MATCHED = { ...HASHED, config: { name: "tinymatch", config: LEVELS.tinymatch } };
    await train({ ...options(c, `${c.dir}/v`, MATCHED), validHistory: 1000 });
    await train(options(c, `${c.dir}/p`, MATCHED));
    const untimed = (log: LogRecord[]) =>
      steps(log).map((r) => r.kind === "train" ? { ...r, bytesPerSecond: 0 } : r);
    const v = untimed(await readLog(`${c.dir}/v`));
    const p = untimed(await readLog(`${c.dir}/p`));
    // Training and the plain validation are untouched.
    assert.deepEqual(v.filter((r) => r.kind !== "valid-history"), p);
    const valids = v.filter((r) => r.kind === "valid");
    const histories = v.filter((r) => r.kind === "valid-history");
    assert.equal(histories.length, valids.length);
    assert.ok(histories.length >= 2);
    histories.forEach((h, i) => {
      assert.equal(v[v.indexOf(valids[i]) + 1], h); // right after its valid record
      assert.equal(h.step, valids[i].step);
      assert.equal(h.history, 1000);
      assert.deepEqual(Object.keys(h.categories), Object.keys(valids[i].categories));
      // The validation texts repeat beyond a window: the history finds what the window lacks.
      assert.notEqual(h.categories["prose-en"], valids[i].categories["prose-en"]);
    });
    // The last record against the final weights, each window's rows found here in its own file.
    const ckpt = await loadCheckpoint(`${c.dir}/v/ckpt`);
    assert.equal(ckpt.settings.validHistory, 1000);
    const model = new Megabyte(LEVELS.tinymatch);
    model.importTensors(ckpt.params);
    const T = LEVELS.tinymatch.context;
    const k = LEVELS.tinymatch.matchLength!;
    for (const name of ["prose-en", "code-js-ts"]) {
      const bytes = await Deno.readFile(`${c.dir}/valid/${name}.txt`);
      const starts = validationStarts(bytes.length, { length: T, perFile: 2 }); // validWindows
      const windows = new Int32Array(starts.length * T);
      const matchRows = new Int32Array(starts.length * T);
      starts.forEach((s, i) => {
        windows.set(bytes.subarray(s, s + T), i * T);
        const h = Math.min(s, 1000);
        matchRows.set(matchRowsAfter(bytes.subarray(s - h, s + T), h, T, k, -1), i * T);
      });
      const set = { name, count: starts.length, windows, matchRows };
      const want = await evaluateBpb(model, [set], { length: T, batch: 2, step: 6 });
      const got = histories.at(-1)!.categories[name];
      assert.ok(Math.abs(got - want.bpb) < 1e-5, `${name}: ${got} against ${want.bpb}`);
    }
    model.dispose();
    assert.equal((await loadCheckpoint(`${c.dir}/p/ckpt`)).settings.validHistory, undefined);
    await assert.rejects(
      train({ ...options(c, `${c.dir}/bad`, HASHED), validHistory: 1000 }),
      /validHistory needs a config with a match row/,
    );
    await assert.rejects(
      train({ ...options(c, `${c.dir}/bad2`, MATCHED), validHistory: 0.5 }),
      /validHistory must be/,
    );
  }));

/** cm's targets of the corpora's training file in `${c.dir}/cm`, as `models/training/cm_targets.ts` writes them. */
async function writeCmTargets(c: { dir: string; data: string[] }): Promise<string> {
  const [file] = (await loadCorpus(c.data)).files;
  await Deno.mkdir(`${c.dir}/cm`);
  await Deno.writeFile(
    cmTargetsPath(`${c.dir}/cm`, file.name),
    encodeCmTargets(computeCmTargets(file.bytes), file.sha256),
  );
  return `${c.dir}/cm`;
}

Deno.test("train() with mixLoss records it, resumes exactly, trains as the cross-entropy at zero weights, and otherwise differs", () =>
  withCorpora(async (c) => {
    const cmTargets = await writeCmTargets(c);
    await train(options(c, `${c.dir}/m`, { mixLoss: { cmTargets } }));
    await train({ ...options(c, `${c.dir}/r`, { mixLoss: { cmTargets } }), stopAt: 3 });
    await train({ resume: `${c.dir}/r`, quiet: true });
    await train(
      options(c, `${c.dir}/z`, { mixLoss: { cmTargets, weights: new Array(10).fill(0) } }),
    );
    await train(options(c, `${c.dir}/p`));
    const m = await loadCheckpoint(`${c.dir}/m/ckpt`);
    assert.deepEqual(m.settings.mixLoss, { cmTargets, weights: [...DEFAULT_MIX_WEIGHTS] });
    const untimed = async (run: string) =>
      steps(await readLog(`${c.dir}/${run}`)).map((r) =>
        r.kind === "train" ? { ...r, bytesPerSecond: 0 } : r
      );
    assert.deepEqual(await untimed("r"), await untimed("m"));
    assert.deepEqual((await loadCheckpoint(`${c.dir}/r/ckpt`)).params, m.params);
    const bpb = async (run: string) =>
      steps(await readLog(`${c.dir}/${run}`)).filter((r) => r.kind === "train").map((r) =>
        r.bpb as number
      );
    const [mixed, zero, plain] = [await bpb("m"), await bpb("z"), await bpb("p")];
    zero.forEach((b, i) =>
      assert.ok(Math.abs(b - plain[i]) < 1e-4, `step ${i + 1}: ${b} against ${plain[i]}`)
    );
    // cm predicts the repetitive corpus well, so the mix costs fewer bits than the model alone.
    assert.ok(mixed.at(-1)! < plain.at(-1)!, `${mixed.at(-1)} against ${plain.at(-1)}`);
  }));

Deno.test("train() with mixLoss refuses missing or foreign cm targets and bad weights before making the run folder", () =>
  withCorpora(async (c) => {
    await assert.rejects(
      train(options(c, `${c.dir}/a`, { mixLoss: { cmTargets: `${c.dir}/nowhere` } })),
      /Cannot read cm targets .*nowhere\/train\.cmt/,
    );
    const cmTargets = await writeCmTargets(c);
    await Deno.writeTextFile(
      c.data[0],
      "something else entirely, longer than one window. ".repeat(40),
    );
    await assert.rejects(
      train(options(c, `${c.dir}/b`, { mixLoss: { cmTargets } })),
      /they belong to other bytes than the corpus file/,
    );
    await assert.rejects(
      train(options(c, `${c.dir}/c`, { mixLoss: { cmTargets, weights: [0.5] } })),
      /Cannot use mixture weights 0.5: need 10/,
    );
    for (const run of ["a", "b", "c"]) assert.equal(await exists(`${c.dir}/${run}`), false);
  }));
