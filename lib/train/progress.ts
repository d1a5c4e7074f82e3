// This module imports no tfjs.
/**
 * The trainer's progress display on stderr: step, bits per byte, bytes per second and ETA. A
 * cli-progress bar when stderr is a terminal, otherwise plain lines (at most one every few
 * seconds, and one for each validation).
 *
 * @module
 */
import cliProgress from "cli-progress";

/** What one progress update shows. */
export interface ProgressState {
  /** Steps taken. */
  step: number;
  /** Steps of the run. */
  steps: number;
  /** Latest training bits per byte. */
  bpb: number;
  /** Recent training bytes per second. */
  bytesPerSecond: number;
  /** Seconds left at the recent speed, or NaN if unknown. */
  etaSeconds: number;
}

/** A progress display; `quiet` shows nothing. */
export class Progress {
  // deno-lint-ignore no-explicit-any
  #bar: any = null;
  #lastLine = -Infinity;
  readonly #quiet: boolean;
  readonly #interval: number;

  /**
   * @param options `quiet` hides everything; `intervalSeconds` spaces plain lines (default 5).
   */
  constructor(options: { quiet?: boolean; intervalSeconds?: number } = {}) {
    this.#quiet = options.quiet ?? false;
    this.#interval = options.intervalSeconds ?? 5;
  }

  /**
   * Shows the latest state.
   *
   * @param state The numbers to show.
   */
  update(state: ProgressState): void {
    if (this.#quiet) return;
    const values = {
      bpb: state.bpb.toFixed(3),
      speed: formatRate(state.bytesPerSecond),
      eta2: formatSeconds(state.etaSeconds),
    };
    if (Deno.stderr.isTerminal()) {
      if (this.#bar === null) {
        this.#bar = new cliProgress.SingleBar({
          format: "train [{bar}] step {value}/{total} | {bpb} bpb | {speed} | ETA {eta2}",
          hideCursor: true,
        }, cliProgress.Presets.shades_classic);
        this.#bar.start(state.steps, state.step, values);
      }
      this.#bar.setTotal(state.steps);
      this.#bar.update(state.step, values);
      return;
    }
    const now = performance.now() / 1000;
    if (now - this.#lastLine < this.#interval && state.step < state.steps) return;
    this.#lastLine = now;
    this.#line(
      `train: step ${state.step}/${state.steps}, ${values.bpb} bpb, ${values.speed}, ETA ${values.eta2}`,
    );
  }

  /**
   * Prints a line of its own (a validation result, a checkpoint), above the bar if there is one.
   *
   * @param text The line.
   */
  message(text: string): void {
    if (this.#quiet) return;
    if (this.#bar !== null) this.#bar.stop();
    this.#bar = null;
    this.#line(text);
  }

  /** Removes the bar. */
  stop(): void {
    if (this.#bar !== null) this.#bar.stop();
    this.#bar = null;
  }

  #line(text: string): void {
    const bytes = new TextEncoder().encode(text + "\n");
    let done = 0;
    while (done < bytes.length) done += Deno.stderr.writeSync(bytes.subarray(done));
  }
}

function formatRate(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond)) return "? B/s";
  if (bytesPerSecond >= 1e6) return `${(bytesPerSecond / 1e6).toFixed(2)} MB/s`;
  if (bytesPerSecond >= 1e3) return `${(bytesPerSecond / 1e3).toFixed(1)} KB/s`;
  return `${bytesPerSecond.toFixed(0)} B/s`;
}

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : `${m}m${String(s % 60).padStart(2, "0")}s`;
}
