/**
 * Writes cm's targets (`lib/train/cm_targets.ts`) of each training file into a folder, for
 * `megazip train --mix-loss DIR`: `DIR/NAME.cmt` for the corpus file of category NAME, 3 bytes
 * per byte plus 40. cm alone runs at about 0.5 MB/s on one core, so give each file its own
 * process (`device_train.sh`'s `cmtargets` phase does).
 *
 * Usage: `deno run --allow-read --allow-write --allow-run=xz models/training/cm_targets.ts --out
 * DIR FILE...` (FILE: plain or `.xz`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { cmTargetsPath, computeCmTargets, encodeCmTargets } from "../../lib/train/cm_targets.ts";
import { loadCorpus } from "../../lib/train/corpus.ts";

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    options: { out: { type: "string" } },
    allowPositionals: true,
  });
  if (values.out === undefined || positionals.length === 0) {
    console.error("usage: cm_targets.ts --out DIR FILE...");
    Deno.exit(2);
  }
  await Deno.mkdir(values.out, { recursive: true });
  for (const path of positionals) {
    const t0 = performance.now();
    const [file] = (await loadCorpus([path])).files;
    const targets = computeCmTargets(file.bytes);
    const out = cmTargetsPath(values.out, file.name);
    await Deno.writeFile(`${out}.tmp`, encodeCmTargets(targets, file.sha256));
    await Deno.rename(`${out}.tmp`, out);
    const seconds = (performance.now() - t0) / 1000;
    console.log(`${out}: ${file.bytes.length} bytes in ${seconds.toFixed(1)} s`);
  }
}
