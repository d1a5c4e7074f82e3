/**
 * The bench scripts' command lines: node's `parseArgs`, but a wrong option ends the script with
 * one line on stderr and exit status 2, as a usage error, rather than an uncaught stack trace.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

/** The repository's root, to name a script by its path in it. */
const ROOT = new URL("../", import.meta.url).href;

/**
 * `parseArgs(config)` for the script at `moduleUrl` (its `import.meta.url`); on an unknown option,
 * a missing or unwanted value or an unexpected positional, prints `NAME: REASON (see the usage at
 * the top of PATH)` on stderr and exits with status 2. Other errors are thrown as they are.
 */
export function parseArgsOrExit<T extends ParseArgsConfig>(
  name: string,
  moduleUrl: string,
  config: T,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (!(error instanceof TypeError) || typeof code !== "string") throw error;
    if (!code.startsWith("ERR_PARSE_ARGS_")) throw error;
    // Node's first sentence names the option; what follows is advice about `--`.
    const reason = error.message.split(". ")[0]!;
    exitWithUsageError(name, moduleUrl, reason[0]!.toLowerCase() + reason.slice(1));
  }
}

/**
 * Ends the script at `moduleUrl` (its `import.meta.url`) on a usage error found after parsing,
 * such as a bad option value: prints `NAME: REASON (see the usage at the top of PATH)` on stderr
 * and exits with status 2.
 */
export function exitWithUsageError(name: string, moduleUrl: string, reason: string): never {
  const path = moduleUrl.startsWith(ROOT) ? moduleUrl.slice(ROOT.length) : moduleUrl;
  console.error(`${name}: ${reason} (see the usage at the top of ${path})`);
  Deno.exit(2);
}
