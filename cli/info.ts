/**
 * `megazip info ARCHIVE`: the header and blocks of an archive (format, model, sizes, methods),
 * and the config of its model when that model is at hand.
 *
 * @module
 */
import { Command, Option } from "commander";
import { hashTables, type MegabyteConfig } from "../lib/model/config.ts";
import { paramCount } from "../lib/model/flops.ts";
import { type ArchiveInfo, inspectArchive, type ModelFile } from "./_codec.ts";
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

/** The sizes of an archive's model, from its model file. */
export interface ModelSummary {
  /** Its config as the file gives it: `hashOrders` and `hashRows` only when it has tables. */
  config: MegabyteConfig;
  /** Its parameters, all of them (`paramCount(config).total`). */
  parameters: number;
  /** Its hashed n-gram tables (H of them, orders 2..H+1, R rows each), or null without. */
  hashTables: { count: number; orders: number[]; rows: number; parameters: number } | null;
}

/** The {@link ModelSummary} of a model file. */
export function summarizeModel(model: ModelFile): ModelSummary {
  const { orders, rows } = hashTables(model.config);
  const params = paramCount(model.config);
  return {
    config: model.config,
    parameters: params.total,
    hashTables: orders === 0 ? null : {
      count: orders,
      orders: Array.from({ length: orders }, (_, i) => i + 2),
      rows,
      parameters: params.hash,
    },
  };
}

/**
 * What `info --json` prints: the codec's {@link ArchiveInfo} plus the file, its size and, when
 * the model at hand is the archive's, that model's sizes.
 */
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
  /**
   * The archive's model's sizes, when the model given (`--model`, `$MEGAZIP_MODEL` or the shipped
   * one) is the archive's; absent otherwise (the archive itself holds only its name and hash).
   */
  model?: ModelSummary;
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
    ...(report.model === undefined ? [] : modelLines(report.model)),
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

/** The text lines of a model's sizes, under the `model` line. */
function modelLines(model: ModelSummary): string[] {
  const c = model.config;
  const lines = [
    `model config  P ${c.patchSize}, DG ${c.globalDim}, global ${c.globalLayers} layers × ${c.globalHeads} heads, ` +
    `DL ${c.localDim}, local ${c.localLayers} layers × ${c.localHeads} heads, T ${c.context}, MLP ×${c.mlpRatio}`,
    `parameters    ${model.parameters}`,
  ];
  const h = model.hashTables;
  if (h !== null) {
    lines.push(
      `hash tables   H ${h.count} (orders ${h.orders[0]}..${
        h.orders.at(-1)
      }), ${h.rows} rows each, ` +
        `${h.parameters} parameters`,
    );
  }
  return lines;
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
    if (modelOk) report.model = summarizeModel(model);
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
      "Print an archive's header and blocks: format, model, sizes and methods, and the model's\n" +
        "config (hash tables included) when the model at hand is the archive's.\n" +
        "Blocks are decoded to check their checksums (exit 1 on a mismatch) unless --no-verify.",
    )
    .argument("[archive]", "the archive; none or - reads stdin")
    .addOption(
      new Option(
        "--json",
        "print JSON for scripts (the codec's ArchiveInfo + file size, model sizes)",
      ),
    )
    .addOption(new Option("--no-verify", "list the blocks without decoding them (fast)"));
  addModelOptions(command);
  command.action(async (file: string | undefined, options: InfoCommandOptions) => {
    run(await infoFile(file, options));
  });
  return command;
}
