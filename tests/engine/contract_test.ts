/**
 * The determinism contract of DESIGN.md: for one model and one prefix, the engine yields the
 * reference's frequency tables bit for bit, whatever the batch size, the segment's slot, the
 * segment lengths in the batch, the engine instance, and parallel (predictSegment) vs incremental
 * (predict/advance) evaluation. Models: the committed tiny model (`tests/fixtures/tiny.mgb`,
 * trained, int8), and seeded random ones: SMALL_CONFIG hits the vector paths, ODD_CONFIG (P = 3,
 * head sizes 6 and 5) the scalar tails; `tinyhash` and ODD_HASH_CONFIG add hashed n-gram tables
 * (the engine must hash the same bytes, across patches, on both paths and in every slot).
 *
 * @module
 */
import assert from "node:assert/strict";
import { createEngine, type Engine } from "../../lib/engine/engine.ts";
import { referenceTables } from "../../lib/engine/reference.ts";
import type { MegabyteConfig } from "../../lib/model/config.ts";
import { LEVELS } from "../../lib/model/configs.ts";
import { loadModel } from "../../lib/model/model_file_read.ts";
import { ODD_CONFIG, ODD_HASH_CONFIG, randomModel, Rng, SMALL_CONFIG } from "./_random_model.ts";

const TINY = await loadModel(new URL("../fixtures/tiny.mgb", import.meta.url));

/** Runs `segments` through one batch (shorter ones padded with junk), returns each one's tables. */
function incremental(engine: Engine, segments: Uint8Array[], rng: Rng): Uint32Array[] {
  const B = segments.length;
  const steps = Math.max(...segments.map((s) => s.length));
  const out = segments.map((s) => new Uint32Array(s.length * 256));
  const batch = engine.start(B);
  const tables = new Uint32Array(B * 256);
  const bytes = new Uint8Array(B);
  for (let t = 0; t < steps; t++) {
    batch.predict(tables);
    for (let b = 0; b < B; b++) {
      if (t < segments[b].length) {
        out[b].set(tables.subarray(b * 256, (b + 1) * 256), t * 256);
        bytes[b] = segments[b][t];
      } else bytes[b] = rng.u32() & 255; // a finished segment: anything
    }
    batch.advance(bytes);
  }
  batch.close();
  return out;
}

function firstDifference(a: Uint32Array, b: Uint32Array): string {
  assert.equal(a.length, b.length, "table lengths");
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      return `position ${Math.floor(i / 256)}, byte value ${i % 256}: ${a[i]} vs ${b[i]}`;
    }
  }
  return "";
}

function assertSameTables(actual: Uint32Array, expected: Uint32Array, what: string): void {
  const diff = firstDifference(actual, expected);
  assert.equal(diff, "", `${what}: tables differ at ${diff}`);
}

/** Test segments: the boundary lengths around patches and the context, plus text. */
function segmentsFor(config: MegabyteConfig, rng: Rng): Uint8Array[] {
  const P = config.patchSize, T = config.context;
  const text = new TextEncoder().encode("The quick brown fox jumps over the lazy dog. ".repeat(4));
  return [
    rng.bytes(1),
    rng.bytes(P - 1 || 1),
    rng.bytes(P),
    rng.bytes(P + 1),
    rng.bytes(T),
    text.subarray(0, T),
    new Uint8Array(T - 1), // all zeros
    rng.bytes(2 * P + 1 + rng.int(T - 2 * P - 1)),
  ];
}

for (
  const [label, model, seed] of [
    ["tiny.mgb", TINY, 10],
    ["small", randomModel(SMALL_CONFIG, 11), 11],
    ["odd", randomModel(ODD_CONFIG, 12), 12],
    ["tinyhash", randomModel(LEVELS.tinyhash, 13), 13],
    ["oddhash", randomModel(ODD_HASH_CONFIG, 14), 14],
    ["tinymatch", randomModel(LEVELS.tinymatch, 15), 15],
  ] as const
) {
  const config = model.config;
  const segments = segmentsFor(config, new Rng(seed + 100));

  Deno.test(`predictSegment() equals the reference tables (${label})`, () => {
    const engine = createEngine(model);
    for (const s of segments) {
      assertSameTables(engine.predictSegment(s), referenceTables(model, s), `length ${s.length}`);
    }
    assert.equal(engine.predictSegment(new Uint8Array(0)).length, 0);
    engine.close();
  });

  Deno.test(`a batch of 1 (predict/advance) equals predictSegment() (${label})`, () => {
    const engine = createEngine(model);
    const rng = new Rng(seed + 200);
    for (const s of segments) {
      const [tables] = incremental(engine, [s], rng);
      assertSameTables(tables, engine.predictSegment(s), `length ${s.length}`);
    }
    engine.close();
  });

  Deno.test(`a batch of N gives every segment its batch-of-1 tables, in any slot (${label})`, () => {
    const engine = createEngine(model);
    const rng = new Rng(seed + 300);
    const alone = segments.map((s) => engine.predictSegment(s));
    const together = incremental(engine, segments, rng);
    const reversed = incremental(engine, segments.slice().reverse(), rng).reverse();
    for (let i = 0; i < segments.length; i++) {
      assertSameTables(together[i], alone[i], `segment ${i} in slot ${i} of ${segments.length}`);
      assertSameTables(reversed[i], alone[i], `segment ${i} in slot ${segments.length - 1 - i}`);
    }
    engine.close();
  });
}

for (
  const [label, config] of [
    ["small", SMALL_CONFIG],
    ["tinyhash", LEVELS.tinyhash],
    ["tinymatch", LEVELS.tinymatch],
  ] as const
) {
  Deno.test(`two engine instances of one model give identical tables, interleaved batches too (${label})`, () => {
    const model = randomModel(config, 21);
    const rng = new Rng(22);
    const a = createEngine(model), b = createEngine(model);
    const s = rng.bytes(config.context);
    const ba = a.start(2), bb = b.start(3);
    const ta = new Uint32Array(2 * 256), tb = new Uint32Array(3 * 256);
    for (let t = 0; t < s.length; t++) {
      ba.predict(ta);
      bb.predict(tb);
      assert.deepEqual(ta.subarray(256, 512), tb.subarray(512, 768), `position ${t}`);
      ba.advance(new Uint8Array([rng.u32() & 255, s[t]]));
      bb.advance(new Uint8Array([0, 1, s[t]]));
    }
    ba.close(), bb.close(), a.close(), b.close();
  });
}

for (const [label, config] of [["odd", ODD_CONFIG], ["oddhash", ODD_HASH_CONFIG]] as const) {
  Deno.test(`advance() without predict() keeps the tables of later positions exact (${label})`, () => {
    const model = randomModel(config, 31);
    const engine = createEngine(model);
    const s = new Rng(32).bytes(config.context);
    const expected = engine.predictSegment(s);
    const batch = engine.start(1);
    const table = new Uint32Array(256);
    for (let t = 0; t < s.length; t++) {
      if (t % 5 === 2 || t > 30) {
        batch.predict(table);
        assertSameTables(table, expected.subarray(t * 256, (t + 1) * 256), `position ${t}`);
      }
      batch.advance(s.subarray(t, t + 1));
    }
    batch.close();
    engine.close();
  });
}

Deno.test("the engine rejects segments beyond the context, wrong sizes and closed batches", () => {
  const engine = createEngine(randomModel(SMALL_CONFIG, 41));
  assert.throws(() => engine.predictSegment(new Uint8Array(SMALL_CONFIG.context + 1)), RangeError);
  assert.throws(() => engine.start(0), RangeError);
  const batch = engine.start(2);
  assert.throws(() => batch.predict(new Uint32Array(256)), RangeError);
  assert.throws(() => batch.advance(new Uint8Array(3)), RangeError);
  for (let t = 0; t < SMALL_CONFIG.context; t++) batch.advance(new Uint8Array(2));
  assert.equal(batch.position, SMALL_CONFIG.context);
  assert.throws(() => batch.predict(new Uint32Array(512)), /context of 64 bytes/);
  batch.close();
  assert.throws(() => batch.advance(new Uint8Array(2)), TypeError);
  engine.close();
  assert.throws(() => engine.predictSegment(new Uint8Array(1)), TypeError);
});

Deno.test("createEngine() rejects a model whose tensors do not match its config", () => {
  const model = randomModel(SMALL_CONFIG, 51);
  model.tensors.get("local.head")!.data[5] = NaN;
  assert.throws(() => createEngine(model), /non-finite value/);
  model.tensors.delete("g2l.w");
  assert.throws(() => createEngine(model), /tensor g2l.w is missing/);
});
