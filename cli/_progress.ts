/**
 * The progress bar on stderr: drawn with `cli-progress` only when stderr is a terminal, silent
 * otherwise (pipes, files, CI logs and tests see nothing).
 *
 * @module
 */
import cliProgress from "cli-progress";

/** A progress display fed with byte counts. */
export interface Progress {
  /** Sets the number of bytes done so far. */
  update(bytesDone: number): void;
  /** Removes the bar from the terminal. Safe to call more than once. */
  stop(): void;
}

const SILENT: Progress = { update() {}, stop() {} };

/** Formats a byte count for humans, e.g. "1.5 MiB". */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * Starts a progress bar for one file.
 *
 * @param label What is being done, e.g. "compressing foo.txt".
 * @param total The total bytes expected, or null when unknown (stdin).
 * @param enabled Whether to draw at all; defaults to whether stderr is a terminal.
 * @returns The progress display; a no-op one when not enabled.
 */
export function startProgress(
  label: string,
  total: number | null,
  enabled: boolean = Deno.stderr.isTerminal(),
): Progress {
  if (!enabled) return SILENT;
  const known = total !== null && total > 0;
  const bar = new cliProgress.SingleBar({
    format: known
      ? `${label} [{bar}] {percentage}% | {done} of {size} | ETA {eta_formatted}`
      : `${label} | {done}`,
    barsize: 24,
    hideCursor: true,
    clearOnComplete: true,
    stopOnComplete: false,
    etaBuffer: 50,
    fps: 10,
  });
  bar.start(known ? total : 1, 0, { done: formatBytes(0), size: formatBytes(total ?? 0) });
  let stopped = false;
  return {
    update(bytesDone: number) {
      if (stopped) return;
      bar.update(known ? Math.min(bytesDone, total) : 0, { done: formatBytes(bytesDone) });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
