/**
 * `megazip bench`: runs the benchmark of `bench/run.ts` (the same as `deno task bench`).
 *
 * The bench module is loaded only when this subcommand runs, so the rest of the CLI neither
 * waits for it nor needs it to exist.
 *
 * @module
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { CliError, EXIT, type ExitCode } from "./_errors.ts";
import { resolveModel } from "./_model.ts";

/** Where the bench lives, relative to this module. */
export const BENCH_MODULE_URL: URL = new URL("../bench/run.ts", import.meta.url);

/** The options of `megazip bench`, as commander parses them; handed to `runBench()` as they are. */
export interface BenchCommandOptions {
  /** `--quick`: a few small files, no RESULTS.md. */
  quick?: boolean;
  /** `--json`: print the report as JSON. */
  json?: boolean;
  /** `--workers 1,2`: worker counts to time. */
  workers?: number[];
  /** `--model PATH`; false after `--no-model`; the bench's default (the shipped model) if absent. */
  model?: string | false;
  /** `--no-write` sets it false: write no results files. */
  write?: boolean;
  /** `--corpus DIR`, repeatable. */
  corpora?: string[];
}

/** The options `runBench()` takes: these, with the model a path or absent. */
type BenchRunOptions = Omit<BenchCommandOptions, "model"> & { model?: string };

/** The shape this command expects of `bench/run.ts`. */
interface BenchModule {
  runBench(options?: BenchRunOptions): Promise<unknown> | unknown;
  withBenchDefaults(options: BenchRunOptions, noModel: boolean): BenchRunOptions;
}

/** Parses "1,2" into [1, 2]. */
function parseWorkerList(text: string): number[] {
  const list = text.split(",").map((part) => part.trim());
  if (list.some((part) => !/^\d+$/.test(part))) {
    throw new InvalidArgumentError("expected worker counts such as 1 or 1,2");
  }
  return list.map(Number);
}

/**
 * Loads `bench/run.ts` and runs its `runBench()`.
 *
 * @param options The parsed options, handed to `runBench()`.
 * @returns The exit code.
 * @throws {CliError} When the bench is missing or lacks the permission to run other programs.
 */
export async function runBenchCommand(options: BenchCommandOptions): Promise<ExitCode> {
  const run = await Deno.permissions.query({ name: "run" });
  if (run.state !== "granted") {
    throw new CliError(
      "bench runs gzip, xz and the other compressors and so needs --allow-run: use `deno task bench`",
      EXIT.usage,
    );
  }
  // A computed specifier: `deno check` of the CLI must not require the bench to exist.
  const specifier = BENCH_MODULE_URL.href;
  let bench: Partial<BenchModule>;
  try {
    bench = await import(specifier);
  } catch (error) {
    const missing = error instanceof TypeError && /not found|Module not found/i.test(error.message);
    if (missing) {
      throw new CliError("bench is not available yet: bench/run.ts does not exist", EXIT.usage);
    }
    throw error;
  }
  if (typeof bench.runBench !== "function" || typeof bench.withBenchDefaults !== "function") {
    throw new CliError(
      "bench is not available yet: bench/run.ts exports no runBench() and withBenchDefaults()",
      EXIT.usage,
    );
  }
  const { model, ...rest } = options;
  // A missing or invalid --model is exit 4 with one line, as for compress, not an internal error.
  if (typeof model === "string") await resolveModel(model);
  const given = typeof model === "string" ? { ...rest, model } : rest;
  await bench.runBench(bench.withBenchDefaults(given, model === false));
  return EXIT.ok;
}

/**
 * Builds the `bench` subcommand.
 *
 * @param run Called with the exit code once the action is done.
 * @returns The commander command.
 */
export function benchCommand(run: (code: ExitCode) => void): Command {
  return new Command("bench")
    .summary("benchmark against gzip, bzip2, xz, zstd and brotli")
    .description(
      "Benchmark megazip against gzip, bzip2, xz, zstd and brotli on the Canterbury and Calgary " +
        "corpora; writes bench/results/latest.json and bench/RESULTS.md (same as `deno task bench`).",
    )
    .addOption(new Option("--quick", "a few small files only; never writes RESULTS.md"))
    .addOption(new Option("--json", "print the report as JSON"))
    .addOption(
      new Option("-T, --workers <list>", "worker counts to time (default: 1,2)").argParser(
        parseWorkerList,
      ),
    )
    .addOption(
      new Option(
        "-m, --model <path>",
        "model file for the neural method (default: the shipped one)",
      ),
    )
    .addOption(new Option("--no-model", "bench context mixing and stored blocks only"))
    .addOption(new Option("--no-write", "write no results files"))
    .addOption(
      new Option("--corpus <dir>", "a corpus folder (repeatable; default Canterbury and Calgary)")
        .argParser((dir: string, previous: string[] | undefined) => [...(previous ?? []), dir]),
    )
    .action(async (options: { corpus?: string[] } & BenchCommandOptions) => {
      const { corpus, ...rest } = options;
      run(await runBenchCommand({ ...rest, ...(corpus ? { corpora: corpus } : {}) }));
    });
}
