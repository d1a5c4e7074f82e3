/**
 * `megazip bench`: runs the benchmark of `bench/run.ts` (the same as `deno task bench`).
 *
 * The bench module is loaded only when this subcommand runs, so the rest of the CLI neither
 * waits for it nor needs it to exist.
 *
 * @module
 */
import { Command } from "commander";
import { CliError, EXIT, type ExitCode } from "./_errors.ts";

/** Where the bench lives, relative to this module. */
export const BENCH_MODULE_URL: URL = new URL("../bench/run.ts", import.meta.url);

/** The shape this command expects of `bench/run.ts`. */
interface BenchModule {
  runBench(options?: Record<string, unknown>): Promise<unknown> | unknown;
}

/**
 * Loads `bench/run.ts` and runs its `runBench()`.
 *
 * @returns The exit code.
 * @throws {CliError} When the bench is missing or lacks the permission to run other programs.
 */
export async function runBenchCommand(): Promise<ExitCode> {
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
  if (typeof bench.runBench !== "function") {
    throw new CliError(
      "bench is not available yet: bench/run.ts exports no runBench()",
      EXIT.usage,
    );
  }
  await bench.runBench({});
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
      "Benchmark megazip against gzip, bzip2, xz, zstd and brotli on the Canterbury and Calgary\n" +
        "corpora; writes bench/results/latest.json and bench/RESULTS.md (same as `deno task bench`)",
    )
    .action(async () => {
      run(await runBenchCommand());
    });
}
