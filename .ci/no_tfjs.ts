/**
 * Checks the promise "This module imports no tfjs." (DESIGN.md, STYLE.md): every module of
 * `codec/`, `lib/engine/`, `lib/predict/` and the model-file reader/writer starts with that line,
 * and no module that states it reaches tfjs through its imports, directly or indirectly
 * (static imports, re-exports and literal dynamic imports are followed).
 *
 * Run by `deno task test`: `deno run --allow-read .ci/no_tfjs.ts`. Exits 1 and names each
 * offending module and the import chain that reaches tfjs.
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url);
const HEADER = "// This module imports no tfjs.";
const FOLDERS = ["codec/", "lib/engine/", "lib/predict/"];
/** AssemblyScript kernel sources and their build script: no header needed, still no tfjs. */
const HEADER_EXEMPT = /^lib\/engine\/wasm\//;
const FILES = [
  "lib/model/model_file_read.ts",
  "lib/model/model_file_write.ts",
  "lib/model/model_file_types.ts",
];
const IMPORT =
  /(?:import|export)\s+(?:type\s+)?(?:[^'"`;]*?\s+from\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** Every .ts file under `folder` (relative to the root), skipping tests. */
async function walk(folder: string, out: string[]): Promise<void> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(new URL(folder, ROOT)));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  for (const entry of entries) {
    const path = folder + entry.name;
    if (entry.isDirectory) await walk(`${path}/`, out);
    else if (/\.ts$/.test(entry.name) && !/_test\.ts$/.test(entry.name)) out.push(path);
  }
}

/** The specifiers a module imports (comments are not stripped: a false alarm is visible). */
function importsOf(source: string): string[] {
  const out: string[] = [];
  for (const match of source.matchAll(IMPORT)) out.push(match[1] ?? match[2]!);
  return out;
}

const cache = new Map<string, string[] | null>();

/** The chain from `path` to a tfjs import, or null when there is none. */
async function tfjsChain(path: string, seen: Set<string>): Promise<string[] | null> {
  if (cache.has(path)) return cache.get(path)!;
  if (seen.has(path)) return null;
  seen.add(path);
  let source: string;
  try {
    source = await Deno.readTextFile(new URL(path, ROOT));
  } catch {
    return null; // a missing module is `deno check`'s to report
  }
  let result: string[] | null = null;
  for (const specifier of importsOf(source)) {
    if (/(^|npm:)@tensorflow\//.test(specifier)) {
      result = [path, specifier];
      break;
    }
    if (!specifier.startsWith(".")) continue;
    const target = new URL(specifier, new URL(path, ROOT)).href.slice(ROOT.href.length);
    const chain = await tfjsChain(target, seen);
    if (chain) {
      result = [path, ...chain];
      break;
    }
  }
  cache.set(path, result);
  return result;
}

const modules: string[] = [];
for (const folder of FOLDERS) await walk(folder, modules);
for (const file of FILES) {
  if (await Deno.stat(new URL(file, ROOT)).then(() => true, () => false)) modules.push(file);
}

const problems: string[] = [];
for (const path of modules.sort()) {
  const source = await Deno.readTextFile(new URL(path, ROOT));
  if (!source.startsWith(HEADER) && !HEADER_EXEMPT.test(path)) {
    problems.push(`${path}: does not start with "${HEADER}"`);
  }
  const chain = await tfjsChain(path, new Set());
  if (chain) problems.push(`${path}: reaches tfjs: ${chain.join(" -> ")}`);
}
if (problems.length > 0) {
  for (const problem of problems) console.error(`no-tfjs: ${problem}`);
  Deno.exit(1);
}
console.log(`no-tfjs: ${modules.length} modules checked, none reaches tfjs`);
