/**
 * `megazip info ARCHIVE`: the header and blocks of an archive (format, model, sizes, methods).
 *
 * @module
 */
import { Command, Option } from "commander";
import { type ArchiveInfo, inspectArchive } from "./_codec.ts";
import { CliError, describeError, EXIT, type ExitCode, printError } from "./_errors.ts";
import { openInput } from "./_files.ts";
import { resolveModel } from "./_model.ts";
import { addModelOptions, type ModelOptions } from "./_options.ts";
import { effectiveWorkers } from "./_parse.ts";

/** The options of `megazip info`, as commander parses them. */
export interface InfoCommandOptions extends ModelOptions {
  /** `--json`. */
  json?: boolean;
  /** `--no-verify` sets it false: list the blocks without decoding them. */
  verify: boolean;
}

/** What `info --json` prints: the codec's {@link ArchiveInfo} plus the file and its size. */
export interface InfoReport extends ArchiveInfo {
  /** The archive's path, or "-" for stdin. */
  file: string;
  /** The archive's size in bytes. */
  archiveBytes: number;
  /**
   * Whether every checksum was checked: false with `--no-verify`, or when neural or mix blocks could
   * not be decoded for want of the archive's model. `checksumOk` means something only when true.
   */
  checksumChecked: boolean;
}

/** Lower-case hex of some bytes. */
function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Formats the report as text for people. */
export function formatInfo(report: InfoReport): string {
  const bpb = (coded: number, raw: number) => raw > 0 ? (8 * coded / raw).toFixed(3) : "-";
  const model = report.modelHash === ""
    ? "none"
    : `${report.modelName || "(unnamed)"} ${report.modelHash}`;
  const lines = [
    `archive       ${report.file}`,
    `format        version ${report.formatVersion}`,
    `model         ${model}`,
    `block size    ${report.blockSize} bytes`,
    `content       ${report.contentSize} bytes`,
    `archive size  ${report.archiveBytes} bytes (${
      bpb(report.archiveBytes, report.contentSize)
    } bits per byte)`,
    `checksum      ${
      !report.checksumChecked ? "not checked" : report.checksumOk ? "ok" : "MISMATCH"
    }`,
    `blocks        ${report.blocks.length}`,
  ];
  if (report.blocks.length > 0) {
    const rows = report.blocks.map((b) => [
      String(b.index),
      b.method,
      String(b.rawSize),
      String(b.codedSize),
      String(b.segments),
      bpb(b.codedSize, b.rawSize),
    ]);
    const header = ["block", "method", "raw", "coded", "segments", "bpb"];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const format = (cells: string[]) =>
      "  " + cells.map((c, i) => i === 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)).join(
        "  ",
      );
    lines.push(format(header), ...rows.map(format));
  }
  return lines.join("\n");
}

/**
 * Inspects one archive and prints its report on stdout.
 *
 * @param file The archive path, or "-" / undefined for stdin.
 * @param options The parsed options.
 * @returns The exit code: 1 when the content checksum does not verify.
 */
export async function infoFile(
  file: string | undefined,
  options: InfoCommandOptions,
): Promise<ExitCode> {
  const name = file ?? "-";
  if (name === "-" && Deno.stdin.isTerminal()) {
    throw new CliError("no input: give an ARCHIVE or pipe one into stdin", EXIT.usage);
  }
  const model = await resolveModel(options.model);
  const workers = effectiveWorkers(options.workers);
  let report: InfoReport;
  try {
    const input = await openInput(file, "inspect");
    let archiveBytes = 0;
    const counted = input.readable.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          archiveBytes += chunk.length;
          controller.enqueue(chunk);
        },
      }),
    );
    const info = await inspectArchive(counted, { model, workers, verify: options.verify });
    // Whatever inspectArchive left unread still counts towards the archive's size.
    if (input.size !== null) archiveBytes = input.size;
    const modelOk = model !== null && toHex(model.hash) === info.modelHash;
    const checksumChecked = options.verify &&
      (modelOk ||
        info.blocks.every((block) => block.method !== "neural" && block.method !== "mix"));
    report = { file: name, archiveBytes, ...info, checksumChecked };
  } catch (error) {
    const { message, exitCode } = describeError(error, "inspect", subjectOf(name));
    throw new CliError(message, exitCode);
  }
  console.log(options.json ? JSON.stringify(report, null, 2) : formatInfo(report));
  if (report.checksumChecked && !report.checksumOk) {
    printError(`${subjectOf(name)}: content checksum mismatch`);
    return EXIT.badInput;
  }
  return EXIT.ok;
}

/** The name of an input for messages. */
function subjectOf(name: string): string {
  return name === "-" ? "stdin" : name;
}

/**
 * Builds the `info` subcommand.
 *
 * @param run Called with the exit code once the action is done.
 * @returns The commander command.
 */
export function infoCommand(run: (code: ExitCode) => void): Command {
  const command = new Command("info")
    .summary("print an archive's header and blocks (--json)")
    .description(
      "Print an archive's header and blocks: format, model, sizes and methods.\n" +
        "Blocks are decoded to check their checksums (exit 1 on a mismatch) unless --no-verify.",
    )
    .argument("[archive]", "the archive; none or - reads stdin")
    .addOption(new Option("--json", "print JSON for scripts (the codec's ArchiveInfo + file size)"))
    .addOption(new Option("--no-verify", "list the blocks without decoding them (fast)"));
  addModelOptions(command);
  command.action(async (file: string | undefined, options: InfoCommandOptions) => {
    run(await infoFile(file, options));
  });
  return command;
}
