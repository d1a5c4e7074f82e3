/**
 * `deno task bench`: megazip against gzip -9, bzip2 -9, xz -9e, zstd -19 and brotli -q 11 on
 * every file of the Canterbury and Calgary corpora (`../shared/corpora/`, relative to the repo
 * root), plus one seeded random input that shows the overhead of stored blocks.
 *
 * For each file it prints the size and bits per byte of each compressor, and megazip's compress
 * and decompress speed (every archive is decoded and compared with its input). It writes
 * `bench/results/latest.json` and the table `bench/RESULTS.md`, which also carries the peak RSS
 * that `bench/rss.ts` measured last (`bench/results/rss-wN.json`, per worker count).
 *
 * Usage: `deno task bench [--quick] [--json] [--workers=1,2] [--model=PATH | --no-model] [--no-write]`
 * (from the command line: the shipped model and 1 and 2 workers unless told otherwise).
 *
 * @module
 */
import process from "node:process";
import { DEFAULT_MODEL_URL } from "../cli/_model.ts";
import { flopsPerByte } from "../lib/model/flops.ts";

/** Options of {@link runBench}. */
export interface BenchOptions {
  /**
   * Only a few small files of the default corpora (all files of corpora given explicitly), a
   * smaller random input, and write `bench/results/quick.json`, never `RESULTS.md`.
   *
   * @default false
   */
  quick?: boolean;
  /**
   * Print the table (or the JSON) to stdout.
   *
   * @default true
   */
  print?: boolean;
  /**
   * Print the report as JSON instead of the table.
   *
   * @default false
   */
  json?: boolean;
  /**
   * Worker counts to time megazip with; the archive must be the same for each.
   *
   * @default [1]
   */
  workers?: number[];
  /**
   * Path of a model file for megazip's neural method; none: context mixing and stored only.
   *
   * @default undefined
   */
  model?: string;
  /**
   * Write the results files (`bench/results/latest.json` and `bench/RESULTS.md`).
   *
   * @default true
   */
  write?: boolean;
  /**
   * Folders of the corpora, relative to the repository root or absolute.
   *
   * @default ["../shared/corpora/canterbury", "../shared/corpora/calgary"]
   */
  corpora?: string[];
  /** Where progress lines go (one per file); default: stderr when it is a terminal, else none. */
  log?: (line: string) => void;
}

/** One external compressor and how it was run. */
export interface ToolInfo {
  /** Column name, e.g. "xz -9e". */
  name: string;
  /** Program and arguments (the file path is appended). */
  command: string[];
  /** First line of its version output, or null when the program is missing. */
  version: string | null;
}

/** The result of one file. */
export interface FileResult {
  /** Corpus folder name ("canterbury", "calgary", "generated"). */
  corpus: string;
  /** File name. */
  file: string;
  /** Input size in bytes. */
  bytes: number;
  /** Whether the file is text or source code (≥ 95% printable ASCII, tab, CR, LF). */
  text: boolean;
  /** Compressed sizes in bytes by compressor name ("megazip" first); missing tools are absent. */
  sizes: Record<string, number>;
  /** megazip's block methods: how many blocks took each. */
  methods: Record<string, number>;
  /**
   * megazip's speeds per worker count: KB/s = 1000 input bytes per second of wall time, and per
   * second of this process's CPU time (all its threads), which other load disturbs less.
   */
  speed: (Speed & { workers: number })[];
  /**
   * With a model: megazip without it (context mixing and stored blocks, 1 worker), whose size is
   * `sizes["megazip --no-model"]`; absent without a model.
   */
  noModel?: Speed;
}

/** Compress and decompress speeds of one configuration (see {@link FileResult.speed}). */
export interface Speed {
  compressKBps: number;
  decompressKBps: number;
  compressCpuKBps: number;
  decompressCpuKBps: number;
}

/** The model `deno task bench` uses unless given `--model` or `--no-model`: the shipped one. */
export const DEFAULT_BENCH_MODEL: string = DEFAULT_MODEL_URL.pathname;

/**
 * What the issue and README ask of `deno task bench` and `megazip bench` when not told otherwise:
 * the shipped model (none with `noModel`), timed with 1 and 2 workers.
 */
export function withBenchDefaults(options: BenchOptions, noModel = false): BenchOptions {
  return {
    ...options,
    ...(noModel || options.model !== undefined ? {} : { model: DEFAULT_BENCH_MODEL }),
    workers: options.workers ?? [1, 2],
  };
}

/** The size key of megazip without its model, in {@link FileResult.sizes}. */
export const NO_MODEL = "megazip --no-model";

/** Everything a bench run measured. */
export interface BenchReport {
  /** ISO date of the run. */
  date: string;
  /** The machine and runtime. */
  machine: {
    cpu: string;
    cores: number;
    deno: string;
    v8: string;
    os: string;
    /** The 1-minute load average at the start and at the end (other processes running). */
    load: [number, number];
  };
  /** "none" or the model file's name and hash. */
  model: string;
  /** The model's forward FLOPs per byte (`flopsPerByte`), or 0 without a model. */
  modelFlopsPerByte: number;
  /** The compressors compared, found or not. */
  tools: ToolInfo[];
  /** One entry per file, in corpus order. */
  files: FileResult[];
  /** Totals over the corpus files (not the generated one). */
  totals: {
    bytes: number;
    sizes: Record<string, number>;
    compressKBps: number;
    decompressKBps: number;
    compressCpuKBps: number;
    decompressCpuKBps: number;
    /** Speeds of megazip without the model (1 worker), when a model was benched. */
    noModel?: Speed;
  };
  /** Corpus text files where megazip's archive is not smaller than gzip -9's. */
  textFilesNotBeatingGzip: string[];
  /** Corpus text files where megazip's archive is not smaller than xz -9e's. */
  textFilesNotBeatingXz?: string[];
  /** The largest growth of any input, (archive − input) / input, e.g. 0.0001 for +0.01%. */
  maxGrowth?: number;
}

/** The compressors compared with megazip, in table order. */
const TOOLS: { name: string; command: string[] }[] = [
  { name: "gzip -9", command: ["gzip", "-9", "-c"] },
  { name: "bzip2 -9", command: ["bzip2", "-9", "-c"] },
  { name: "xz -9e", command: ["xz", "-9e", "-c"] },
  { name: "zstd -19", command: ["zstd", "-19", "-q", "-c"] },
  { name: "brotli -q 11", command: ["brotli", "-q", "11", "-c"] },
];

/**
 * The binary files of the Canterbury and Calgary corpora (the others are text or source code,
 * trans being a terminal session with control characters); files of other corpora are judged by
 * {@link isText}.
 */
const BINARY_FILES = ["kennedy.xls", "ptt5", "sum", "geo", "obj1", "obj2", "pic"];
/** Corpora whose text files are known: {@link BINARY_FILES} lists the others. */
const KNOWN_CORPORA = ["canterbury", "calgary"];

/** Files of a quick run: small, of every kind. */
const QUICK_FILES = ["fields.c", "xargs.1", "grammar.lsp", "paper5", "obj1", "sum"];

/** The repository root (this file lives in bench/). */
const ROOT = new URL("../", import.meta.url);

/**
 * Runs the benchmark and returns what it measured; prints the table (or JSON) to stdout and,
 * unless told not to, writes `bench/results/latest.json` and `bench/RESULTS.md`.
 *
 * @param options What to run and where to report it.
 * @returns The report.
 *
 * @example A quick run that writes nothing
 * ```ts ignore
 * import { runBench } from "./run.ts";
 * const report = await runBench({ quick: true, write: false });
 * console.log(report.totals);
 * ```
 */
export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const quick = options.quick ?? false;
  const workers = options.workers ?? [1];
  if (workers.length === 0 || workers.some((w) => !Number.isInteger(w) || w < 0 || w > 64)) {
    throw new RangeError(`Cannot bench with workers ${workers.join(",")}: expected integers 0..64`);
  }
  const log = options.log ?? (Deno.stderr.isTerminal() ? (line) => console.error(line) : () => {});
  const codec = await import("../codec/mod.ts");
  const model = options.model === undefined ? null : await loadModelFile(options.model);

  const tools: ToolInfo[] = [];
  for (const tool of TOOLS) tools.push({ ...tool, version: await toolVersion(tool.command[0]!) });

  const loadStart = await loadAverage();
  const inputs = await listInputs(options.corpora, quick);
  const files: FileResult[] = [];
  for (const input of inputs) {
    const bytes = input.bytes;
    const result: FileResult = {
      corpus: input.corpus,
      file: input.file,
      bytes: bytes.length,
      text: KNOWN_CORPORA.includes(input.corpus)
        ? !BINARY_FILES.includes(input.file)
        : isText(bytes),
      sizes: {},
      methods: {},
      speed: [],
    };
    let archive: Uint8Array | null = null;
    for (const w of workers) {
      const { packed, speed } = await timedRoundTrip(codec, input.file, bytes, {
        model,
        workers: w,
      });
      if (archive !== null && !equalBytes(archive, packed)) {
        throw new Error(`Cannot bench ${input.file}: the archive differs with ${w} workers`);
      }
      archive = packed;
      result.speed.push({ workers: w, ...speed });
    }
    result.sizes["megazip"] = archive!.length;
    if (model !== null) {
      const { packed, speed } = await timedRoundTrip(codec, input.file, bytes, {
        model: null,
        workers: 1,
      });
      result.sizes[NO_MODEL] = packed.length;
      result.noModel = speed;
    }
    const info = await codec.inspectArchive(archive!);
    for (const block of info.blocks) {
      result.methods[block.method] = (result.methods[block.method] ?? 0) + 1;
    }
    for (const tool of tools) {
      if (tool.version === null) continue;
      if (input.path === null) {
        result.sizes[tool.name] = await toolSizeOfBytes(tool.command, bytes);
      } else {
        result.sizes[tool.name] = await toolSize(tool.command, input.path);
      }
    }
    files.push(result);
    log(formatRow(result, tools));
  }

  const report: BenchReport = {
    date: new Date().toISOString(),
    machine: { ...(await machineInfo()), load: [loadStart, await loadAverage()] },
    model: model === null ? "none" : `${model.name} (SHA-256 ${hex(model.hash)})`,
    modelFlopsPerByte: model === null ? 0 : flopsPerByte(model.config),
    tools,
    files,
    totals: totalsOf(files.filter((f) => f.corpus !== "generated"), workers[0]!),
    textFilesNotBeatingGzip: files
      .filter((f) => f.corpus !== "generated" && f.text && f.sizes["gzip -9"] !== undefined)
      .filter((f) => f.sizes["megazip"]! >= f.sizes["gzip -9"]!)
      .map((f) => `${f.corpus}/${f.file}`),
    textFilesNotBeatingXz: files
      .filter((f) => f.corpus !== "generated" && f.text && f.sizes["xz -9e"] !== undefined)
      .filter((f) => f.sizes["megazip"]! >= f.sizes["xz -9e"]!)
      .map((f) => `${f.corpus}/${f.file}`),
    maxGrowth: Math.max(
      ...files.map((f) => (f.sizes["megazip"]! - f.bytes) / Math.max(f.bytes, 1)),
    ),
  };

  if (options.print ?? true) {
    console.log(options.json ? JSON.stringify(report, null, 2) : formatTable(report));
  }
  if (options.write ?? true) {
    const results = new URL("bench/results/", ROOT);
    await Deno.mkdir(results, { recursive: true });
    const json = JSON.stringify(report, null, 2) + "\n";
    if (quick) {
      await Deno.writeTextFile(new URL("quick.json", results), json);
    } else {
      await Deno.writeTextFile(new URL("latest.json", results), json);
      await writeResultsMarkdown();
    }
  }
  return report;
}

/**
 * Compresses and decompresses `bytes` (the file `name`) with `options`, checks the round trip and times both
 * directions (wall and this process's CPU time).
 */
async function timedRoundTrip(
  codec: typeof import("../codec/mod.ts"),
  name: string,
  bytes: Uint8Array,
  options: { model: Awaited<ReturnType<typeof loadModelFile>> | null; workers: number },
): Promise<{ packed: Uint8Array; speed: Speed }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const packed = await codec.compress(bytes, options);
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  const unpacked = await codec.decompress(packed, options);
  const t2 = performance.now();
  const c2 = process.cpuUsage();
  if (!equalBytes(unpacked, bytes)) {
    const what = options.model === null ? "megazip --no-model" : "megazip";
    throw new Error(`Cannot bench ${name}: ${what} did not round-trip it`);
  }
  return {
    packed,
    speed: {
      compressKBps: kBps(bytes.length, t1 - t0),
      decompressKBps: kBps(bytes.length, t2 - t1),
      compressCpuKBps: kBps(bytes.length, cpuMs(c0, c1)),
      decompressCpuKBps: kBps(bytes.length, cpuMs(c1, c2)),
    },
  };
}

/** A file to compress: its bytes and where they came from. */
interface BenchInput {
  corpus: string;
  file: string;
  /** Path for the external tools; null for generated inputs (fed through stdin). */
  path: string | null;
  bytes: Uint8Array;
}

async function listInputs(corpora: string[] | undefined, quick: boolean): Promise<BenchInput[]> {
  const dirs = corpora ?? ["../shared/corpora/canterbury", "../shared/corpora/calgary"];
  const pick = quick && corpora === undefined;
  const inputs: BenchInput[] = [];
  for (const dir of dirs) {
    const url = dir.startsWith("/") ? new URL(`file://${dir}/`) : new URL(`${dir}/`, ROOT);
    const corpus = dir.replace(/\/+$/, "").split("/").pop()!;
    const names: string[] = [];
    for await (const entry of Deno.readDir(url)) if (entry.isFile) names.push(entry.name);
    names.sort();
    for (const file of names) {
      if (pick && !QUICK_FILES.includes(file)) continue;
      const path = new URL(file, url).pathname;
      inputs.push({ corpus, file, path, bytes: await Deno.readFile(path) });
    }
  }
  const randomSize = quick ? 1 << 16 : 1 << 20;
  inputs.push({
    corpus: "generated",
    file: `random-${randomSize >> 10}KiB`,
    path: null,
    bytes: seededRandomBytes(randomSize, 12345),
  });
  return inputs;
}

/** Bytes from a seeded xorshift32 generator: incompressible, the same on every run. */
function seededRandomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x >>> 24;
  }
  return out;
}

/** Whether ≥ 95% of the bytes are printable ASCII, tab, CR or LF (and there are no NULs). */
export function isText(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return true;
  let printable = 0;
  for (const b of bytes) {
    if (b === 0) return false;
    if ((b >= 32 && b < 127) || b === 9 || b === 10 || b === 13) printable++;
  }
  return printable >= 0.95 * bytes.length;
}

async function loadModelFile(path: string) {
  const { loadModel } = await import("../lib/model/model_file_read.ts");
  return await loadModel(path);
}

async function toolVersion(program: string): Promise<string | null> {
  try {
    const out = await new Deno.Command(program, {
      args: ["--version"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout.length > 0 ? out.stdout : out.stderr);
    return text.split("\n").find((line) => line.trim() !== "")?.trim() ?? program;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

async function toolSize(command: string[], path: string): Promise<number> {
  const out = await new Deno.Command(command[0]!, {
    args: [...command.slice(1), path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `Cannot run ${command.join(" ")} ${path}: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return out.stdout.length;
}

async function toolSizeOfBytes(command: string[], bytes: Uint8Array): Promise<number> {
  const child = new Deno.Command(command[0]!, {
    args: command.slice(1),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const [out] = await Promise.all([
    child.output(),
    writer.write(bytes).then(() => writer.close()),
  ]);
  if (!out.success) throw new Error(`Cannot run ${command.join(" ")} on generated input`);
  return out.stdout.length;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function cpuMs(from: { user: number; system: number }, to: { user: number; system: number }) {
  return (to.user - from.user + to.system - from.system) / 1000;
}

/** The 1-minute load average (Linux), or −1. */
async function loadAverage(): Promise<number> {
  const text = await readProc("/proc/loadavg");
  return text === "" ? -1 : Number(text.split(" ")[0]);
}

function kBps(bytes: number, ms: number): number {
  return Math.round(bytes / Math.max(ms, 0.001));
}

function totalsOf(files: FileResult[], workers: number): BenchReport["totals"] {
  const sizes: Record<string, number> = {};
  let bytes = 0;
  for (const f of files) {
    bytes += f.bytes;
    for (const [name, size] of Object.entries(f.sizes)) sizes[name] = (sizes[name] ?? 0) + size;
  }
  const speed = totalSpeed(files, (f) => f.speed.find((s) => s.workers === workers)!);
  const noModel = files.length > 0 && files.every((f) => f.noModel !== undefined)
    ? totalSpeed(files, (f) => f.noModel!)
    : undefined;
  return { bytes, sizes, ...speed, ...(noModel === undefined ? {} : { noModel }) };
}

/** Speeds over several files: total bytes over total time, for each measure. */
function totalSpeed(files: FileResult[], speedOf: (f: FileResult) => Speed): Speed {
  let bytes = 0;
  const ms = [0, 0, 0, 0];
  for (const f of files) {
    const s = speedOf(f);
    bytes += f.bytes;
    ms[0] += f.bytes / s.compressKBps;
    ms[1] += f.bytes / s.decompressKBps;
    ms[2] += f.bytes / s.compressCpuKBps;
    ms[3] += f.bytes / s.decompressCpuKBps;
  }
  return {
    compressKBps: kBps(bytes, ms[0]!),
    decompressKBps: kBps(bytes, ms[1]!),
    compressCpuKBps: kBps(bytes, ms[2]!),
    decompressCpuKBps: kBps(bytes, ms[3]!),
  };
}

/** A file of /proc read through `cat` (Deno wants --allow-all to read /proc itself), or "". */
async function readProc(path: string): Promise<string> {
  try {
    const out = await new Deno.Command("cat", { args: [path], stdout: "piped", stderr: "null" })
      .output();
    return out.success ? new TextDecoder().decode(out.stdout) : "";
  } catch {
    return ""; // no cat, or not Linux
  }
}

async function machineInfo(): Promise<Omit<BenchReport["machine"], "load">> {
  const info = await readProc("/proc/cpuinfo");
  const cpu = /model name\s*:\s*(.*)/.exec(info)?.[1]?.trim() ?? "unknown";
  return {
    cpu,
    cores: navigator.hardwareConcurrency,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    os: `${Deno.build.os} ${Deno.build.arch}`,
  };
}

/** What `bench/rss.ts` wrote last. */
export interface RssResult {
  /** ISO date of the run. */
  date: string;
  /** Bytes streamed through compressStream and then decompressStream. */
  inputBytes: number;
  /** Archive size in bytes. */
  archiveBytes: number;
  /** Peak resident set (VmHWM) of the process that streamed, in bytes. */
  peakRssBytes: number;
  /** Whether the output matched the input (SHA-256 of both streams). */
  roundTripOk: boolean;
  /** Wall time in seconds. */
  seconds: number;
  /** The options the codec ran with. */
  options: Record<string, unknown>;
  /**
   * Compress alone (generated data into an archive file) and decompress alone (that file back,
   * verified), each in its own process like one CLI run; absent in older results.
   */
  alone?: { compress: RssAlone; decompress: RssAlone };
}

/** One measurement of `bench/rss.ts` in a process of its own. */
export interface RssAlone {
  /** Peak resident set (VmHWM) of the process, in bytes. */
  peakRssBytes: number;
  /** Wall time in seconds. */
  seconds: number;
  /** Compress: the archive is the piped one's size; decompress: the output matched the input. */
  ok: boolean;
}

/**
 * Rewrites `bench/RESULTS.md` from `bench/results/latest.json` and every `rss-wN.json`, so that
 * `bench/rss.ts` can update the peak RSS lines without running the whole bench again.
 *
 * @returns false when there is no `latest.json` (nothing written)
 */
export async function writeResultsMarkdown(): Promise<boolean> {
  const results = new URL("bench/results/", ROOT);
  let report: BenchReport;
  try {
    report = JSON.parse(await Deno.readTextFile(new URL("latest.json", results)));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
  const rss = await readRss(results);
  await Deno.writeTextFile(new URL("bench/RESULTS.md", ROOT), formatMarkdown(report, rss));
  return true;
}

/** Every `rss-wN.json` in `dir`, by worker count. */
async function readRss(dir: URL): Promise<RssResult[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && /^rss-w\d+\.json$/.test(entry.name)) names.push(entry.name);
  }
  names.sort((a, b) => Number(a.slice(5, -5)) - Number(b.slice(5, -5)));
  return await Promise.all(
    names.map(async (name) => JSON.parse(await Deno.readTextFile(new URL(name, dir))) as RssResult),
  );
}

function speedPair(s: Speed): string {
  return `${s.compressKBps} / ${s.decompressKBps} (${s.compressCpuKBps} / ${s.decompressCpuKBps})`;
}

function bpb(size: number | undefined, bytes: number): string {
  return size === undefined ? "—" : ((size * 8) / Math.max(bytes, 1)).toFixed(3);
}

function formatRow(f: FileResult, tools: ToolInfo[]): string {
  const cols = [
    `${f.corpus}/${f.file}`.padEnd(24),
    String(f.bytes).padStart(8),
    bpb(f.sizes["megazip"], f.bytes).padStart(7),
    ...(f.sizes[NO_MODEL] === undefined ? [] : [bpb(f.sizes[NO_MODEL], f.bytes).padStart(10)]),
    ...tools.filter((t) => t.version !== null).map((t) =>
      bpb(f.sizes[t.name], f.bytes).padStart(t.name.length)
    ),
    ...f.speed.map((s) =>
      `${String(s.compressKBps).padStart(5)}/${String(s.decompressKBps).padStart(5)}` +
      ` (${String(s.compressCpuKBps).padStart(5)}/${String(s.decompressCpuKBps).padStart(5)})`
    ),
  ];
  return cols.join("  ");
}

function formatTable(report: BenchReport): string {
  const present = report.tools.filter((t) => t.version !== null);
  const lines = [
    "bits per byte (lower is better); megazip speed in KB/s compress/decompress, wall time" +
    " (CPU time)",
    [
      "file".padEnd(24),
      "bytes".padStart(8),
      "megazip".padStart(7),
      ...(report.files.some((f) => f.noModel) ? ["--no-model"] : []),
      ...present.map((t) => t.name),
      ...(report.files[0]?.speed.map((s) => `${s.workers} worker(s): c/d KB/s (CPU)`) ?? []),
    ].join("  "),
    ...report.files.map((f) => formatRow(f, report.tools)),
  ];
  const t = report.totals;
  lines.push(
    [
      "TOTAL (corpora)".padEnd(24),
      String(t.bytes).padStart(8),
      bpb(t.sizes["megazip"], t.bytes).padStart(7),
      ...(t.sizes[NO_MODEL] === undefined ? [] : [bpb(t.sizes[NO_MODEL], t.bytes).padStart(10)]),
      ...present.map((tool) => bpb(t.sizes[tool.name], t.bytes).padStart(tool.name.length)),
      `${String(t.compressKBps).padStart(5)}/${String(t.decompressKBps).padStart(5)}` +
      ` (${String(t.compressCpuKBps).padStart(5)}/${String(t.decompressCpuKBps).padStart(5)})`,
    ].join("  "),
  );
  const missing = report.tools.filter((tool) => tool.version === null).map((tool) => tool.name);
  if (missing.length > 0) lines.push(`not installed, skipped: ${missing.join(", ")}`);
  lines.push(
    report.textFilesNotBeatingGzip.length === 0
      ? "megazip beats gzip -9 on every text file"
      : `megazip does not beat gzip -9 on: ${report.textFilesNotBeatingGzip.join(", ")}`,
  );
  return lines.join("\n");
}

function formatMarkdown(report: BenchReport, rss: RssResult[]): string {
  const present = report.tools.filter((t) => t.version !== null);
  const missing = report.tools.filter((t) => t.version === null);
  const widths = report.files[0]?.speed.map((s) => s.workers) ?? [];
  const noModel = report.files.some((f) => f.sizes[NO_MODEL] !== undefined);
  const out: string[] = [];
  out.push("# megazip benchmark results", "");
  out.push(
    "Written by `deno task bench` (bench/run.ts); do not edit by hand. Sizes are whole files",
    "(archives include megazip's header and checksums); bits per byte = 8 × compressed size /",
    "input size. Speed: KB/s = 1000 input bytes per second of wall time, and in brackets per",
    "second of the bench process's CPU time (all threads), which the other processes of a shared",
    "machine disturb less; every archive is decoded and compared with its input.",
    "",
  );
  out.push(`- Date: ${report.date}`);
  out.push(`- Machine: ${report.machine.cpu}, ${report.machine.cores} cores, ${report.machine.os}`);
  out.push(`- Deno ${report.machine.deno} (V8 ${report.machine.v8})`);
  out.push(
    `- Load average (1 min) at the start and the end: ${report.machine.load[0]}, ` +
      `${
        report.machine.load[1]
      } (other processes were running on the ${report.machine.cores} cores)`,
  );
  out.push(
    `- megazip model: ${modelLine(report)}`,
  );
  for (const t of present) out.push(`- ${t.name}: ${t.version}`);
  if (missing.length > 0) {
    out.push(`- Not installed, skipped: ${missing.map((t) => t.name).join(", ")}`);
  }
  out.push("", "## Bits per byte", "");
  const header = [
    "file",
    "bytes",
    "text",
    "megazip",
    ...(noModel ? [NO_MODEL] : []),
    ...present.map((t) => t.name),
    ...widths.map((w) => `compress KB/s, ${w} worker${w === 1 ? "" : "s"} (CPU)`),
    ...widths.map((w) => `decompress KB/s, ${w} worker${w === 1 ? "" : "s"} (CPU)`),
    ...(noModel ? [`${NO_MODEL} compress / decompress KB/s, 1 worker (CPU)`] : []),
  ];
  out.push(`| ${header.join(" | ")} |`);
  out.push(`| ${header.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`);
  for (const f of report.files) {
    const best = Math.min(...Object.values(f.sizes));
    const cell = (name: string) => {
      const text = bpb(f.sizes[name], f.bytes);
      return f.sizes[name] === best ? `**${text}**` : text;
    };
    out.push(
      `| ${
        [
          `${f.corpus}/${f.file}`,
          String(f.bytes),
          f.text ? "yes" : "no",
          cell("megazip"),
          ...(noModel ? [cell(NO_MODEL)] : []),
          ...present.map((t) => cell(t.name)),
          ...f.speed.map((s) => `${s.compressKBps} (${s.compressCpuKBps})`),
          ...f.speed.map((s) => `${s.decompressKBps} (${s.decompressCpuKBps})`),
          ...(f.noModel ? [speedPair(f.noModel)] : noModel ? [""] : []),
        ].join(" | ")
      } |`,
    );
  }
  const t = report.totals;
  out.push(
    `| ${
      [
        "**total (corpora)**",
        String(t.bytes),
        "",
        bpb(t.sizes["megazip"], t.bytes),
        ...(noModel ? [bpb(t.sizes[NO_MODEL], t.bytes)] : []),
        ...present.map((tool) => bpb(t.sizes[tool.name], t.bytes)),
        `${t.compressKBps} (${t.compressCpuKBps})`,
        ...widths.slice(1).map(() => ""),
        `${t.decompressKBps} (${t.decompressCpuKBps})`,
        ...widths.slice(1).map(() => ""),
        ...(t.noModel ? [speedPair(t.noModel)] : []),
      ].join(" | ")
    } |`,
  );
  out.push("", "Bold: the smallest output for the file. Totals use the first worker count.", "");
  out.push("## Figures", "");
  out.push(
    report.textFilesNotBeatingGzip.length === 0
      ? "- megazip beats gzip -9 on every Canterbury and Calgary text file."
      : `- megazip does not beat gzip -9 on: ${report.textFilesNotBeatingGzip.join(", ")}.`,
  );
  out.push(
    `- Speed over the corpora: ${t.compressKBps} KB/s compressing, ${t.decompressKBps} KB/s` +
      ` decompressing (wall time, ${widths[0]} worker${widths[0] === 1 ? "" : "s"}); per second` +
      ` of CPU time ${t.compressCpuKBps} and ${t.decompressCpuKBps} KB/s.`,
  );
  if (t.noModel !== undefined) {
    out.push(
      `- Without the model (\`--no-model\`: context mixing and stored blocks, 1 worker):` +
        ` ${bpb(t.sizes[NO_MODEL], t.bytes)} bits per byte over the corpora,` +
        ` ${t.noModel.compressKBps} KB/s compressing and ${t.noModel.decompressKBps} KB/s` +
        ` decompressing (wall time; per second of CPU time ${t.noModel.compressCpuKBps} and` +
        ` ${t.noModel.decompressCpuKBps} KB/s).`,
    );
  }
  if (report.textFilesNotBeatingXz !== undefined) {
    out.push(
      report.textFilesNotBeatingXz.length === 0
        ? "- megazip's archive is smaller than xz -9e's on every Canterbury and Calgary text file."
        : `- megazip's archive is not smaller than xz -9e's on: ${
          report.textFilesNotBeatingXz.join(", ")
        }.`,
    );
  }
  if (report.maxGrowth !== undefined) {
    out.push(
      `- Largest archive relative to its input: ${report.maxGrowth >= 0 ? "+" : ""}${
        (report.maxGrowth * 100).toFixed(4)
      }% of the input size.`,
    );
  }
  const random = report.files.find((f) => f.corpus === "generated");
  if (random !== undefined) {
    const growth = ((random.sizes["megazip"]! - random.bytes) / random.bytes) * 100;
    out.push(
      `- Random input (${random.file}): ${random.sizes["megazip"]} bytes from ${random.bytes}` +
        ` (${growth >= 0 ? "+" : ""}${growth.toFixed(4)}%), blocks: ` +
        Object.entries(random.methods).map(([m, n]) => `${n} ${m}`).join(", ") + ".",
    );
  }
  if (rss.length === 0) {
    out.push("- Peak RSS when streaming 1 GiB: not measured yet (run `deno run -A bench/rss.ts`).");
  }
  for (const r of rss) {
    out.push(
      `- Peak RSS streaming ${(r.inputBytes / 2 ** 30).toFixed(2)} GiB of generated mixed data` +
        " without a model (cm and stored blocks) through compressStream then decompressStream" +
        ` in one process, ${r.options["workers"]} worker(s):` +
        ` ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB (VmHWM; ${r.date};` +
        ` archive ${(r.archiveBytes / 2 ** 20).toFixed(1)} MiB; round trip` +
        ` ${r.roundTripOk ? "ok" : "FAILED"}; ${r.seconds.toFixed(0)} s).`,
    );
    if (r.alone !== undefined) {
      const part = (a: RssAlone) =>
        `${(a.peakRssBytes / 2 ** 20).toFixed(0)} MiB (${a.seconds.toFixed(0)} s` +
        `${a.ok ? "" : "; FAILED"})`;
      out.push(
        `  Each alone in its own process, like one CLI run, ${r.options["workers"]} worker(s):` +
          ` compress to a file ${part(r.alone.compress)}, decompress that file (verified)` +
          ` ${part(r.alone.decompress)}.`,
      );
    }
  }
  out.push("");
  return out.join("\n");
}

/** The report's model, with its FLOPs per byte when recorded (reports before it lack them). */
function modelLine(report: BenchReport): string {
  if (report.model === "none") return "none (context mixing and stored blocks)";
  if (!report.modelFlopsPerByte) return report.model;
  return `${report.model}, ${
    report.modelFlopsPerByte.toLocaleString("en-US")
  } forward FLOPs per byte`;
}

/** Parses `deno task bench` arguments into options; throws TypeError on unknown ones. */
export function parseBenchArgs(args: string[]): BenchOptions {
  const options: BenchOptions = {};
  let noModel = false;
  for (const arg of args) {
    const [flag, value] = arg.includes("=") ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    if (flag === "--quick") options.quick = true;
    else if (flag === "--json") options.json = true;
    else if (flag === "--no-write") options.write = false;
    else if (flag === "--workers" && value !== undefined) {
      options.workers = value.split(",").map(Number);
      // Checked here too, so that a bad count is a usage error (exit 2), not a failed run.
      if (options.workers.some((w) => !Number.isInteger(w) || w < 0 || w > 64)) {
        throw new TypeError(`Cannot parse the bench argument ${arg}: expected integers 0..64`);
      }
    } else if (flag === "--model" && value !== undefined) options.model = value;
    else if (flag === "--no-model" && value === undefined) noModel = true;
    else if (flag === "--corpus" && value !== undefined) {
      (options.corpora ??= []).push(value);
    } else {
      throw new TypeError(
        `Cannot parse the bench argument ${arg}: expected --quick, --json, --no-write,` +
          " --workers=N[,N], --model=PATH, --no-model or --corpus=DIR",
      );
    }
  }
  if (noModel && options.model !== undefined) {
    throw new TypeError(
      "Cannot parse the bench arguments: --model and --no-model exclude each other",
    );
  }
  return withBenchDefaults(options, noModel);
}

if (import.meta.main) {
  let options: BenchOptions;
  try {
    options = parseBenchArgs(Deno.args);
  } catch (error) {
    // A usage error: exit 2, as the other bench scripts do (bench/_args.ts).
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(2);
  }
  try {
    await runBench(options);
  } catch (error) {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
