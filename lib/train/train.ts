/**
 * The trainer: one straight loop, one seed (in the spirit of nanoGPT's `train.py`).
 *
 * Each step draws `batch` random windows of `config.context` bytes from the training corpus,
 * takes the mean cross-entropy, clips the gradients to global norm 1.0 and takes an AdamW step
 * (β = (0.9, 0.98), as MEGABYTE's paper) at the learning rate of the schedule (`schedule.ts`:
 * warmup + cosine, or warmup-stable-decay for a run to be prolonged across sessions). Every
 * `evalEvery` steps, and at the end, it measures bits per byte on fixed validation windows, saves
 * a checkpoint (weights, Adam's moments, step, generator state, config, settings, data identity)
 * and redraws the loss curve. A resumed run continues exactly: the same windows, the same
 * numbers.
 *
 * Run folder layout: `log.jsonl` (one JSON record per step, validation and session),
 * `loss.svg`, and `ckpt/` (see `checkpoint.ts`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { MegabyteConfig } from "../model/config.ts";
import {
  CONFIG_FIELDS,
  HASH_FIELDS,
  hashTables,
  MATCH_FIELDS,
  matchTable,
} from "../model/config.ts";
import { FileMatchIndex, matchRowsAfter } from "../model/match.ts";
import { loadModel } from "../model/model_file_read.ts";
import type { ModelFile, ModelTensor } from "../model/model_file_types.ts";
import { flopsPerByte, gramColumns, gramRows, Megabyte } from "../model/megabyte.ts";
import { SEGMENT_SUM_GATHER_GRAD, segmentSumGatherGrad } from "../model/_gradients.ts";
import { isLookupTable, isNgramTable } from "../model/_format.ts";
import "./_cpu_kernels.ts";
import { AdamW } from "./adamw.ts";
import {
  type Checkpoint,
  loadCheckpoint,
  saveCheckpoint,
  type TrainSettings,
  type ValidationResult,
} from "./checkpoint.ts";
import { type Corpus, type CorpusIdentity, corpusIdentity, loadCorpus } from "./corpus.ts";
import { evaluateBpb } from "./evaluate.ts";
import { lossCurveSvg } from "./loss_curve.ts";
import { Progress } from "./progress.ts";
import { Rng } from "./rng.ts";
import { RunLog } from "./run_log.ts";
import { dropMask } from "./ngram_dropout.ts";
import { learningRate, type ScheduleName, SCHEDULES } from "./schedule.ts";
import { type MixBatch, trainStep } from "./step.ts";
import { checkMixWeights, DEFAULT_MIX_WEIGHTS } from "./mixture_loss.ts";
import { cmBatch, type CmTargets, cmTargetsPath, decodeCmTargets } from "./cm_targets.ts";
import {
  sampleWindows,
  type ValidationSet,
  validationStarts,
  validationWindows,
  type WindowOrigin,
} from "./windows.ts";
import { exists } from "./_fs.ts";

export type { TrainSettings, ValidationResult } from "./checkpoint.ts";

/** Options of {@link train}. A new run needs `config`, `data`, `valid` and `out`; a resumed run only `resume`. */
export interface TrainOptions {
  /** The model's sizes; the name is recorded in the checkpoint. Ignored on resume. */
  config?: { name: string; config: MegabyteConfig };
  /** Training corpus: files and folders (`.xz` files are decompressed). On resume: the run's paths. */
  data?: string[];
  /** Validation corpus: files and folders, one category per file. On resume: the run's paths. */
  valid?: string[];
  /**
   * A new run starts from this model file's weights (a warm start: fresh optimizer state, the
   * schedule from step 0) instead of random ones. Its config must equal `config`, but for fewer
   * global or local layers, or fewer hashed n-gram tables (none, or the same rows): the run then
   * grows the file's model, each added block starting as the identity and each added table at
   * zero, so that it starts with the file's function. Ignored on resume.
   */
  init?: string;
  /** Run folder of a new run; must not hold a checkpoint yet. */
  out?: string;
  /** Run folder (or its `ckpt/` folder) to continue. The run's settings come from its checkpoint. */
  resume?: string;
  /** Optimizer steps of the whole run. On resume, may extend the run (changes the schedule from then on). @default {1000} */
  steps?: number;
  /**
   * The learning-rate schedule (`schedule.ts`): "cosine" decays to the floor at `steps`; "wsd"
   * holds the peak until the last `decaySteps` steps. Fixed by the checkpoint on resume (must be
   * left out or equal). @default {"cosine"}
   */
  schedule?: ScheduleName;
  /**
   * wsd only: steps of the final decay, the last ones of `steps` (0: none). On resume, replaces the
   * run's: resume a copy of a stable run with `steps: step + D, decaySteps: D` to decay it.
   * @default {ceil(steps / 5) for a new run (Hägele et al.'s 20%); the run's on resume}
   */
  decaySteps?: number;
  /** Windows per step. @default {8} */
  batch?: number;
  /** Fraction of training windows whose line ends are written CRLF (fixed by the checkpoint). @default {0} */
  crlf?: number;
  /** Peak learning rate. @default {1e-3} */
  lr?: number;
  /** Learning-rate floor. @default {lr / 10} */
  minLr?: number;
  /** Warmup steps. @default {min(200, ceil(steps / 10))} */
  warmupSteps?: number;
  /** AdamW weight decay on matrices. @default {0.1} */
  weightDecay?: number;
  /**
   * Learning-rate multiplier of the hashed n-gram tables (and the match table, `local.match_emb`),
   * for a config with them: tables grown at zero under a model trained on at a low rate would
   * otherwise learn slowly. Fixed by the checkpoint. @default {1}
   */
  ngramLrScale?: number;
  /**
   * Probability that a training byte's lookup in a hashed n-gram table or the match table is
   * dropped (the zero row; `ngram_dropout.ts`), for a config with tables. Fixed by the checkpoint.
   * @default {0}
   */
  ngramDropout?: number;
  /**
   * AdamW weight decay of the hashed n-gram tables and the match table, for a config with them
   * (otherwise, like all embeddings, they get none): pulls rows that few n-grams train back toward
   * zero. Fixed by the checkpoint. @default {0}
   */
  ngramWeightDecay?: number;
  /**
   * For a config with a match row: bytes of the file before each training window that its match
   * rows may find repeats in (`matchRowsAfter`), as the codec's "mix-long" method lets the model's
   * window see the segment before it; 0: the window alone. Fixed by the checkpoint. @default {0}
   */
  matchHistory?: number;
  /**
   * Train with the mixture loss (`mixture_loss.ts`): each byte's cost under a static mix of the
   * model with cm, whose predictions for every training file lie in the folder `cmTargets`
   * (`models/training/cm_targets.ts`), with the ten `weights` (default
   * `DEFAULT_MIX_WEIGHTS`). The training loss logged is the mix's; validation stays the model's
   * own bits. Fixed by the checkpoint.
   */
  mixLoss?: { cmTargets: string; weights?: readonly number[] };
  /**
   * For a config with a match row: also validate with the match rows found in up to this many
   * bytes of each validation file before the window (the rows "mix-long" gives the model), logged
   * as a "valid-history" record beside each "valid" one; 0: not. The validation files must then be
   * whole files, not the cut windows of `models/training/valid_windows.ts` (whose bytes before a
   * window are another window). Fixed by the checkpoint. @default {0}
   */
  validHistory?: number;
  /** Seed of the initial weights and of the windows. @default {1337} */
  seed?: number;
  /** Steps between validations and checkpoints. @default {min(steps, 250)} */
  evalEvery?: number;
  /** Validation windows per validation file. @default {8} */
  validWindows?: number;
  /** Stop (checkpoint and return) before a step that would end later than this many seconds after the call. */
  maxSeconds?: number;
  /** Pause after this step: checkpoint and return, leaving the run to be resumed. */
  stopAt?: number;
  /** Show no progress on stderr. @default {false} */
  quiet?: boolean;
  /** Name of the tfjs backend in use, for the log (the caller sets it up). @default {tf.getBackend()} */
  backendName?: string;
}

/** What {@link train} did. */
export interface TrainResult {
  /** The run folder. */
  runDir: string;
  /** Steps taken by the run so far. */
  step: number;
  /** Steps of the whole run. */
  steps: number;
  /** True when the run reached `steps`. */
  finished: boolean;
  /** Why this call stopped: "steps", "stopAt" or "maxSeconds". */
  stoppedBy: "steps" | "stopAt" | "maxSeconds";
  /** Training bytes seen by the run. */
  bytesSeen: number;
  /** Training loss of the last step, bits per byte (NaN if this call took no step). */
  trainBpb: number;
  /** The latest validation, or null. */
  valid: ValidationResult | null;
  /** Wall-clock seconds of all sessions of the run (corpus loading included). */
  elapsedSeconds: number;
  /** Training bytes per second in this call (steps only, no validation), NaN without steps. */
  bytesPerSecond: number;
  /** Effective training TFLOP/s in this call: 6 × forward FLOPs per byte × bytes per second. */
  tflops: number;
}

/**
 * Trains a MEGABYTE model, or continues a run.
 *
 * @param options What to train and where; see {@link TrainOptions}.
 * @returns Where the run stands.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;

  // 1) Settings, data and the state to start from.
  let resumed: Checkpoint | null = null;
  let initFile: ModelFile | null = null;
  let runDir: string;
  let settings: TrainSettings;
  let config: MegabyteConfig;
  if (options.resume !== undefined) {
    runDir = options.resume.replace(/\/+$/, "").replace(/\/ckpt$/, "");
    resumed = await loadCheckpoint(`${runDir}/ckpt`);
    settings = { ...resumed.settings };
    config = resumed.config;
    if (options.steps !== undefined) {
      if (options.steps < resumed.step) {
        throw new RangeError(
          `Cannot resume with --steps ${options.steps}: the run has already taken ${resumed.step} steps`,
        );
      }
      settings.steps = options.steps;
    }
    const schedule = settings.schedule ?? "cosine";
    if (options.schedule !== undefined && options.schedule !== schedule) {
      throw new RangeError(
        `Cannot resume with the ${options.schedule} schedule: the run's is ${schedule}`,
      );
    }
    if (options.decaySteps !== undefined) {
      if (schedule !== "wsd") {
        throw new RangeError(
          `Cannot resume with decaySteps: the run's schedule is ${schedule} (only wsd has them)`,
        );
      }
      settings.decaySteps = options.decaySteps;
    }
    checkDecaySteps("resume", settings);
  } else {
    if (options.config === undefined || options.out === undefined) {
      throw new TypeError("Cannot start a run: config and out are required (or resume)");
    }
    runDir = options.out.replace(/\/+$/, "");
    if (await exists(`${runDir}/ckpt/state.json`)) {
      throw new Error(
        `Cannot start a run in ${runDir}: it already holds a checkpoint (resume it instead)`,
      );
    }
    config = options.config.config;
    settings = newSettings(options.config.name, options);
    if (options.init !== undefined) {
      initFile = await loadModel(options.init);
      const from = initFile.config;
      const differs = [...CONFIG_FIELDS, ...HASH_FIELDS, ...MATCH_FIELDS].find((key) =>
        field(from, key) !== field(config, key) && !grows(key, from, config)
      );
      if (differs !== undefined) {
        throw new RangeError(
          `Cannot start from ${options.init}: its ${differs} is ${
            field(from, differs)
          }, the run's is ${field(config, differs)}`,
        );
      }
      const sha256 = Array.from(initFile.hash, (b) => b.toString(16).padStart(2, "0")).join("");
      settings.init = { path: options.init, name: initFile.name, sha256 };
    }
  }
  const data = options.data ?? resumed?.paths.data;
  const valid = options.valid ?? resumed?.paths.valid;
  if (data === undefined || valid === undefined) {
    throw new TypeError("Cannot train: the training and validation corpora are required");
  }
  const trainCorpus = await loadCorpus(data);
  const validCorpus = await loadCorpus(valid);
  if (resumed !== null) {
    checkSameData("training", resumed.data, corpusIdentity(trainCorpus));
    checkSameData("validation", resumed.valid, corpusIdentity(validCorpus));
  }
  const cmTargets = settings.mixLoss === undefined
    ? null
    : await loadCmTargets(settings.mixLoss.cmTargets, trainCorpus);
  const T = config.context;
  const validSets = validationWindows(validCorpus, { length: T, perFile: settings.validWindows });
  const historySets = (settings.validHistory ?? 0) > 0
    ? validationHistorySets(validSets, validCorpus, config, settings)
    : [];
  // Every refusal before the folder is made: a failed start must leave no checkpoint behind.
  if (!trainCorpus.files.some((file) => file.bytes.length >= T)) {
    throw new RangeError(`Cannot draw training windows: no corpus file holds ${T} bytes`);
  }
  checkTrainable(config, tf.getBackend());
  await Deno.mkdir(`${runDir}/ckpt`, { recursive: true });

  // 2) Model, optimizer, generator, log.
  const model = new Megabyte(config, { seed: settings.seed });
  const tables = [...model.variables.keys()].filter(isLookupTable);
  const perTable = (value: number | undefined) =>
    new Map(value === undefined ? [] : tables.map((name) => [name, value]));
  const optimizer = new AdamW(model.variables, {
    beta1: settings.beta1,
    beta2: settings.beta2,
    epsilon: settings.epsilon,
    weightDecay: settings.weightDecay,
    lrScales: perTable(settings.ngramLrScale ?? 1),
    weightDecays: perTable(settings.ngramWeightDecay),
  });
  const rng = new Rng(settings.seed);
  let step = 0;
  let bytesSeen = 0;
  let previousSeconds = 0;
  let lastValid: ValidationResult | null = null;
  if (initFile !== null) {
    model.importTensors(deepened(initFile.tensors, await model.exportTensorsAsync()));
  }
  if (resumed !== null) {
    model.importTensors(resumed.params);
    optimizer.setState({ step: resumed.step, moments: resumed.moments });
    rng.setState(resumed.rng);
    step = resumed.step;
    bytesSeen = resumed.bytesSeen;
    previousSeconds = resumed.elapsedSeconds;
    lastValid = resumed.lastValid;
  }
  const log = await RunLog.open(`${runDir}/log.jsonl`, step);
  const backendName = options.backendName ?? tf.getBackend();
  log.write({
    kind: "session",
    step,
    time: new Date().toISOString(),
    backend: backendName,
    resumed: resumed !== null,
  });
  const progress = new Progress({ quiet: options.quiet });
  const runName = runDir.slice(runDir.lastIndexOf("/") + 1);
  const schedule = {
    shape: settings.schedule ?? "cosine",
    maxLr: settings.maxLr,
    minLr: settings.minLr,
    warmupSteps: settings.warmupSteps,
    steps: settings.steps,
    decaySteps: settings.decaySteps,
  };
  const bytesPerStep = settings.batch * T;
  const flops = flopsPerByte(config);

  let sessionSeconds = 0; // spent in steps by this call
  let sessionSteps = 0;
  let stepSecondsEstimate = NaN;
  let trainBpb = NaN;
  let saveSecondsEstimate = 0;
  let evalSecondsEstimate = 0;
  let saved = true; // the state on disk is the current one
  let stoppedBy: TrainResult["stoppedBy"] = "steps";

  const checkpoint = async () => {
    const t0 = performance.now();
    const state = await optimizer.getState();
    await saveCheckpoint(`${runDir}/ckpt`, {
      step,
      bytesSeen,
      elapsedSeconds: previousSeconds + seconds(),
      rng: rng.getState(),
      config,
      settings,
      data: corpusIdentity(trainCorpus),
      valid: corpusIdentity(validCorpus),
      paths: { data, valid },
      lastValid,
      params: await readWeights(model),
      moments: state.moments,
    });
    await Deno.writeTextFile(`${runDir}/loss.svg`, lossCurveSvg(log.records, runName));
    saveSecondsEstimate = (performance.now() - t0) / 1000;
    saved = true;
  };

  try {
    if (resumed === null) await checkpoint(); // step 0: the run exists and can be resumed at once
    // 3) The loop.
    while (step < settings.steps) {
      if (options.stopAt !== undefined && step >= options.stopAt) {
        stoppedBy = "stopAt";
        break;
      }
      if (options.maxSeconds !== undefined) {
        const evalDue = (step + 1) % settings.evalEvery === 0 || step + 1 === settings.steps;
        // The next step, its validation and checkpoint if due, and the final checkpoint must fit.
        const next = (Number.isNaN(stepSecondsEstimate) ? 0 : 1.2 * stepSecondsEstimate) +
          (evalDue ? 1.2 * evalSecondsEstimate + saveSecondsEstimate : 0);
        if (seconds() + next + 1.2 * saveSecondsEstimate > options.maxSeconds) {
          stoppedBy = "maxSeconds";
          break;
        }
      }
      const t0 = performance.now();
      const lr = learningRate(step, schedule);
      const origins: WindowOrigin[] = [];
      const windows = sampleWindows(trainCorpus, rng, {
        batch: settings.batch,
        length: T,
        crlf: settings.crlf,
        origins,
      });
      const x = tf.tensor2d(windows, [settings.batch, T], "int32"); // (B, T)
      const history = { corpus: trainCorpus, origins };
      const { grams, keep } = trainingGrams(config, windows, settings, rng, history); // (B, T, G) or none
      const mix = cmTargets === null
        ? undefined
        : mixBatch(cmTargets, origins, settings.batch, T, settings.mixLoss!.weights);
      const both = trainStep(model, optimizer, x, lr, settings.gradClip, grams, keep, mix); // (2)
      const [lossNats, gradNorm] = await both.data();
      tf.dispose([x, both, ...(grams ? [grams] : []), ...(keep ? [keep] : [])]);
      if (mix !== undefined) tf.dispose([mix.pCm, mix.bucket]);
      step++;
      bytesSeen += bytesPerStep;
      saved = false;
      const stepSeconds = (performance.now() - t0) / 1000;
      sessionSeconds += stepSeconds;
      sessionSteps++;
      stepSecondsEstimate = Number.isNaN(stepSecondsEstimate)
        ? stepSeconds
        : 0.8 * stepSecondsEstimate + 0.2 * stepSeconds;
      trainBpb = lossNats / Math.LN2;
      if (!Number.isFinite(trainBpb)) {
        throw new RangeError(`Cannot continue training: the loss is ${lossNats} at step ${step}`);
      }
      log.write({
        kind: "train",
        step,
        bytesSeen,
        lr,
        bpb: trainBpb,
        gradNorm,
        bytesPerSecond: bytesPerStep / stepSeconds,
      });
      progress.update({
        step,
        steps: settings.steps,
        bpb: trainBpb,
        bytesPerSecond: bytesPerStep / stepSecondsEstimate,
        etaSeconds: (settings.steps - step) * stepSecondsEstimate,
      });
      if (step % settings.evalEvery === 0 || step === settings.steps) {
        const e0 = performance.now();
        lastValid = await evaluateBpb(model, validSets, { length: T, batch: settings.batch, step });
        log.write({ kind: "valid", bytesSeen, ...lastValid });
        const withHistory = historySets.length > 0
          ? await evaluateBpb(model, historySets, { length: T, batch: settings.batch, step })
          : null;
        if (withHistory !== null) {
          log.write({
            kind: "valid-history",
            history: settings.validHistory!,
            bytesSeen,
            ...withHistory,
          });
        }
        evalSecondsEstimate = (performance.now() - e0) / 1000;
        await checkpoint();
        const line = (r: ValidationResult) =>
          `${r.bpb.toFixed(3)} bpb (${
            Object.entries(r.categories).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ")
          })`;
        progress.message(`valid: step ${step}, ${line(lastValid)}`);
        if (withHistory !== null) {
          progress.message(
            `valid with ${settings.validHistory} B of history: ${line(withHistory)}`,
          );
        }
      }
    }
    if (!saved) await checkpoint();
  } finally {
    progress.stop();
    log.close();
    optimizer.dispose();
    model.dispose();
  }
  const bytesPerSecond = sessionSteps > 0 ? (sessionSteps * bytesPerStep) / sessionSeconds : NaN;
  return {
    runDir,
    step,
    steps: settings.steps,
    finished: step >= settings.steps,
    stoppedBy,
    bytesSeen,
    trainBpb,
    valid: lastValid,
    elapsedSeconds: previousSeconds + seconds(),
    bytesPerSecond,
    tflops: (6 * flops * bytesPerSecond) / 1e12,
  };
}

/** The model's weights as float32 copies, read asynchronously (webgpu cannot read synchronously). */
async function readWeights(model: Megabyte): Promise<Map<string, ModelTensor>> {
  const out = new Map<string, ModelTensor>();
  for (const [name, v] of model.variables) {
    out.set(name, { shape: [...v.shape], data: new Float32Array(await v.data()) });
  }
  return out;
}

function newSettings(configName: string, o: TrainOptions): TrainSettings {
  const steps = o.steps ?? 1000;
  const lr = o.lr ?? 1e-3;
  const crlf = o.crlf ?? 0;
  const ngramLrScale = o.ngramLrScale ?? 1;
  const ngramDropout = o.ngramDropout ?? 0;
  const ngramWeightDecay = o.ngramWeightDecay ?? 0;
  const matchHistory = o.matchHistory ?? 0;
  const validHistory = o.validHistory ?? 0;
  const schedule = o.schedule ?? "cosine";
  if (!SCHEDULES.includes(schedule)) {
    throw new RangeError(`Cannot start a run: unknown schedule ${schedule}`);
  }
  if (schedule !== "wsd" && o.decaySteps !== undefined) {
    throw new RangeError(`Cannot start a run: decaySteps needs the wsd schedule, not ${schedule}`);
  }
  const settings: TrainSettings = {
    configName,
    steps,
    schedule,
    ...(schedule === "wsd" ? { decaySteps: o.decaySteps ?? Math.ceil(steps / 5) } : {}),
    batch: o.batch ?? 8,
    ...(crlf !== 0 ? { crlf } : {}), // absent in runs without it, as before it existed
    maxLr: lr,
    minLr: o.minLr ?? lr / 10,
    warmupSteps: o.warmupSteps ?? Math.min(200, Math.ceil(steps / 10)),
    weightDecay: o.weightDecay ?? 0.1,
    ...(ngramLrScale !== 1 ? { ngramLrScale } : {}), // absent at 1, as before it existed
    ...(ngramDropout !== 0 ? { ngramDropout } : {}), // absent at 0, likewise
    ...(ngramWeightDecay !== 0 ? { ngramWeightDecay } : {}), // absent at 0, likewise
    ...(matchHistory !== 0 ? { matchHistory } : {}), // absent at 0, likewise
    ...(validHistory !== 0 ? { validHistory } : {}), // absent at 0, likewise
    ...(o.mixLoss !== undefined
      ? {
        mixLoss: {
          cmTargets: o.mixLoss.cmTargets,
          weights: [...(o.mixLoss.weights ?? DEFAULT_MIX_WEIGHTS)],
        },
      }
      : {}),
    beta1: 0.9,
    beta2: 0.98,
    epsilon: 1e-8,
    gradClip: 1.0,
    seed: o.seed ?? 1337,
    evalEvery: o.evalEvery ?? Math.min(steps, 250),
    validWindows: o.validWindows ?? 8,
  };
  const positive: (keyof TrainSettings)[] = ["steps", "batch", "evalEvery", "validWindows"];
  for (const key of positive) {
    const v = settings[key] as number;
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`Cannot start a run: ${key} must be a positive integer, got ${v}`);
    }
  }
  if (!(settings.maxLr > 0) || !(settings.minLr >= 0) || settings.minLr > settings.maxLr) {
    throw new RangeError(
      `Cannot start a run: need lr > 0 and 0 ≤ minLr ≤ lr, got ${settings.maxLr}, ${settings.minLr}`,
    );
  }
  if (!(crlf >= 0 && crlf <= 1)) {
    throw new RangeError(`Cannot start a run: crlf must be a fraction from 0 to 1, got ${crlf}`);
  }
  if (!Number.isInteger(settings.warmupSteps) || settings.warmupSteps < 0) {
    throw new RangeError(
      `Cannot start a run: warmupSteps must be a natural number, got ${settings.warmupSteps}`,
    );
  }
  checkDecaySteps("start a run", settings);
  if (!(settings.weightDecay >= 0)) {
    throw new RangeError(
      `Cannot start a run: weightDecay must be ≥ 0, got ${settings.weightDecay}`,
    );
  }
  if (!(ngramLrScale > 0 && Number.isFinite(ngramLrScale))) {
    throw new RangeError(`Cannot start a run: ngramLrScale must be above 0, got ${ngramLrScale}`);
  }
  if (ngramLrScale !== 1 && hashTables(o.config!.config).orders === 0) {
    throw new RangeError(
      "Cannot start a run: ngramLrScale needs a config with hashed n-gram tables (hashOrders > 0)",
    );
  }
  if (!(ngramDropout >= 0 && ngramDropout < 1)) {
    throw new RangeError(
      `Cannot start a run: ngramDropout must be a fraction from 0 to below 1, got ${ngramDropout}`,
    );
  }
  if (ngramDropout !== 0 && hashTables(o.config!.config).orders === 0) {
    throw new RangeError(
      "Cannot start a run: ngramDropout needs a config with hashed n-gram tables (hashOrders > 0)",
    );
  }
  for (const [key, bytes] of [["matchHistory", matchHistory], ["validHistory", validHistory]]) {
    if (!(Number.isSafeInteger(bytes) && (bytes as number) >= 0)) {
      throw new RangeError(
        `Cannot start a run: ${key} must be a whole number of bytes ≥ 0, got ${bytes}`,
      );
    }
    if (bytes !== 0 && matchTable(o.config!.config).rows === 0) {
      throw new RangeError(
        `Cannot start a run: ${key} needs a config with a match row (matchLength > 0)`,
      );
    }
  }
  if (!(ngramWeightDecay >= 0 && Number.isFinite(ngramWeightDecay))) {
    throw new RangeError(
      `Cannot start a run: ngramWeightDecay must be ≥ 0, got ${ngramWeightDecay}`,
    );
  }
  if (ngramWeightDecay !== 0 && hashTables(o.config!.config).orders === 0) {
    throw new RangeError(
      "Cannot start a run: ngramWeightDecay needs a config with hashed n-gram tables (hashOrders > 0)",
    );
  }
  if (settings.mixLoss !== undefined) checkMixWeights(settings.mixLoss.weights);
  if (!Number.isSafeInteger(settings.seed)) {
    throw new RangeError(`Cannot start a run: seed must be an integer, got ${settings.seed}`);
  }
  return settings;
}

/** cm's targets for every training file, from the folder `dir`. */
async function loadCmTargets(dir: string, corpus: Corpus): Promise<CmTargets[]> {
  const out: CmTargets[] = [];
  for (const file of corpus.files) {
    const path = cmTargetsPath(dir, file.name);
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch (error) {
      throw new Error(`Cannot read cm targets ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    out.push(decodeCmTargets(bytes, file, path));
  }
  return out;
}

/** The mixture loss's side of a batch (`MixBatch`) for the windows cut at `origins`. */
function mixBatch(
  targets: readonly CmTargets[],
  origins: readonly WindowOrigin[],
  batch: number,
  T: number,
  weights: readonly number[],
): MixBatch {
  const { pCm, bucket } = cmBatch(targets, origins, T);
  return {
    pCm: tf.tensor2d(pCm, [batch, T], "float32"), // (B, T)
    bucket: tf.tensor2d(bucket, [batch, T], "int32"), // (B, T)
    weights,
  };
}

/**
 * The n-gram rows of a training batch (`ngramTensor`) and, with `ngramDropout`, which lookups to
 * keep (`dropMask`).
 */
function trainingGrams(
  config: MegabyteConfig,
  windows: Int32Array,
  settings: TrainSettings,
  rng: Rng,
  history: { corpus: Corpus; origins: WindowOrigin[] },
): { grams?: tf.Tensor3D; keep?: tf.Tensor3D } {
  const G = gramColumns(config);
  if (G === 0) return {};
  const T = config.context;
  const shape: [number, number, number] = [settings.batch, T, G];
  const matched = (settings.matchHistory ?? 0) > 0
    ? historyMatchRows(windows, config, settings.matchHistory!, history.corpus, history.origins)
    : undefined; // (B·T), or each window's own
  const rows = gramRows(windows, settings.batch, T, config, matched); // (B, T, G) flattened
  const keep = dropMask(rows.length, settings.ngramDropout ?? 0, rng);
  return {
    grams: tf.tensor3d(rows, shape, "int32"), // (B, T, G)
    keep: keep && tf.tensor3d(keep, shape, "float32"), // (B, T, G)
  };
}

/**
 * The match rows (−1: none) of a batch of training windows (B·T, for `gramRows`), each window's
 * found also in up to `maxHistory` bytes of its file before it (`FileMatchIndex`). A CRLF window
 * keeps its own rows: its bytes are not the file's.
 */
export function historyMatchRows(
  windows: Int32Array,
  config: MegabyteConfig,
  maxHistory: number,
  corpus: Corpus,
  origins: readonly WindowOrigin[],
): Int32Array {
  const T = config.context;
  const k = matchTable(config).length;
  const out = new Int32Array(origins.length * T);
  origins.forEach((o, b) => {
    const rows = o.crlf
      ? matchRowsAfter(windows.subarray(b * T, (b + 1) * T), 0, T, k, -1)
      : fileMatchIndex(corpus.files[o.file].bytes, k).windowRows(o.start, T, maxHistory);
    out.set(rows, b * T);
  });
  return out;
}

/**
 * Each corpus file's {@link FileMatchIndex}, built when a window first needs it (one pass over
 * the file, 4 bytes per byte): a window's rows then cost the same whatever the history.
 */
const fileMatchIndexes = new WeakMap<Uint8Array, FileMatchIndex>();

function fileMatchIndex(bytes: Uint8Array, k: number): FileMatchIndex {
  let index = fileMatchIndexes.get(bytes);
  if (index === undefined || index.k !== k) {
    index = new FileMatchIndex(bytes, k);
    fileMatchIndexes.set(bytes, index);
  }
  return index;
}

/**
 * The validation sets again, each window with the match rows of its file's bytes before it (up to
 * `settings.validHistory`), as {@link historyMatchRows} gives training windows theirs.
 */
function validationHistorySets(
  sets: readonly ValidationSet[],
  corpus: Corpus,
  config: MegabyteConfig,
  settings: TrainSettings,
): ValidationSet[] {
  const T = config.context;
  const options = { length: T, perFile: settings.validWindows };
  // validationWindows makes one set per file that holds a window, in the corpus's order.
  const files = corpus.files.map((_, i) => i)
    .filter((i) => validationStarts(corpus.files[i].bytes.length, options).length > 0);
  return sets.map((set, j) => {
    const file = files[j];
    const starts = validationStarts(corpus.files[file].bytes.length, options);
    const origins = starts.map((start) => ({ file, start, crlf: false }));
    const rows = historyMatchRows(set.windows, config, settings.validHistory!, corpus, origins);
    return { ...set, matchRows: rows };
  });
}

/** A config field, the hash fields' absence read as 0 (`hashTables`). */
function field(config: MegabyteConfig, key: keyof MegabyteConfig): number {
  return config[key] ?? 0;
}

/**
 * Refuses a level whose hashed n-gram tables the backend cannot differentiate: without a segment
 * sum (wasm) their gradient is a one-hot product, ~8.6 GB per `local4hash` table and batch.
 *
 * @param config The run's level.
 * @param backend The tfjs backend in use.
 */
export function checkTrainable(config: MegabyteConfig, backend: string): void {
  const { orders, rows } = hashTables(config);
  if (
    orders > 0 && rows >= SEGMENT_SUM_GATHER_GRAD.minRows && !segmentSumGatherGrad(rows, backend)
  ) {
    throw new Error(
      `Cannot train hashed n-gram tables of ${rows} rows on the ${backend} backend (no segment sum for their gradient): use --backend webgpu or cpu`,
    );
  }
}

/**
 * Whether `--init` may differ from the run in `key`: a run may start from a model with fewer global
 * or local layers (the same model made deeper), or with fewer hashed n-gram tables: none, fewer
 * orders (a table's rows do not depend on how many there are), or fewer rows (a power of two, so
 * the wider table's row `h & (R' − 1)` reduces to the file's row `h & (R − 1)`). See
 * {@link deepened}.
 */
function grows(key: keyof MegabyteConfig, from: MegabyteConfig, to: MegabyteConfig): boolean {
  if (key === "hashRows") {
    return hashTables(from).orders === 0 || hashTables(to).rows > hashTables(from).rows;
  }
  if (key === "matchLength") return field(from, key) === 0; // a match table added, at zero
  return (key === "globalLayers" || key === "localLayers" || key === "hashOrders") &&
    field(to, key) > field(from, key);
}

/**
 * The init file's tensors completed for a model that may have more layers or n-gram tables. Each
 * added block keeps the new model's random weights except its output projections (`wo`, `w2`),
 * which start at zero, and each added table starts at zero: a block then adds nothing to the
 * residual stream and a table nothing to the local input, so the grown model starts with the
 * file's function exactly, and training grows the blocks from there (their projections get
 * gradients at once, the rest of the block as soon as the projections move; the tables at once).
 * A table given with fewer rows is repeated down the wider one (row r is the file's row
 * r mod R), which looks up the same vector for every n-gram until training tells the copies apart.
 *
 * @param tensors The init file's tensors (a subset of the model's).
 * @param fresh The new model's randomly initialized tensors, every one.
 */
function deepened(
  tensors: Map<string, ModelTensor>,
  fresh: Map<string, ModelTensor>,
): Map<string, ModelTensor> {
  const out = new Map<string, ModelTensor>();
  for (const [name, t] of fresh) {
    const given = tensors.get(name);
    if (given !== undefined && given.data.length < t.data.length && isNgramTable(name)) {
      out.set(name, tiled(given, t.shape));
    } else if (given !== undefined) out.set(name, given);
    else if (/\.(wo|w2)$/.test(name) || isLookupTable(name)) {
      out.set(name, { shape: t.shape, data: new Float32Array(t.data.length) });
    } else out.set(name, t);
  }
  return out;
}

/** `table` (R, D) repeated down to `shape` (R', D), R' a multiple of R: row r is row r mod R. */
function tiled(table: ModelTensor, shape: number[]): ModelTensor {
  const data = new Float32Array(shape[0] * shape[1]);
  for (let at = 0; at < data.length; at += table.data.length) data.set(table.data, at);
  return { shape, data };
}

function checkDecaySteps(what: string, settings: TrainSettings): void {
  const d = settings.decaySteps;
  if (d !== undefined && (!Number.isInteger(d) || d < 0 || d > settings.steps)) {
    throw new RangeError(
      `Cannot ${what}: decaySteps must be a whole number from 0 to steps (${settings.steps}), got ${d}`,
    );
  }
}

function checkSameData(what: string, saved: CorpusIdentity, now: CorpusIdentity): void {
  const key = (id: CorpusIdentity) =>
    id.files.map((f) => `${f.name}:${f.bytes}:${f.sha256}`).join("\n");
  if (key(saved) !== key(now)) {
    throw new Error(
      `Cannot resume the run: its ${what} data differ from the checkpoint's (${
        saved.files.map((f) => f.name).join(", ")
      })`,
    );
  }
}
