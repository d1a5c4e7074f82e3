import assert from "node:assert/strict";
import { LEVELS } from "../lib/model/configs.ts";
import { loadModel } from "../lib/model/model_file_read.ts";
import { decodeFixture } from "../lib/train/fixture.ts";

const TRAIN_TS = new URL("./train.ts", import.meta.url).pathname;
const MAIN = new URL("./main.ts", import.meta.url).pathname;
/** The permissions of `deno task train`. */
const PERMISSIONS = ["--allow-read", "--allow-write", "--allow-run=xz", "--unstable-webgpu"];

async function megazipTrain(
  args: string[],
  permissions: string[] = PERMISSIONS,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, TRAIN_TS, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: text(output.stdout), stderr: text(output.stderr) };
}

async function tinyCorpus(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "megazip_cli_train_test_" });
  await Deno.writeTextFile(
    `${dir}/train.txt`,
    "She sells sea shells by the sea shore. ".repeat(20),
  );
  await Deno.mkdir(`${dir}/valid`);
  await Deno.writeTextFile(
    `${dir}/valid/prose-en.txt`,
    "The shells she sells are sea shells. ".repeat(3),
  );
  const xz = await new Deno.Command("xz", { args: ["-k", `${dir}/train.txt`] }).output();
  assert.ok(xz.success);
  return dir;
}

Deno.test("megazip train runs 3 steps on a tiny .xz file, checkpoints, and exports a model file", async () => {
  const dir = await tinyCorpus();
  try {
    const run = `${dir}/run`;
    const result = await megazipTrain([
      "--config",
      "tiny",
      "--data",
      `${dir}/train.txt.xz`,
      "--valid",
      `${dir}/valid`,
      "--steps",
      "3",
      "--batch",
      "2",
      "--valid-windows",
      "2",
      "--out",
      run,
      "--export",
      `${dir}/tiny.mgb`,
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.train.step, 3);
    assert.equal(report.train.finished, true);
    assert.ok(report.train.valid.bpb > 0 && report.train.valid.bpb < 9);
    assert.equal(report.export.step, 3);
    const log = (await Deno.readTextFile(`${run}/log.jsonl`)).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    assert.deepEqual(log.filter((r) => r.kind === "train").map((r) => r.step), [1, 2, 3]);
    assert.ok((await Deno.stat(`${run}/loss.svg`)).size > 0);
    assert.ok((await Deno.stat(`${run}/ckpt/state.json`)).isFile);
    const model = await loadModel(`${dir}/tiny.mgb`);
    assert.equal(model.name, "tiny");
    assert.deepEqual(model.config, LEVELS.tiny);
    assert.equal(model.metadata.steps, 3);
    const fixture = decodeFixture(await Deno.readTextFile(`${dir}/tiny_fixture.json`));
    assert.equal(fixture.modelHash, report.export.hash);

    // Resuming a finished run with --export only exports again: no training, the same bytes.
    const again = await megazipTrain([
      "--resume",
      run,
      "--export",
      `${dir}/again.mgb`,
      "--name",
      "tiny",
      "--json",
    ]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).train, null);
    assert.deepEqual(
      await Deno.readFile(`${dir}/again.mgb`),
      await Deno.readFile(`${dir}/tiny.mgb`),
    );

    // An existing model file is kept without -f, and replaced with it.
    const other = ["--resume", run, "--export", `${dir}/again.mgb`, "--name", "other"];
    const refused = await megazipTrain(other);
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, /^megazip: [^\n]*again\.mgb exists \(use -f to overwrite\)\n$/);
    assert.deepEqual(
      await Deno.readFile(`${dir}/again.mgb`),
      await Deno.readFile(`${dir}/tiny.mgb`),
    );
    const forced = await megazipTrain([...other, "-f"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal((await loadModel(`${dir}/again.mgb`)).name, "other");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("megazip train --table-dtype int4 exports the hashed tables as int4 (model file version 3)", async () => {
  const dir = await tinyCorpus();
  try {
    const args = (table: string) => [
      "--config",
      "tinyhash",
      "--data",
      `${dir}/train.txt.xz`,
      "--steps",
      "1",
      "--batch",
      "2",
      "--out",
      `${dir}/run-${table}`,
      "--export",
      `${dir}/${table}.mgb`,
      "--table-dtype",
      table,
      "--json",
    ];
    for (const table of ["int8", "int4"]) {
      const result = await megazipTrain(args(table));
      assert.equal(result.code, 0, result.stderr);
    }
    const int8 = await Deno.readFile(`${dir}/int8.mgb`);
    const int4 = await Deno.readFile(`${dir}/int4.mgb`);
    assert.equal(new DataView(int8.buffer).getUint16(8, true), 2);
    assert.equal(new DataView(int4.buffer).getUint16(8, true), 3);
    const h = LEVELS.tinyhash;
    assert.equal(int8.length - int4.length, (h.hashOrders! * h.hashRows! * h.localDim) / 2);
    const model = await loadModel(`${dir}/int4.mgb`);
    const { values } = model.tensors.get("local.ngram2_emb")!.quantized!;
    assert.ok(values.every((v) => v >= -7 && v <= 7));
    const fixture = decodeFixture(await Deno.readTextFile(`${dir}/int4_fixture.json`));
    assert.equal(
      fixture.modelHash,
      Array.from(model.hash, (b) => b.toString(16).padStart(2, "0")).join(""),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("megazip train --help prints its usage with the task's permissions (no env access)", async () => {
  const result = await megazipTrain(["--help"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^Usage: megazip train /m);
  assert.match(result.stdout, /--ngram-weight-decay/);
  assert.equal(result.stderr, "");
});

Deno.test("megazip help train prints the trainer's usage, as megazip train --help does", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, MAIN, "help", "train"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  assert.match(stdout, /^Usage: megazip train \[options\]/m);
  assert.match(stdout, /--ngram-weight-decay/);
});

Deno.test("megazip train reports bad options as one line with exit code 2", async () => {
  const dir = await tinyCorpus();
  try {
    const cases = [
      ["--config", "no-such-level", "--out", `${dir}/a`],
      ["--config", '{"patchSize": 3, "context": 64}', "--out", `${dir}/b`],
      ["--steps", "0"],
      ["--backend", "gpu"],
      ["--resume", `${dir}/nothing`, "--batch", "4"],
      ["--ngram-dropout", "1"],
      ["--resume", `${dir}/nothing`, "--export", `${dir}/x.mgb`, "--table-dtype", "int3"],
      ["--resume", `${dir}/nothing`, "--ngram-dropout", "0.1"],
      ["--ngram-weight-decay", "-1"],
      ["--resume", `${dir}/nothing`, "--ngram-weight-decay", "1"],
      ["--mix-loss", `${dir}/cm`, "--mix-weights", "0.1,0.2"],
      ["--mix-loss", `${dir}/cm`, "--mix-weights", "0,0,0,0,0,0,0,0,0,1"],
      ["--mix-weights", "0,0,0,0,0,0,0,0,0,0", "--out", `${dir}/w`],
      ["--resume", `${dir}/nothing`, "--mix-loss", `${dir}/cm`],
    ];
    for (const args of cases) {
      const result = await megazipTrain(args);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, /^megazip: [^\n]+\n$/, args.join(" "));
    }
    const noTargets = await megazipTrain([
      ...["--config", "tiny", "--data", `${dir}/train.txt`, "--valid", `${dir}/valid`],
      ...["--mix-loss", `${dir}/cm`, "--out", `${dir}/m`],
    ]);
    assert.equal(noTargets.code, 3, noTargets.stderr);
    assert.match(
      noTargets.stderr,
      /^megazip: cannot train .*: cannot read cm targets .*cm\/[^\n]*\n$/,
    );
    const missing = await megazipTrain(["--resume", `${dir}/nothing`]);
    assert.equal(missing.code, 3, missing.stderr);
    assert.match(missing.stderr, /^megazip: cannot resume .*nothing: no checkpoint there/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a tinymatch model trained by the CLI is a version-4 file that compresses and decompresses", async () => {
  const dir = await tinyCorpus();
  try {
    const result = await megazipTrain([
      "--config",
      "tinymatch",
      "--data",
      `${dir}/train.txt.xz`,
      "--steps",
      "2",
      "--batch",
      "2",
      "--ngram-lr-scale",
      "10",
      "--out",
      `${dir}/run`,
      "--export",
      `${dir}/m.mgb`,
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const bytes = await Deno.readFile(`${dir}/m.mgb`);
    assert.equal(new DataView(bytes.buffer).getUint16(8, true), 4);
    const model = await loadModel(`${dir}/m.mgb`);
    assert.equal(model.config.matchLength, 3);
    // Text with repeats, through the codec and back, with this model; info names its match row.
    const text = new TextEncoder().encode(
      "one two three, one two three; one two four. ".repeat(40),
    );
    await Deno.writeFile(`${dir}/t.txt`, text);
    const run = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "--quiet", "--allow-read", "--allow-write", "--allow-env", MAIN, ...args],
        stdout: "piped",
        stderr: "piped",
      }).output();
    const compressed = await run(["-m", `${dir}/m.mgb`, "-T", "1", `${dir}/t.txt`]);
    assert.equal(compressed.code, 0, new TextDecoder().decode(compressed.stderr));
    const back = await run(["-d", "-m", `${dir}/m.mgb`, "-c", `${dir}/t.txt.mbz`]);
    assert.equal(back.code, 0, new TextDecoder().decode(back.stderr));
    assert.deepEqual(back.stdout, text);
    const info = await run(["info", `${dir}/m.mgb`]);
    assert.match(
      new TextDecoder().decode(info.stdout),
      /^match row {5}k 3 \(lengths 3\.\.32\), 7680 rows, /m,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("megazip train fails before making the run folder: short data, xz without --allow-run, an existing --export", async () => {
  const dir = await tinyCorpus();
  try {
    await Deno.writeTextFile(`${dir}/short.txt`, "shorter than one window");
    await Deno.writeTextFile(`${dir}/kept.mgb`, "an existing file");
    await Deno.writeTextFile(`${dir}/m_fixture.json`, "an existing fixture");
    const run = `${dir}/run`;
    const base = ["--config", "tiny", "--valid", `${dir}/valid`, "--steps", "1", "--out", run];
    const cases: [string[], string[], number, RegExp][] = [
      [["--data", `${dir}/short.txt`], PERMISSIONS, 2, /no corpus file holds 64 bytes/],
      [["--data", `${dir}/train.txt.xz`], ["--allow-read", "--allow-write"], 2, /xz could not/],
      [
        ["--data", `${dir}/train.txt`, "--export", `${dir}/kept.mgb`],
        PERMISSIONS,
        3,
        /kept\.mgb exists \(use -f to overwrite\)$/,
      ],
      [
        ["--data", `${dir}/train.txt`, "--export", `${dir}/m.mgb`],
        PERMISSIONS,
        3,
        /m_fixture\.json exists \(use -f to overwrite\)$/,
      ],
    ];
    for (const [args, permissions, code, pattern] of cases) {
      const result = await megazipTrain([...base, ...args], permissions);
      assert.equal(result.code, code, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, /^megazip: [^\n]+\n$/, args.join(" "));
      assert.match(result.stderr.trim(), pattern, args.join(" "));
      assert.equal(await Deno.stat(run).then(() => true, () => false), false, args.join(" "));
    }
    assert.equal(await Deno.readTextFile(`${dir}/kept.mgb`), "an existing file");
    assert.equal(await Deno.readTextFile(`${dir}/m_fixture.json`), "an existing fixture");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("megazip train --resume of a run whose data changed is exit 1 (bad input), not an internal error", async () => {
  const dir = await tinyCorpus();
  try {
    const run = `${dir}/run`;
    const data = ["--data", `${dir}/train.txt`, "--valid", `${dir}/valid`];
    const start = await megazipTrain(["--config", "tiny", ...data, "--stop-at", "0", "--out", run]);
    assert.equal(start.code, 0, start.stderr);
    await Deno.writeTextFile(`${dir}/train.txt`, "changed\n", { append: true });
    const result = await megazipTrain(["--resume", run]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      /^megazip: [^\n]*training data differ from the checkpoint's[^\n]*\n$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("megazip train --max-seconds 0 says it took no step, with no NaN figures (line and --json)", async () => {
  const dir = await tinyCorpus();
  try {
    const data = ["--config", "tiny", "--data", `${dir}/train.txt`, "--valid", `${dir}/valid`];
    data.push("--steps", "3", "--max-seconds", "0");
    const line = await megazipTrain([...data, "--out", `${dir}/a`]);
    assert.equal(line.code, 0, line.stderr);
    assert.equal(
      line.stdout,
      `${dir}/a: step 0/3, 0 bytes seen; no step taken; stopped by --max-seconds\n`,
    );
    const json = await megazipTrain([...data, "--out", `${dir}/b`, "--json"]);
    assert.equal(json.code, 0, json.stderr);
    assert.doesNotMatch(json.stdout, /NaN/);
    const { train } = JSON.parse(json.stdout);
    assert.equal(train.step, 0);
    assert.equal(train.stoppedBy, "maxSeconds");
    assert.equal(train.trainBpb, null);
    assert.equal(train.bytesPerSecond, null);
    assert.equal(train.tflops, null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
