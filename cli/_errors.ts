/**
 * Exit codes and one-line error messages of the `megazip` command.
 *
 * Every failure ends as one line on stderr, `megazip: <what>: <why>`, and one of the exit codes
 * below; never a stack trace.
 *
 * @module
 */
import { CorruptArchiveError, ModelMismatchError } from "../codec/errors.ts";

/**
 * The exit codes of `megazip`, documented in `--help` and the README.
 *
 * - 0: success
 * - 1: bad input: not an archive, truncated or corrupted archive, checksum mismatch
 * - 2: usage: unknown option, bad value, missing argument, wrong suffix, missing permission
 * - 3: file system: input missing or unreadable or a directory, output exists (without -f),
 *   output not writable (a pipe closed early too, silently)
 * - 4: model: the model file is missing or invalid, or the archive needs another model
 * - 70: internal error (a bug: please report it)
 * - 130: interrupted (Ctrl-C, SIGTERM, SIGHUP); temporary output files are removed
 */
export const EXIT = {
  ok: 0,
  badInput: 1,
  usage: 2,
  fileSystem: 3,
  model: 4,
  internal: 70,
  interrupted: 130,
} as const;

/** One of the values of {@link EXIT}. */
export type ExitCode = typeof EXIT[keyof typeof EXIT];

/** The exit codes as the help text and README list them. */
export const EXIT_CODES_HELP = `Exit codes:
  0    success
  1    bad input: not an archive, truncated or corrupted archive, checksum mismatch
  2    usage: bad option or argument, wrong suffix, refused terminal, missing permission
  3    file system: input missing, unreadable or a directory; output exists (use -f)
       or not writable (a closed pipe exits 3 silently)
  4    model: model file missing or invalid, or the archive needs another model
  70   internal error
  130  interrupted`;

/** An error the CLI reports as is: `message` is the whole line after "megazip: ". */
export class CliError extends Error {
  /** The process exit code for this error. */
  exitCode: ExitCode;

  /**
   * Creates an error with its exit code.
   *
   * @param message The line to print after "megazip: ".
   * @param exitCode The exit code.
   */
  constructor(message: string, exitCode: ExitCode) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

/** Turns the first letter lower case unless the first word is all capitals (e.g. "IO"). */
function lowerFirst(text: string): string {
  const first = text.split(/[\s:]/, 1)[0] ?? "";
  if (first.length > 1 && first === first.toUpperCase()) return text;
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** The message of any thrown value, on one line, without a trailing period. */
export function oneLine(error: unknown): string {
  let text = error instanceof Error ? error.message : String(error);
  // Deno's OS errors end in ": No such file or directory (os error 2)": keep the words only.
  text = text.replace(/\s*\(os error \d+\)/g, "");
  // Deno colours some of its own messages (e.g. module not found): keep the plain text.
  // deno-lint-ignore no-control-regex
  text = text.replace(/\x1b\[[0-9;]*m/g, "");
  text = text.replace(/\s+/g, " ").trim().replace(/\.$/, "");
  return lowerFirst(text || (error instanceof Error ? error.name : "unknown error"));
}

/**
 * The detail of a codec message, without its "Cannot decode …:" lead, which the CLI's own
 * "cannot decompress FILE:" replaces: "Cannot decode block 3: checksum mismatch" becomes
 * "block 3: checksum mismatch".
 */
export function codecDetail(error: Error): string {
  const text = oneLine(error);
  const rest = text.replace(
    /^cannot (?:decode|read|decompress|inspect|parse)(?: the archive| the header| the model file)?(?::\s*|\s+)/i,
    "",
  );
  return rest.length > 0 ? lowerFirst(rest) : text;
}

/**
 * Whether Deno raised `error` for an OS error it has no class for: a plain Error with an errno
 * `code` ("ENOSPC") or, for some, only "(os error 6)" in its message.
 */
function isOsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (typeof code === "string" && /^E[A-Z0-9]+$/.test(code)) ||
    /\(os error \d+\)/.test(error.message);
}

/**
 * Classifies any error thrown while working on `subject` (a file name or "stdin") during `action`
 * (e.g. "decompress") into the line to print and the exit code.
 *
 * @param error What was thrown.
 * @param action The verb of the failed operation, e.g. "compress".
 * @param subject What it worked on, e.g. "foo.txt".
 * @returns The line (without the "megazip: " prefix) and the exit code.
 */
export function describeError(
  error: unknown,
  action: string,
  subject: string,
): { message: string; exitCode: ExitCode } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  const what = `cannot ${action} ${subject}`;
  if (error instanceof CorruptArchiveError) {
    return { message: `${what}: ${codecDetail(error)}`, exitCode: EXIT.badInput };
  }
  if (error instanceof ModelMismatchError) {
    const hint = " (give the archive's model with --model PATH)";
    return { message: `${what}: ${codecDetail(error)}${hint}`, exitCode: EXIT.model };
  }
  if (error instanceof Deno.errors.NotCapable) {
    return { message: `${what}: ${oneLine(error)}`, exitCode: EXIT.usage };
  }
  if (
    error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotFound ||
    error instanceof Deno.errors.AlreadyExists ||
    error instanceof Deno.errors.IsADirectory || error instanceof Deno.errors.NotADirectory ||
    error instanceof Deno.errors.WriteZero || error instanceof Deno.errors.FilesystemLoop ||
    error instanceof Deno.errors.BadResource ||
    // Any other OS error of a file (e.g. ENOSPC: a full disk, EIO, EROFS, ENAMETOOLONG).
    isOsError(error)
  ) {
    return { message: `${what}: ${oneLine(error)}`, exitCode: EXIT.fileSystem };
  }
  if (error instanceof RangeError) {
    // Reading an archive, a RangeError is an absurd value in it; otherwise a bad option value
    // that the library refused (e.g. a block size out of range).
    const reading = ["decompress", "test", "inspect", "list"].includes(action);
    return {
      message: `${what}: ${oneLine(error)}`,
      exitCode: reading ? EXIT.badInput : EXIT.usage,
    };
  }
  return { message: `${what}: internal error: ${oneLine(error)}`, exitCode: EXIT.internal };
}

/** Prints `megazip: <message>` as one line on stderr. */
export function printError(message: string): void {
  const line = `megazip: ${message.replace(/\s+/g, " ")}\n`;
  try {
    Deno.stderr.writeSync(new TextEncoder().encode(line));
  } catch {
    // stderr is gone: nothing left to tell.
  }
}
