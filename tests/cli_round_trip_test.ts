/**
 * The `megazip` command end to end (through Deno.Command, with the task's permissions): round
 * trips through files and stdin/stdout, and the gzip/zstd habits -o, -c, -k, --rm, -f.
 */
import assert from "node:assert/strict";
import { hasCommand, listDir, megazip, sampleBytes, tempDir } from "./_cli_helpers.ts";
import { DEFAULT_MODEL_URL } from "../cli/_model.ts";

const NO_MODEL = ["--no-model", "--workers", "1"];

Deno.test("megazip FILE then megazip -d FILE.mbz round-trips with default names, keeping inputs", async () => {
  await using tmp = await tempDir();
  const original = sampleBytes(6000);
  await Deno.writeFile(`${tmp.dir}/a.txt`, original);

  const compressed = await megazip(["a.txt", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(compressed.code, 0, compressed.stderr);
  assert.equal(compressed.stderr, "");
  assert.deepEqual(await listDir(tmp.dir), ["a.txt", "a.txt.mbz"]);
  assert.deepEqual(await Deno.readFile(`${tmp.dir}/a.txt`), original);
  const archive = await Deno.readFile(`${tmp.dir}/a.txt.mbz`);
  assert.ok(archive.length < original.length, `archive of ${archive.length} bytes`);

  await Deno.rename(`${tmp.dir}/a.txt`, `${tmp.dir}/orig.txt`);
  const decompressed = await megazip(["-d", "a.txt.mbz", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(decompressed.code, 0, decompressed.stderr);
  assert.equal(decompressed.stderr, "");
  assert.deepEqual(await Deno.readFile(`${tmp.dir}/a.txt`), original);
  assert.deepEqual(await listDir(tmp.dir), ["a.txt", "a.txt.mbz", "orig.txt"]);
});

Deno.test("megazip -t tests archives without writing anything, from files and stdin", async () => {
  await using tmp = await tempDir();
  const original = sampleBytes(7000, 5);
  await Deno.writeFile(`${tmp.dir}/a.txt`, original);
  await Deno.writeFile(`${tmp.dir}/b.txt`, sampleBytes(3000, 6));
  const made = await megazip(["a.txt", "b.txt", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(made.code, 0, made.stderr);
  await Deno.remove(`${tmp.dir}/a.txt`);
  await Deno.remove(`${tmp.dir}/b.txt`);
  const before = await listDir(tmp.dir);

  for (const args of [["-t", "a.txt.mbz", "b.txt.mbz"], ["decompress", "--test", "a.txt.mbz"]]) {
    const tested = await megazip([...args, ...NO_MODEL], { cwd: tmp.dir });
    assert.equal(tested.code, 0, tested.stderr);
    assert.equal(tested.stderr, "");
    assert.equal(tested.stdout.length, 0, "-t writes nothing to stdout");
    assert.deepEqual(await listDir(tmp.dir), before, "-t writes no file and removes none");
  }
  const verbose = await megazip(["-tv", "a.txt.mbz", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(verbose.code, 0, verbose.stderr);
  const size = (await Deno.stat(`${tmp.dir}/a.txt.mbz`)).size;
  assert.match(
    verbose.stderr,
    new RegExp(`^megazip: a\\.txt\\.mbz: ${size} -> 7000 bytes, [0-9.]+ bits per byte: OK\n$`),
  );

  const missing = await megazip(["-t", "gone.mbz", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(missing.code, 3);
  assert.equal(missing.stderr, "megazip: cannot test gone.mbz: no such file\n");

  const archive = await Deno.readFile(`${tmp.dir}/a.txt.mbz`);
  const piped = await megazip(["-t", ...NO_MODEL], { stdin: archive });
  assert.equal(piped.code, 0, piped.stderr);
  assert.equal(piped.stdout.length, 0);
});

Deno.test("megazip compress and decompress subcommands round-trip the empty file", async () => {
  await using tmp = await tempDir();
  await Deno.writeFile(`${tmp.dir}/empty`, new Uint8Array());
  const compressed = await megazip(["compress", "empty", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(compressed.code, 0, compressed.stderr);
  const back = await megazip(["decompress", "empty.mbz", "-o", "back", ...NO_MODEL], {
    cwd: tmp.dir,
  });
  assert.equal(back.code, 0, back.stderr);
  assert.deepEqual(await Deno.readFile(`${tmp.dir}/back`), new Uint8Array());
});

Deno.test("megazip round-trips stdin to stdout, with no input name and with -", async () => {
  const original = sampleBytes(5000, 7);
  const archive = await megazip([...NO_MODEL], { stdin: original });
  assert.equal(archive.code, 0, archive.stderr);
  assert.equal(archive.stderr, "");
  assert.ok(archive.stdout.length > 0);

  const back = await megazip(["-d", ...NO_MODEL], { stdin: archive.stdout });
  assert.equal(back.code, 0, back.stderr);
  assert.deepEqual(back.stdout, original);

  const dash = await megazip(["compress", "-", ...NO_MODEL], { stdin: original });
  assert.equal(dash.code, 0, dash.stderr);
  assert.deepEqual(dash.stdout, archive.stdout, "same input, same archive");
  const dashBack = await megazip(["decompress", "-", ...NO_MODEL], { stdin: dash.stdout });
  assert.deepEqual(dashBack.stdout, original);

  await using tmp = await tempDir();
  const named = await megazip(["-o", "s.mbz", ...NO_MODEL], { cwd: tmp.dir, stdin: original });
  assert.equal(named.code, 0, named.stderr);
  assert.equal(named.stdout.length, 0);
  assert.deepEqual(await Deno.readFile(`${tmp.dir}/s.mbz`), archive.stdout);
});

Deno.test("megazip -c writes stdout and keeps the input; -o writes the named file", async () => {
  await using tmp = await tempDir();
  const original = sampleBytes(3000, 3);
  await Deno.writeFile(`${tmp.dir}/in.bin`, original);

  const toStdout = await megazip(["-c", "in.bin", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(toStdout.code, 0, toStdout.stderr);
  assert.deepEqual(await listDir(tmp.dir), ["in.bin"]);

  const named = await megazip(["in.bin", "-o", "out.x", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(named.code, 0, named.stderr);
  assert.deepEqual(await listDir(tmp.dir), ["in.bin", "out.x"]);
  assert.deepEqual(await Deno.readFile(`${tmp.dir}/out.x`), toStdout.stdout);

  const back = await megazip(["-dc", "out.x", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(back.code, 0, back.stderr);
  assert.deepEqual(back.stdout, original);
  const backNamed = await megazip(["-d", "out.x", "-o", "back.bin", ...NO_MODEL], {
    cwd: tmp.dir,
  });
  assert.equal(backNamed.code, 0, backNamed.stderr);
  assert.deepEqual(await Deno.readFile(`${tmp.dir}/back.bin`), original);
});

Deno.test("megazip --rm removes the input after success, -k keeps it, both together is a usage error", async () => {
  await using tmp = await tempDir();
  const original = sampleBytes(2000, 5);
  await Deno.writeFile(`${tmp.dir}/f`, original);

  const kept = await megazip(["-k", "f", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(kept.code, 0, kept.stderr);
  assert.deepEqual(await listDir(tmp.dir), ["f", "f.mbz"]);
  await Deno.remove(`${tmp.dir}/f.mbz`);

  const both = await megazip(["-k", "--rm", "f", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(both.code, 2);
  assert.deepEqual(await listDir(tmp.dir), ["f"]);

  const removed = await megazip(["--rm", "f", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(removed.code, 0, removed.stderr);
  assert.deepEqual(await listDir(tmp.dir), ["f.mbz"]);

  const back = await megazip(["-d", "--rm", "f.mbz", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(back.code, 0, back.stderr);
  assert.deepEqual(await listDir(tmp.dir), ["f"]);
  assert.deepEqual(await Deno.readFile(`${tmp.dir}/f`), original);
});

Deno.test("megazip refuses an existing output without -f and replaces it with -f", async () => {
  await using tmp = await tempDir();
  const original = sampleBytes(2500, 9);
  await Deno.writeFile(`${tmp.dir}/doc`, original);
  await Deno.writeTextFile(`${tmp.dir}/doc.mbz`, "precious");

  const refused = await megazip(["doc", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(refused.code, 3, refused.stderr);
  assert.match(refused.stderr, /^megazip: cannot write doc\.mbz: file exists \(use -f/);
  assert.equal(await Deno.readTextFile(`${tmp.dir}/doc.mbz`), "precious");
  assert.deepEqual(await listDir(tmp.dir), ["doc", "doc.mbz"]);

  const forced = await megazip(["-f", "doc", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(forced.code, 0, forced.stderr);
  assert.deepEqual(await listDir(tmp.dir), ["doc", "doc.mbz"]);

  const refusedBack = await megazip(["-d", "doc.mbz", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(refusedBack.code, 3);
  const back = await megazip(["-d", "doc.mbz", "-o", "doc2", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(back.code, 0, back.stderr);
  assert.deepEqual(await Deno.readFile(`${tmp.dir}/doc2`), original);
});

Deno.test("megazip writes into an existing /dev/null, keeping the input even with --rm", async () => {
  await using tmp = await tempDir();
  await Deno.writeFile(`${tmp.dir}/f`, sampleBytes(2000, 12));
  // As zstd does, and a shell redirection: /dev/null needs no -f, and is not replaced.
  for (const args of [["--rm", "f"], ["-f", "--rm", "f"]]) {
    const result = await megazip([...args, "-o", "/dev/null", ...NO_MODEL], { cwd: tmp.dir });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await listDir(tmp.dir), ["f"], `${args}: the input is kept`);
  }
  await megazip(["f", ...NO_MODEL], { cwd: tmp.dir });
  const tested = await megazip(["-d", "--rm", "f.mbz", "-o", "/dev/null", ...NO_MODEL], {
    cwd: tmp.dir,
  });
  assert.equal(tested.code, 0, tested.stderr);
  assert.deepEqual(await listDir(tmp.dir), ["f", "f.mbz"]);
  assert.ok((await Deno.lstat("/dev/null")).isCharDevice);
});

/** Whether `mkfifo` is here to make a FIFO. */
const hasMkfifo = await hasCommand("mkfifo");

Deno.test({
  name: "megazip -f -o FIFO writes into the FIFO instead of replacing it with a file",
  ignore: !hasMkfifo,
  fn: async () => {
    await using tmp = await tempDir();
    const original = sampleBytes(1500, 13);
    await Deno.writeFile(`${tmp.dir}/f`, original);
    const fifo = `${tmp.dir}/pipe`;
    assert.ok((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
    // Opened for reading and writing, the FIFO does not block, and holds what megazip writes.
    const reader = await Deno.open(fifo, { read: true, write: true });
    try {
      const result = await megazip(["-f", "f", "-o", "pipe", ...NO_MODEL], { cwd: tmp.dir });
      assert.equal(result.code, 0, result.stderr);
      assert.ok((await Deno.lstat(fifo)).isFifo, "the FIFO is still a FIFO");
      assert.deepEqual(await listDir(tmp.dir), ["f", "pipe"]);
      const buffer = new Uint8Array(65536);
      const n = (await reader.read(buffer))!;
      const back = await megazip(["-d", ...NO_MODEL], { stdin: buffer.subarray(0, n) });
      assert.equal(back.code, 0, back.stderr);
      assert.deepEqual(back.stdout, original);
    } finally {
      reader.close();
    }
  },
});

Deno.test("megazip compresses several files, each to its own .mbz", async () => {
  await using tmp = await tempDir();
  await Deno.writeFile(`${tmp.dir}/one`, sampleBytes(1000, 11));
  await Deno.writeFile(`${tmp.dir}/two`, sampleBytes(1500, 12));
  const result = await megazip(["one", "two", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(await listDir(tmp.dir), ["one", "one.mbz", "two", "two.mbz"]);
  await Deno.remove(`${tmp.dir}/one`);
  await Deno.remove(`${tmp.dir}/two`);
  const back = await megazip(["-d", "one.mbz", "two.mbz", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(back.code, 0, back.stderr);
  assert.deepEqual(await Deno.readFile(`${tmp.dir}/one`), sampleBytes(1000, 11));
  assert.deepEqual(await Deno.readFile(`${tmp.dir}/two`), sampleBytes(1500, 12));
});

Deno.test("megazip writes the same archive whatever --workers and round-trips small blocks", async () => {
  await using tmp = await tempDir();
  const original = sampleBytes(20_000, 13);
  await Deno.writeFile(`${tmp.dir}/big`, original);
  const one = await megazip(["-c", "-B", "4K", "-T", "1", "--no-model", "big"], { cwd: tmp.dir });
  const two = await megazip(["-c", "-B", "4K", "-T", "2", "--no-model", "big"], { cwd: tmp.dir });
  assert.equal(one.code, 0, one.stderr);
  assert.equal(two.code, 0, two.stderr);
  assert.deepEqual(one.stdout, two.stdout);
  const back = await megazip(["-d", "-T", "2", "--no-model"], { stdin: two.stdout });
  assert.equal(back.code, 0, back.stderr);
  assert.deepEqual(back.stdout, original);
});

Deno.test("megazip -v prints the sizes of each file on stderr", async () => {
  await using tmp = await tempDir();
  await Deno.writeFile(`${tmp.dir}/v`, sampleBytes(4000, 17));
  const result = await megazip(["-v", "v", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(result.code, 0, result.stderr);
  const size = (await Deno.stat(`${tmp.dir}/v.mbz`)).size;
  assert.equal(
    result.stderr.trim(),
    `megazip: v: 4000 -> ${size} bytes, ${(8 * size / 4000).toFixed(3)} bits per byte -> v.mbz`,
  );
});

const hasDefaultModel = await Deno.stat(DEFAULT_MODEL_URL).then(() => true, () => false);

Deno.test({
  name: "megazip round-trips with the shipped default model and names it in the archive",
  ignore: !hasDefaultModel,
  fn: async () => {
    await using tmp = await tempDir();
    const original = sampleBytes(3000, 51);
    await Deno.writeFile(`${tmp.dir}/m.txt`, original);
    const compressed = await megazip(["m.txt"], { cwd: tmp.dir });
    assert.equal(compressed.code, 0, compressed.stderr);
    const info = await megazip(["info", "--json", "m.txt.mbz"], { cwd: tmp.dir });
    assert.equal(info.code, 0, info.stderr);
    assert.notEqual(JSON.parse(new TextDecoder().decode(info.stdout)).modelHash, "");
    const back = await megazip(["-d", "m.txt.mbz", "-o", "back.txt"], { cwd: tmp.dir });
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual(await Deno.readFile(`${tmp.dir}/back.txt`), original);
    const without = await megazip(["-d", "m.txt.mbz", "-c", "--no-model"], { cwd: tmp.dir });
    assert.equal(without.code, 4, without.stderr);
  },
});
