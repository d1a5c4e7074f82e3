/**
 * `megazip decompress [FILE.mbz...]` (also `megazip -d`): FILE.mbz back to FILE, or stdin to
 * stdout. The output appears only after the archive's checksums verify.
 *
 * @module
 */
import { Command } from "commander";
import { decompressStream } from "./_codec.ts";
import { CliError, EXIT, type ExitCode } from "./_errors.ts";
import { resolveModel } from "./_model.ts";
import { addFileOptions, addModelOptions, addTestOption, type FileOptions } from "./_options.ts";
import { effectiveWorkers } from "./_parse.ts";
import { checkUsage, type Direction, transferAll } from "./_transfer.ts";

const SUFFIX = ".mbz";

/**
 * Decompresses `files` (none or "-": stdin to stdout) as the options say.
 *
 * @param files The archive paths.
 * @param options The parsed options.
 * @returns The exit code.
 */
export async function decompressFiles(files: string[], options: FileOptions): Promise<ExitCode> {
  const direction: Direction = {
    action: "decompress",
    compressedOutput: false,
    progressCountsInput: false,
    outputName(path: string): string {
      const base = path.slice(path.lastIndexOf("/") + 1);
      if (!path.endsWith(SUFFIX) || base === SUFFIX) {
        throw new CliError(
          `cannot decompress ${path}: unknown suffix, expected ${SUFFIX} (use -o FILE or -c)`,
          EXIT.usage,
        );
      }
      return path.slice(0, -SUFFIX.length);
    },
    stream: () => {
      throw new Error("Cannot decompress before the model is loaded");
    },
  };
  checkUsage(files, options, direction);
  const model = await resolveModel(options.model);
  const workers = effectiveWorkers(options.workers, model !== null);
  direction.stream = (onProgress) => decompressStream({ model, workers, onProgress });
  return await transferAll(files, options, direction);
}

/**
 * Builds the `decompress` subcommand.
 *
 * @param run Called with the exit code once the action is done.
 * @returns The commander command.
 */
export function decompressCommand(run: (code: ExitCode) => void): Command {
  const command = new Command("decompress")
    .summary("decompress FILE.mbz to FILE, or stdin to stdout (also: megazip -d)")
    .description(
      "Decompress FILE.mbz to FILE (keeping the inputs), or stdin to stdout.\n" +
        "The output file appears only after every checksum verified.\n" +
        "With -t, only test the archives: decode them and check every checksum, writing " +
        "nothing.",
    )
    .argument("[files...]", "archives to decompress; none or - reads stdin and writes stdout");
  addFileOptions(command);
  addTestOption(command);
  addModelOptions(command);
  command.action(async (files: string[], options: FileOptions) => {
    run(await decompressFiles(files, options));
  });
  return command;
}
