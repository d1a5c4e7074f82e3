/**
 * `deno bench bench/context_mixing_bench.ts`: speed of the context-mixing predictor alone
 * (predict + advance per byte, one segment, one core) on text and on random bytes, and of the same
 * refined by the secondary estimation of block method 5 (`lib/predict/sse.ts`), and of two cm
 * models mixed and refined as block method 6 refines cm and the neural model
 * (`lib/predict/sse2.ts`); then method 11's stage, which writes a table per byte, against method
 * 12's, which gives the same probabilities for the 8 nodes of the byte's path only, and method
 * 13's, method 12's with three more direct models.
 * The stages' cost grows with how flat the tables are (they refine every node with at least 1/256
 * of the mass).
 *
 * @module
 */
import { createContextMixingPredictor } from "../lib/predict/context_mixing.ts";
import { ALPHABET } from "../lib/predict/predictor.ts";
import { createSsePredictor } from "../lib/predict/sse.ts";
import {
  createSse2Predictor,
  createSse7Predictor,
  createSse8Predictor,
  createSse9Predictor,
} from "../lib/predict/sse2.ts";

/** Bytes per measured iteration. */
const SIZE = 1 << 16;

/** English-like text: a corpus file when there is one, else generated words. */
function text(): Uint8Array {
  try {
    const file = Deno.readFileSync(
      new URL("../../shared/corpora/canterbury/alice29.txt", import.meta.url),
    );
    return file.subarray(0, SIZE);
  } catch {
    const words = "the of and a to in is was it that he for with as his on be at by had".split(" ");
    let s = "";
    for (let i = 0; s.length < SIZE; i++) s += words[(i * 7919) % words.length] + " ";
    return new TextEncoder().encode(s.slice(0, SIZE));
  }
}

function random(): Uint8Array {
  const out = new Uint8Array(SIZE);
  let x = 1;
  for (let i = 0; i < SIZE; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x >>> 24;
  }
  return out;
}

/** The predictor measured: cm alone, refined by method 5's stage, or mixed and refined as 6–13. */
type Stage = "none" | "sse" | "sse2" | "sse7" | "sse8" | "sse9";

function run(bytes: Uint8Array, count: number, stage: Stage = "none"): void {
  const cm = createContextMixingPredictor();
  const predictor = stage === "sse"
    ? createSsePredictor(cm)
    : stage === "sse2"
    ? createSse2Predictor(cm, createContextMixingPredictor())
    : stage === "sse7"
    ? createSse7Predictor(cm, createContextMixingPredictor())
    : stage === "sse8"
    ? createSse8Predictor(cm, createContextMixingPredictor())
    : stage === "sse9"
    ? createSse9Predictor(cm, createContextMixingPredictor())
    : cm;
  const batch = predictor.start(count);
  const tables = new Uint32Array(count * ALPHABET);
  const step = new Uint8Array(count);
  const per = Math.floor(bytes.length / count);
  for (let i = 0; i < per; i++) {
    batch.predict(tables);
    for (let s = 0; s < count; s++) step[s] = bytes[s * per + i]!;
    if (batch.bitFrequency !== undefined) {
      // As the coder asks: the byte's path, from the root.
      for (let s = 0; s < count; s++) {
        for (let n = 1, d = 7; d >= 0; d--) {
          batch.bitFrequency(s, n);
          n = 2 * n + ((step[s]! >> d) & 1);
        }
      }
    }
    batch.advance(step);
  }
  batch.close();
}

const TEXT = text();
const RANDOM = random();

Deno.bench({
  name: "cm predict+advance, 64 KiB of text, 1 segment",
  group: "cm",
  baseline: true,
  n: 20,
  fn: () => run(TEXT, 1),
});
Deno.bench({
  name: "cm predict+advance, 64 KiB of text, 8 segments of 8 KiB",
  group: "cm",
  n: 20,
  fn: () => run(TEXT, 8),
});
Deno.bench({
  name: "cm predict+advance, 64 KiB of random bytes, 1 segment",
  group: "cm",
  n: 20,
  fn: () => run(RANDOM, 1),
});
Deno.bench({
  name: "cm refined by sse (method 5's last stage), 64 KiB of text, 1 segment",
  group: "cm",
  n: 20,
  fn: () => run(TEXT, 1, "sse"),
});
Deno.bench({
  name: "cm refined by sse (method 5's last stage), 64 KiB of random bytes, 1 segment",
  group: "cm",
  n: 20,
  fn: () => run(RANDOM, 1, "sse"),
});
Deno.bench({
  name: "two cm mixed and refined by sse2 (method 6's stages), 64 KiB of text, 1 segment",
  group: "cm",
  n: 10,
  fn: () => run(TEXT, 1, "sse2"),
});
Deno.bench({
  name: "two cm mixed and refined by sse2 (method 6's stages), 64 KiB of random bytes, 1 segment",
  group: "cm",
  n: 10,
  fn: () => run(RANDOM, 1, "sse2"),
});
Deno.bench({
  name: "two cm mixed and refined by method 11's stage (a table per byte), 16 KiB of text",
  group: "stage",
  baseline: true,
  n: 3,
  fn: () => run(TEXT.subarray(0, SIZE / 4), 1, "sse7"),
});
Deno.bench({
  name: "two cm mixed and refined by method 12's stage (the byte's 8 nodes), 16 KiB of text",
  group: "stage",
  n: 3,
  fn: () => run(TEXT.subarray(0, SIZE / 4), 1, "sse8"),
});
Deno.bench({
  name:
    "two cm mixed and refined by method 13's stage (method 12's, three more contexts), 16 KiB of text",
  group: "stage",
  n: 3,
  fn: () => run(TEXT.subarray(0, SIZE / 4), 1, "sse9"),
});
