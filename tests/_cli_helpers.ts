/**
 * Helpers for the CLI end-to-end tests: run `cli/main.ts` in a child Deno with exactly the
 * permission flags of the `megazip` task in deno.json, in a temporary folder.
 *
 * @module
 */
import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import { LEVELS } from "../lib/model/configs.ts";
import type { ModelTensor } from "../lib/model/model_file_types.ts";
import { writeModelFile } from "../lib/model/model_file_write.ts";
import { tensorShapes } from "../lib/model/tensor_shapes.ts";

/** The CLI's entry point. */
export const MAIN_PATH: string = new URL("../cli/main.ts", import.meta.url).pathname;

/** The `deno run` flags of the `megazip` task, e.g. ["--allow-read", "--allow-write", ...]. */
export const TASK_FLAGS: string[] = (() => {
  const words = denoJson.tasks.megazip.split(/\s+/);
  assert.equal(words[0], "deno");
  assert.equal(words[1], "run");
  assert.equal(words.at(-1), "cli/main.ts");
  return words.slice(2, -1);
})();

/** What one run of the CLI gave. */
export interface CliResult {
  /** The exit code. */
  code: number;
  /** Everything written to stdout. */
  stdout: Uint8Array;
  /** Everything written to stderr, as text. */
  stderr: string;
}

/** Options of {@link megazip}. */
export interface MegazipOptions {
  /** Working directory. */
  cwd?: string;
  /** Bytes fed to stdin; when absent stdin is empty (not a terminal). */
  stdin?: Uint8Array;
  /** Extra environment variables (MEGAZIP_MODEL is cleared unless set here). */
  env?: Record<string, string>;
  /** `deno run` flags instead of the task's. */
  flags?: string[];
}

/**
 * Runs `megazip ARGS` as the `megazip` task would.
 *
 * @param args The arguments after the program name.
 * @param options Working directory, stdin and environment.
 * @returns The exit code, stdout and stderr.
 */
export async function megazip(args: string[], options: MegazipOptions = {}): Promise<CliResult> {
  const command = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...(options.flags ?? TASK_FLAGS), MAIN_PATH, ...args],
    cwd: options.cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { MEGAZIP_MODEL: "", NO_COLOR: "1", ...options.env },
  });
  const child = command.spawn();
  const writer = child.stdin.getWriter();
  // The child may exit before reading all of stdin (e.g. a usage error): ignore a broken pipe.
  await writer.write(options.stdin ?? new Uint8Array()).catch(() => {});
  await writer.close().catch(() => {});
  const output = await child.output();
  return {
    code: output.code,
    stdout: output.stdout,
    stderr: new TextDecoder().decode(output.stderr),
  };
}

/**
 * Starts `megazip ARGS` as the `megazip` task would, with stdin closed, stdout and stderr piped.
 *
 * @param args The arguments after the program name.
 * @param cwd The working directory.
 * @returns The child process.
 */
export function spawnMegazip(args: string[], cwd?: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...TASK_FLAGS, MAIN_PATH, ...args],
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { MEGAZIP_MODEL: "", NO_COLOR: "1" },
  }).spawn();
}

/** Whether util-linux `script` is here to give the CLI a terminal. */
export async function hasScript(): Promise<boolean> {
  return await hasCommand("script");
}

/**
 * Runs `megazip ARGS` (a shell word list) as the task would, with stdout and stderr on a terminal
 * made by util-linux `script`; stdout of the result is what the terminal showed.
 *
 * @param args The arguments after the program name, as shell words.
 * @param cwd The working directory.
 * @returns The exit code and what the terminal showed.
 */
export function megazipOnTerminal(args: string, cwd: string): Promise<Deno.CommandOutput> {
  return new Deno.Command("script", {
    args: [
      "-qec",
      `'${Deno.execPath()}' run --quiet ${TASK_FLAGS.join(" ")} '${MAIN_PATH}' ${args}`,
      "/dev/null",
    ],
    cwd,
    stdin: "null",
    env: { MEGAZIP_MODEL: "", NO_COLOR: "1" },
  }).output();
}

/** Asserts the CLI failed cleanly: the code, one line on stderr, no stack trace. */
export function assertCleanFailure(result: CliResult, code: number, pattern?: RegExp): void {
  assert.equal(result.code, code, `exit code ${result.code}, stderr: ${result.stderr}`);
  const lines = result.stderr.split("\n").filter((line) => line !== "");
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0]!, /^megazip: /);
  assert.doesNotMatch(result.stderr, /\n\s+at |Error:|Uncaught/);
  if (pattern) assert.match(lines[0]!, pattern);
}

/** Whether the command `name` is here: it runs `name --version` successfully. */
export async function hasCommand(name: string): Promise<boolean> {
  return await new Deno.Command(name, { args: ["--version"], stdout: "null", stderr: "null" })
    .output().then((o) => o.success, () => false);
}

/** A fresh temporary folder, removed by the returned function. */
export async function tempDir(): Promise<{ dir: string; [Symbol.asyncDispose](): Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "megazip_cli_test_" });
  return {
    dir,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** The sorted names in a folder. */
export async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

/**
 * Deterministic sample text and binary (xorshift32 from `seed`): a mix that compresses, with
 * every byte value present.
 *
 * @param size Bytes wanted.
 * @param seed PRNG seed.
 * @returns The bytes.
 */
export function sampleBytes(size: number, seed = 1): Uint8Array {
  const words = ["megazip ", "compresses ", "bytes ", "with ", "a ", "transformer ", "model\n"];
  const out = new Uint8Array(size);
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  let i = 0;
  while (i < size) {
    if (i < 256 && size >= 512) {
      out[i] = i; // every byte value, once
      i++;
      continue;
    }
    const word = words[next() % words.length]!;
    for (let j = 0; j < word.length && i < size; j++) out[i++] = word.charCodeAt(j);
  }
  return out;
}

/**
 * The bytes of a small model file (the "tiny" level) with seeded random weights: enough for an
 * archive to name a model, and for the codec to run it if the engine can.
 *
 * @param seed Seeds the weights: different seeds give different models (different hashes).
 * @param name The model's name.
 * @returns The `.mgb` bytes.
 */
export function tinyModelBytes(seed: number, name = `tiny-${seed}`): Uint8Array {
  const config = LEVELS.tiny!;
  let state = seed >>> 0 || 1;
  const tensors = new Map<string, ModelTensor>();
  for (const [tensor, shape] of tensorShapes(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      data[i] = (state / 2 ** 32 - 0.5) * 0.2;
    }
    tensors.set(tensor, { shape, data });
  }
  return writeModelFile({
    name,
    config,
    tensors,
    metadata: { data: "random weights for CLI tests", steps: 0, bytesSeen: 0, validBpb: NaN },
  });
}
