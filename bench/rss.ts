/**
 * Peak memory of streaming: generates mixed data on the fly (never stored), streams it through
 * `compressStream()` and straight on through `decompressStream()` in a child process, checks every
 * output byte against a second copy of the generator, and reports the child's peak resident set
 * (VmHWM from /proc/self/status). Writes `bench/results/rss-wN.json` (N workers), which
 * `bench/run.ts` puts in `bench/RESULTS.md`.
 *
 * Usage: `deno run -A bench/rss.ts [--size=BYTES|1GiB] [--workers=N] [--no-write]`
 *
 * @module
 */
import process from "node:process";
import type { RssResult } from "./run.ts";

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

/** The child: streams, verifies, prints one JSON line of RssResult. */
async function child(size: number, workers: number): Promise<void> {
  const { compressStream, decompressStream } = await import("../codec/mod.ts");
  const source = new MixedData(size);
  const expected = new MixedData(size);
  let archiveBytes = 0;
  let outputBytes = 0;
  let ok = true;
  let pending: Uint8Array = new Uint8Array(0); // expected bytes not yet matched
  const t0 = performance.now();
  let lastReport = t0;
  const input = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = source.chunk();
      if (chunk === null) controller.close();
      else controller.enqueue(chunk);
    },
  });
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      archiveBytes += chunk.length;
      controller.enqueue(chunk);
    },
  });
  const output = input
    .pipeThrough(compressStream({ workers }))
    .pipeThrough(counter)
    .pipeThrough(decompressStream({ workers }));
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
    const now = performance.now();
    if (now - lastReport > 10_000) {
      lastReport = now;
      const mem = memoryStatus();
      console.error(
        `rss: ${(outputBytes / 2 ** 20).toFixed(0)} MiB out, rss ${
          (mem.now / 2 ** 20).toFixed(0)
        }` +
          ` MiB, peak ${(mem.peak / 2 ** 20).toFixed(0)} MiB, ${((now - t0) / 1000).toFixed(0)} s`,
      );
    }
  }
  if (pending.length > 0 || expected.chunk() !== null || outputBytes !== size) ok = false;
  const result: RssResult = {
    date: new Date().toISOString(),
    inputBytes: size,
    archiveBytes,
    peakRssBytes: memoryStatus().peak,
    roundTripOk: ok,
    seconds: (performance.now() - t0) / 1000,
    options: { workers },
  };
  console.log(JSON.stringify(result));
}

/**
 * Runs the measurement in a child process and returns its result.
 *
 * @param options `size` in bytes (default 1 GiB), `workers` for the codec (default 1).
 * @returns What the child measured.
 */
export async function measureRss(
  options: { size?: number; workers?: number } = {},
): Promise<RssResult> {
  const size = options.size ?? 2 ** 30;
  const workers = options.workers ?? 1;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all", // reading /proc/self/status needs it
      new URL(import.meta.url).pathname,
      "--child",
      `--size=${size}`,
      `--workers=${workers}`,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) throw new Error(`Cannot measure RSS: the child failed (${out.code})`);
  return JSON.parse(text.split("\n").pop()!) as RssResult;
}

function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(KiB|MiB|GiB)?$/.exec(text);
  if (m === null) throw new TypeError(`Cannot parse the size ${text}: expected BYTES or N[KMG]iB`);
  const unit = { KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30 }[m[2] ?? ""] ?? 1;
  return Math.round(Number(m[1]) * unit);
}

if (import.meta.main) {
  let size = 2 ** 30;
  let workers = 1;
  let isChild = false;
  let write = true;
  for (const arg of Deno.args) {
    if (arg === "--child") isChild = true;
    else if (arg === "--no-write") write = false;
    else if (arg.startsWith("--size=")) size = parseSize(arg.slice(7));
    else if (arg.startsWith("--workers=")) workers = Number(arg.slice(10));
    else {
      console.error(`rss: Cannot parse the argument ${arg}`);
      Deno.exit(2);
    }
  }
  if (isChild) {
    await child(size, workers);
  } else {
    const result = await measureRss({ size, workers });
    console.log(
      `streamed ${(result.inputBytes / 2 ** 20).toFixed(0)} MiB -> ${
        (result.archiveBytes / 2 ** 20).toFixed(1)
      } MiB -> back: round trip ${result.roundTripOk ? "ok" : "FAILED"}, peak RSS ${
        (result.peakRssBytes / 2 ** 20).toFixed(0)
      } MiB, ${result.seconds.toFixed(0)} s`,
    );
    if (write) {
      const url = new URL(`results/rss-w${workers}.json`, import.meta.url);
      await Deno.mkdir(new URL("results/", import.meta.url), { recursive: true });
      await Deno.writeTextFile(url, JSON.stringify(result, null, 2) + "\n");
    }
    if (!result.roundTripOk) process.exitCode = 1;
  }
}
