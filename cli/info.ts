/**
 * `megazip info FILE`: the header and blocks of an archive (format, model, sizes, methods), and
 * the config of its model when that model is at hand; or, for a model file (`.mgb`), its version,
 * identity, config, sizes, storage and training metadata.
 *
 * @module
 */
import { Command, Option } from "commander";
import { hashTables, matchTable, type MegabyteConfig } from "../lib/model/config.ts";
import { flopsPerByte, paramCount } from "../lib/model/flops.ts";
import {
  type ArchiveInfo,
  concatBytes,
  hasModelMagic,
  inspectArchive,
  type ModelFile,
  ModelFileError,
  readModelFile,
} from "./_codec.ts";
import {
  CliError,
  codecDetail,
  describeError,
  EXIT,
  type ExitCode,
  printError,
} from "./_errors.ts";
import { openInput } from "./_files.ts";
import { bitsPerByte, countBytes } from "./_measure.ts";
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
  /** Its match row (minimum length k, the table's rows), or null without (`lib/model/match.ts`). */
  matchRow: { length: number; rows: number; parameters: number } | null;
}

/** The {@link ModelSummary} of a model file. */
export function summarizeModel(model: ModelFile): ModelSummary {
  const { orders, rows } = hashTables(model.config);
  const match = matchTable(model.config);
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
    matchRow: match.length === 0
      ? null
      : { length: match.length, rows: match.rows, parameters: params.match },
  };
}

/**
 * What `info --json` prints: the codec's {@link ArchiveInfo} plus the file, its size and, when
 * the model at hand is the archive's, that model's sizes.
 */
export interface InfoReport extends ArchiveInfo {
  /** What the file is: an archive (the other kind is {@link ModelInfoReport}). */
  kind: "archive";
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

/** The tensors of a model file stored in one dtype. */
export interface DtypeShare {
  /** How many tensors. */
  tensors: number;
  /** How many values they hold. */
  parameters: number;
}

/** What `info --json` prints for a model file. */
export interface ModelInfoReport extends ModelSummary {
  /** What the file is: a model file (`lib/model/FORMAT.md`). */
  kind: "model";
  /** The model file's path, or "-" for stdin. */
  file: string;
  /** Its size in bytes. */
  fileBytes: number;
  /** Its `Format_Version`. */
  formatVersion: number;
  /** Its name (`Model_Name`). */
  name: string;
  /** SHA-256 of the whole file, lower-case hex: the identity archives record. */
  hash: string;
  /** Forward FLOPs per byte (`flopsPerByte`). */
  flopsPerByte: number;
  /** The tensors by stored dtype (`float32`, `float16`, `int8`, `int4`). */
  storage: Record<string, DtypeShare>;
  /** The training metadata it carries; `validBpb` is null when it was not measured. */
  training: { data: string; steps: number; bytesSeen: number; validBpb: number | null };
}

/** The {@link ModelInfoReport} of a model file read from `file`. */
export function describeModelFile(file: string, model: ModelFile): ModelInfoReport {
  const storage: Record<string, DtypeShare> = {};
  for (const [name, dtype] of model.storage?.dtypes ?? []) {
    const share = storage[dtype] ??= { tensors: 0, parameters: 0 };
    share.tensors++;
    share.parameters += model.tensors.get(name)!.shape.reduce((a, b) => a * b, 1);
  }
  const { data, steps, bytesSeen, validBpb } = model.metadata;
  return {
    kind: "model",
    file,
    fileBytes: model.storage?.fileSize ?? 0,
    formatVersion: model.storage?.formatVersion ?? 0,
    name: model.name,
    hash: toHex(model.hash),
    ...summarizeModel(model),
    flopsPerByte: flopsPerByte(model.config),
    storage,
    training: { data, steps, bytesSeen, validBpb: Number.isNaN(validBpb) ? null : validBpb },
  };
}

/** Formats a model file's report as text for people. */
export function formatModelInfo(report: ModelInfoReport): string {
  const t = report.training;
  return [
    `model file    ${report.file}`,
    `format        model file version ${report.formatVersion}`,
    `name          ${report.name}`,
    `identity      sha256 ${report.hash}`,
    `size          ${report.fileBytes} bytes`,
    ...modelLines(report),
    `FLOPs/byte    ${report.flopsPerByte} (forward)`,
    `storage       ${
      Object.entries(report.storage).map(([dtype, s]) =>
        `${dtype} ${s.tensors} tensors (${s.parameters} values)`
      ).join(", ")
    }`,
    `trained on    ${t.data || "(not recorded)"}`,
    `steps         ${t.steps}, ${t.bytesSeen} bytes seen`,
    `valid bpb     ${t.validBpb === null ? "not measured" : t.validBpb.toFixed(4)}`,
  ].join("\n");
}

/**
 * The first bytes of a stream, and a stream that still yields all of it.
 *
 * @param readable The input.
 * @param n How many bytes to look at (fewer when the input is shorter).
 */
async function peek(
  readable: ReadableStream<Uint8Array>,
  n: number,
): Promise<{ head: Uint8Array; readable: ReadableStream<Uint8Array> }> {
  const reader = readable.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  let done = false;
  while (length < n && !done) {
    const next = await reader.read();
    if (next.done) done = true;
    else if (next.value.length > 0) {
      chunks.push(next.value);
      length += next.value.length;
    }
  }
  const head = concatBytes(chunks).subarray(0, n);
  const whole = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      if (done) controller.close();
    },
    async pull(controller) {
      const next = await reader.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return { head, readable: whole };
}

/** Reads a whole stream into memory, refusing more than `limit` bytes. */
async function readAll(readable: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of readable) {
    length += chunk.length;
    if (length > limit) {
      throw new ModelFileError(`over ${limit} bytes: exceeds the 1 GiB limit`, 0, "Model_File");
    }
    chunks.push(chunk);
  }
  return concatBytes(chunks);
}

/** Lower-case hex of some bytes. */
function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Formats the report as text for people. */
export function formatInfo(report: InfoReport): string {
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
      bitsPerByte(report.archiveBytes, report.contentSize)
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
      bitsPerByte(b.codedSize, b.rawSize),
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
  const m = model.matchRow;
  if (m !== null) {
    lines.push(
      `match row     k ${m.length} (lengths ${m.length}..32), ${m.rows} rows, ${m.parameters} parameters`,
    );
  }
  return lines;
}

/**
 * Inspects one archive, or one model file, and prints its report on stdout.
 *
 * @param file The archive or model file path, or "-" / undefined for stdin.
 * @param options The parsed options (a model file ignores the model and verify options).
 * @returns The exit code: 1 when an archive's content checksum does not verify.
 */
export async function infoFile(
  file: string | undefined,
  options: InfoCommandOptions,
): Promise<ExitCode> {
  const name = file ?? "-";
  if (name === "-" && Deno.stdin.isTerminal()) {
    throw new CliError("no input: give a FILE or pipe one into stdin", EXIT.usage);
  }
  let modelReport: ModelInfoReport | null = null;
  let size: number | null = null;
  let stream: ReadableStream<Uint8Array>;
  try {
    const input = await openInput(file, "inspect");
    size = input.size;
    const peeked = await peek(input.readable, 8);
    stream = peeked.readable;
    if (hasModelMagic(peeked.head)) {
      modelReport = describeModelFile(name, readModelFile(await readAll(stream, MAX_MODEL_FILE)));
    }
  } catch (error) {
    if (error instanceof ModelFileError) {
      throw new CliError(`cannot inspect ${subjectOf(name)}: ${codecDetail(error)}`, EXIT.model);
    }
    const { message, exitCode } = describeError(error, "inspect", subjectOf(name));
    throw new CliError(message, exitCode);
  }
  if (modelReport !== null) {
    console.log(options.json ? JSON.stringify(modelReport, null, 2) : formatModelInfo(modelReport));
    return EXIT.ok;
  }
  const model = await resolveModel(options.model);
  const archive = await inspect(name, size, stream, model, options);
  console.log(options.json ? JSON.stringify(archive, null, 2) : formatInfo(archive));
  if (archive.checksumChecked && !archive.checksumOk) {
    // Worded as decompressing and -t word it: the first damaged block, else the whole content.
    const bad = archive.blocks.find((block) => block.checksumOk === false);
    const what = bad === undefined ? "content checksum" : `block ${bad.index}: checksum`;
    printError(`${subjectOf(name)}: ${what} mismatch`);
    return EXIT.badInput;
  }
  return EXIT.ok;
}

/** A model file's size limit (lib/model/FORMAT.md): 1 GiB. */
const MAX_MODEL_FILE = 1024 * 1024 * 1024;

/** The {@link InfoReport} of one archive's stream. */
async function inspect(
  name: string,
  size: number | null,
  readable: ReadableStream<Uint8Array>,
  model: ModelFile | null,
  options: InfoCommandOptions,
): Promise<InfoReport> {
  const workers = effectiveWorkers(options.workers, model !== null);
  try {
    let archiveBytes = 0;
    const counted = readable.pipeThrough(countBytes((n) => archiveBytes = n));
    const info = await inspectArchive(counted, { model, workers, verify: options.verify });
    // Whatever inspectArchive left unread still counts towards the archive's size.
    if (size !== null) archiveBytes = size;
    const modelOk = model !== null && toHex(model.hash) === info.modelHash;
    const checksumChecked = options.verify &&
      (modelOk ||
        info.blocks.every((block) => block.method === "stored" || block.method === "cm"));
    const report: InfoReport = {
      kind: "archive",
      file: name,
      archiveBytes,
      ...info,
      checksumChecked,
    };
    if (modelOk) report.model = summarizeModel(model);
    return report;
  } catch (error) {
    const { message, exitCode } = describeError(error, "inspect", subjectOf(name));
    throw new CliError(message, exitCode);
  }
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
    .summary("print an archive's header and blocks, or a model file's contents (--json)")
    .description(
      "Print an archive's header and blocks: format, model, sizes and methods, and the model's " +
        "config (hash tables included) when the model at hand is the archive's. Blocks are " +
        "decoded to check their checksums (exit 1 on a mismatch) unless --no-verify.\n" +
        "Given a model file (.mgb), print its version, identity, config, storage and training.",
    )
    .argument("[file]", "the archive or model file; none or - reads stdin")
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
