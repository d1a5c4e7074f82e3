/**
 * Helper of `device_train.sh`, reading run logs (`lib/train/run_log.ts` records):
 *
 *   plan_steps.ts RUN SECONDS [CALL]  a cosine run: the --steps that end RUN's cosine after SECONDS
 *                                    more training, at the step time of its last 50 steps (its
 *                                    steps unchanged when SECONDS is 0); a wsd run: --steps beyond
 *                                    what CALL seconds (default SECONDS) can reach, twice over, plus
 *                                    its decay, so that it stays at the peak (never fewer than now)
 *   plan_steps.ts --decay RUN SECONDS [STEP_S]  the decay steps that fit SECONDS (at least 1), at
 *                                    STEP_S seconds a step (default: the run's logged step time)
 *   plan_steps.ts --info RUN         "STEP SCHEDULE STEPS DECAY_STEPS" of RUN's checkpoint
 *   plan_steps.ts --choose DIR A B…  the arms to keep, one per line: all of them if sharing the GPU
 *                                    kept at least 75% of one arm's throughput per arm, else the
 *                                    one with the lowest latest validation bpb
 *
 * @module
 */
interface Rec {
  kind: string;
  step: number;
  bpb?: number;
  bytesPerSecond?: number;
}

async function records(run: string): Promise<Rec[]> {
  const text = await Deno.readTextFile(`${run}/log.jsonl`).catch(() => "");
  return text.trim().split("\n").filter((line) => line !== "").map((line) => JSON.parse(line));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
}

const rates = (log: Rec[]) => log.filter((r) => r.kind === "train").map((r) => r.bytesPerSecond!);

if (Deno.args[0] === "--choose") {
  const [dir, ...arms] = Deno.args.slice(1);
  const logs = await Promise.all(arms.map((a) => records(`${dir}/${a}`)));
  const first = rates(logs[0]);
  // The first arm ran alone at first: its best sustained rate (median of 20 steps) is the baseline.
  let alone = 0;
  for (let i = 5; i + 20 <= first.length; i++) alone = Math.max(alone, median(first.slice(i, i + 20)));
  if (alone === 0) alone = Math.max(...first); // a short run: its fastest step
  const shared = logs.reduce((s, log) => s + median(rates(log).slice(-30)), 0);
  const valid = logs.map((log) => log.filter((r) => r.kind === "valid").at(-1)?.bpb ?? Infinity);
  const keepAll = arms.length > 1 && shared >= 0.75 * arms.length * alone;
  console.error(
    `alone ${alone.toFixed(0)} B/s, shared ${shared.toFixed(0)} B/s in all; valid ${
      arms.map((a, i) => `${a} ${valid[i].toFixed(4)}`).join(", ")
    }; by speed, keep ${keepAll ? "all" : "the best"}`,
  );
  const best = arms[valid.indexOf(Math.min(...valid))];
  console.log((keepAll ? arms : [best]).join("\n"));
} else if (Deno.args[0] === "--info") {
  const state = await checkpointState(Deno.args[1]);
  const { schedule = "cosine", steps, decaySteps = 0 } = state.settings;
  console.log(`${state.step} ${schedule} ${steps} ${decaySteps}`);
} else if (Deno.args[0] === "--decay") {
  const [run, seconds, perStep] = Deno.args.slice(1);
  const steps = Math.floor(Number(seconds) / (perStep ? Number(perStep) : await stepSeconds(run)));
  console.log(Number.isFinite(steps) && steps > 1 ? steps : 1);
} else {
  const [run, seconds, call] = Deno.args;
  const state = await checkpointState(run);
  const step: number = state.step;
  const perStep = await stepSeconds(run);
  if (state.settings.schedule === "wsd") {
    // The peak until the decay: --steps only has to stay out of reach of this call.
    const reach = Math.ceil((2 * Number(call ?? seconds)) / perStep);
    const planned = step + (Number.isFinite(reach) ? reach : 1_000_000) +
      (state.settings.decaySteps ?? 0);
    console.log(Math.max(planned, state.settings.steps));
  } else {
    const planned = step + Math.floor(Number(seconds) / perStep);
    console.log(Number.isFinite(planned) && planned > step ? planned : state.settings.steps);
  }
}

// deno-lint-ignore no-explicit-any
async function checkpointState(run: string): Promise<any> {
  return JSON.parse(await Deno.readTextFile(`${run}/ckpt/state.json`));
}

/** Seconds per step over the last 50 steps of the log (NaN without any). */
async function stepSeconds(run: string): Promise<number> {
  const train = (await records(run)).filter((r) => r.kind === "train");
  const state = await checkpointState(run);
  const bytesPerStep: number = state.settings.batch * state.config.context;
  return bytesPerStep / median(train.slice(-50).map((r) => r.bytesPerSecond!));
}
