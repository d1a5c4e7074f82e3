import assert from "node:assert/strict";
import { ALPHABET, FREQ_TOTAL } from "../lib/predict/predictor.ts";
import { fitWeights, mixBits, mixBucket, mixInputs, mixTables } from "./static_mix.ts";

/** Tables (T, 256) that give `sure` of the mass to byte `guess[i]` and share the rest evenly. */
function tables(guess: readonly number[], sure: number): Uint32Array {
  const out = new Uint32Array(guess.length * ALPHABET);
  const rest = Math.floor((FREQ_TOTAL * (1 - sure)) / (ALPHABET - 1));
  for (let i = 0; i < guess.length; i++) {
    out.fill(rest, i * ALPHABET, (i + 1) * ALPHABET);
    out[i * ALPHABET + guess[i]!] = FREQ_TOTAL - rest * (ALPHABET - 1);
  }
  return out;
}

Deno.test("mixBucket: five bands of cm's top probability, each split by the model's at 0.6", () => {
  assert.equal(mixBucket(0.3, 0.5), 0);
  assert.equal(mixBucket(0.3, 0.7), 1);
  assert.equal(mixBucket(0.5, 0.1), 2);
  assert.equal(mixBucket(0.7, 0.9), 5);
  assert.equal(mixBucket(0.9, 0.6), 6);
  assert.equal(mixBucket(0.99, 0.61), 9);
});

Deno.test("fitWeights trusts the part that is right, bucket by bucket", () => {
  // 100 bytes; cm is sure (0.99, bucket 8 or 9) and right, the model half sure and wrong.
  const bytes = Uint8Array.from({ length: 100 }, (_, i) => (i * 7) % 256);
  const right = [...bytes], wrong = right.map((b) => (b + 1) % 256);
  const a = mixInputs(bytes, tables(right, 0.99), tables(wrong, 0.5));
  assert.ok(a.bucket.every((b) => b === 8));
  // Another file: cm unsure (0.3) and wrong, the model sure (0.9) and right: bucket 1.
  const b = mixInputs(bytes, tables(wrong, 0.3), tables(right, 0.9));
  assert.ok(b.bucket.every((k) => k === 1));
  const lambdas = fitWeights([a, b]);
  assert.equal(lambdas[8], 1);
  assert.equal(lambdas[1], 0);
  // Buckets without bytes keep the first weight tried.
  assert.equal(lambdas[4], 0);
  // The mix then costs what the right part costs.
  assert.ok(Math.abs(mixBits(a, lambdas) - -100 * Math.log2(a.pCm[0]!)) < 1e-9);
  assert.ok(Math.abs(mixBits(b, lambdas) - -100 * Math.log2(b.pModel[0]!)) < 1e-9);
});

Deno.test("mixTables writes valid frequency tables between the two parts", () => {
  const guessCm = [1, 2, 3], guessModel = [1, 5, 6];
  const cm = tables(guessCm, 0.9), model = tables(guessModel, 0.7);
  const out = mixTables(cm, model, new Float64Array(10).fill(0.5));
  for (let i = 0; i < 3; i++) {
    const row = out.subarray(i * ALPHABET, (i + 1) * ALPHABET);
    assert.equal(row.reduce((s, f) => s + f, 0), FREQ_TOTAL);
    assert.ok(row.every((f) => f >= 1));
    // Each part's guess keeps about half of its mass.
    assert.ok(row[guessCm[i]!]! > 0.44 * FREQ_TOTAL, `${row[guessCm[i]!]}`);
    assert.ok(row[guessModel[i]!]! > 0.34 * FREQ_TOTAL, `${row[guessModel[i]!]}`);
  }
});
