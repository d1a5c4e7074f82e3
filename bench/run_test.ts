import assert from "node:assert/strict";
import { flopsPerByte } from "../lib/model/flops.ts";
import { loadModel } from "../lib/model/model_file_read.ts";
import { DEFAULT_BENCH_MODEL, isText, NO_MODEL, parseBenchArgs, runBench } from "./run.ts";

Deno.test("parseBenchArgs() reads every flag and rejects unknown ones", () => {
  // Without flags: the shipped model, 1 and 2 workers.
  assert.deepEqual(parseBenchArgs([]), { model: DEFAULT_BENCH_MODEL, workers: [1, 2] });
  assert.ok(DEFAULT_BENCH_MODEL.endsWith("/models/default.mgb"));
  assert.deepEqual(
    parseBenchArgs(["--quick", "--json", "--no-write", "--workers=1", "--model=m.mgb"]),
    { quick: true, json: true, write: false, workers: [1], model: "m.mgb" },
  );
  assert.deepEqual(parseBenchArgs(["--no-model"]), { workers: [1, 2] });
  assert.deepEqual(parseBenchArgs(["--corpus=a", "--corpus=/b"]), {
    corpora: ["a", "/b"],
    model: DEFAULT_BENCH_MODEL,
    workers: [1, 2],
  });
  assert.throws(() => parseBenchArgs(["--no-model", "--model=m.mgb"]), TypeError);
  assert.throws(() => parseBenchArgs(["--fast"]), TypeError);
  assert.throws(() => parseBenchArgs(["--workers"]), TypeError);
  assert.throws(() => parseBenchArgs(["--workers=abc"]), /--workers=abc: expected integers 0..64/);
  assert.throws(() => parseBenchArgs(["--workers=1,65"]), TypeError);
});

Deno.test("deno task bench with an unknown option: its one line on stderr, exit 2 (usage)", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", "bench/run.ts", "--fast"],
    cwd: new URL("../", import.meta.url),
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(stderr);
  assert.equal(code, 2, text);
  assert.equal(stdout.length, 0);
  assert.equal(
    text,
    "bench: Cannot parse the bench argument --fast: expected --quick, --json, --no-write," +
      " --workers=N[,N], --model=PATH, --no-model or --corpus=DIR\n",
  );
});

Deno.test("isText() tells text from binary", () => {
  const encode = (s: string) => new TextEncoder().encode(s);
  assert.equal(isText(encode("Hello, world.\n\tIndented line\r\n")), true);
  assert.equal(isText(new Uint8Array([72, 105, 0, 33])), false);
  assert.equal(isText(Uint8Array.from({ length: 100 }, (_, i) => (i < 90 ? 97 : 200))), false);
  assert.equal(isText(new Uint8Array(0)), true);
});

Deno.test("runBench() measures a small corpus, round-trips it and writes nothing when told", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/a.txt`,
      "the quick brown fox jumps over the lazy dog\n".repeat(50),
    );
    await Deno.writeFile(
      `${dir}/b.bin`,
      Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 255),
    );
    const lines: string[] = [];
    const report = await runBench({
      corpora: [dir],
      quick: true,
      write: false,
      print: false,
      log: (line) => lines.push(line),
    });
    const names = report.files.map((f) => `${f.corpus}/${f.file}`);
    const corpus = dir.split("/").pop();
    assert.deepEqual(names, [`${corpus}/a.txt`, `${corpus}/b.bin`, "generated/random-64KiB"]);
    assert.equal(lines.length, 3);
    const text = report.files[0]!;
    assert.equal(text.text, true);
    assert.equal(report.files[1]!.text, false);
    assert.ok(text.sizes["megazip"]! < text.bytes / 4, `megazip: ${text.sizes["megazip"]} bytes`);
    for (const tool of report.tools.filter((t) => t.version !== null)) {
      assert.ok(text.sizes[tool.name]! > 0, tool.name);
    }
    const random = report.files[2]!;
    const growth = random.sizes["megazip"]! - random.bytes;
    assert.ok(growth < 256, `random input grew by ${growth} bytes`);
    assert.equal(report.totals.bytes, text.bytes + report.files[1]!.bytes);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runBench() with a model also measures megazip without it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a.txt`, "a model and a mixer, byte by byte\n".repeat(40));
    const report = await runBench({
      corpora: [dir],
      quick: true,
      write: false,
      print: false,
      log: () => {},
      model: new URL("../tests/fixtures/tiny.mgb", import.meta.url).pathname,
    });
    assert.match(report.model, /^tiny.* \(SHA-256 [0-9a-f]{64}\)$/);
    const tiny = await loadModel(new URL("../tests/fixtures/tiny.mgb", import.meta.url).pathname);
    assert.equal(report.modelFlopsPerByte, flopsPerByte(tiny.config));
    for (const f of report.files) {
      assert.ok(f.sizes[NO_MODEL]! > 0, `${f.file}: ${f.sizes[NO_MODEL]}`);
      assert.ok(f.noModel!.compressKBps > 0 && f.noModel!.decompressKBps > 0);
    }
    assert.ok(report.totals.noModel !== undefined);
    assert.equal(report.totals.sizes[NO_MODEL], report.files[0]!.sizes[NO_MODEL]);
    assert.ok(report.maxGrowth! < 0.01, `max growth ${report.maxGrowth}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
