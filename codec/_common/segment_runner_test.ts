// This module imports no tfjs.
import assert from "node:assert/strict";
import { Random } from "../_testing/random.ts";
import { sampleFromModel, TINY_MATCH_CONFIG, tinyModel } from "../_testing/tiny_model.ts";
import { createSegmentRunner, sharedWorkersStarted } from "./segment_runner.ts";
import { isMix, METHOD_NAMES } from "./format.ts";

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

Deno.test("createSegmentRunner(): runners of one model share one pool, stopped by the last close", async () => {
  const random = new Random(12);
  const segments = [2000, 2000, 2000, 2000].map((n) => random.text(n));
  const local = createSegmentRunner({ model: null, workers: 1, batchSize: 8 });
  const coded = await local.encode("cm", segments);
  local.close();
  assert.equal(sharedWorkersStarted(), 0); // in this thread: no pool
  const a = createSegmentRunner({ model: null, workers: 2, batchSize: 8 });
  const b = createSegmentRunner({ model: null, workers: 3, batchSize: 1 });
  try {
    const [fromA, fromB] = await Promise.all([a.encode("cm", segments), b.encode("cm", segments)]);
    assert.deepEqual(fromA, coded);
    assert.deepEqual(fromB, coded);
    assert.ok(sharedWorkersStarted() <= 3, `${sharedWorkersStarted()} workers`);
    b.close();
    assert.ok(sharedWorkersStarted() <= 2, `${sharedWorkersStarted()} workers after b closed`);
    const raw = await a.decode("cm", coded, segments.map((s) => s.length));
    assert.deepEqual(raw, new Uint8Array(segments.flatMap((s) => [...s])));
  } finally {
    a.close();
    b.close();
  }
  assert.equal(sharedWorkersStarted(), 0);
});

Deno.test("createSegmentRunner() on workers codes neural and mix segments of a model as this thread does", async () => {
  const model = tinyModel(25);
  // Neural segments are at most the model's context (64 bytes); four, so each worker gets two.
  const segments = [0, 1, 2, 3].map((i) => sampleFromModel(model, 64, i));
  const lengths = segments.map((s) => s.length);
  const local = createSegmentRunner({ model, workers: 1, batchSize: 2 });
  const expected = {
    neural: await local.encode("neural", segments),
    mix: await local.encode("mix", segments),
  };
  local.close();
  const runner = createSegmentRunner({ model, workers: 2, batchSize: 2 });
  try {
    // Each worker loads its engine on its first neural request, then makes mix from that engine.
    for (const method of ["neural", "mix"] as const) {
      assert.deepEqual(await runner.encode(method, segments), expected[method], method);
      const raw = await runner.decode(method, expected[method], lengths);
      assert.deepEqual(raw, new Uint8Array(segments.flatMap((s) => [...s])), method);
    }
  } finally {
    runner.close();
  }
});

// Every mix method, "mix" to the newest.
for (const method of METHOD_NAMES.filter(isMix)) {
  Deno.test(`createSegmentRunner() on workers spreads the neural windows of a lone ${method} segment, same bytes`, async () => {
    // context 64: the segment has 10 windows; mix-long's and mix-sse's model has a match row.
    const model = method === "mix" ? tinyModel(27) : tinyModel(29, "m", 29, TINY_MATCH_CONFIG);
    const text = new Random(28).text(64 * 5);
    const segment = new Uint8Array([...text, ...text.subarray(0, 64 * 4 + 30)]);
    const local = createSegmentRunner({ model, workers: 1, batchSize: 1 });
    const expected = await local.encode(method, [segment]);
    local.close();
    for (const workers of [2, 3]) {
      const runner = createSegmentRunner({ model, workers, batchSize: 1 });
      try {
        assert.deepEqual(await runner.encode(method, [segment]), expected, `${workers} workers`);
        // One segment on one worker would start one: the windows started them all.
        assert.equal(sharedWorkersStarted(), workers);
        const raw = await runner.decode(method, expected, [segment.length]);
        assert.deepEqual(raw, segment);
      } finally {
        runner.close();
      }
    }
    assert.equal(sharedWorkersStarted(), 0);
  });
}

Deno.test("createSegmentRunner() on workers: a model that cannot run fails the requests that need it, with its reason", async () => {
  const broken = { ...tinyModel(26), tensors: new Map() };
  const segments = [2000, 2000].map((n) => new Random(13).text(n));
  const local = createSegmentRunner({ model: null, workers: 1, batchSize: 2 });
  const coded = await local.encode("cm", segments);
  local.close();
  const runner = createSegmentRunner({ model: broken, workers: 2, batchSize: 2 });
  try {
    assert.deepEqual(await runner.encode("cm", segments), coded);
    for (const some of [segments, segments.slice(0, 1)]) { // the lone segment: by its windows
      await assert.rejects(
        runner.encode("mix", some),
        /Cannot run model tiny-random: tensor .* is missing/,
      );
    }
  } finally {
    runner.close();
  }
});
