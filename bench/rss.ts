/**
 * Peak memory of streaming: generates mixed data on the fly (never stored) and reports the peak
 * resident set (VmHWM from /proc/self/status) of three child processes, each run alone:
 *
 * - piped: `compressStream()` straight on into `decompressStream()` in one process;
 * - compress alone: `compressStream()` into an archive file, like one CLI compress;
 * - decompress alone: that file through `decompressStream()`, like one CLI decompress.
 *
 * Every output byte is checked against a second copy of the generator. Writes
 * `bench/results/rss-wN.json` (N workers) and, when `bench/results/latest.json` exists, rewrites
 * `bench/RESULTS.md` from it and every `rss-wN.json` (through `bench/run.ts`'s writer).
 *
 * Usage: `deno run -A bench/rss.ts [--size=BYTES|1GiB] [--workers=N] [--piped-only] [--no-write]`
 *
 * @module
 */
import process from "node:process";
import { exitWithUsageError, parseArgsOrExit } from "./_args.ts";
import { type RssAlone, type RssResult, writeResultsMarkdown } from "./run.ts";

/** Bytes per generated chunk. */
const CHUNK = 1 << 16;

/**
 * The generated input, chunk by chunk: runs of text-like lines, structured binary records,
 * repeats of earlier text, zeros and random bytes, switching every 256 KiB. Seeded: the same bytes
 * on every run, so that a second generator can verify the output.
 */
export class MixedData {
  #x: number;
  #done = 0;
  #kind = 0;
  #left = 0;
  #words: Uint8Array[];
  #recent = new Uint8Array(1 << 20); // text recently made, for the repeats
  #recentLen = 0;

  /** A generator of `size` bytes. */
  constructor(readonly size: number, seed = 0x5eed) {
    this.#x = seed | 0 || 1;
    const vocabulary = (
      "the of and to in is that for it as was with be by on not he this are or his from at which " +
      "but have an they you were her she there been one all we their has would when if so no " +
      "model byte context stream block segment archive predict mixing order count table value " +
      "function return const let while else break case default export import interface class"
    ).split(" ");
    this.#words = vocabulary.map((w) => new TextEncoder().encode(w));
  }

  #next(): number {
    let x = this.#x;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#x = x;
    return x >>> 0;
  }

  /** The next chunk, or null at the end. */
  chunk(): Uint8Array | null {
    if (this.#done >= this.size) return null;
    const n = Math.min(CHUNK, this.size - this.#done);
    const out = new Uint8Array(n);
    let i = 0;
    while (i < n) {
      if (this.#left === 0) {
        const r = this.#next() % 100;
        this.#kind = r < 45 ? 0 : r < 65 ? 1 : r < 80 ? 2 : r < 88 ? 3 : 4;
        this.#left = 1 << 18;
      }
      const end = Math.min(n, i + this.#left);
      const start = i;
      switch (this.#kind) {
        case 0: // text-like lines
          while (i < end) {
            const w = this.#words[this.#next() % this.#words.length]!;
            for (let j = 0; j < w.length && i < end; j++) out[i++] = w[j]!;
            if (i < end) out[i++] = this.#next() % 12 === 0 ? 10 : 32;
          }
          this.#remember(out.subarray(start, end));
          break;
        case 1: // records: a counter, a small field, a flag
          while (i < end) {
            const v = this.#next();
            const rec = [(i >> 8) & 255, i & 255, v & 15, 0, v & 128 ? 1 : 0, 0, 0, 255];
            for (let j = 0; j < rec.length && i < end; j++) out[i++] = rec[j]!;
          }
          break;
        case 2: // repeats of recent text
          while (i < end && this.#recentLen > 4096) {
            const from = this.#next() % (this.#recentLen - 4096);
            const len = Math.min(end - i, 512 + (this.#next() % 3584));
            out.set(this.#recent.subarray(from, from + len), i);
            i += len;
          }
          if (i < end) i = end; // nothing to repeat yet: zeros
          break;
        case 3: // zeros
          i = end;
          break;
        default: // random bytes
          while (i < end) out[i++] = this.#next() >>> 24;
      }
      this.#left -= end - start;
    }
    this.#done += n;
    return out;
  }

  #remember(text: Uint8Array): void {
    const r = this.#recent;
    if (text.length >= r.length) {
      r.set(text.subarray(text.length - r.length));
      this.#recentLen = r.length;
    } else if (this.#recentLen + text.length <= r.length) {
      r.set(text, this.#recentLen);
      this.#recentLen += text.length;
    } else {
      const keep = r.length - text.length;
      r.copyWithin(0, this.#recentLen - keep, this.#recentLen);
      r.set(text, keep);
      this.#recentLen = r.length;
    }
  }
}

/** Peak and current resident set of this process, in bytes (Linux). */
function memoryStatus(): { peak: number; now: number } {
  const status = Deno.readTextFileSync("/proc/self/status");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s*(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { peak: kb("VmHWM") * 1024, now: kb("VmRSS") * 1024 };
}

/** The generated input as a stream. */
function generated(size: number): ReadableStream<Uint8Array> {
  const source = new MixedData(size);
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = source.chunk();
      if (chunk === null) controller.close();
      else controller.enqueue(chunk);
    },
  });
}

/** A pass-through stream that counts bytes and logs memory on stderr every 10 s. */
function meter(
  label: string,
): { stream: TransformStream<Uint8Array, Uint8Array>; bytes(): number } {
  const t0 = performance.now();
  let last = t0;
  let bytes = 0;
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      bytes += chunk.length;
      controller.enqueue(chunk);
      const now = performance.now();
      if (now - last > 10_000) {
        last = now;
        const mem = memoryStatus();
        console.error(
          `rss ${label}: ${(bytes / 2 ** 20).toFixed(0)} MiB, rss ${
            (mem.now / 2 ** 20).toFixed(0)
          }` +
            ` MiB, peak ${(mem.peak / 2 ** 20).toFixed(0)} MiB, ${
              ((now - t0) / 1000).toFixed(0)
            } s`,
        );
      }
    },
  });
  return { stream, bytes: () => bytes };
}

/** Checks streamed output against the generator: true when it gave exactly `size` same bytes. */
async function verify(output: ReadableStream<Uint8Array>, size: number): Promise<boolean> {
  const expected = new MixedData(size);
  let ok = true;
  let outputBytes = 0;
  let pending: Uint8Array = new Uint8Array(0); // expected bytes not yet matched
  for await (const chunk of output) {
    let at = 0;
    while (at < chunk.length) {
      if (pending.length === 0) pending = expected.chunk() ?? new Uint8Array(0);
      if (pending.length === 0) {
        ok = false; // more output than input
        break;
      }
      const n = Math.min(pending.length, chunk.length - at);
      for (let i = 0; i < n; i++) if (chunk[at + i] !== pending[i]) ok = false;
      pending = pending.subarray(n);
      at += n;
    }
    outputBytes += chunk.length;
  }
  return ok && pending.length === 0 && expected.chunk() === null && outputBytes === size;
}

/** What a child prints: one JSON line. */
interface ChildResult {
  peakRssBytes: number;
  seconds: number;
  ok: boolean;
  archiveBytes: number;
}

/** Which measurement a child makes. */
type ChildMode = "piped" | "compress" | "decompress";

/** The child: streams, verifies, prints one JSON line of {@link ChildResult}. */
async function child(mode: ChildMode, size: number, workers: number, archive: string) {
  const { compressStream, decompressStream } = await import("../codec/mod.ts");
  const t0 = performance.now();
  let ok: boolean;
  let archiveBytes: number;
  if (mode === "piped") {
    const counter = meter("piped, archive");
    const output = generated(size)
      .pipeThrough(compressStream({ workers }))
      .pipeThrough(counter.stream)
      .pipeThrough(decompressStream({ workers }));
    ok = await verify(output, size);
    archiveBytes = counter.bytes();
  } else if (mode === "compress") {
    const counter = meter("compress alone, archive");
    const file = await Deno.open(archive, { write: true, create: true, truncate: true });
    await generated(size)
      .pipeThrough(compressStream({ workers }))
      .pipeThrough(counter.stream)
      .pipeTo(file.writable);
    ok = true; // checked by the decompress child
    archiveBytes = counter.bytes();
  } else {
    const counter = meter("decompress alone, output");
    const file = await Deno.open(archive);
    archiveBytes = (await file.stat()).size;
    ok = await verify(
      file.readable.pipeThrough(decompressStream({ workers })).pipeThrough(counter.stream),
      size,
    );
  }
  const result: ChildResult = {
    peakRssBytes: memoryStatus().peak,
    seconds: (performance.now() - t0) / 1000,
    ok,
    archiveBytes,
  };
  console.log(JSON.stringify(result));
}

/** Runs one child process and returns what it measured. */
async function runChild(
  mode: ChildMode,
  size: number,
  workers: number,
  archive: string,
): Promise<ChildResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all", // reading /proc/self/status needs it
      new URL(import.meta.url).pathname,
      `--child=${mode}`,
      `--size=${size}`,
      `--workers=${workers}`,
      `--archive=${archive}`,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) throw new Error(`Cannot measure RSS: the ${mode} child failed (${out.code})`);
  return JSON.parse(text.split("\n").pop()!) as ChildResult;
}

/**
 * Runs the measurements, each in its own child process, and returns their results: piped, then
 * (unless `pipedOnly`) compress alone into a temporary file and decompress alone from it.
 *
 * @param options `size` in bytes (default 1 GiB), `workers` for the codec (default 1),
 *   `pipedOnly` to skip the two measurements alone.
 * @returns What the children measured.
 */
export async function measureRss(
  options: { size?: number; workers?: number; pipedOnly?: boolean } = {},
): Promise<RssResult> {
  const size = options.size ?? 2 ** 30;
  const workers = options.workers ?? 1;
  const date = new Date().toISOString();
  const piped = await runChild("piped", size, workers, "");
  const result: RssResult = {
    date,
    inputBytes: size,
    archiveBytes: piped.archiveBytes,
    peakRssBytes: piped.peakRssBytes,
    roundTripOk: piped.ok,
    seconds: piped.seconds,
    options: { workers },
  };
  if (options.pipedOnly) return result;
  const archive = await Deno.makeTempFile({ prefix: "megazip-rss-", suffix: ".mbz" });
  try {
    const compress = await runChild("compress", size, workers, archive);
    const decompress = await runChild("decompress", size, workers, archive);
    const alone = (r: ChildResult, ok: boolean): RssAlone => ({
      peakRssBytes: r.peakRssBytes,
      seconds: r.seconds,
      ok,
    });
    result.alone = {
      compress: alone(compress, compress.archiveBytes === piped.archiveBytes),
      decompress: alone(decompress, decompress.ok),
    };
  } finally {
    await Deno.remove(archive).catch(() => {});
  }
  return result;
}

function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(KiB|MiB|GiB)?$/.exec(text);
  if (m === null) throw new TypeError(`Cannot parse the size ${text}: expected BYTES or N[KMG]iB`);
  const unit = { KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30 }[m[2] ?? ""] ?? 1;
  return Math.round(Number(m[1]) * unit);
}

const MiB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

if (import.meta.main) {
  const { values } = parseArgsOrExit("rss", import.meta.url, {
    options: {
      size: { type: "string", default: String(2 ** 30) },
      workers: { type: "string", default: "1" },
      "piped-only": { type: "boolean", default: false },
      "no-write": { type: "boolean", default: false },
      // What the parent passes its children.
      child: { type: "string" },
      archive: { type: "string", default: "" },
    },
  });
  const usage = (reason: string) => exitWithUsageError("rss", import.meta.url, reason);
  let size = 0;
  try {
    size = parseSize(values.size);
  } catch (error) {
    usage((error as Error).message);
  }
  if (!/^\d+$/.test(values.workers) || Number(values.workers) < 1) {
    usage(`--workers must be a whole number, at least 1, not ${values.workers}`);
  }
  const workers = Number(values.workers);
  const mode = values.child as ChildMode | undefined;
  if (mode !== undefined && !["piped", "compress", "decompress"].includes(mode)) {
    usage(`--child must be piped, compress or decompress, not ${mode}`);
  }
  const archive = values.archive;
  const write = !values["no-write"];
  const pipedOnly = values["piped-only"];
  if (mode !== undefined) {
    await child(mode, size, workers, archive);
  } else {
    const result = await measureRss({ size, workers, pipedOnly });
    const lines = [
      `streamed ${MiB(result.inputBytes)} -> ${
        (result.archiveBytes / 2 ** 20).toFixed(1)
      } MiB -> back with ${workers} worker(s): round trip ${
        result.roundTripOk ? "ok" : "FAILED"
      }, peak RSS ${MiB(result.peakRssBytes)}, ${result.seconds.toFixed(0)} s`,
    ];
    for (const [name, r] of Object.entries(result.alone ?? {})) {
      lines.push(
        `${name} alone: ${r.ok ? "ok" : "FAILED"}, peak RSS ${MiB(r.peakRssBytes)}, ${
          r.seconds.toFixed(0)
        } s`,
      );
    }
    console.log(lines.join("\n"));
    if (write) {
      const dir = new URL("results/", import.meta.url);
      await Deno.mkdir(dir, { recursive: true });
      const url = new URL(`rss-w${workers}.json`, dir);
      await Deno.writeTextFile(url, JSON.stringify(result, null, 2) + "\n");
      if (await writeResultsMarkdown()) console.log("rss: rewrote bench/RESULTS.md");
    }
    const allOk = result.roundTripOk && Object.values(result.alone ?? {}).every((r) => r.ok);
    if (!allOk) process.exitCode = 1;
  }
}
