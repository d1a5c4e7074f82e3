/**
 * Helper of `device_train.sh` and `carry_ckpt.sh`: a run's checkpoint through the device tool's
 * limits (lib/train/checkpoint_transfer.ts).
 *
 *   ckpt.ts pack RUN GROUP OUTDIR [K]   (device) state.json + tensor files [GROUP·K, GROUP·K+K)
 *                                       of RUN/ckpt (+ log.jsonl with group 0) into OUTDIR;
 *                                       prints "group G of N, step S, … MB"
 *   ckpt.ts layout INTO BYTES SRC…      (here) checks the fetched folders (each $OUT/NAME of a
 *                                       pack call) and re-cuts them into INTO/1/NAME, INTO/2/NAME,
 *                                       … of ≤ BYTES each; prints one folder per line
 *   ckpt.ts assemble RUN SRC…           (device) checks the carried folders against state.json and
 *                                       installs RUN/ckpt once all parts are there; exit 3 while
 *                                       parts are missing (it says which)
 *
 * @module
 */
import {
  assembleCheckpoint,
  layoutForCarry,
  packCheckpoint,
} from "../../lib/train/checkpoint_transfer.ts";

const [command, ...args] = Deno.args;
const MB = (bytes: number) => (bytes / 1e6).toFixed(1);
try {
  if (command === "pack" && args.length >= 3) {
    const [run, group, out, k] = args;
    const r = await packCheckpoint(run, Number(group), out, k === undefined ? 4 : Number(k));
    console.log(
      `group ${r.group} of ${r.groups} (0..${r.groups - 1}), step ${r.step}: ${
        r.files.join(" ")
      }, ${MB(r.bytes)} MB`,
    );
  } else if (command === "layout" && args.length >= 3) {
    const [into, bytes, ...sources] = args;
    const r = await layoutForCarry(sources, into, Number(bytes));
    console.error(
      `step ${r.step}: ${r.dirs.length} folder(s) to carry, ${r.bytes.map(MB).join(" + ")} MB`,
    );
    for (const dir of r.dirs) console.log(dir);
  } else if (command === "assemble" && args.length >= 2) {
    const [run, ...sources] = args;
    const r = await assembleCheckpoint(sources, run);
    if (!r.complete) {
      console.log(
        `${run}: step ${r.step}, ${r.found.length} tensor file(s) here and checked; ` +
          `still missing: ${r.missing.join(" ")}`,
      );
      Deno.exit(3);
    }
    console.log(`${run}: checkpoint of step ${r.step} in place (${r.found.length} files checked)`);
  } else {
    console.error(
      "usage: ckpt.ts pack RUN GROUP OUTDIR [K] | layout INTO BYTES SRC... | assemble RUN SRC...",
    );
    Deno.exit(2);
  }
} catch (error) {
  console.error(`ckpt.ts ${command}: ${(error as Error).message}`);
  Deno.exit(1);
}
