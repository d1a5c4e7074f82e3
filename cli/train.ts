/**
 * `megazip train`: train a MEGABYTE model, continue a run, or export a run's checkpoint as a
 * model file (with the engine fixture beside it).
 *
 * ```sh
 * deno task train --config tiny --steps 2000 --out runs/tiny     # new run
 * deno task train --resume runs/tiny --max-seconds 540           # continue, stop in time
 * deno task train --resume runs/tiny --export models/tiny.mgb    # finish (if needed), export
 * # warmup-stable-decay: prolong a stable run, decay a copy of it for a model file
 * deno task train --config tiny --schedule wsd --decay-steps 0 --steps 2000 --out runs/st
 * deno task train --resume runs/st --steps 4000                  # still at the peak
 * cp -r runs/st runs/st-decay
 * deno task train --resume runs/st-decay --steps 4400 --decay-steps 400 --export models/st.mgb
 * ```
 *
 * Runnable on its own (`deno task train`, which grants read, write and `xz` only) or as the
 * `train` subcommand of `cli/main.ts`.
 *
 * @module
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { type MegabyteConfig, sameConfig, validateConfig } from "../lib/model/config.ts";
import { loadModel } from "../lib/model/model_file_read.ts";
import { LEVELS } from "../lib/model/configs.ts";
import { defaultFixturePath, exportModel, type ExportResult } from "../lib/train/export.ts";
import { loadCheckpoint } from "../lib/train/checkpoint.ts";
import { type ScheduleName, SCHEDULES } from "../lib/train/schedule.ts";
import { checkMixWeights } from "../lib/train/mixture_loss.ts";
import { train, type TrainOptions, type TrainResult } from "../lib/train/train.ts";
import {
  TRAIN_BACKENDS,
  type TrainBackendName,
  useTrainBackend,
} from "../lib/train/train_backend.ts";
import { CliError, EXIT, oneLine, printError } from "./_errors.ts";

/** The options of `megazip train`, as commander parses them. */
export interface TrainCommandOptions {
  /** `--config LEVEL`. */
  config?: string;
  /** `--data PATH...`. */
  data?: string[];
  /** `--valid PATH...`. */
  valid?: string[];
  /** `--steps N`. */
  steps?: number;
  /** `--batch N`. */
  batch?: number;
  /** `--crlf FRACTION`. */
  crlf?: number;
  /** `--lr X`. */
  lr?: number;
  /** `--ngram-lr-scale X`. */
  ngramLrScale?: number;
  /** `--ngram-dropout P`. */
  ngramDropout?: number;
  /** `--ngram-weight-decay W`. */
  ngramWeightDecay?: number;
  /** `--match-history BYTES`. */
  matchHistory?: number;
  /** `--valid-history BYTES`. */
  validHistory?: number;
  /** `--mix-loss DIR`. */
  mixLoss?: string;
  /** `--mix-weights LIST`. */
  mixWeights?: number[];
  /** `--seed N`. */
  seed?: number;
  /** `--eval-every N`. */
  evalEvery?: number;
  /** `--valid-windows N`. */
  validWindows?: number;
  /** `--backend NAME`. */
  backend: TrainBackendName;
  /** `--init FILE`. */
  init?: string;
  /** `--warmup N`. */
  warmup?: number;
  /** `--schedule NAME`. */
  schedule?: ScheduleName;
  /** `--decay-steps N`. */
  decaySteps?: number;
  /** `--out DIR`. */
  out?: string;
  /** `--resume DIR`. */
  resume?: string;
  /** `--max-seconds S`. */
  maxSeconds?: number;
  /** `--stop-at STEP`. */
  stopAt?: number;
  /** `--export FILE`. */
  export?: string;
  /** `--name NAME`. */
  name?: string;
  /** `-f, --force`: overwrite an existing `--export` file and its fixture. */
  force?: boolean;
  /** `--table-dtype int8|int4`. */
  tableDtype?: "int8" | "int4";
  /** `--json`. */
  json?: boolean;
}

/** What `megazip train --json` prints. */
export interface TrainReport {
  /** The training part, or null when the run had nothing left to do. */
  train: TrainResult | null;
  /** The export, or null without `--export`. */
  export: ExportResult | null;
}

const DEFAULT_LEVEL = "tiny";
const SHARED = new URL("../../shared/corpora/", import.meta.url);

function positiveInt(text: string): number {
  if (!/^\s*\d+\s*$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new InvalidArgumentError("expected a whole number, at least 1");
  }
  return Number(text);
}

function naturalInt(text: string): number {
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new InvalidArgumentError("expected a whole number, at least 0");
  }
  return Number(text);
}

function positiveNumber(text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError("expected a number above 0");
  }
  return value;
}

function fraction(text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !(value >= 0 && value <= 1)) {
    throw new InvalidArgumentError("expected a fraction from 0 to 1");
  }
  return value;
}

function dropout(text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !(value >= 0 && value < 1)) {
    throw new InvalidArgumentError("expected a probability from 0 to below 1");
  }
  return value;
}

function nonNegativeNumber(text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError("expected a number, at least 0");
  }
  return value;
}

/** `--data a --data b,c` gives [a, b, c]. */
function pathList(text: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...text.split(",").filter((p) => p !== "")];
}

function mixWeights(text: string): number[] {
  const values = text.split(",").map(Number);
  try {
    checkMixWeights(values);
  } catch {
    throw new InvalidArgumentError("expected ten comma-separated weights, each from 0 to below 1");
  }
  return values;
}

function mixLossOption(options: TrainCommandOptions): TrainOptions["mixLoss"] {
  if (options.mixLoss === undefined) {
    if (options.mixWeights !== undefined) {
      throw new CliError("cannot train: --mix-weights needs --mix-loss DIR", EXIT.usage);
    }
    return undefined;
  }
  return { cmTargets: options.mixLoss, weights: options.mixWeights };
}

/** The training corpus by default: the decompressed copies in data/ if there, else the .xz files. */
async function defaultData(): Promise<string[]> {
  const local = decodeURIComponent(new URL("../data", import.meta.url).pathname);
  try {
    for await (const entry of Deno.readDir(local)) if (entry.isFile) return [local];
  } catch {
    // No data/ folder.
  }
  return [decodeURIComponent(new URL("train", SHARED).pathname)];
}

/** Refuses an existing `--export` file, or its fixture, without `--force`: before any training. */
async function checkExportTarget(path: string): Promise<void> {
  for (const target of [path, defaultFixturePath(path)]) {
    try {
      await Deno.lstat(target);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw new CliError(`cannot export to ${path}: ${oneLine(error)}`, classify(error));
    }
    throw new CliError(
      `cannot export to ${path}: ${target} exists (use -f to overwrite)`,
      EXIT.fileSystem,
    );
  }
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

/** A level name of lib/model/configs.ts, or a config as inline JSON (named "custom"). */
function resolveConfig(text: string): { name: string; config: MegabyteConfig } {
  if (text.trimStart().startsWith("{")) {
    let config: MegabyteConfig;
    try {
      config = JSON.parse(text);
      validateConfig(config);
    } catch (error) {
      throw new CliError(`cannot train: bad --config JSON: ${oneLine(error)}`, EXIT.usage);
    }
    return { name: "custom", config };
  }
  if (!Object.hasOwn(LEVELS, text)) {
    throw new CliError(
      `cannot train: unknown --config ${text} (levels: ${
        Object.keys(LEVELS).join(", ")
      }, or a JSON config)`,
      EXIT.usage,
    );
  }
  return { name: text, config: LEVELS[text] };
}

/** The config of `--init`'s model file, named after the level it equals ("custom" if none). */
async function initConfig(path: string): Promise<{ name: string; config: MegabyteConfig }> {
  let config: MegabyteConfig;
  try {
    config = (await loadModel(path)).config;
  } catch (error) {
    throw new CliError(
      `cannot train: cannot read --init ${path}: ${oneLine(error)}`,
      EXIT.badInput,
    );
  }
  // sameConfig, not the nine fields alone: local4 and local4hash differ only in their tables.
  const name = Object.keys(LEVELS).find((level) => sameConfig(LEVELS[level], config)) ?? "custom";
  return { name, config };
}

/**
 * Runs `megazip train` with parsed options and prints its report on stdout.
 *
 * @param options The parsed options.
 * @returns The report (also printed).
 */
export async function runTrain(options: TrainCommandOptions): Promise<TrainReport> {
  // 1) What to do: a new run, a resumed one, and/or an export.
  if (options.resume !== undefined && options.out !== undefined) {
    throw new CliError(
      "cannot train: use either --out (new run) or --resume (existing run)",
      EXIT.usage,
    );
  }
  if (options.resume !== undefined) {
    const fixed = ([
      "config",
      "batch",
      "crlf",
      "lr",
      "ngramLrScale",
      "ngramDropout",
      "ngramWeightDecay",
      "matchHistory",
      "validHistory",
      "mixLoss",
      "mixWeights",
      "warmup",
      "schedule",
      "seed",
      "evalEvery",
      "validWindows",
      "init",
    ] as const)
      .filter((key) => options[key] !== undefined);
    if (fixed.length > 0) {
      const flag = fixed[0].replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      throw new CliError(`cannot resume: --${flag} is fixed by the run's checkpoint`, EXIT.usage);
    }
  }
  const mixLoss = mixLossOption(options);
  if (options.export !== undefined && !options.force) await checkExportTarget(options.export);
  const model = options.resume !== undefined
    ? undefined
    : options.config === undefined && options.init !== undefined
    ? await initConfig(options.init)
    : resolveConfig(options.config ?? DEFAULT_LEVEL);
  const level = model?.name ?? "";
  let runDir = options.resume?.replace(/\/+$/, "").replace(/\/ckpt$/, "");
  let needTraining = true;
  if (runDir !== undefined) {
    if (!(await isDir(`${runDir}/ckpt`))) {
      throw new CliError(
        `cannot resume ${runDir}: no checkpoint there (expected ${runDir}/ckpt/)`,
        EXIT.fileSystem,
      );
    }
    const ckpt = await loadCheckpoint(`${runDir}/ckpt`).catch((error) => {
      throw new CliError(`cannot resume ${runDir}: ${oneLine(error)}`, EXIT.badInput);
    });
    if (options.steps !== undefined && options.steps < ckpt.step) {
      throw new CliError(
        `cannot resume ${runDir} with --steps ${options.steps}: it has taken ${ckpt.step} steps`,
        EXIT.usage,
      );
    }
    const steps = options.steps ?? ckpt.settings.steps;
    needTraining = ckpt.step < steps &&
      (options.stopAt === undefined || ckpt.step < options.stopAt);
    if (!needTraining && !options.json) {
      console.log(`${runDir}: step ${ckpt.step}/${steps}, no step to take`);
    }
  }

  // 2) Train.
  let trained: TrainResult | null = null;
  if (needTraining) {
    try {
      await useTrainBackend(options.backend);
    } catch (error) {
      throw new CliError(`cannot train: ${oneLine(error)}`, EXIT.usage);
    }
    runDir ??= options.out ??
      `runs/${level}-${new Date().toISOString().replace(/[-:]/g, "").slice(0, 15)}`;
    try {
      trained = await train({
        config: model,
        data: options.data ?? (options.resume === undefined ? await defaultData() : undefined),
        valid: options.valid ??
          (options.resume === undefined
            ? [decodeURIComponent(new URL("valid", SHARED).pathname)]
            : undefined),
        out: options.resume === undefined ? runDir : undefined,
        resume: options.resume,
        steps: options.steps,
        batch: options.batch,
        crlf: options.crlf,
        lr: options.lr,
        ngramLrScale: options.ngramLrScale,
        ngramDropout: options.ngramDropout,
        ngramWeightDecay: options.ngramWeightDecay,
        matchHistory: options.matchHistory,
        validHistory: options.validHistory,
        mixLoss,
        warmupSteps: options.warmup,
        schedule: options.schedule,
        decaySteps: options.decaySteps,
        init: options.init,
        seed: options.seed,
        evalEvery: options.evalEvery,
        validWindows: options.validWindows,
        maxSeconds: options.maxSeconds,
        stopAt: options.stopAt,
        backendName: options.backend,
      });
    } catch (error) {
      throw new CliError(`cannot train ${runDir}: ${oneLine(error)}`, classify(error));
    }
    if (!options.json) console.log(trainLine(trained));
  }

  // 3) Export.
  let exported: ExportResult | null = null;
  if (options.export !== undefined) {
    try {
      await useTrainBackend(options.backend);
      exported = await exportModel(runDir!, options.export, {
        name: options.name,
        tableDtype: options.tableDtype,
      });
    } catch (error) {
      throw new CliError(
        `cannot export ${runDir} to ${options.export}: ${oneLine(error)}`,
        classify(error),
      );
    }
    if (!options.json) console.log(exportLine(exported));
  }
  const report = { train: trained, export: exported };
  if (options.json) console.log(JSON.stringify(report, (_k, v) => (Number.isNaN(v) ? null : v), 2));
  return report;
}

/**
 * "runs/x: step 30/30 (finished), 7680 bytes seen, train 5.5451 bpb, valid …; 365 B/s, …", or
 * "runs/x: step 0/30, 0 bytes seen; no step taken; stopped by --max-seconds".
 */
function trainLine(r: TrainResult): string {
  const valid = r.valid === null
    ? ""
    : `, valid ${r.valid.bpb.toFixed(4)} bpb at step ${r.valid.step}`;
  const stopped = r.stoppedBy === "steps"
    ? ""
    : `; stopped by ${r.stoppedBy === "stopAt" ? "--stop-at" : "--max-seconds"}`;
  const head = `${r.runDir}: step ${r.step}/${r.steps}${r.finished ? " (finished)" : ""}, ` +
    `${r.bytesSeen} bytes seen`;
  // A call that took no step (--max-seconds 0, say) has no loss or speed: they are NaN.
  if (Number.isNaN(r.trainBpb)) return `${head}${valid}; no step taken${stopped}`;
  return `${head}, train ${r.trainBpb.toFixed(4)} bpb${valid}; ` +
    `${r.bytesPerSecond.toFixed(0)} B/s, ${(r.tflops * 1000).toFixed(3)} GFLOP/s${stopped}`;
}

/** "m.mgb: model "m", 49184 bytes, step 2000, valid 3.9902 bpb, sha256 …; fixture … (… bpb)". */
function exportLine(e: ExportResult): string {
  const valid = Number.isNaN(e.validBpb) ? "not measured" : `${e.validBpb.toFixed(4)} bpb`;
  const fixture = e.fixturePath === null
    ? ""
    : `; fixture ${e.fixturePath} (${e.fixtureBpb.toFixed(4)} bpb)`;
  return `${e.path}: model "${e.name}", ${e.bytes} bytes, step ${e.step}, valid ${valid}, ` +
    `sha256 ${e.hash}${fixture}`;
}

/** Exit code for a failure of the trainer or the export. */
function classify(error: unknown): (typeof EXIT)[keyof typeof EXIT] {
  if (
    error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied ||
    error instanceof Deno.errors.AlreadyExists || error instanceof Deno.errors.IsADirectory
  ) return EXIT.fileSystem;
  if (error instanceof Deno.errors.NotCapable) return EXIT.usage;
  // e.g. "Cannot decompress x.xz: xz could not be run", caused by a missing --allow-run.
  if (error instanceof Error && error.cause instanceof Deno.errors.NotCapable) return EXIT.usage;
  const text = oneLine(error);
  if (/^cannot (load the corpus|decompress|read the checkpoint|start a run in)/i.test(text)) {
    return EXIT.fileSystem;
  }
  if (/^cannot resume the run: its \w+ data differ/i.test(text)) return EXIT.badInput;
  // A missing targets folder is the file system's; targets of other bytes are bad input.
  if (/^cannot read cm targets/i.test(text)) {
    return error instanceof RangeError ? EXIT.badInput : EXIT.fileSystem;
  }
  if (error instanceof RangeError || error instanceof TypeError) return EXIT.usage;
  return EXIT.internal;
}

/**
 * Builds the `train` subcommand.
 *
 * @returns The command; its action prints the report and throws a CliError on failure.
 */
export function trainCommand(): Command {
  return new Command("train")
    .description(
      "Train a MEGABYTE model (tfjs), continue a run, or export a run as a model file.\n" +
        "A run folder holds log.jsonl, loss.svg and ckpt/ (weights, optimizer state, step, RNG, " +
        "data identity).",
    )
    .addOption(
      new Option(
        "--config <level>",
        `model level of lib/model/configs.ts, or a JSON MegabyteConfig (default: ${DEFAULT_LEVEL})`,
      ),
    )
    .addOption(
      new Option(
        "--data <paths>",
        "training files or folders, comma-separated or repeated; .xz is read with xz -dc " +
          "(default: data/ if it holds files, else ../shared/corpora/train)",
      ).argParser(pathList),
    )
    .addOption(
      new Option(
        "--valid <paths>",
        "validation files or folders, one category per file (default: ../shared/corpora/valid)",
      )
        .argParser(pathList),
    )
    .addOption(
      new Option(
        "--steps <n>",
        "optimizer steps of the whole run (default: 1000); may extend a resumed run",
      ).argParser(positiveInt),
    )
    .addOption(
      new Option("--batch <n>", "windows of one context per step (default: 8)").argParser(
        positiveInt,
      ),
    )
    .addOption(
      new Option(
        "--crlf <fraction>",
        "share of training windows with CRLF line ends, so Windows text is no surprise (default: 0)",
      ).argParser(fraction),
    )
    .addOption(
      new Option("--lr <x>", "peak learning rate (default: 1e-3); the floor is lr/10")
        .argParser(positiveNumber),
    )
    .addOption(
      new Option(
        "--ngram-lr-scale <x>",
        "learning-rate multiplier of the hashed n-gram tables and the match table (a level with " +
          "them, e.g. local4hash), which a model grown from one without them starts at zero (default: 1)",
      ).argParser(positiveNumber),
    )
    .addOption(
      new Option(
        "--match-history <bytes>",
        "bytes of file before each training window that its match row may find repeats in, as the " +
          "codec's mix-long method lets the model see the segment before its window; indexes each " +
          "file once, 4 bytes of memory per byte (default: 0)",
      ).argParser(naturalInt),
    )
    .addOption(
      new Option(
        "--valid-history <bytes>",
        "also validate with the match rows found in up to this many bytes of each validation file " +
          'before the window, logged as "valid-history"; needs whole validation files, not cut ' +
          "windows (default: 0)",
      ).argParser(naturalInt),
    )
    .addOption(
      new Option(
        "--mix-loss <dir>",
        "train with the mixture loss: each byte's cost under a static mix with the codec's cm, whose " +
          "predictions for each training file lie in DIR (models/training/cm_targets.ts writes them); " +
          "the training loss shown is the mix's, validation stays the model's own bits",
      ),
    )
    .addOption(
      new Option(
        "--mix-weights <list>",
        "the mixture loss's ten weights of cm, by cm's confidence bucket and the model's (default: " +
          "those fitted by bench/static_mix.ts, lib/train/mixture_loss.ts)",
      ).argParser(mixWeights),
    )
    .addOption(
      new Option(
        "--ngram-dropout <p>",
        "probability that a training byte's lookup in a hashed n-gram table (or the match table) is dropped, " +
          "so the model does not lean on memorized n-grams (default: 0)",
      ).argParser(dropout),
    )
    .addOption(
      new Option(
        "--ngram-weight-decay <w>",
        "AdamW weight decay of the hashed n-gram tables and the match table, which otherwise get none like every " +
          "embedding: rows few n-grams train shrink back toward zero (default: 0)",
      ).argParser(nonNegativeNumber),
    )
    .addOption(
      new Option(
        "--schedule <name>",
        "learning-rate schedule: cosine (warmup, then cosine to the floor at --steps) or wsd " +
          "(warmup, the peak, then a 1-sqrt decay to the floor over the last --decay-steps of " +
          "--steps); fixed by the checkpoint on resume (default: cosine)",
      ).choices(SCHEDULES),
    )
    .addOption(
      new Option(
        "--decay-steps <n>",
        "wsd: steps of the final decay, the last ones of --steps; 0 keeps the peak (a stable run " +
          "to prolong); allowed on resume (default: steps/5 for a new run, the run's on resume)",
      ).argParser(naturalInt),
    )
    .addOption(
      new Option("--warmup <n>", "warmup steps (default: min(200, steps/10))").argParser(
        naturalInt,
      ),
    )
    .addOption(
      new Option(
        "--init <model.mgb>",
        "start a new run from this model file's weights (fresh optimizer state); with --config, that level may add layers (each starts as the identity)",
      ),
    )
    .addOption(
      new Option("--seed <n>", "seed of the initial weights and the windows (default: 1337)")
        .argParser(naturalInt),
    )
    .addOption(
      new Option(
        "--eval-every <n>",
        "steps between validations and checkpoints (default: min(steps, 250))",
      ).argParser(positiveInt),
    )
    .addOption(
      new Option("--valid-windows <n>", "validation windows per validation file (default: 8)")
        .argParser(positiveInt),
    )
    .addOption(
      new Option(
        "--backend <name>",
        "tfjs backend: webgpu on a GPU (run Deno with --unstable-webgpu), wasm is the fastest on a CPU",
      )
        .choices(TRAIN_BACKENDS).default("cpu"),
    )
    .addOption(new Option("--out <dir>", "folder of a new run (default: runs/LEVEL-TIME)"))
    .addOption(new Option("--resume <dir>", "continue the run in this folder, with its settings"))
    .addOption(
      new Option("--max-seconds <s>", "stop, with a checkpoint, before this much time has passed")
        .argParser(nonNegativeNumber),
    )
    .addOption(
      new Option("--stop-at <step>", "pause the run after this step (checkpoint, resume later)")
        .argParser(naturalInt),
    )
    .addOption(
      new Option(
        "--export <file>",
        "then write the run's checkpoint as a model file (.mgb), and NAME_fixture.json beside it",
      ),
    )
    .addOption(
      new Option("-f, --force", "overwrite an existing --export file and its fixture"),
    )
    .addOption(
      new Option(
        "--name <name>",
        "model name inside the exported file (default: the file's base name)",
      ),
    )
    .addOption(
      new Option(
        "--table-dtype <dtype>",
        "store the exported hashed n-gram tables as int8 or int4 (half the bytes; model file version 3)",
      ).choices(["int8", "int4"]).default("int8"),
    )
    .addOption(new Option("--json", "print the report as JSON"))
    .addHelpText(
      "after",
      `
Examples:
  megazip train --config tiny --steps 2000 --out runs/tiny
  megazip train --resume runs/tiny --max-seconds 540
  megazip train --resume runs/tiny --export tests/fixtures/tiny.mgb -f

Warmup-stable-decay (Hägele et al. 2024): a stable run continues exactly, session after
session (--resume with a larger --steps); a copy of its folder is decayed for a model file
while the stable run is kept:
  megazip train --config tiny --schedule wsd --decay-steps 0 --steps 2000 --out runs/st
  megazip train --resume runs/st --steps 4000
  cp -r runs/st runs/st-decay
  megazip train --resume runs/st-decay --steps 4400 --decay-steps 400 --export st.mgb
(A wsd run started with --decay-steps D > 0 decays over the last D steps of --steps: extend
--steps on resume before the decay begins to keep it stable.)

Progress goes to stderr: a bar on a terminal, a line every few seconds otherwise.`,
    )
    .action(async (options: TrainCommandOptions) => {
      await runTrain(options);
    });
}

if (import.meta.main) {
  const program = trainCommand()
    .name("megazip train")
    .exitOverride()
    .configureOutput({
      // Colour detection reads the environment, which the train task does not grant.
      getOutHasColors: () => false,
      getErrHasColors: () => false,
      outputError: (text, write) =>
        write(`megazip: ${text.replace(/^error:\s*/i, "").replace(/\s*\n\s*/g, " ").trim()}\n`),
    });
  let code: number = EXIT.ok;
  try {
    await program.parseAsync(Deno.args, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) code = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    else if (error instanceof CliError) {
      printError(error.message);
      code = error.exitCode;
    } else {
      printError(`cannot train: internal error: ${oneLine(error)}`);
      code = EXIT.internal;
    }
  }
  Deno.exit(code);
}
