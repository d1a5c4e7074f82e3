/**
 * Parsers for option values (`--block-size 1M`, `--workers 2`), in commander's argParser form:
 * they throw commander's InvalidArgumentError, which the CLI reports as a usage error.
 *
 * @module
 */
import { InvalidArgumentError } from "commander";

const UNITS: Record<string, number> = {
  "": 1,
  "b": 1,
  "k": 1024,
  "kb": 1024,
  "kib": 1024,
  "m": 1024 ** 2,
  "mb": 1024 ** 2,
  "mib": 1024 ** 2,
  "g": 1024 ** 3,
  "gb": 1024 ** 3,
  "gib": 1024 ** 3,
};

/**
 * Parses a byte size: a positive integer with an optional binary unit (`K`, `M`, `G`, also
 * written `KiB`, `KB`; all powers of 1024), e.g. "65536", "64K", "1M".
 *
 * @param text The option value.
 * @returns The size in bytes.
 * @throws {InvalidArgumentError} When it is not a positive whole number of bytes below 2^53.
 */
export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new InvalidArgumentError("expected a size such as 65536, 64K or 1M");
  }
  const bytes = Number(match[1]) * unit;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new InvalidArgumentError("expected a whole number of bytes, at least 1");
  }
  return bytes;
}

/**
 * Parses a worker count: a whole number ≥ 0, where 0 means one per CPU core.
 *
 * @param text The option value.
 * @returns The number of workers (0 kept as 0).
 * @throws {InvalidArgumentError} When it is not a whole number in 0..1024.
 */
export function parseWorkers(text: string): number {
  if (!/^\s*\d+\s*$/.test(text) || Number(text) > 1024) {
    throw new InvalidArgumentError("expected a whole number of workers, 0 to 1024");
  }
  return Number(text);
}

/**
 * Peak memory of one worker coding its blocks, with the shipped model and without one, rounded up
 * from what was measured (README: 280–360 MiB per worker with the model; ~35 MiB without).
 */
export const WORKER_MEMORY = { model: 384 * 2 ** 20, noModel: 64 * 2 ** 20 } as const;
/** The rest of the process (~600 MiB with one worker and the model, ~110 MiB without). */
export const BASE_MEMORY = { model: 320 * 2 ** 20, noModel: 96 * 2 ** 20 } as const;

/**
 * The worker count handed to the codec. A count given is kept; 0 (auto) becomes the number of CPU
 * cores, but no more than the memory available holds (as `xz -T0` does), and at least 1.
 *
 * @param workers The parsed `--workers` value.
 * @param withModel Whether a neural model runs (its workers take ~6 times the memory).
 * @param available Bytes of memory available, or null when unknown (then only the cores count).
 * @returns A count ≥ 1.
 */
export function effectiveWorkers(
  workers: number,
  withModel = true,
  available: number | null = availableMemory(),
): number {
  if (workers > 0) return workers;
  const cores = Math.max(1, navigator.hardwareConcurrency || 1);
  if (available === null) return cores;
  const kind = withModel ? "model" : "noModel";
  const fit = Math.floor((available - BASE_MEMORY[kind]) / WORKER_MEMORY[kind]);
  return Math.max(1, Math.min(cores, fit));
}

/**
 * The memory available to new work (`MemAvailable` on Linux), or null when Deno may not read it:
 * without `--allow-sys=systemMemoryInfo` it is not asked for (asking could prompt on a terminal).
 */
export function availableMemory(): number | null {
  const sys = { name: "sys", kind: "systemMemoryInfo" } as const;
  if (Deno.permissions.querySync(sys).state !== "granted") return null;
  const { available } = Deno.systemMemoryInfo();
  return available > 0 ? available : null;
}
