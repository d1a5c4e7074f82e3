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
 * The worker count handed to the codec: 0 (auto) becomes the number of CPU cores.
 *
 * @param workers The parsed `--workers` value.
 * @returns A count ≥ 1.
 */
export function effectiveWorkers(workers: number): number {
  return workers > 0 ? workers : Math.max(1, navigator.hardwareConcurrency || 1);
}
