/**
 * Golden digests: the SHA-256 of the frequency tables of fixed inputs under fixed models (the
 * committed tiny model, seeded random models whose odd sizes reach every scalar tail, and one with
 * hashed n-gram tables),
 * committed here, so that any numeric drift (a kernel, the reference, the frequency rule, the
 * weight quantization, a Deno or V8 upgrade) fails CI. A change that moves these on purpose is a
 * format change: archives made before it no longer decode.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createEngine } from "../../lib/engine/engine.ts";
import { referenceTables } from "../../lib/engine/reference.ts";
import { loadModel } from "../../lib/model/model_file_read.ts";
import type { ModelFile } from "../../lib/model/model_file_types.ts";
import { LEVELS } from "../../lib/model/configs.ts";
import { ODD_CONFIG, randomModel, Rng, SMALL_CONFIG } from "./_random_model.ts";

async function sha256(tables: Uint32Array): Promise<string> {
  // Little-endian bytes of the u32 entries, whatever the host's byte order.
  const bytes = new Uint8Array(tables.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < tables.length; i++) view.setUint32(i * 4, tables[i], true);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

const TEXT = new TextEncoder().encode(
  "It was the best of times, it was the worst of times, it was the age of wisdom...",
);

const GOLDEN: {
  name: string;
  model: () => ModelFile | Promise<ModelFile>;
  input: Uint8Array;
  sha256: string;
}[] = [
  {
    name: "the committed tiny model (tests/fixtures/tiny.mgb), 64 bytes of text",
    model: () => loadModel(new URL("../fixtures/tiny.mgb", import.meta.url)),
    input: TEXT.subarray(0, 64),
    sha256: "4b21462b05b093e1f527e33bb7405050397fc3443e86caa6a2c4ac33b3dc2ab0",
  },
  {
    name: "seeded random model (small config, seed 1234), 64 bytes of text",
    model: () => randomModel(SMALL_CONFIG, 1234),
    input: TEXT.subarray(0, SMALL_CONFIG.context),
    sha256: "f3ee921d70d421141eec6856bffdd5fc57887a9261f9808ffd08e3269385108a",
  },
  {
    name: "seeded random model (odd config, seed 5678), 45 random bytes",
    model: () => randomModel(ODD_CONFIG, 5678),
    input: new Rng(5678).bytes(ODD_CONFIG.context),
    sha256: "e3b08ed2909ed431754f0ce4b35b90dd9b46ce87c8f8103e141f6ea1e24f42f0",
  },
  {
    name: "seeded random model (tinyhash level, seed 4321), 64 bytes of text",
    model: () => randomModel(LEVELS.tinyhash, 4321),
    input: TEXT.subarray(0, LEVELS.tinyhash.context),
    sha256: "9de9cbe8757e217cc37fa9c562c47d6ca4153add10fc5066e76f0d4a875f2113",
  },
];

for (const g of GOLDEN) {
  Deno.test(`the engine's tables keep their golden SHA-256: ${g.name}`, async () => {
    const model = await g.model();
    const engine = createEngine(model);
    const parallel = engine.predictSegment(g.input);
    const batch = engine.start(1);
    const incremental = new Uint32Array(g.input.length * 256);
    for (let t = 0; t < g.input.length; t++) {
      batch.predict(incremental.subarray(t * 256, (t + 1) * 256));
      batch.advance(g.input.subarray(t, t + 1));
    }
    engine.close();
    const digest = await sha256(parallel);
    console.log(`${g.name}: ${digest}`);
    assert.equal(await sha256(incremental), digest, "incremental vs parallel");
    assert.equal(await sha256(referenceTables(model, g.input)), digest, "reference vs engine");
    assert.equal(digest, g.sha256);
  });
}
