/**
 * `megazip score FILE...`: the exact coded size of each file as bits per byte, and in total,
 * without writing an archive.
 *
 * @module
 */
import { Command, Option } from "commander";
import { score, type ScoreResult } from "./_codec.ts";
import { CliError, describeError, EXIT, type ExitCode } from "./_errors.ts";
import { isStdio, openInput } from "./_files.ts";
import { resolveModel } from "./_model.ts";
import { addBlockSizeOption, addModelOptions, type ModelOptions } from "./_options.ts";
import { effectiveWorkers } from "./_parse.ts";
import { startProgress } from "./_progress.ts";

/** The options of `megazip score`, as commander parses them. */
export interface ScoreCommandOptions extends ModelOptions {
  /** `--json`. */
  json?: boolean;
  /** `--block-size`. */
  blockSize?: number;
}

/** One file's line of the report. */
export interface ScoreLine extends ScoreResult {
  /** The path, or "-" for stdin. */
  file: string;
}

/** The whole report, as `--json` prints it. */
export interface ScoreReport {
  /** One entry per file, in the order given. */
  files: ScoreLine[];
  /** The sums over all files (bitsPerByte = bits / bytes; 0 when there are no bytes). */
  total: { bytes: number; bits: number; bitsPerByte: number; payloadBits: number };
}

/** Reads a whole file, or stdin for "-" (opened as every subcommand opens its inputs). */
async function readAll(name: string): Promise<Uint8Array> {
  const input = await openInput(name, "score");
  return new Uint8Array(await new Response(input.readable).arrayBuffer());
}

/** Formats the report as an aligned table. */
export function formatScoreTable(report: ScoreReport): string {
  const rows = [
    ...report.files.map((line) => [line.file, line.bytes, line.bits, line.bitsPerByte] as const),
    ["total", report.total.bytes, report.total.bits, report.total.bitsPerByte] as const,
  ].map(([file, bytes, bits, bpb]) => [String(bytes), String(bits), bpb.toFixed(4), file]);
  const header = ["bytes", "bits", "bpb", "file"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (cells: string[]) =>
    cells.map((cell, i) => i === cells.length - 1 ? cell : cell.padStart(widths[i]!)).join("  ");
  return [format(header), ...rows.map(format)].join("\n");
}

/**
 * Scores `files` and prints the table (or JSON) on stdout.
 *
 * @param files The paths ("-" for stdin).
 * @param options The parsed options.
 * @returns The exit code.
 */
export async function scoreFiles(files: string[], options: ScoreCommandOptions): Promise<ExitCode> {
  if (files.filter((f) => isStdio(f)).length > 1) {
    throw new CliError("stdin can be read only once", EXIT.usage);
  }
  const model = await resolveModel(options.model);
  const workers = effectiveWorkers(options.workers, model !== null);
  const lines: ScoreLine[] = [];
  for (const file of files) {
    try {
      const bytes = await readAll(file);
      const progress = startProgress(`scoring ${file}`, bytes.length);
      try {
        const result = await score(bytes, {
          model,
          workers,
          onProgress: (n) => progress.update(n),
          ...(options.blockSize !== undefined ? { blockSize: options.blockSize } : {}),
        });
        lines.push({ file, ...result });
      } finally {
        progress.stop();
      }
    } catch (error) {
      const { message, exitCode } = describeError(error, "score", file);
      throw new CliError(message, exitCode);
    }
  }
  const bytes = lines.reduce((sum, line) => sum + line.bytes, 0);
  const bits = lines.reduce((sum, line) => sum + line.bits, 0);
  const payloadBits = lines.reduce((sum, line) => sum + line.payloadBits, 0);
  const report: ScoreReport = {
    files: lines,
    total: { bytes, bits, bitsPerByte: bytes > 0 ? bits / bytes : 0, payloadBits },
  };
  const text = options.json ? JSON.stringify(report, null, 2) : formatScoreTable(report);
  console.log(text);
  return EXIT.ok;
}

/**
 * Builds the `score` subcommand.
 *
 * @param run Called with the exit code once the action is done.
 * @returns The commander command.
 */
export function scoreCommand(run: (code: ExitCode) => void): Command {
  const command = new Command("score")
    .summary("print bits per byte of each FILE and in total (--json)")
    .description(
      "Print the exact compressed size of each FILE in bits per byte, and the total.\n" +
        "Bits count the whole archive (header, framing, checksums): bits = 8 × archive " +
        "size.",
    )
    .argument("<files...>", "files to score; - reads stdin")
    .addOption(new Option("--json", "print JSON for scripts: { files: [...], total: {...} }"));
  addBlockSizeOption(command);
  addModelOptions(command);
  command.action(async (files: string[], options: ScoreCommandOptions) => {
    run(await scoreFiles(files, options));
  });
  return command;
}
