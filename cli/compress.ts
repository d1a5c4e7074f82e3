/**
 * `megazip compress [FILE...]`, also the default command (`megazip FILE`), and `-d` for
 * decompression, `-t` for testing archives and `-l` for listing them, as in gzip, xz and zstd.
 *
 * @module
 */
import { Command, Option } from "commander";
import { compressStream } from "./_codec.ts";
import { CliError, EXIT, type ExitCode } from "./_errors.ts";
import { resolveModel } from "./_model.ts";
import {
  addBlockSizeOption,
  addFileOptions,
  addModelOptions,
  addTestOption,
  type FileOptions,
} from "./_options.ts";
import { effectiveWorkers } from "./_parse.ts";
import { checkUsage, type Direction, transferAll } from "./_transfer.ts";
import { decompressFiles } from "./decompress.ts";
import { listFiles } from "./list.ts";

/** The suffix of megazip archives. */
export const SUFFIX = ".mbz";

/** The options of `megazip compress`, as commander parses them. */
export interface CompressCommandOptions extends FileOptions {
  /** `-d`: decompress instead. */
  decompress?: boolean;
  /** `-l`: list archives instead. */
  list?: boolean;
  /** `--block-size`. */
  blockSize?: number;
}

/**
 * Compresses `files` (none or "-": stdin to stdout) as the options say.
 *
 * @param files The input paths.
 * @param options The parsed options.
 * @returns The exit code.
 */
export async function compressFiles(
  files: string[],
  options: CompressCommandOptions,
): Promise<ExitCode> {
  const direction: Direction = {
    action: "compress",
    compressedOutput: true,
    progressCountsInput: true,
    outputName(path: string, force: boolean): string {
      if (path.endsWith(SUFFIX) && !force) {
        throw new CliError(
          `cannot compress ${path}: it already has the ${SUFFIX} suffix (use -f to compress it anyway)`,
          EXIT.usage,
        );
      }
      return path + SUFFIX;
    },
    stream: () => {
      throw new Error("Cannot compress before the model is loaded");
    },
  };
  checkUsage(files, options, direction);
  const model = await resolveModel(options.model);
  const workers = effectiveWorkers(options.workers, model !== null);
  direction.stream = (onProgress) =>
    compressStream({
      model,
      workers,
      onProgress,
      ...(options.blockSize !== undefined ? { blockSize: options.blockSize } : {}),
    });
  return await transferAll(files, options, direction);
}

/**
 * Refuses a first file named like a subcommand of `program` (or `help`) that is no file: options
 * put before a subcommand (`megazip --json info x`) make commander read it as the default
 * command's file, which would otherwise fail on that name and go on to compress the files after it.
 */
async function checkNotSubcommand(
  first: string | undefined,
  program: Command | null,
): Promise<void> {
  const names = [...(program?.commands ?? []).map((c) => c.name()), "help"];
  if (first === undefined || !names.includes(first)) return;
  try {
    await Deno.lstat(first);
  } catch {
    throw new CliError(
      `${first}: no such file; to run \`megazip ${first}\`, put the subcommand first and its options after it`,
      EXIT.usage,
    );
  }
}

/**
 * Builds the `compress` subcommand.
 *
 * @param run Called with the exit code once the action is done.
 * @returns The commander command.
 */
export function compressCommand(run: (code: ExitCode) => void): Command {
  const command = new Command("compress")
    .summary("compress FILEs to FILE.mbz, or stdin to stdout (the default command)")
    .description(
      "Compress FILEs to FILE.mbz (keeping the inputs), or stdin to stdout.\n" +
        "This is the default command: `megazip FILE` compresses, `megazip -d FILE.mbz` " +
        "decompresses, `megazip -t FILE.mbz` tests an archive (decodes it and checks every " +
        "checksum, writing nothing), and `megazip -l FILE.mbz` lists its sizes without decoding.",
    )
    .argument("[files...]", "files to compress; none or - reads stdin and writes stdout")
    .addOption(
      new Option("-d, --decompress", "decompress instead (same as `megazip decompress`)"),
    )
    .addOption(
      new Option(
        "-l, --list",
        "list archives: sizes, bits per byte, blocks and methods, without decoding",
      ),
    );
  addFileOptions(command);
  addTestOption(command);
  addBlockSizeOption(command);
  addModelOptions(command);
  command.action(async (files: string[], options: CompressCommandOptions) => {
    await checkNotSubcommand(files[0], command.parent);
    if (options.list) {
      const others = options.decompress || options.test || options.output !== undefined ||
        options.stdout || options.rm || options.blockSize !== undefined;
      if (others) {
        throw new CliError("-l only lists: drop -d, -t, -o, -c, --rm and -B", EXIT.usage);
      }
      run(await listFiles(files));
    } else if (options.decompress || options.test) {
      if (options.blockSize !== undefined) {
        throw new CliError("--block-size applies to compression only", EXIT.usage);
      }
      run(await decompressFiles(files, options));
    } else {
      run(await compressFiles(files, options));
    }
  });
  return command;
}
