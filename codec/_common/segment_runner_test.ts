// This module imports no tfjs.
import assert from "node:assert/strict";
import { Random } from "../_testing/random.ts";
import { createSegmentRunner } from "./segment_runner.ts";

Deno.test("createSegmentRunner() gives the same segments in this thread and on 2 or 3 workers", async () => {
  const random = new Random(11);
  const segments = [3000, 3000, 3000, 3000, 1234].map((n) => random.text(n));
  const local = createSegmentRunner({ model: null, workers: 1, batchSize: 2 });
  const coded = await local.encode("cm", segments);
  local.close();
  for (const workers of [2, 3]) {
    const runner = createSegmentRunner({ model: null, workers, batchSize: 3 });
    try {
      assert.deepEqual(await runner.encode("cm", segments), coded);
      const raw = await runner.decode("cm", coded, segments.map((s) => s.length));
      assert.deepEqual(raw, new Uint8Array(segments.flatMap((s) => [...s])));
    } finally {
      runner.close();
    }
  }
});

Deno.test("createSegmentRunner() passes a worker's error back as a rejection", async () => {
  const runner = createSegmentRunner({ model: null, workers: 2, batchSize: 1 });
  try {
    await assert.rejects(
      runner.encode("neural", [new Uint8Array(10), new Uint8Array(10)]),
      /no model given/,
    );
  } finally {
    runner.close();
  }
});
