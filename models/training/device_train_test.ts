/**
 * `device_train.sh` rehearsed here (DRY=1: this machine's Deno, the wasm backend, the `tiny`
 * level), in a scratch folder that links the repository's code, so that its runs/ and .ckpt/ are
 * the test's own: a stable run started (beside an arm with flags of its own), its checkpoint carried in by `assemble` from a part that
 * the next call's copy of the tree no longer has, and a `cooldown` spread over two calls.
 */
import assert from "node:assert/strict";
import { loadModel } from "../../lib/model/model_file_read.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

/** Whether bash runs here (and the test may run it). */
async function hasBash(): Promise<boolean> {
  try {
    return (await new Deno.Command("bash", { args: ["-c", "true"] }).output()).code === 0;
  } catch {
    return false;
  }
}

Deno.test({
  name: "device_train.sh: an arm takes its own flags; assemble keeps a carried part; cooldown decays across calls",
  ignore: !(await hasBash()),
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "device_train_" });
    try {
      for (const name of ["bench", "cli", "codec", "lib", "models", "node_modules", "deno.json"]) {
        await Deno.symlink(`${ROOT}${name}`, `${dir}/${name}`);
      }
      await Deno.mkdir(`${dir}/data`);
      const text = await Deno.readTextFile(`${ROOT}README.md`);
      await Deno.writeTextFile(`${dir}/data/train.txt`, text);
      await Deno.writeTextFile(`${dir}/data/valid-readme.txt`, text.slice(0, 4096));
      const env = { DRY: "1", OUT: `${dir}/out`, DATA_DIR: `${dir}/data`, BACKEND: "wasm" };
      const run = async (args: string[], extra: Record<string, string> = {}) => {
        const out = await new Deno.Command("bash", {
          args: ["models/training/device_train.sh", ...args],
          cwd: dir,
          env: { ...env, ...extra },
          stdout: "piped",
          stderr: "piped",
        }).output();
        const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
        assert.equal(out.code, 0, text);
        return text;
      };
      const info = async (name: string) => {
        const state = JSON.parse(await Deno.readTextFile(`${dir}/runs/${name}/ckpt/state.json`));
        return { step: state.step, steps: state.settings.steps, decay: state.settings.decaySteps };
      };

      // A stable run of 6 steps: the peak, no decay; beside it arm c, with flags of its own: a
      // seed, and the mixture loss on the cm targets that the cmtargets phase writes first.
      await run(["cmtargets+start", "120"], {
        ARMS: "a:1e-3 c:1e-3",
        ARGS_c: "--seed 7 --mix-loss runs/cm",
        KEEP: "all",
        INIT: "none",
        CONFIG: "tiny",
        SCHEDULE: "wsd",
        WARMUP: "2",
        STEPS: "100000",
        BATCH: "2",
        EVAL_EVERY: "5",
        STOP_AT: "6",
      });
      assert.deepEqual(await info("a"), { step: 6, steps: 100000, decay: 0 });
      const seed = async (name: string) =>
        JSON.parse(await Deno.readTextFile(`${dir}/runs/${name}/ckpt/state.json`)).settings.seed;
      assert.deepEqual([await seed("a"), await seed("c")], [1337, 7]);
      const mixLoss = async (name: string) =>
        JSON.parse(await Deno.readTextFile(`${dir}/runs/${name}/ckpt/state.json`)).settings.mixLoss;
      assert.equal(await mixLoss("a"), undefined);
      assert.equal((await mixLoss("c")).cmTargets, "runs/cm");
      assert.equal((await Deno.stat(`${dir}/runs/cm/train.cmt`)).size, 40 + 3 * new TextEncoder().encode(text).length);
      // Every call ends choosing the arms to keep: where sharing the machine cost an arm more than
      // 25% of its speed (c's log made slow here), the better one, unless KEEP=all.
      const keep = async () => (await Deno.readTextFile(`${dir}/runs/keep.txt`)).trim();
      assert.equal(await keep(), "a\nc");
      const cLog = `${dir}/runs/c/log.jsonl`;
      const slowed = (await Deno.readTextFile(cLog)).trim().split("\n").map((line) => {
        const r = JSON.parse(line);
        return JSON.stringify(r.kind === "train" ? { ...r, bytesPerSecond: 1 } : r);
      });
      await Deno.writeTextFile(cLog, slowed.join("\n") + "\n");
      // No step: only the end, whose export takes EXPORT_ARGS after its own flags, and whose
      // EVAL_DIR files (one packed as xz) each export is evaluated on, in the reports.
      await Deno.mkdir(`${dir}/bench-files`);
      await Deno.writeTextFile(`${dir}/bench-files/a.txt`, text.slice(0, 3000));
      await Deno.writeTextFile(`${dir}/bench-files/b.txt`, text.slice(3000, 5000));
      await new Deno.Command("xz", { args: [`${dir}/bench-files/b.txt`] }).output();
      await run(["resume", "120"], {
        STOP_AT: "6",
        KEEP: "all",
        EXPORT_ARGS: "--name probe",
        EVAL_DIR: `${dir}/bench-files`,
      });
      assert.equal(await keep(), "a\nc");
      assert.equal((await loadModel(`${dir}/out/a.mgb`)).name, "probe");
      await new Deno.Command("tar", { args: ["xJf", `${dir}/out/reports.tar.xz`, "-C", dir] })
        .output();
      for (const report of ["float.txt", "float_long.txt"]) {
        const lines = (await Deno.readTextFile(`${dir}/rep/c/${report}`)).trim().split("\n");
        assert.deepEqual(lines.map((l) => l.split("\t")[0].split("/").pop()), [
          "file",
          "a.txt",
          "b.txt",
        ]);
        for (const l of lines.slice(1)) assert.ok(Number(l.split("\t")[2]) > 0, l);
      }
      // The same evaluation in a call of its own, of the exports already there: the same figures.
      const ended = await Deno.readTextFile(`${dir}/rep/a/float_long.txt`);
      await Deno.remove(`${dir}/rep`, { recursive: true });
      await Deno.remove(`${dir}/out/reports.tar.xz`);
      await run(["eval", "0"], { EVAL_DIR: `${dir}/bench-files` });
      await new Deno.Command("tar", { args: ["xJf", `${dir}/out/reports.tar.xz`, "-C", dir] })
        .output();
      assert.equal(await Deno.readTextFile(`${dir}/rep/a/float_long.txt`), ended);
      assert.ok((await Deno.stat(`${dir}/rep/c/float.txt`)).size > 0);
      const bare = await new Deno.Command("bash", {
        args: ["models/training/device_train.sh", "eval", "0"],
        cwd: dir,
        env,
        stderr: "piped",
      }).output();
      assert.equal(bare.code, 1);
      assert.match(new TextDecoder().decode(bare.stderr), /eval needs EVAL_DIR/);
      await run(["resume", "120"], { STOP_AT: "6" });
      assert.match(await keep(), /^[ac]$/);

      // Its checkpoint carried in two parts to a machine without runs/b, as carry_ckpt.sh lays
      // them out (.ckpt/N/NAME): state.json and the log first, then the tensor file, in the next
      // call, whose copy of the tree no longer has .ckpt/1 (the device drops what a call does not
      // carry unless its .gitignore names it).
      await Deno.mkdir(`${dir}/.ckpt/1/b`, { recursive: true });
      await Deno.copyFile(`${dir}/runs/a/ckpt/state.json`, `${dir}/.ckpt/1/b/state.json`);
      await Deno.copyFile(`${dir}/runs/a/log.jsonl`, `${dir}/.ckpt/1/b/log.jsonl`);
      await Deno.writeTextFile(`${dir}/runs/keep.txt`, "");
      assert.match(await run(["assemble", "0"]), /not complete/);
      await Deno.remove(`${dir}/.ckpt`, { recursive: true });
      await Deno.mkdir(`${dir}/.ckpt/2/b`, { recursive: true });
      for await (const f of Deno.readDir(`${dir}/runs/a/ckpt`)) {
        if (f.name.endsWith(".bin")) {
          await Deno.copyFile(`${dir}/runs/a/ckpt/${f.name}`, `${dir}/.ckpt/2/b/${f.name}`);
        }
      }
      assert.match(await run(["assemble", "0"]), /checkpoint of step 6 in place/);
      assert.deepEqual(await info("b"), { step: 6, steps: 100000, decay: 0 });
      assert.equal((await Deno.readTextFile(`${dir}/runs/keep.txt`)).trim(), "b");

      // The cooldown: the first call sets a decay of 8 steps (to step 14) and stops at 10, the
      // second goes on to the end with the same schedule.
      await run(["cooldown", "120"], { COOL_STEPS: "8", STOP_AT: "10" });
      assert.deepEqual(await info("b"), { step: 10, steps: 14, decay: 8 });
      await run(["cooldown", "120"], { COOL_STEPS: "99" }); // ignored: the decay is under way
      assert.deepEqual(await info("b"), { step: 14, steps: 14, decay: 8 });
      const lrs = (await Deno.readTextFile(`${dir}/runs/b/log.jsonl`)).trim().split("\n")
        .map((line) => JSON.parse(line)).filter((r) => r.kind === "train" && r.step > 6)
        .map((r) => r.lr as number);
      assert.equal(lrs.length, 8);
      // 1 − sqrt from the peak 1e-3 to the floor 1e-4, falling at every step, across both calls.
      for (let i = 1; i < lrs.length; i++) assert.ok(lrs[i] < lrs[i - 1], `${lrs}`);
      assert.ok(Math.abs(lrs[7] - 1e-4) < 1e-9, `${lrs}`);
      const p = 1 / 8; // the first decay step
      assert.ok(Math.abs(lrs[0] - (1e-4 + 9e-4 * (1 - Math.sqrt(p)))) < 1e-9, `${lrs}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
