/**
 * Cuts from whole validation files the windows the trainer validates on (`validationStarts`),
 * end to end, one file each, so that the device validates on all of `../shared/corpora/valid`
 * without carrying its 24 MB: given a cut file and the same `--valid-windows`, the trainer picks
 * exactly these windows again (N windows of T bytes spread over N·T bytes start at i·T), for every
 * file long enough for N starts (the validation files hold hundreds).
 *
 *   deno run --allow-read --allow-write models/training/valid_windows.ts [--windows 32]
 *     [--length 4096] --out DIR FILE...   writes DIR/valid-<name of FILE>
 *
 * @module
 */
import { parseArgs } from "node:util";
import { validationStarts } from "../../lib/train/windows.ts";

/**
 * The validation windows of a file, end to end.
 *
 * @param bytes A whole validation file.
 * @param perFile Windows wanted (`--valid-windows`).
 * @param length Bytes per window (the model's context).
 * @returns The windows' bytes; empty when the file is shorter than one window.
 */
export function cutWindows(bytes: Uint8Array, perFile: number, length: number): Uint8Array {
  const starts = validationStarts(bytes.length, { length, perFile });
  const out = new Uint8Array(starts.length * length);
  starts.forEach((start, i) => out.set(bytes.subarray(start, start + length), i * length));
  return out;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    options: {
      windows: { type: "string", default: "32" },
      length: { type: "string", default: "4096" },
      out: { type: "string" },
    },
    allowPositionals: true,
  });
  if (values.out === undefined || positionals.length === 0) {
    console.error("usage: valid_windows.ts [--windows N] [--length T] --out DIR FILE...");
    Deno.exit(2);
  }
  const [perFile, length] = [Number(values.windows), Number(values.length)];
  await Deno.mkdir(values.out, { recursive: true });
  for (const path of positionals) {
    const cut = cutWindows(await Deno.readFile(path), perFile, length);
    await Deno.writeFile(`${values.out}/valid-${path.split("/").pop()}`, cut);
    console.log(`${path}: ${cut.length / length} windows`);
  }
}
