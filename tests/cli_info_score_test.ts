/**
 * `megazip info`, `megazip -l`, `megazip score`, `--help` and `--version` end to end: their JSON
 * parses and agrees with the archives the CLI writes.
 */
import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import { buildArchive, splitArchive } from "../codec/_testing/archive_builder.ts";
import { LEVELS } from "../lib/model/configs.ts";
import { flopsPerByte, paramCount } from "../lib/model/flops.ts";
import { readModelFile } from "../lib/model/model_file_read.ts";
import { writeModelFile } from "../lib/model/model_file_write.ts";
import { randomModel } from "../lib/model/_test_util.ts";
import {
  assertCleanFailure,
  megazip,
  sampleBytes,
  TASK_FLAGS,
  tempDir,
  tinyModelBytes,
} from "./_cli_helpers.ts";

const NO_MODEL = ["--no-model", "--workers", "1"];

Deno.test("megazip -l lists archives from their block headers, with a total, and goes on past a bad one", async () => {
  await using tmp = await tempDir();
  await Deno.writeFile(`${tmp.dir}/f`, sampleBytes(10_000, 31));
  await Deno.writeFile(`${tmp.dir}/g`, new Uint8Array(3000));
  const made = await megazip(["-B", "4K", "f", "g", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(made.code, 0, made.stderr);
  const size = async (name: string) => (await Deno.stat(`${tmp.dir}/${name}`)).size;
  const info = JSON.parse(
    new TextDecoder().decode(
      (await megazip(["info", "--json", "f.mbz", ...NO_MODEL], { cwd: tmp.dir })).stdout,
    ),
  );
  const methods = [...new Set(info.blocks.map((b: { method: string }) => b.method))].join(",");

  const listed = await megazip(["-l", "f.mbz", "g.mbz"], { cwd: tmp.dir });
  assert.equal(listed.code, 0, listed.stderr);
  assert.equal(listed.stderr, "");
  const rows = new TextDecoder().decode(listed.stdout).trimEnd().split("\n")
    .map((line) => line.trim().split(/\s+/));
  assert.deepEqual(rows[0], [
    "compressed",
    "uncompressed",
    "bits/byte",
    "blocks",
    "methods",
    "name",
  ]);
  const [f, g] = [await size("f.mbz"), await size("g.mbz")];
  assert.deepEqual(rows[1], [
    String(f),
    "10000",
    (8 * f / 10000).toFixed(3),
    "3",
    methods,
    "f.mbz",
  ]);
  assert.equal(rows[2]![1], "3000");
  assert.equal(rows[2]![5], "g.mbz");
  assert.deepEqual(rows[3], [
    String(f + g),
    "13000",
    (8 * (f + g) / 13000).toFixed(3),
    "4",
    "2",
    "archives",
  ]);

  // Not an archive, and a truncated one: one line each on stderr, the others still listed.
  await Deno.writeTextFile(`${tmp.dir}/x.mbz`, "not an archive");
  await Deno.writeFile(`${tmp.dir}/t.mbz`, (await Deno.readFile(`${tmp.dir}/f.mbz`)).slice(0, 40));
  const bad = await megazip(["-l", "x.mbz", "f.mbz", "t.mbz"], { cwd: tmp.dir });
  assert.equal(bad.code, 1);
  const errors = bad.stderr.trimEnd().split("\n");
  assert.equal(errors.length, 2, bad.stderr);
  assert.match(errors[0]!, /^megazip: cannot list x\.mbz: /);
  assert.match(errors[1]!, /^megazip: cannot list t\.mbz: /);
  assert.match(new TextDecoder().decode(bad.stdout), / f\.mbz\n/);
  // When no input is an archive: the errors only, nothing on stdout (no header, no total).
  const none = await megazip(["-l", "x.mbz", "t.mbz"], { cwd: tmp.dir });
  assert.equal(none.code, 1);
  assert.equal(none.stdout.length, 0);
  assert.equal(none.stderr.trimEnd().split("\n").length, 2, none.stderr);

  // From stdin, and the options that do not go with it.
  const piped = await megazip(["-l"], { stdin: await Deno.readFile(`${tmp.dir}/g.mbz`) });
  assert.equal(piped.code, 0, piped.stderr);
  assert.match(new TextDecoder().decode(piped.stdout), / 3000 .* stdin\n$/);
  assertCleanFailure(await megazip(["-l", "-d", "f.mbz"], { cwd: tmp.dir }), 2, /-l only lists/);
});

Deno.test("megazip info --json describes the archive's header and blocks", async () => {
  await using tmp = await tempDir();
  const original = sampleBytes(10_000, 31);
  await Deno.writeFile(`${tmp.dir}/f`, original);
  const compressed = await megazip(["-B", "4K", "f", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(compressed.code, 0, compressed.stderr);
  const archiveBytes = (await Deno.stat(`${tmp.dir}/f.mbz`)).size;

  const result = await megazip(["info", "--json", "f.mbz"], { cwd: tmp.dir });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, "");
  const info = JSON.parse(new TextDecoder().decode(result.stdout));
  assert.equal(info.kind, "archive");
  assert.equal(info.file, "f.mbz");
  assert.equal(info.archiveBytes, archiveBytes);
  assert.equal(info.formatVersion, 2);
  assert.equal(info.modelHash, "");
  assert.equal(info.blockSize, 4096);
  assert.equal(info.contentSize, original.length);
  assert.equal(info.checksumOk, true);
  assert.equal(info.blocks.length, Math.ceil(original.length / 4096));
  let raw = 0;
  for (const [i, block] of info.blocks.entries()) {
    assert.equal(block.index, i);
    assert.ok(["stored", "cm", "neural"].includes(block.method), block.method);
    assert.ok(block.codedSize > 0 && block.segments >= 1);
    raw += block.rawSize;
  }
  assert.equal(raw, original.length);

  const text = await megazip(["info", "f.mbz"], { cwd: tmp.dir });
  assert.equal(text.code, 0, text.stderr);
  const lines = new TextDecoder().decode(text.stdout);
  assert.match(lines, /^format\s+version 2$/m);
  assert.match(lines, new RegExp(`^content\\s+${original.length} bytes$`, "m"));

  const fromStdin = await megazip(["info", "--json"], {
    stdin: await Deno.readFile(`${tmp.dir}/f.mbz`),
  });
  assert.equal(fromStdin.code, 0, fromStdin.stderr);
  assert.deepEqual(
    { ...JSON.parse(new TextDecoder().decode(fromStdin.stdout)), file: "f.mbz" },
    info,
  );
});

Deno.test("megazip info names the damaged block, as -t does, and exits 1", async () => {
  await using tmp = await tempDir();
  await Deno.writeFile(`${tmp.dir}/f`, sampleBytes(10_000, 32));
  const compressed = await megazip(["-B", "4K", "f", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(compressed.code, 0, compressed.stderr);
  const fields = splitArchive(await Deno.readFile(`${tmp.dir}/f.mbz`));
  assert.equal((fields.blocks[1]!.descriptor >> 1) & 15, 1, "block 1 is a cm block");
  fields.blocks[1]!.data[5]! ^= 16;
  await Deno.writeFile(`${tmp.dir}/f.mbz`, await buildArchive(fields));

  const info = await megazip(["info", "f.mbz", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(info.code, 1);
  assert.equal(info.stderr, "megazip: f.mbz: block 1: checksum mismatch\n");
  assert.match(new TextDecoder().decode(info.stdout), /^checksum\s+MISMATCH$/m);
  const json = await megazip(["info", "--json", "f.mbz", ...NO_MODEL], { cwd: tmp.dir });
  const report = JSON.parse(new TextDecoder().decode(json.stdout));
  assert.deepEqual(report.blocks.map((b: { checksumOk: boolean }) => b.checksumOk), [
    true,
    false,
    true,
  ]);
  const test = await megazip(["-t", "f.mbz", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(test.code, 1);
  assert.match(test.stderr, /^megazip: cannot test f\.mbz: block 1: checksum mismatch\n$/);
});

Deno.test("megazip info shows the config and hash tables of the archive's model when it is at hand", async () => {
  await using tmp = await tempDir();
  await Deno.writeFile(`${tmp.dir}/f`, sampleBytes(3000, 5));
  const compressed = await megazip(["-k", "f", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(compressed.code, 0, compressed.stderr);
  const plain = await Deno.readFile(`${tmp.dir}/f.mbz`);
  // An archive naming a model without running it: the engine is not needed to show its sizes.
  const nameModel = async (file: string, model: Uint8Array) => {
    const fields = splitArchive(plain);
    fields.header.modelHash = readModelFile(model).hash;
    fields.header.modelName = new TextEncoder().encode(readModelFile(model).name);
    await Deno.writeFile(`${tmp.dir}/${file}`, await buildArchive(fields));
  };
  const hashed = writeModelFile(randomModel(LEVELS.tinyhash, 3));
  await Deno.writeFile(`${tmp.dir}/hashed.mgb`, hashed);
  await nameModel("hashed.mbz", hashed);
  const tiny = tinyModelBytes(4);
  await Deno.writeFile(`${tmp.dir}/tiny.mgb`, tiny);
  await nameModel("tiny.mbz", tiny);
  const info = async (args: string[]) => {
    const result = await megazip(["info", ...args], { cwd: tmp.dir });
    assert.equal(result.code, 0, result.stderr);
    return new TextDecoder().decode(result.stdout);
  };

  const report = JSON.parse(await info(["--json", "--model", "hashed.mgb", "hashed.mbz"]));
  assert.deepEqual(report.model, {
    config: LEVELS.tinyhash,
    parameters: paramCount(LEVELS.tinyhash).total,
    hashTables: { count: 2, orders: [2, 3], rows: 64, parameters: 2 * 64 * 16 },
    matchRow: null,
  });
  const text = await info(["--model", "hashed.mgb", "hashed.mbz"]);
  assert.match(text, /^model config {2}P 4, DG 8, global 2 layers × 2 heads, DL 16, /m);
  assert.match(text, new RegExp(`^parameters {4}${paramCount(LEVELS.tinyhash).total}$`, "m"));
  assert.match(text, /^hash tables {3}H 2 \(orders 2\.\.3\), 64 rows each, 2048 parameters$/m);

  // Without tables: the config, no table line; another model than the archive's: nothing.
  const plainReport = JSON.parse(await info(["--json", "--model", "tiny.mgb", "tiny.mbz"]));
  assert.deepEqual(plainReport.model.config, LEVELS.tiny);
  assert.equal(plainReport.model.hashTables, null);
  assert.doesNotMatch(await info(["--model", "tiny.mgb", "tiny.mbz"]), /hash tables/);
  const other = JSON.parse(await info(["--json", "--model", "tiny.mgb", "hashed.mbz"]));
  assert.equal(other.model, undefined);
  assert.doesNotMatch(await info(["--model", "tiny.mgb", "hashed.mbz"]), /model config/);
});

Deno.test("megazip info describes a model file: version, identity, config, storage, training", async () => {
  await using tmp = await tempDir();
  const model = randomModel(LEVELS.tinyhash, 9);
  model.metadata = { data: "two λ corpora", steps: 1234, bytesSeen: 5678, validBpb: 2.5 };
  const bytes = writeModelFile(model, { tableDtype: "int4" });
  await Deno.writeFile(`${tmp.dir}/m.mgb`, bytes);
  const info = async (args: string[], stdin?: Uint8Array) => {
    const result = await megazip(["info", ...args], { cwd: tmp.dir, stdin });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    return new TextDecoder().decode(result.stdout);
  };

  const report = JSON.parse(await info(["--json", "m.mgb"]));
  const tensors = [...model.tensors.values()];
  const size = (t: { shape: number[] }) => t.shape.reduce((a, b) => a * b, 1);
  const tables = tensors.filter((_, i) => /ngram/.test([...model.tensors.keys()][i]));
  const vectors = tensors.filter((t) => t.shape.length === 1);
  assert.deepEqual(report, {
    kind: "model",
    file: "m.mgb",
    fileBytes: bytes.length,
    formatVersion: 3,
    name: model.name,
    hash: Array.from(readModelFile(bytes).hash, (b) => b.toString(16).padStart(2, "0")).join(""),
    config: LEVELS.tinyhash,
    parameters: paramCount(LEVELS.tinyhash).total,
    hashTables: { count: 2, orders: [2, 3], rows: 64, parameters: 2 * 64 * 16 },
    matchRow: null,
    flopsPerByte: flopsPerByte(LEVELS.tinyhash),
    storage: {
      float32: { tensors: vectors.length, parameters: vectors.reduce((a, t) => a + size(t), 0) },
      int8: {
        tensors: tensors.length - vectors.length - tables.length,
        parameters: paramCount(LEVELS.tinyhash).total - 2 * 64 * 16 -
          vectors.reduce((a, t) => a + size(t), 0),
      },
      int4: { tensors: 2, parameters: 2 * 64 * 16 },
    },
    training: { data: "two λ corpora", steps: 1234, bytesSeen: 5678, validBpb: 2.5 },
  });
  const text = await info(["m.mgb"]);
  assert.match(text, /^format {8}model file version 3$/m);
  assert.match(text, new RegExp(`^identity {6}sha256 ${report.hash}$`, "m"));
  assert.match(text, /^hash tables {3}H 2 \(orders 2\.\.3\), 64 rows each, 2048 parameters$/m);
  assert.match(text, /^storage {7}.*int4 2 tensors \(2048 values\)/m);
  assert.match(text, /^valid bpb {5}2\.5000$/m);
  // From stdin too, and the same report whatever --model says.
  assert.deepEqual(
    JSON.parse(await info(["--json", "--no-model"], bytes)),
    { ...report, file: "-" },
  );

  // A version-1 file without validation: no table line, "not measured".
  const plain = randomModel(LEVELS.tiny, 2);
  plain.metadata.validBpb = NaN;
  await Deno.writeFile(`${tmp.dir}/p.mgb`, writeModelFile(plain));
  const plainReport = JSON.parse(await info(["--json", "p.mgb"]));
  assert.equal(plainReport.formatVersion, 1);
  assert.equal(plainReport.hashTables, null);
  assert.equal(plainReport.training.validBpb, null);
  const plainText = await info(["p.mgb"]);
  assert.doesNotMatch(plainText, /hash tables/);
  assert.match(plainText, /^valid bpb {5}not measured$/m);
});

Deno.test("megazip info rejects a corrupt model file as one line, exit 4", async () => {
  await using tmp = await tempDir();
  const bytes = writeModelFile(randomModel(LEVELS.tiny, 2));
  bytes[bytes.length - 1] ^= 1;
  await Deno.writeFile(`${tmp.dir}/bad.mgb`, bytes);
  assertCleanFailure(
    await megazip(["info", "bad.mgb"], { cwd: tmp.dir }),
    4,
    /^megazip: cannot inspect bad\.mgb: .*checksum mismatch/,
  );
  // The magic alone: truncated.
  await Deno.writeFile(`${tmp.dir}/short.mgb`, bytes.subarray(0, 8));
  assertCleanFailure(
    await megazip(["info", "short.mgb"], { cwd: tmp.dir }),
    4,
    /^megazip: cannot inspect short\.mgb: .*truncated/,
  );
});

Deno.test("megazip info rejects a file that is not an archive", async () => {
  await using tmp = await tempDir();
  await Deno.writeTextFile(`${tmp.dir}/junk.mbz`, "definitely not an archive");
  assertCleanFailure(
    await megazip(["info", "junk.mbz"], { cwd: tmp.dir }),
    1,
    /^megazip: cannot inspect junk\.mbz: /,
  );
});

Deno.test("megazip score --json gives bits = 8 × archive size per file and in total", async () => {
  await using tmp = await tempDir();
  const a = sampleBytes(7000, 41);
  const b = sampleBytes(3000, 42);
  await Deno.writeFile(`${tmp.dir}/a`, a);
  await Deno.writeFile(`${tmp.dir}/b`, b);
  const result = await megazip(["score", "--json", "a", "b", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(new TextDecoder().decode(result.stdout));
  assert.deepEqual(report.files.map((f: { file: string }) => f.file), ["a", "b"]);
  for (const [name, bytes] of [["a", a], ["b", b]] as const) {
    const line = report.files.find((f: { file: string }) => f.file === name);
    const archive = await megazip(["-c", ...NO_MODEL], { stdin: bytes });
    assert.equal(line.bytes, bytes.length);
    assert.equal(line.bits, 8 * archive.stdout.length);
    assert.equal(line.bitsPerByte, line.bits / line.bytes);
  }
  assert.equal(report.total.bytes, a.length + b.length);
  assert.equal(report.total.bits, report.files[0].bits + report.files[1].bits);
  assert.equal(report.total.bitsPerByte, report.total.bits / report.total.bytes);
  assert.equal(report.total.payloadBits, report.files[0].payloadBits + report.files[1].payloadBits);
  assert.ok(report.total.payloadBits > 0 && report.total.payloadBits < report.total.bits);

  const table = await megazip(["score", "a", "b", ...NO_MODEL], { cwd: tmp.dir });
  assert.equal(table.code, 0, table.stderr);
  const lines = new TextDecoder().decode(table.stdout).trim().split("\n");
  assert.equal(lines.length, 4);
  assert.match(lines[0]!, /bytes\s+bits\s+bpb\s+file/);
  assert.match(lines[3]!, new RegExp(`^\\s*${a.length + b.length}\\s+${report.total.bits}\\s`));
  assert.match(lines[3]!, /total$/);
});

Deno.test("megazip score of a missing file exits 3 with one line", async () => {
  assertCleanFailure(
    await megazip(["score", "/nonexistent/megazip/file", ...NO_MODEL]),
    3,
    /cannot score \/nonexistent\/megazip\/file: no such file/,
  );
});

Deno.test("megazip --version prints deno.json's version", async () => {
  for (const flag of ["--version", "-V"]) {
    const result = await megazip([flag]);
    assert.equal(result.code, 0);
    assert.equal(new TextDecoder().decode(result.stdout).trim(), denoJson.version);
  }
});

Deno.test("megazip --help works on every command and documents exit codes", async () => {
  for (const command of [[], ["compress"], ["decompress"], ["score"], ["info"], ["bench"]]) {
    const result = await megazip([...command, "--help"]);
    assert.equal(result.code, 0, result.stderr);
    const text = new TextDecoder().decode(result.stdout);
    assert.match(text, /^Usage: megazip/);
    assert.match(text, /Exit codes:/);
  }
  const train = await megazip(["train", "--help"]);
  assert.equal(train.code, 0, train.stderr);
  const root = new TextDecoder().decode((await megazip(["-h"])).stdout);
  assert.match(root, /kept by default/);
});

Deno.test("megazip bench uses the shipped model and 1 and 2 workers unless told otherwise", async () => {
  await using tmp = await tempDir();
  await Deno.writeTextFile(
    `${tmp.dir}/a.txt`,
    "a small text to bench, line after line\n".repeat(40),
  );
  const flags = [...TASK_FLAGS, "--allow-run"];
  const bench = async (extra: string[]) => {
    const args = ["bench", "--quick", "--no-write", "--json", "--corpus", tmp.dir, ...extra];
    const result = await megazip(args, { flags });
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(new TextDecoder().decode(result.stdout));
  };
  const withModel = await bench([]);
  assert.match(withModel.model, /^default \(SHA-256 [0-9a-f]{64}\)$/);
  assert.ok(withModel.modelFlopsPerByte > 0);
  const file = withModel.files.find((f: { file: string }) => f.file === "a.txt");
  assert.deepEqual(file.speed.map((s: { workers: number }) => s.workers), [1, 2]);
  const without = await bench(["--no-model", "--workers", "1"]);
  assert.equal(without.model, "none");
  assert.equal(without.modelFlopsPerByte, 0);
});

Deno.test("megazip bench with a missing or invalid --model is exit 4 in one line, before benching", async () => {
  await using tmp = await tempDir();
  await Deno.writeTextFile(`${tmp.dir}/not.mgb`, "not a model file\n");
  const flags = [...TASK_FLAGS, "--allow-run"];
  const bench = (model: string) =>
    megazip(["bench", "--quick", "--no-write", "--corpus", tmp.dir, "--model", model], {
      flags,
      cwd: tmp.dir,
    });
  assertCleanFailure(await bench("not.mgb"), 4, /cannot load model not\.mgb: bad magic number/);
  assertCleanFailure(await bench("missing.mgb"), 4, /cannot load model missing\.mgb: no such file/);
});
