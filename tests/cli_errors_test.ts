/**
 * The `megazip` command fails cleanly on bad input: one line on stderr naming the problem, the
 * documented exit code, no stack trace, no output file left behind, and the input untouched.
 */
import assert from "node:assert/strict";
import {
  assertCleanFailure,
  hasScript,
  listDir,
  MAIN_PATH,
  megazip,
  megazipOnTerminal,
  sampleBytes,
  spawnMegazip,
  TASK_FLAGS,
  tempDir,
  tinyModelBytes,
} from "./_cli_helpers.ts";

const NO_MODEL = ["--no-model", "--workers", "1"];

/** A valid archive of a sample made by the CLI itself. */
async function makeArchive(): Promise<{ original: Uint8Array; archive: Uint8Array }> {
  const original = sampleBytes(8000, 21);
  const result = await megazip(["-B", "2K", ...NO_MODEL], { stdin: original });
  assert.equal(result.code, 0, result.stderr);
  return { original, archive: result.stdout };
}

/**
 * Decompresses `bytes` saved as x.mbz, then tests them (-t), and checks that both fail cleanly
 * and leave nothing.
 */
async function assertRejected(bytes: Uint8Array, label: string): Promise<void> {
  await using tmp = await tempDir();
  await Deno.writeFile(`${tmp.dir}/x.mbz`, bytes);
  const result = await megazip(["-d", "x.mbz", ...NO_MODEL], { cwd: tmp.dir });
  assertCleanFailure(result, 1, /^megazip: cannot decompress x\.mbz: /);
  const tested = await megazip(["-t", "x.mbz", ...NO_MODEL], { cwd: tmp.dir });
  assertCleanFailure(tested, 1, /^megazip: cannot test x\.mbz: /);
  assert.deepEqual(await listDir(tmp.dir), ["x.mbz"], `${label}: no output or temp file left`);
  assert.deepEqual(await Deno.readFile(`${tmp.dir}/x.mbz`), bytes, `${label}: input untouched`);
}

Deno.test("megazip -d rejects a file that is not an archive", async () => {
  await assertRejected(new TextEncoder().encode("just some text, not an archive\n"), "text");
  await assertRejected(new Uint8Array(), "empty");
});

Deno.test("megazip -d rejects truncated archives", async () => {
  const { archive } = await makeArchive();
  for (const keep of [1, 4, 8, archive.length >> 2, archive.length >> 1, archive.length - 1]) {
    await assertRejected(archive.slice(0, keep), `truncated to ${keep} bytes`);
  }
});

Deno.test("megazip -d rejects archives with a corrupted byte", async () => {
  const { archive } = await makeArchive();
  for (const at of [archive.length >> 1, archive.length - 3]) {
    const bad = archive.slice();
    bad[at] = bad[at]! ^ 0x40;
    await assertRejected(bad, `byte ${at} flipped`);
  }
});

Deno.test("megazip -d rejects trailing garbage after an archive", async () => {
  const { archive } = await makeArchive();
  const longer = new Uint8Array(archive.length + 5);
  longer.set(archive);
  longer.set([1, 2, 3, 4, 5], archive.length);
  await assertRejected(longer, "trailing bytes");
});

Deno.test("megazip -d on a corrupt archive from stdin exits 1 with one line", async () => {
  const { archive } = await makeArchive();
  const result = await megazip(["-d", ...NO_MODEL], {
    stdin: archive.slice(0, archive.length - 9),
  });
  assertCleanFailure(result, 1, /^megazip: cannot decompress stdin: /);
});

Deno.test("megazip reports a missing input, a directory and a missing output folder", async () => {
  await using tmp = await tempDir();
  await Deno.mkdir(`${tmp.dir}/sub`);
  assertCleanFailure(
    await megazip(["nothere", ...NO_MODEL], { cwd: tmp.dir }),
    3,
    /cannot compress nothere: no such file/,
  );
  assertCleanFailure(
    await megazip(["sub", ...NO_MODEL], { cwd: tmp.dir }),
    3,
    /cannot compress sub: is a directory/,
  );
  await Deno.writeTextFile(`${tmp.dir}/in`, "hello");
  assertCleanFailure(
    await megazip(["in", "-o", "missing/out.mbz", ...NO_MODEL], { cwd: tmp.dir }),
    3,
    /cannot write missing\/out\.mbz: no such folder/,
  );
  assertCleanFailure(
    await megazip(["in", "-o", "in/out.mbz", ...NO_MODEL], { cwd: tmp.dir }),
    3,
    /^megazip: cannot write in\/out\.mbz: not a directory$/,
  );
  // An empty name is a missing file, whatever reads it (it was an internal error, exit 70).
  for (const [args, verb] of [[[], "compress"], [["-d"], "decompress"], [["-t"], "test"]]) {
    assertCleanFailure(
      await megazip([...args, "", ...NO_MODEL], { cwd: tmp.dir }),
      3,
      new RegExp(`^megazip: cannot ${verb} "": no such file$`),
    );
  }
  assertCleanFailure(await megazip(["-l", ""], { cwd: tmp.dir }), 3, /cannot list "": no such/);
  assertCleanFailure(await megazip(["info", ""], { cwd: tmp.dir }), 3, /cannot inspect "": no/);
  assertCleanFailure(
    await megazip(["score", "--no-model", ""], { cwd: tmp.dir }),
    3,
    /cannot score "": no such file/,
  );
  assert.deepEqual(await listDir(tmp.dir), ["in", "sub"]);
});

Deno.test("megazip names no output after a FIFO or a device, but compresses one to -c or -o", async () => {
  await using tmp = await tempDir();
  // Like gzip, xz and zstd: no /dev/null.mbz (it was a Deno permission error, exit 2).
  assertCleanFailure(
    await megazip(["/dev/null", ...NO_MODEL], { cwd: tmp.dir }),
    3,
    /^megazip: cannot compress \/dev\/null: not a regular file \(use -c or -o FILE\)$/,
  );
  const piped = await megazip(["-c", "/dev/null", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(piped.code, 0, piped.stderr);
  const named = await megazip(["/dev/null", "-o", "null.mbz", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(named.code, 0, named.stderr);
  assert.deepEqual(await Deno.readFile(`${tmp.dir}/null.mbz`), piped.stdout);
  const back = await megazip(["-dc", "null.mbz", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(back.code, 0, back.stderr);
  assert.equal(back.stdout.length, 0);
  assert.deepEqual(await listDir(tmp.dir), ["null.mbz"]);
});

/** Whether /dev/full is here (Linux): every write to it fails with ENOSPC. */
const hasDevFull = Deno.build.os === "linux";

Deno.test({
  name: "megazip reports a full disk (ENOSPC) with exit code 3 and keeps the input under --rm",
  ignore: !hasDevFull,
  fn: async () => {
    await using tmp = await tempDir();
    await Deno.writeFile(`${tmp.dir}/in`, sampleBytes(100, 8));
    // Deno asks --allow-all for /dev/full. The output is small: a failed write of under 64 KiB
    // through Deno's FsFile.writable passed as a success (an empty output, exit 0).
    const flags = ["--allow-all"];
    for (const args of [["in"], ["--rm", "in"], ["-d", "--rm", "in.mbz"]]) {
      if (args[0] === "-d") await megazip(["in", ...NO_MODEL], { cwd: tmp.dir });
      const result = await megazip([...args, "-o", "/dev/full", ...NO_MODEL], {
        cwd: tmp.dir,
        flags,
      });
      assertCleanFailure(result, 3, /: no space left on device$/);
    }
    assert.deepEqual(await listDir(tmp.dir), ["in", "in.mbz"]);
  },
});

Deno.test("megazip -c into a full disk exits 3 with one line, not as an internal error", {
  ignore: !hasDevFull,
}, async () => {
  await using tmp = await tempDir();
  await Deno.writeFile(`${tmp.dir}/in`, sampleBytes(100, 8));
  const output = await new Deno.Command("sh", {
    args: [
      "-c",
      'exec "$@" > /dev/full',
      "sh",
      Deno.execPath(),
      "run",
      "--quiet",
      ...TASK_FLAGS,
      MAIN_PATH,
      "-c",
      "in",
      ...NO_MODEL,
    ],
    cwd: tmp.dir,
    stdin: "null",
    stderr: "piped",
    env: { MEGAZIP_MODEL: "", NO_COLOR: "1" },
  }).output();
  assertCleanFailure(
    { code: output.code, stdout: output.stdout, stderr: new TextDecoder().decode(output.stderr) },
    3,
    /^megazip: cannot compress in: no space left on device$/,
  );
  assert.deepEqual(await listDir(tmp.dir), ["in"]);
});

/** Whether a file with mode 000 can still be read here (as root it can: then skip). */
async function permissionsAreBypassed(): Promise<boolean> {
  const path = await Deno.makeTempFile();
  try {
    await Deno.chmod(path, 0o000);
    await Deno.readFile(path);
    return true;
  } catch {
    return false;
  } finally {
    await Deno.remove(path);
  }
}

Deno.test({
  name: "megazip reports an unreadable input",
  ignore: await permissionsAreBypassed(),
  fn: async () => {
    await using tmp = await tempDir();
    await Deno.writeTextFile(`${tmp.dir}/secret`, "hidden");
    await Deno.chmod(`${tmp.dir}/secret`, 0o000);
    const result = await megazip(["secret", ...NO_MODEL], { cwd: tmp.dir });
    await Deno.chmod(`${tmp.dir}/secret`, 0o600);
    assertCleanFailure(result, 3, /cannot compress secret: permission denied/i);
    assert.deepEqual(await listDir(tmp.dir), ["secret"]);
  },
});

Deno.test({
  name: "megazip --rm that cannot remove its input says so, keeping the output it wrote",
  ignore: await permissionsAreBypassed(),
  fn: async () => {
    await using tmp = await tempDir();
    await Deno.mkdir(`${tmp.dir}/ro`);
    await Deno.writeFile(`${tmp.dir}/ro/f`, sampleBytes(500, 14));
    await Deno.chmod(`${tmp.dir}/ro`, 0o555);
    const result = await megazip(["--rm", "ro/f", "-o", "f.mbz", ...NO_MODEL], { cwd: tmp.dir });
    await Deno.chmod(`${tmp.dir}/ro`, 0o755);
    assertCleanFailure(
      result,
      3,
      /^megazip: cannot remove ro\/f: permission denied.*\(f\.mbz was written\)$/,
    );
    assert.deepEqual(await listDir(tmp.dir), ["f.mbz", "ro"]);
    assert.deepEqual(await listDir(`${tmp.dir}/ro`), ["f"]);
  },
});

Deno.test("megazip continues after a failed file and exits with its code", async () => {
  await using tmp = await tempDir();
  await Deno.writeFile(`${tmp.dir}/good`, sampleBytes(1000, 2));
  const result = await megazip(["nothere", "good", ...NO_MODEL], { cwd: tmp.dir });
  assertCleanFailure(result, 3, /nothere: no such file/);
  assert.deepEqual(await listDir(tmp.dir), ["good", "good.mbz"]);
});

Deno.test("megazip refuses names it cannot map: -d without .mbz, compress of a .mbz", async () => {
  await using tmp = await tempDir();
  await Deno.writeTextFile(`${tmp.dir}/plain`, "x");
  await Deno.writeTextFile(`${tmp.dir}/twice.mbz`, "x");
  assertCleanFailure(
    await megazip(["-d", "plain", ...NO_MODEL], { cwd: tmp.dir }),
    2,
    /cannot decompress plain: unknown suffix/,
  );
  assertCleanFailure(
    await megazip(["twice.mbz", ...NO_MODEL], { cwd: tmp.dir }),
    2,
    /already has the \.mbz suffix/,
  );
  assert.deepEqual(await listDir(tmp.dir), ["plain", "twice.mbz"]);
});

Deno.test("megazip refuses to write over its own input", async () => {
  await using tmp = await tempDir();
  await Deno.writeTextFile(`${tmp.dir}/same`, "data");
  assertCleanFailure(
    await megazip(["-f", "same", "-o", "same", ...NO_MODEL], { cwd: tmp.dir }),
    2,
    /is the input/,
  );
  assert.equal(await Deno.readTextFile(`${tmp.dir}/same`), "data");
});

Deno.test("megazip reports usage errors with exit code 2", async () => {
  await using tmp = await tempDir();
  await Deno.writeTextFile(`${tmp.dir}/a`, "a");
  await Deno.writeTextFile(`${tmp.dir}/b`, "b");
  const cases: [string[], RegExp][] = [
    [["--bogus"], /unknown option '--bogus'/],
    [["-B", "12x", "a"], /argument '12x' is invalid/],
    [["-B", "0", "a"], /at least 1/],
    [["-T", "many", "a"], /argument 'many' is invalid/],
    [["-o", "x", "a", "b"], /-o takes one input file/],
    [["-c", "-o", "x", "a"], /-o and -c cannot be used together/],
    [["-c", "a", "b"], /several files/],
    [["score"], /missing required argument/],
    [["-t", "-o", "x", "a"], /-t writes nothing/],
    [["-t", "-c", "a"], /-t writes nothing/],
    [["decompress", "-t", "--rm", "a"], /-t writes nothing/],
    [["-t", "-B", "4K", "a"], /--block-size applies to compression only/],
    // Once, before any file: it was one line per file, after opening each.
    [["-B", "65M", "a", "b"], /argument '65M' is invalid\. expected at most 64M$/],
    [["score", "-B", "99G", "a"], /argument '99G' is invalid\. expected at most 64M$/],
    [["-o", "", "a"], /-o needs a file name/],
  ];
  for (const [args, pattern] of cases) {
    assertCleanFailure(await megazip(args, { cwd: tmp.dir }), 2, pattern);
  }
  assert.deepEqual(await listDir(tmp.dir), ["a", "b"]);
});

Deno.test("megazip reports a missing or invalid model with exit code 4", async () => {
  await using tmp = await tempDir();
  await Deno.writeTextFile(`${tmp.dir}/in`, "some input");
  await Deno.writeFile(`${tmp.dir}/bad.mgb`, sampleBytes(300, 4));
  assertCleanFailure(
    await megazip(["in", "--model", "nomodel.mgb"], { cwd: tmp.dir }),
    4,
    /cannot load model nomodel\.mgb: no such file/,
  );
  assertCleanFailure(
    await megazip(["in", "--model", "bad.mgb"], { cwd: tmp.dir }),
    4,
    /cannot load model bad\.mgb: /,
  );
  assertCleanFailure(
    await megazip(["in"], { cwd: tmp.dir, env: { MEGAZIP_MODEL: "fromenv.mgb" } }),
    4,
    /cannot load model fromenv\.mgb: no such file/,
  );
  assert.deepEqual(await listDir(tmp.dir), ["bad.mgb", "in"]);
});

Deno.test("megazip bench without --allow-run says how to run it", async () => {
  assertCleanFailure(await megazip(["bench"]), 2, /needs --allow-run: use `deno task bench`/);
});

Deno.test("megazip removes its temporary output when interrupted (SIGINT, SIGTERM, SIGHUP)", async () => {
  await using tmp = await tempDir();
  await Deno.writeFile(`${tmp.dir}/big`, sampleBytes(16 << 20, 99));
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const child = spawnMegazip(["big", "--no-model", "-T", "2"], tmp.dir);
    // Wait for the temporary output to appear, then press Ctrl-C (or kill, or hang up).
    let names: string[] = [];
    for (let i = 0; i < 400 && !names.some((n) => n.endsWith(".tmp")); i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      names = await listDir(tmp.dir);
    }
    assert.ok(names.some((n) => n.endsWith(".tmp")), `no temporary file among ${names}`);
    child.kill(signal);
    const output = await child.output();
    const stderr = new TextDecoder().decode(output.stderr);
    const expected = signal === "SIGINT" ? "" : ` \\(${signal}\\)`;
    assertCleanFailure(
      { code: output.code, stdout: output.stdout, stderr },
      130,
      new RegExp(`^megazip: interrupted${expected}$`),
    );
    assert.deepEqual(await listDir(tmp.dir), ["big"], signal);
  }
});

Deno.test("megazip names the model in the archive and refuses another or a missing model", async () => {
  await using tmp = await tempDir();
  await Deno.writeFile(`${tmp.dir}/a.mgb`, tinyModelBytes(1, "model-a"));
  await Deno.writeFile(`${tmp.dir}/b.mgb`, tinyModelBytes(2, "model-b"));
  const original = sampleBytes(1500, 61);
  await Deno.writeFile(`${tmp.dir}/in`, original);

  const compressed = await megazip(["in", "--model", "a.mgb", "-T", "1"], { cwd: tmp.dir });
  assert.equal(compressed.code, 0, compressed.stderr);
  const info = await megazip(["info", "--json", "--no-model", "in.mbz"], { cwd: tmp.dir });
  assert.equal(info.code, 0, info.stderr);
  const report = JSON.parse(new TextDecoder().decode(info.stdout));
  assert.equal(report.modelName, "model-a");
  assert.match(report.modelHash, /^[0-9a-f]{64}$/);

  for (const model of [["--no-model"], ["--model", "b.mgb"]]) {
    const result = await megazip(["-d", "in.mbz", "-o", "out", ...model], { cwd: tmp.dir });
    assertCleanFailure(result, 4, /^megazip: cannot decompress in\.mbz: .*model/);
    const tested = await megazip(["-t", "in.mbz", ...model], { cwd: tmp.dir });
    assertCleanFailure(tested, 4, /^megazip: cannot test in\.mbz: .*model/);
    assert.deepEqual(await listDir(tmp.dir), ["a.mgb", "b.mgb", "in", "in.mbz"]);
  }
  const env = { MEGAZIP_MODEL: "a.mgb" };
  const tested = await megazip(["-t", "in.mbz", "-T", "1"], { cwd: tmp.dir, env });
  assert.equal(tested.code, 0, tested.stderr);
  const back = await megazip(["-d", "in.mbz", "-o", "out", "-T", "1"], { cwd: tmp.dir, env });
  assert.equal(back.code, 0, back.stderr);
  assert.deepEqual(await Deno.readFile(`${tmp.dir}/out`), original);
});

Deno.test({
  name: "megazip refuses to write compressed data to a terminal but decompresses to one",
  ignore: !(await hasScript()),
  fn: async () => {
    await using tmp = await tempDir();
    await Deno.writeFile(`${tmp.dir}/t`, sampleBytes(500, 71));
    const run = (args: string) => megazipOnTerminal(args, tmp.dir);
    const refused = await run("-c --no-model t");
    const text = new TextDecoder().decode(refused.stdout).replace(/\r/g, "").trim();
    assert.equal(refused.code, 2, text);
    assert.match(text, /^megazip: refusing to write compressed data to a terminal/);
    assert.deepEqual(await listDir(tmp.dir), ["t"]);

    const made = await megazip(["t", "--no-model"], { cwd: tmp.dir });
    assert.equal(made.code, 0, made.stderr);
    const shown = await run("-dc --no-model t.mbz");
    assert.equal(shown.code, 0, new TextDecoder().decode(shown.stdout));
  },
});

Deno.test("megazip -dc exits 3 without a word when its stdout is closed early", async () => {
  await using tmp = await tempDir();
  const original = sampleBytes(400_000, 81);
  await Deno.writeFile(`${tmp.dir}/x`, original);
  const made = await megazip(["x", "--no-model"], { cwd: tmp.dir });
  assert.equal(made.code, 0, made.stderr);
  const child = spawnMegazip(["-dc", "--no-model", "x.mbz"], tmp.dir);
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.getReader();
  const first = await reader.read();
  assert.ok(!first.done && first.value.length > 0);
  await reader.cancel();
  const status = await child.status;
  assert.equal(status.code, 3);
  assert.equal(await stderr, "");
});

Deno.test("megazip -dc writes several archives one after the other to stdout", async () => {
  await using tmp = await tempDir();
  await Deno.writeFile(`${tmp.dir}/p`, sampleBytes(3000, 82));
  await Deno.writeFile(`${tmp.dir}/q`, sampleBytes(2000, 83));
  const made = await megazip(["p", "q", "--no-model"], { cwd: tmp.dir });
  assert.equal(made.code, 0, made.stderr);
  const both = await megazip(["-dc", "p.mbz", "q.mbz", "--no-model"], { cwd: tmp.dir });
  assert.equal(both.code, 0, both.stderr);
  assert.deepEqual(
    both.stdout,
    new Uint8Array([...sampleBytes(3000, 82), ...sampleBytes(2000, 83)]),
  );
});

Deno.test("options before a subcommand: its name, when no such file, is a usage error and nothing is compressed", async () => {
  await using tmp = await tempDir();
  await Deno.writeTextFile(`${tmp.dir}/x`, "some text");
  assertCleanFailure(
    await megazip(["--no-model", "info", "x"], { cwd: tmp.dir }),
    2,
    /info: no such file; to run `megazip info`, put the subcommand first/,
  );
  assertCleanFailure(await megazip(["-d", "score", "x"], { cwd: tmp.dir }), 2, /`megazip score`/);
  assert.deepEqual(await listDir(tmp.dir), ["x"]);
  // A file of that name is compressed, as the README says.
  await Deno.writeTextFile(`${tmp.dir}/info`, "a file named info");
  const result = await megazip(["--no-model", "info"], { cwd: tmp.dir });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(await listDir(tmp.dir), ["info", "info.mbz", "x"]);
});
