import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

/** Runs `script` with `args` as `deno task`/`deno run` would: exit code, stdout and stderr. */
async function run(script: string, args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--unstable-webgpu", "--allow-read", "--allow-env", script, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** Every bench script that reads its options with parseArgsOrExit, and the name it prints. */
const SCRIPTS: [string, string][] = [
  ["bench/train/train_step.ts", "bench:train"],
  ["bench/sse_bpb.ts", "sse_bpb"],
  ["bench/static_mix.ts", "static_mix"],
  ["bench/float_eval.ts", "float_eval"],
  ["bench/window_bpb.ts", "window_bpb"],
  ["bench/dynamic_eval.ts", "dynamic_eval"],
  ["bench/patch_position.ts", "patch_position"],
  ["bench/match_cost.ts", "match_cost"],
  ["bench/match_trust.ts", "match_trust"],
  ["bench/rss.ts", "rss"],
  ["bench/cm_bpb.ts", "cm_bpb"],
];

for (const [script, name] of SCRIPTS) {
  Deno.test(`${script} --bogus: one line on stderr, no stack trace, exit 2`, async () => {
    const { code, stdout, stderr } = await run(script, ["--bogus"]);
    assert.equal(code, 2, stderr);
    assert.equal(stdout, "");
    assert.equal(
      stderr,
      `${name}: unknown option '--bogus' (see the usage at the top of ${script})\n`,
    );
  });
}

Deno.test("a string option without its value is a usage error too", async () => {
  const { code, stderr } = await run("bench/train/train_step.ts", ["--backend"]);
  assert.equal(code, 2, stderr);
  assert.equal(
    stderr,
    "bench:train: option '--backend <value>' argument missing " +
      "(see the usage at the top of bench/train/train_step.ts)\n",
  );
  assert.doesNotMatch(stderr, /^\s+at /m);
});

Deno.test("a bad option value is one line on stderr and exit 2 too, before any work", async () => {
  // bench:train's cases, each on the cpu backend: its flags, then the start of its message.
  const train = (flags: string[], message: string): [string, string[], string] => [
    "bench/train/train_step.ts",
    ["--backend", "cpu", ...flags],
    `bench:train: ${message}`,
  ];
  const cases: [string, string[], string][] = [
    train(["--step", "bogus"], "--step must be trainer or adam, not bogus"),
    train(
      ["--config", "{bad"],
      "--config {bad is neither a level name nor JSON: Expected property",
    ),
    train(["--config", "[8]"], "--config [8] is neither a level name nor a JSON object"),
    train(["--batch", "x"], "--batch must be a whole number ≥ 1"),
    train(["--steps", "0"], "--steps must be a whole number ≥ 1"),
    ["bench/rss.ts", ["--size=1k"], "rss: Cannot parse the size 1k: expected BYTES or N[KMG]iB"],
    ["bench/rss.ts", ["--workers=0"], "rss: --workers must be a whole number, at least 1, not 0"],
    [
      "bench/cm_bpb.ts",
      ["--limit=abc", "x"],
      "cm_bpb: --limit must be a whole number ≥ 1, not abc",
    ],
    ["bench/cm_bpb.ts", [], "cm_bpb: no FILE given"],
  ];
  for (const [script, args, start] of cases) {
    const { code, stdout, stderr } = await run(script, args);
    assert.equal(code, 2, stderr);
    assert.equal(stdout, "");
    assert.ok(stderr.startsWith(start), stderr);
    assert.match(stderr, new RegExp(`^[^\\n]*\\(see the usage at the top of ${script}\\)\\n$`));
  }
});
