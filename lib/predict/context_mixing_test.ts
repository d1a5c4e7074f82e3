import assert from "node:assert/strict";
import { createContextMixingPredictor } from "./context_mixing.ts";
import { ALPHABET, FREQ_TOTAL } from "./predictor.ts";

/** A seeded xorshift32 generator, so every input below is the same on every run. */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** Text-like bytes: words drawn from a small vocabulary with Zipf-like odds, plus punctuation. */
function textLike(length: number, seed: number): Uint8Array {
  const next = rng(seed);
  const words = [
    "the",
    "of",
    "and",
    "a",
    "to",
    "in",
    "is",
    "compression",
    "model",
    "byte",
    "context",
    "mixing",
    "arithmetic",
    "coder",
    "predicts",
    "every",
    "next",
    "segment",
    "table",
    "frequency",
  ];
  let s = "";
  while (s.length < length) {
    const w = words[Math.floor(words.length * next() * next())]!;
    s += w + (next() < 0.1 ? ".\n" : next() < 0.15 ? ", " : " ");
  }
  return new TextEncoder().encode(s.slice(0, length));
}

/** Bytes with no structure at all. */
function noise(length: number, seed: number): Uint8Array {
  const next = rng(seed);
  return Uint8Array.from({ length }, () => Math.floor(next() * 256));
}

/** Runs `inputs` (equal lengths) as one batch; returns each segment's tables, concatenated. */
function runBatch(inputs: Uint8Array[]): Uint32Array[] {
  const n = inputs.length;
  const length = inputs[0]!.length;
  const batch = createContextMixingPredictor().start(n);
  const tables = new Uint32Array(n * ALPHABET);
  const bytes = new Uint8Array(n);
  const all = inputs.map(() => new Uint32Array((length + 1) * ALPHABET));
  for (let i = 0; i <= length; i++) {
    batch.predict(tables);
    for (let s = 0; s < n; s++) {
      all[s]!.set(tables.subarray(s * ALPHABET, (s + 1) * ALPHABET), i * ALPHABET);
      bytes[s] = inputs[s]![i] ?? 0;
    }
    if (i < length) batch.advance(bytes);
  }
  batch.close();
  return all;
}

/** Ideal code length in bits of `bytes`, from the tables that predicted them. */
function idealBits(bytes: Uint8Array, tables: Uint32Array): number {
  let bits = 0;
  for (let i = 0; i < bytes.length; i++) {
    bits += Math.log2(FREQ_TOTAL / tables[i * ALPHABET + bytes[i]!]!);
  }
  return bits;
}

/** SHA-256 of `data` written as little-endian u32, in hex. */
async function sha256Hex(data: Uint32Array): Promise<string> {
  const bytes = new Uint8Array(data.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) view.setUint32(i * 4, data[i]!, true);
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("createContextMixingPredictor() yields tables of entries ≥ 1 summing to FREQ_TOTAL", () => {
  const inputs = [textLike(30000, 1), noise(30000, 2), new Uint8Array(30000).fill(7)];
  for (const [s, tables] of runBatch(inputs).entries()) {
    for (let i = 0; i < tables.length; i += ALPHABET) {
      let sum = 0;
      let min = FREQ_TOTAL;
      for (let v = 0; v < ALPHABET; v++) {
        const f = tables[i + v]!;
        if (f < min) min = f;
        sum += f;
      }
      if (min < 1 || sum !== FREQ_TOTAL) {
        assert.fail(`Segment ${s}, table ${i / ALPHABET}: smallest entry ${min}, sum ${sum}`);
      }
    }
  }
});

Deno.test("createContextMixingPredictor() stays valid once its context table and pool are full", () => {
  // 300 KB of noise: about 600,000 order-3/4 contexts, over the table's cap of 393,216.
  const input = noise(300_000, 13);
  const batch = createContextMixingPredictor().start(1);
  const table = new Uint32Array(ALPHABET);
  let bits = 0;
  for (let i = 0; i < input.length; i++) {
    batch.predict(table);
    let sum = 0;
    let min = FREQ_TOTAL;
    for (let v = 0; v < ALPHABET; v++) {
      sum += table[v]!;
      if (table[v]! < min) min = table[v]!;
    }
    if (min < 1 || sum !== FREQ_TOTAL) assert.fail(`Table ${i}: smallest entry ${min}, sum ${sum}`);
    bits += Math.log2(FREQ_TOTAL / table[input[i]!]!);
    batch.advance(input.subarray(i, i + 1));
  }
  batch.close();
  assert.ok(bits / input.length < 8.05, `noise: ${(bits / input.length).toFixed(4)} bits per byte`);
});

Deno.test("createContextMixingPredictor() gives the same tables in a batch of 1 and of N, in any slot", () => {
  const inputs = [textLike(6000, 3), noise(6000, 4), textLike(6000, 5), new Uint8Array(6000)];
  const alone = inputs.map((input) => runBatch([input])[0]!);
  const together = runBatch(inputs);
  const reversed = runBatch([...inputs].reverse()).reverse();
  for (let s = 0; s < inputs.length; s++) {
    assert.deepEqual(together[s], alone[s], `segment ${s} in a batch of ${inputs.length}`);
    assert.deepEqual(reversed[s], alone[s], `segment ${s} in reversed slot order`);
  }
});

Deno.test("createContextMixingPredictor() is deterministic across runs", () => {
  const input = textLike(20000, 6);
  assert.deepEqual(runBatch([input])[0], runBatch([input])[0]);
});

Deno.test("createContextMixingPredictor() learns: repetitive input costs < 1 bit per byte", () => {
  const text = textLike(20000, 7);
  const textBpb = idealBits(text, runBatch([text])[0]!) / text.length;
  assert.ok(textBpb < 2, `text-like input: ${textBpb.toFixed(3)} bits per byte`);
  const block = textLike(2000, 8);
  const repeated = new Uint8Array(20000);
  for (let i = 0; i < 10; i++) repeated.set(block, i * 2000);
  const bpb = idealBits(repeated, runBatch([repeated])[0]!) / repeated.length;
  assert.ok(bpb < 1 && bpb > 0, `a block repeated 10 times: ${bpb.toFixed(3)} bits per byte`);
  const cycle = new TextEncoder().encode("the same line, again and again\n".repeat(300));
  const cycleBpb = idealBits(cycle, runBatch([cycle])[0]!) / cycle.length;
  assert.ok(cycleBpb < 0.1, `repeated line: ${cycleBpb.toFixed(3)} bits per byte`);
});

Deno.test("createContextMixingPredictor() does not expand noise by more than 1%", () => {
  const input = noise(50000, 12);
  const bpb = idealBits(input, runBatch([input])[0]!) / input.length;
  assert.ok(bpb < 8.08, `noise: ${bpb.toFixed(4)} bits per byte`);
});

Deno.test("createContextMixingPredictor() tables match the committed golden digest", async () => {
  // Any change to the model's arithmetic changes this digest: archives made before would no
  // longer decode. Update it only together with a format version bump.
  const input = new Uint8Array([...textLike(40000, 9), ...noise(4000, 10), ...textLike(16000, 9)]);
  const digest = await sha256Hex(runBatch([input])[0]!);
  assert.equal(digest, GOLDEN_DIGEST);
});

Deno.test("createContextMixingPredictor() advance() alone gives the same later tables", () => {
  const input = textLike(3000, 11);
  const reference = runBatch([input])[0]!;
  const batch = createContextMixingPredictor().start(1);
  for (let i = 0; i < 2000; i++) batch.advance(input.subarray(i, i + 1));
  const tables = new Uint32Array(ALPHABET);
  batch.predict(tables);
  assert.deepEqual(tables, reference.subarray(2000 * ALPHABET, 2001 * ALPHABET));
  batch.close();
});

Deno.test("createContextMixingPredictor() start() and predict() reject bad sizes with RangeError", () => {
  const predictor = createContextMixingPredictor();
  assert.equal(predictor.name, "cm");
  assert.throws(() => predictor.start(-1), RangeError);
  assert.throws(() => predictor.start(1.5), RangeError);
  const batch = predictor.start(2);
  assert.throws(() => batch.predict(new Uint32Array(ALPHABET)), RangeError);
  assert.throws(() => batch.advance(new Uint8Array(1)), RangeError);
  batch.close();
  const empty = predictor.start(0);
  empty.predict(new Uint32Array(0));
  empty.advance(new Uint8Array(0));
  empty.close();
});

/** SHA-256 of every table of the golden input above (60,001 tables of 256 little-endian u32). */
const GOLDEN_DIGEST = "f5aec693145cb77cfab7a25fcc21bb327cb109f643513e369e0545439f429554";
