/**
 * The loop shared by compress and decompress: for each input, open it and its output, pipe it
 * through the codec's stream, commit the output only on success; report failures one line each.
 *
 * @module
 */
import { CliError, describeError, EXIT, type ExitCode, printError } from "./_errors.ts";
import type { FileOptions } from "./_options.ts";
import { type Input, isStdio, openInput, openOutput, type Output } from "./_files.ts";
import { bitsPerByte, countBytes } from "./_measure.ts";
import { startProgress } from "./_progress.ts";

/** What differs between compressing and decompressing. */
export interface Direction {
  /** "compress" or "decompress". */
  action: "compress" | "decompress";
  /** Whether the output is compressed data (refused on a terminal). */
  compressedOutput: boolean;
  /**
   * The output path for an input path when neither -o nor -c is given.
   * @throws {CliError} When there is none (e.g. no .mbz suffix).
   */
  outputName(inputPath: string, force: boolean): string;
  /** The codec stream; `onProgress` takes the bytes done of what the bar counts. */
  stream(onProgress: (bytesDone: number) => void): TransformStream<Uint8Array, Uint8Array>;
  /**
   * Whether the codec's `onProgress` counts input bytes (compress). When it counts output bytes
   * (decompress), the bar follows the archive bytes read instead, whose total is known.
   */
  progressCountsInput: boolean;
}

/** The verb of messages about a file: "test" under `-t`, else the direction's action. */
function verbOf(options: FileOptions, direction: Direction): string {
  return options.test ? "test" : direction.action;
}

/** Where `-t` sends the decoded bytes: nowhere. */
function discardOutput(): Output {
  return {
    name: "nothing",
    path: null,
    writable: new WritableStream(),
    isStdout: false,
    commit: () => Promise.resolve(),
    abort: () => Promise.resolve(),
  };
}

/**
 * Checks the combination of inputs and options before touching any file.
 *
 * @param files The input paths ("-" for stdin).
 * @param options The parsed file options.
 * @param direction Compress or decompress.
 * @throws {CliError} For a usage error (exit 2).
 */
export function checkUsage(files: string[], options: FileOptions, direction: Direction): void {
  const toStdout = options.stdout || options.output === "-";
  if (options.output !== undefined && options.stdout) {
    throw new CliError("-o and -c cannot be used together", EXIT.usage);
  }
  if (options.output === "") {
    throw new CliError("-o needs a file name (or - for stdout)", EXIT.usage);
  }
  if (options.output !== undefined && files.length > 1) {
    throw new CliError("-o takes one input file; give one file or none", EXIT.usage);
  }
  if (files.filter((f) => isStdio(f)).length > 1) {
    throw new CliError("stdin can be read only once", EXIT.usage);
  }
  if (toStdout && files.length > 1 && direction.action === "compress") {
    throw new CliError(
      "-c with several files would concatenate archives: compress them one at a time",
      EXIT.usage,
    );
  }
  if (options.test && (options.output !== undefined || options.stdout || options.rm)) {
    throw new CliError("-t writes nothing and keeps its inputs: drop -o, -c and --rm", EXIT.usage);
  }
  if (files.length === 0 && Deno.stdin.isTerminal()) {
    throw new CliError(
      `no input: give a FILE or pipe data into stdin (see megazip ${direction.action} --help)`,
      EXIT.usage,
    );
  }
}

/** Transfers one input, then removes it for --rm and prints its sizes for -v. */
async function transferOne(
  name: string | undefined,
  options: FileOptions,
  direction: Direction,
): Promise<void> {
  const { action } = direction;
  // Like gzip, xz and zstd: a FIFO or a device gets no output named after it (unless forced).
  const namesOutput = !options.test && !options.stdout && options.output === undefined;
  const input: Input = await openInput(name, verbOf(options, direction), {
    regularOnly: namesOutput && !options.force,
  });
  let outPath: string | null;
  try {
    if (options.test || options.stdout || options.output === "-") outPath = null;
    else if (options.output !== undefined) outPath = options.output;
    else if (input.path === null) outPath = null;
    else outPath = direction.outputName(input.path, options.force === true);
  } catch (error) {
    await input.readable.cancel().catch(() => {});
    throw error;
  }
  let output: Output;
  try {
    output = options.test ? discardOutput() : await openOutput(outPath, {
      force: options.force === true,
      compressed: direction.compressedOutput,
      input,
      action,
    });
  } catch (error) {
    await input.readable.cancel().catch(() => {});
    throw error;
  }
  const verb = options.test ? "testing" : action === "compress" ? "compressing" : "decompressing";
  const progress = startProgress(
    `${verb} ${input.name}`,
    input.size,
    options.quiet !== true && Deno.stderr.isTerminal(),
  );
  const byCodec = direction.progressCountsInput;
  let bytesIn = 0;
  let bytesOut = 0;
  try {
    await input.readable
      .pipeThrough(countBytes((n) => {
        bytesIn = n;
        if (!byCodec) progress.update(n);
      }))
      .pipeThrough(direction.stream((n) => {
        if (byCodec) progress.update(n);
      }))
      .pipeThrough(countBytes((n) => bytesOut = n))
      .pipeTo(output.writable);
    await output.commit();
  } catch (error) {
    await output.abort();
    throw error;
  } finally {
    progress.stop();
  }
  if (options.rm && input.path !== null && output.path !== null) {
    await Deno.remove(input.path).catch((error) => {
      const why = describeError(error, "remove", input.path!).message;
      throw new CliError(`${why} (${output.name} was written)`, EXIT.fileSystem);
    });
  }
  if (options.verbose) {
    const [raw, coded] = action === "compress" ? [bytesIn, bytesOut] : [bytesOut, bytesIn];
    const bpb = bitsPerByte(coded, raw);
    const line = options.test
      ? `${input.name}: ${coded} -> ${raw} bytes, ${bpb} bits per byte: OK`
      : `${input.name}: ${raw} -> ${coded} bytes, ${bpb} bits per byte -> ${output.name}`;
    Deno.stderr.writeSync(new TextEncoder().encode(`megazip: ${line}\n`));
  }
}

/**
 * Runs compress or decompress over `files` (none: stdin), continuing after a failed file like
 * gzip; every failure prints one line.
 *
 * @param files The input paths ("-" for stdin).
 * @param options The parsed file options.
 * @param direction Compress or decompress.
 * @returns The exit code: 0, or the code of the first failure.
 */
export async function transferAll(
  files: string[],
  options: FileOptions,
  direction: Direction,
): Promise<ExitCode> {
  checkUsage(files, options, direction);
  let exitCode: ExitCode = EXIT.ok;
  for (const name of files.length === 0 ? [undefined] : files) {
    try {
      await transferOne(name, options, direction);
    } catch (error) {
      const subject = isStdio(name) ? "stdin" : name!;
      const { message, exitCode: code } = describeError(error, verbOf(options, direction), subject);
      if (error instanceof Deno.errors.BrokenPipe) return EXIT.fileSystem;
      printError(message);
      if (exitCode === EXIT.ok) exitCode = code;
    }
  }
  return exitCode;
}
