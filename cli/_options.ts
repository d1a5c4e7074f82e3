/**
 * The options shared by several subcommands, declared once.
 *
 * @module
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import { BLOCK_MAXIMUM_SIZE_LIMIT } from "./_codec.ts";
import { parseSize, parseWorkers } from "./_parse.ts";

/** The model options of compress, decompress and score, as commander parses them. */
export interface ModelOptions {
  /** `--model PATH` (string), `--no-model` (false), or unset. */
  model?: string | boolean;
  /** `--workers N`; 0 means one per CPU core. */
  workers: number;
}

/** The file options of compress and decompress, as commander parses them. */
export interface FileOptions extends ModelOptions {
  /** `-o FILE`. */
  output?: string;
  /** `-c`: write to stdout. */
  stdout?: boolean;
  /** `-k`: keep the input (the default). */
  keep?: boolean;
  /** `--rm`: remove the input after success. */
  rm?: boolean;
  /** `-f`: overwrite outputs, allow a terminal. */
  force?: boolean;
  /** `-v`: print sizes per file on stderr. */
  verbose?: boolean;
  /** `-q`: no progress bar; only errors reach stderr. */
  quiet?: boolean;
  /** `-t`: decompress only to check the archives; write nothing. */
  test?: boolean;
}

/** Adds `--model`, `--no-model` and `--workers`. */
export function addModelOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        "-m, --model <path>",
        "model file (default: $MEGAZIP_MODEL, else the shipped models/default.mgb when present)",
      ),
    )
    .addOption(new Option("--no-model", "use no neural model (context mixing and stored only)"))
    .addOption(
      new Option(
        "-T, --workers <n>",
        "worker threads; 0 = one per CPU core, as many as the available memory holds",
      )
        .argParser(parseWorkers)
        .default(0, "0"),
    );
}

/** Adds `-t, --test` (decompress and the default command). */
export function addTestOption(command: Command): Command {
  return command.addOption(
    new Option(
      "-t, --test",
      "test archives: decode them and check every checksum, writing nothing",
    ),
  );
}

/** Parses `--block-size`: a size (`parseSize`) no larger than the archive format allows. */
function parseBlockSize(text: string): number {
  const bytes = parseSize(text);
  if (bytes > BLOCK_MAXIMUM_SIZE_LIMIT) {
    throw new InvalidArgumentError(`expected at most ${BLOCK_MAXIMUM_SIZE_LIMIT / 1024 ** 2}M`);
  }
  return bytes;
}

/** Adds `--block-size`. */
export function addBlockSizeOption(command: Command): Command {
  return command.addOption(
    new Option("-B, --block-size <size>", "bytes per block, e.g. 256K or 1M (default: the codec's)")
      .argParser(parseBlockSize),
  );
}

/** Adds `-o`, `-c`, `-k`, `--rm`, `-f`, `-v` and `-q`. */
export function addFileOptions(command: Command): Command {
  return command
    .addOption(new Option("-o, --output <file>", "write to FILE (one input only; - for stdout)"))
    .addOption(new Option("-c, --stdout", "write to stdout; keep the input"))
    .addOption(new Option("-k, --keep", "keep the input file (the default, as in zstd)"))
    .addOption(
      new Option("--rm", "remove the input file after success (gzip's default)").conflicts(
        "keep",
      ),
    )
    .addOption(
      new Option("-f, --force", "overwrite existing outputs; allow compressed data on a terminal"),
    )
    .addOption(new Option("-v, --verbose", "print sizes and bits per byte of each file on stderr"))
    .addOption(
      new Option("-q, --quiet", "no progress bar: only errors reach stderr").conflicts("verbose"),
    );
}
