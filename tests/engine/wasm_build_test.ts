/**
 * The committed WebAssembly binary is the build of its committed source: rebuilding
 * `lib/engine/wasm/kernels.ts` gives `kernels.wasm` byte for byte, and `kernels_wasm.ts` (what
 * the engine loads) embeds exactly those bytes.
 *
 * @module
 */
import assert from "node:assert/strict";
import { buildKernels, embedSource } from "../../lib/engine/wasm/build.ts";
import { KERNELS_WASM_BASE64 } from "../../lib/engine/wasm/kernels_wasm.ts";

const WASM_DIR = new URL("../../lib/engine/wasm/", import.meta.url);

Deno.test("buildKernels() reproduces the committed kernels.wasm and kernels_wasm.ts", async () => {
  const built = await buildKernels();
  const committed = await Deno.readFile(new URL("kernels.wasm", WASM_DIR));
  assert.equal(
    built.length,
    committed.length,
    "rebuild `deno task build:wasm` and commit the result",
  );
  assert.deepEqual(built, committed, "rebuild `deno task build:wasm` and commit the result");
  assert.equal(embedSource(built), await Deno.readTextFile(new URL("kernels_wasm.ts", WASM_DIR)));
});

Deno.test("kernels_wasm.ts embeds kernels.wasm, which imports nothing but its memory", async () => {
  const committed = await Deno.readFile(new URL("kernels.wasm", WASM_DIR));
  const embedded = Uint8Array.from(atob(KERNELS_WASM_BASE64), (c) => c.charCodeAt(0));
  assert.deepEqual(embedded, committed);
  const module = new WebAssembly.Module(embedded);
  assert.deepEqual(WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`), [
    "env.memory",
  ]);
});
