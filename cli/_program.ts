/**
 * The `megazip` command tree (commander) and {@link main}, which runs it on some arguments.
 * `cli/main.ts` imports this module dynamically, so that even a failure while loading the
 * codec or its dependencies ends as one line on stderr.
 *
 * @module
 */
import { Command, CommanderError } from "commander";
import denoJson from "../deno.json" with { type: "json" };
import {
  CliError,
  describeError,
  EXIT,
  EXIT_CODES_HELP,
  type ExitCode,
  printError,
} from "./_errors.ts";
import { benchCommand } from "./bench.ts";
import { compressCommand } from "./compress.ts";
import { decompressCommand } from "./decompress.ts";
import { infoCommand } from "./info.ts";
import { scoreCommand } from "./score.ts";

/** megazip's version, from deno.json. */
export const VERSION: string = denoJson.version;

const HELP_AFTER = `
Examples:
  megazip README.md                 compress to README.md.mbz (README.md is kept)
  megazip -d README.md.mbz -o r.md  decompress to r.md
  megazip -c README.md > r.mbz      compress to stdout
  megazip -t README.md.mbz          test an archive: decode it, check every checksum, write nothing
  megazip -l *.mbz                  list archives: sizes, bits per byte, blocks, methods
  tar c dir | megazip > dir.tar.mbz compress stdin to stdout
  megazip score book1 paper1        bits per byte, no archive written
  megazip info README.md.mbz        header and blocks of an archive

Inputs are kept by default, as in zstd (gzip deletes them): --rm removes an input after success.
An existing output is refused without -f. Outputs are written to a temporary file beside the
target and renamed into place only after success: a failure leaves no partial file.
Model: --model PATH, else $MEGAZIP_MODEL, else the shipped models/default.mgb when it exists;
without one, megazip compresses with context mixing and stored blocks only.

${EXIT_CODES_HELP}`;

/** Turns commander's "error: unknown option '--x'\n(Did you mean --y?)" into one line. */
function commanderLine(text: string): string {
  return text.replace(/^error:\s*/i, "").replace(/\s*\n\s*/g, " ").trim();
}

/**
 * Runs `megazip train ARGS` through `trainCommand()` of `./train.ts`, imported only now: the
 * trainer pulls in tfjs, which the other subcommands must neither wait for nor depend on.
 *
 * @param args The arguments after "train".
 * @param settings The program whose settings (exit override, output) the command inherits.
 */
async function runTrain(args: string[], settings: Command): Promise<void> {
  const { trainCommand } = await import("./train.ts");
  const command = trainCommand().name("megazip train");
  command.copyInheritedSettings(settings);
  await command.parseAsync(args, { from: "user" });
}

/** The `train` entry of the command list; its action hands the raw arguments to the trainer. */
function trainStub(program: Command, args: () => string[]): Command {
  return new Command("train")
    .copyInheritedSettings(program)
    .description("Train a MEGABYTE model, resume a run, or export a model file")
    .summary("train a MEGABYTE model or export a model file (see megazip train --help)")
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument("[options...]", "see megazip train --help")
    .action(async () => {
      await runTrain(args(), program);
    });
}

/**
 * Builds the whole command tree.
 *
 * @param run Receives the exit code of the subcommand that ran.
 * @param args The raw arguments (for `train`, which parses its own).
 * @returns The program, configured to throw instead of exiting.
 */
export function buildProgram(run: (code: ExitCode) => void, args: string[] = []): Command {
  const program = new Command("megazip")
    .description(
      "Lossless compression with a MEGABYTE transformer driving an arithmetic coder.\n" +
        "With no command, compresses (or decompresses with -d), like gzip and zstd.",
    )
    .usage("[command] [options] [FILE...]")
    .version(VERSION, "-V, --version", "print the version")
    .helpOption("-h, --help", "print help")
    .helpCommand("help [command]", "print help for a command")
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      getOutHasColors: () => false,
      getErrHasColors: () => false,
      outputError: (text, write) => write(`megazip: ${commanderLine(text)}\n`),
    })
    .addHelpText("after", HELP_AFTER);
  const subcommands = [
    compressCommand(run),
    decompressCommand(run),
    scoreCommand(run),
    infoCommand(run),
    benchCommand(run),
  ];
  for (const sub of subcommands) {
    sub.copyInheritedSettings(program);
    sub.helpOption("-h, --help", "print help");
    sub.addHelpText("after", `\n${EXIT_CODES_HELP}`);
    program.addCommand(sub, sub.name() === "compress" ? { isDefault: true } : {});
  }
  program.addCommand(trainStub(program, () => args.slice(args.indexOf("train") + 1)));
  return program;
}

/**
 * Runs the CLI on `args` (without the program name) and returns the exit code; never throws.
 *
 * @param args The command-line arguments, e.g. `Deno.args`.
 * @returns The exit code.
 */
export async function main(args: string[]): Promise<ExitCode> {
  // `help train` would print the stub's help; the trainer's own is the useful one.
  if (args[0] === "help" && args[1] === "train") args = ["train", "--help"];
  let code: ExitCode = EXIT.ok;
  const program = buildProgram((c) => code = c, args);
  try {
    await program.parseAsync(args, { from: "user" });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; commander already printed the one-line message otherwise.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof CliError) {
      printError(error.message);
      return error.exitCode;
    }
    const { message, exitCode } = describeError(error, "run", "megazip");
    printError(message);
    return exitCode;
  }
}
