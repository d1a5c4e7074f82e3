// This module imports no tfjs.
/**
 * Moving a checkpoint between device sessions through the device tool's limits
 * (../shared/DEVICE.md): a call brings back at most 8 files of 16 MiB, 64 MiB in all, and carries
 * in at most 64 MiB with the working tree, each carried path replacing the same path there.
 *
 * 1. {@link packCheckpoint} (on the device, one call per group): `state.json` and one group of
 *    tensor files (the run's `log.jsonl` with the last) into a folder under `$OUT`.
 * 2. {@link layoutForCarry} (here): the fetched groups, checked, re-cut into folders
 *    `.ckpt/1/NAME`, `.ckpt/2/NAME`, … that each fit one call beside the working tree.
 * 3. {@link assembleCheckpoint} (on the device, after each carrying call): gathers the parts
 *    from every carried folder, checks each file's size and SHA-256 against `state.json` (the
 *    checkpoint reader's own check) and, once all are there, installs `runs/NAME/ckpt`.
 *
 * @module
 */
import { type CheckpointFile, readCheckpointFile, readCheckpointIndex } from "./checkpoint.ts";
import { exists } from "./_fs.ts";

/** What {@link packCheckpoint} wrote. */
export interface PackResult {
  /** The group written, 0-based. */
  group: number;
  /** Groups of the checkpoint: calls needed to bring it all back. */
  groups: number;
  /** The checkpoint's step. */
  step: number;
  /** Names of the files written (state.json first). */
  files: string[];
  /** Their bytes in all. */
  bytes: number;
}

/**
 * Copies `state.json` and tensor files `[group·k, (group+1)·k)` of the run's checkpoint into
 * `outDir`, each checked against `state.json` first; the last group, usually the smallest, also
 * takes the run's `log.jsonl` (which grows session after session).
 *
 * @param runDir The run folder (holding `ckpt/`).
 * @param group Which group, 0-based.
 * @param outDir Where to write (created), e.g. `$OUT/NAME`.
 * @param filesPerGroup Tensor files per group, k. @default {4}
 * @returns What was written, and how many groups there are.
 */
export async function packCheckpoint(
  runDir: string,
  group: number,
  outDir: string,
  filesPerGroup = 4,
): Promise<PackResult> {
  const ckpt = `${runDir}/ckpt`;
  const index = await readCheckpointIndex(ckpt);
  if (!Number.isInteger(filesPerGroup) || filesPerGroup < 1) {
    throw new RangeError(`Cannot pack ${ckpt}: files per group must be ≥ 1, got ${filesPerGroup}`);
  }
  const groups = Math.max(1, Math.ceil(index.files.length / filesPerGroup));
  if (!Number.isInteger(group) || group < 0 || group >= groups) {
    throw new RangeError(`Cannot pack ${ckpt}: group ${group} is not in 0..${groups - 1}`);
  }
  await Deno.mkdir(outDir, { recursive: true });
  await Deno.writeTextFile(`${outDir}/state.json`, index.text);
  const files = ["state.json"];
  let bytes = new TextEncoder().encode(index.text).length;
  for (const file of index.files.slice(group * filesPerGroup, (group + 1) * filesPerGroup)) {
    await Deno.writeFile(`${outDir}/${file.name}`, await readCheckpointFile(ckpt, file));
    files.push(file.name);
    bytes += file.bytes;
  }
  if (group === groups - 1 && (await exists(`${runDir}/log.jsonl`))) {
    await Deno.copyFile(`${runDir}/log.jsonl`, `${outDir}/log.jsonl`);
    files.push("log.jsonl");
    bytes += (await Deno.stat(`${outDir}/log.jsonl`)).size;
  }
  return { group, groups, step: index.step, files, bytes };
}

/** What {@link layoutForCarry} wrote. */
export interface LayoutResult {
  /** The folders to carry, one per call, in order (`INTO/1`, `INTO/2`, …). */
  dirs: string[];
  /** Bytes of each. */
  bytes: number[];
  /** The checkpoint's step. */
  step: number;
}

/**
 * Checks the fetched parts of one run's checkpoint and lays them out in folders
 * `INTO/1/NAME`, `INTO/2/NAME`, … of at most `budgetBytes` each (what one call can carry beside
 * the working tree). `INTO` is emptied first. Each folder holds `state.json`; the one with the most
 * room left also the run's `log.jsonl` (or a folder of its own).
 *
 * @param sources The fetched folders (each a `$OUT/NAME` of a pack call), all of run NAME.
 * @param into The folder to fill, e.g. `.ckpt`.
 * @param budgetBytes Largest folder.
 * @returns The folders and their sizes.
 */
export async function layoutForCarry(
  sources: string[],
  into: string,
  budgetBytes: number,
): Promise<LayoutResult> {
  const name = runName(sources);
  const found = await gather(sources);
  if (found.missing.length > 0) {
    throw new Error(
      `Cannot lay out the checkpoint of ${name}: missing ${
        found.missing.join(", ")
      } (fetch every group)`,
    );
  }
  const state = new TextEncoder().encode(found.text).length;
  const log = found.log === null ? 0 : (await Deno.stat(found.log)).size;
  const bins: { files: [string, CheckpointFile][]; bytes: number }[] = [];
  for (const [dir, file] of found.files) {
    let bin = bins.at(-1);
    if (bin === undefined || bin.bytes + file.bytes > budgetBytes) {
      bin = { files: [], bytes: state };
      bins.push(bin);
      if (bin.bytes + file.bytes > budgetBytes) {
        throw new RangeError(
          `Cannot lay out the checkpoint of ${name}: ${file.name} (${file.bytes} bytes) does not fit ${budgetBytes} bytes`,
        );
      }
    }
    bin.files.push([dir, file]);
    bin.bytes += file.bytes;
  }
  // The log goes where there is most room.
  type Bin = (typeof bins)[number];
  const roomiest = bins.reduce<Bin | null>(
    (a, b) => (a === null || b.bytes < a.bytes ? b : a),
    null,
  );
  let logBin = roomiest !== null && roomiest.bytes + log <= budgetBytes ? roomiest : null;
  if (logBin === null) {
    logBin = { files: [], bytes: state };
    bins.push(logBin);
  }
  logBin.bytes += log;
  await Deno.remove(into, { recursive: true }).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  const dirs: string[] = [];
  for (const [i, bin] of bins.entries()) {
    const dir = `${into}/${i + 1}`;
    await Deno.mkdir(`${dir}/${name}`, { recursive: true });
    // gather() checked every file: copy, don't hash again.
    for (const [src, file] of bin.files) {
      await Deno.copyFile(`${src}/${file.name}`, `${dir}/${name}/${file.name}`);
    }
    if (bin === logBin && found.log !== null) {
      await Deno.copyFile(found.log, `${dir}/${name}/log.jsonl`);
    }
    await Deno.writeTextFile(`${dir}/${name}/state.json`, found.text);
    dirs.push(dir);
  }
  return { dirs, bytes: bins.map((b) => b.bytes), step: found.step };
}

/** What {@link assembleCheckpoint} found and did. */
export interface AssembleResult {
  /** True when every tensor file was there and `runDir/ckpt` now holds the checkpoint. */
  complete: boolean;
  /** The checkpoint's step. */
  step: number;
  /** Tensor files found and checked. */
  found: string[];
  /** Tensor files not yet carried in. */
  missing: string[];
}

/**
 * Gathers one checkpoint from folders carried in by several calls (e.g. `.ckpt/1/NAME`,
 * `.ckpt/2/NAME`): every `state.json` among them must be the same, every tensor file found is
 * checked for size and SHA-256 (a damaged one is an error). With all of them there, writes
 * `runDir/ckpt` (a folder beside it first, then renamed into place) and `runDir/log.jsonl` if one
 * was carried; with some missing, writes nothing and says which.
 *
 * @param sources The carried folders of one run.
 * @param runDir The run folder to fill, e.g. `runs/NAME`. Its `ckpt/`, if any, must hold the same
 * checkpoint (then nothing is written) or none.
 * @returns What was found and whether the checkpoint is in place.
 */
export async function assembleCheckpoint(
  sources: string[],
  runDir: string,
): Promise<AssembleResult> {
  const found = await gather(sources);
  const result = {
    step: found.step,
    found: found.files.map(([, f]) => f.name),
    missing: found.missing,
  };
  if (found.missing.length > 0) return { complete: false, ...result };
  if (await exists(`${runDir}/ckpt/state.json`)) {
    const text = await Deno.readTextFile(`${runDir}/ckpt/state.json`);
    if (text === found.text) {
      for (const [, file] of found.files) await readCheckpointFile(`${runDir}/ckpt`, file);
      return { complete: true, ...result };
    }
    throw new Error(
      `Cannot assemble into ${runDir}: it holds another checkpoint (step ${
        (await readCheckpointIndex(`${runDir}/ckpt`)).step
      }); move it away first`,
    );
  }
  const tmp = `${runDir}/ckpt.assemble`;
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  await Deno.mkdir(tmp, { recursive: true });
  for (const [dir, file] of found.files) { // checked by gather()
    await Deno.copyFile(`${dir}/${file.name}`, `${tmp}/${file.name}`);
  }
  await Deno.writeTextFile(`${tmp}/state.json`, found.text);
  await Deno.remove(`${runDir}/ckpt`, { recursive: true }).catch(() => {});
  await Deno.rename(tmp, `${runDir}/ckpt`);
  if (found.log !== null) await Deno.copyFile(found.log, `${runDir}/log.jsonl`);
  return { complete: true, ...result };
}

/** The run's name: the last path component shared by every source folder. */
function runName(sources: string[]): string {
  const names = new Set(sources.map((s) => s.replace(/\/+$/, "").split("/").at(-1)!));
  if (names.size !== 1) {
    throw new RangeError(
      `Cannot gather a checkpoint from folders of different runs: ${[...names].join(", ")}`,
    );
  }
  return [...names][0];
}

/** Every source's state.json (all equal), where each tensor file is (checked), and the log. */
async function gather(sources: string[]): Promise<{
  text: string;
  step: number;
  files: [string, CheckpointFile][];
  missing: string[];
  log: string | null;
}> {
  let index: Awaited<ReturnType<typeof readCheckpointIndex>> | null = null;
  let from = "";
  for (const dir of sources) {
    if (!(await exists(`${dir}/state.json`))) continue;
    const here = await readCheckpointIndex(dir);
    if (index === null) [index, from] = [here, dir];
    else if (here.text !== index.text) {
      throw new Error(
        `Cannot gather the checkpoint: ${dir}/state.json (step ${here.step}) differs from ${from}/state.json (step ${index.step})`,
      );
    }
  }
  if (index === null) {
    throw new Error(`Cannot gather the checkpoint: no state.json in ${sources.join(", ")}`);
  }
  const files: [string, CheckpointFile][] = [];
  const missing: string[] = [];
  for (const file of index.files) {
    let at: string | null = null;
    for (const dir of sources) {
      if (await exists(`${dir}/${file.name}`)) {
        await readCheckpointFile(dir, file); // size and SHA-256, or an error naming the file
        at = dir;
        break;
      }
    }
    if (at === null) missing.push(file.name);
    else files.push([at, file]);
  }
  let log: string | null = null;
  for (const dir of sources) if (log === null && (await exists(`${dir}/log.jsonl`))) log = dir;
  return {
    text: index.text,
    step: index.step,
    files,
    missing,
    log: log === null ? null : `${log}/log.jsonl`,
  };
}
