#!/usr/bin/env -S deno run --allow-read --allow-write --allow-env=MEGAZIP_MODEL --allow-sys=systemMemoryInfo
/**
 * The `megazip` command: compress, decompress, score, info, train and bench.
 *
 * ```sh
 * deno task megazip compress README.md          # README.md.mbz, README.md kept
 * deno task megazip -d README.md.mbz -o copy.md  # back
 * cat data | deno task megazip > data.mbz         # stdin to stdout
 * ```
 *
 * Every failure prints one line on stderr and exits with a code of `EXIT` (`cli/_errors.ts`).
 * This entry point imports almost nothing itself: the command tree and the codec are loaded by a
 * dynamic import inside a try, so that nothing, not even a module that fails to load, escapes
 * as a stack trace.
 *
 * @module
 */
import { describeError, EXIT, type ExitCode, printError } from "./_errors.ts";
import { removePendingSync } from "./_files.ts";

/**
 * Restores the terminal and removes temporary outputs on Ctrl-C (or SIGTERM, SIGHUP, as gzip
 * and xz do), then exits 130.
 */
function onInterrupt(signal: Deno.Signal): void {
  removePendingSync();
  if (Deno.stderr.isTerminal()) {
    // Show the cursor again: the progress bar hides it.
    Deno.stderr.writeSync(new TextEncoder().encode("\x1b[?25h\n"));
  }
  printError(signal === "SIGINT" ? "interrupted" : `interrupted (${signal})`);
  Deno.exit(EXIT.interrupted);
}

/** Last resort for errors that escape every await (e.g. a failing worker). */
function onStrayError(event: ErrorEvent | PromiseRejectionEvent): void {
  event.preventDefault();
  removePendingSync();
  const error = "reason" in event ? event.reason : event.error;
  const { message, exitCode } = describeError(error, "run", "megazip");
  printError(message);
  Deno.exit(exitCode);
}

if (import.meta.main) {
  globalThis.addEventListener("unhandledrejection", onStrayError);
  globalThis.addEventListener("error", onStrayError);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    try {
      Deno.addSignalListener(signal, () => onInterrupt(signal));
    } catch {
      // Signals are not available on every platform.
    }
  }
  let code: ExitCode;
  try {
    const { main } = await import("./_program.ts");
    code = await main(Deno.args);
  } catch (error) {
    const { message, exitCode } = describeError(error, "run", "megazip");
    printError(message);
    code = exitCode;
  }
  Deno.exit(code);
}
