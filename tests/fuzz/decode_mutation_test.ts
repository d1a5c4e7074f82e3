// This module imports no tfjs.
// Ensure that a damaged archive (bits flipped, bytes changed, inserted or deleted) is rejected
// with a typed error or decodes to exactly the original, and never crashes: 1,800 seeded cases.
import assert from "node:assert/strict";
import { assertDecodesOrRejects, mutate, type Mutation, Random, samples } from "./_fuzz.ts";

const CASES: [Mutation, number][] = [
  ["bit flip", 600],
  ["byte change", 500],
  ["insertion", 400],
  ["deletion", 300],
];

const all = await samples();
for (const [kind, count] of CASES) {
  const article = kind === "insertion" ? "an" : "a";
  Deno.test(`decompress() rejects or exactly decodes archives after ${article} ${kind} (${count} seeds)`, async () => {
    let rejected = 0;
    for (let seed = 0; seed < count; seed++) {
      const sample = all[seed % all.length]!;
      const damaged = mutate(sample.archive, kind, new Random(seed * 7919 + kind.length));
      const label = `${kind} seed ${seed} on the ${sample.name} archive`;
      if (
        await assertDecodesOrRejects(damaged, sample.content, sample.model, label) === "rejected"
      ) {
        rejected++;
      }
    }
    assert.ok(rejected > count * 0.9, `only ${rejected} of ${count} rejected`);
  });
}
