// This module imports no tfjs.
import assert from "node:assert/strict";
import type { EchoInit, EchoRequest, EchoResponse } from "../_testing/echo_worker.ts";
import { WorkerPool } from "./worker_pool.ts";

const ECHO = new URL("../_testing/echo_worker.ts", import.meta.url);

function echoPool(size: number): WorkerPool<EchoInit, EchoRequest, EchoResponse> {
  return new WorkerPool(ECHO, size, { tag: "t" });
}

Deno.test("WorkerPool starts workers only as requests need them, up to its size", async () => {
  const pool = echoPool(3);
  try {
    assert.equal(pool.started, 0);
    assert.deepEqual((await pool.run({ value: 1, delay: 0 })).value, 1);
    assert.equal(pool.started, 1);
    await pool.run({ value: 2, delay: 0 }); // the idle worker takes it
    assert.equal(pool.started, 1);
    const replies = await Promise.all(
      [10, 11, 12, 13, 14].map((value) => pool.run({ value, delay: 50 })),
    );
    assert.deepEqual(replies.map((r) => r.value), [10, 11, 12, 13, 14]);
    assert.ok(replies.every((r) => r.tag === "t"));
    assert.equal(pool.started, 3);
    assert.equal(new Set(replies.map((r) => r.worker)).size, 3);
  } finally {
    pool.terminate();
  }
});

Deno.test("WorkerPool stops workers over a lowered size", async () => {
  const pool = echoPool(3);
  try {
    await Promise.all([1, 2, 3].map((value) => pool.run({ value, delay: 30 })));
    assert.equal(pool.started, 3);
    pool.size = 1;
    assert.equal(pool.started, 1);
    const replies = await Promise.all([4, 5].map((value) => pool.run({ value, delay: 0 })));
    assert.equal(replies[0]!.worker, replies[1]!.worker);
    pool.size = 2; // a busy worker over the size stops once it finishes
    const busy = [6, 7].map((value) => pool.run({ value, delay: 50 }));
    pool.size = 1;
    assert.equal(pool.started, 2);
    await Promise.all(busy);
    assert.equal(pool.started, 1);
    assert.throws(() => (pool.size = 0), RangeError);
  } finally {
    pool.terminate();
  }
});

Deno.test("WorkerPool.cancel() rejects only the owner's requests not yet started", async () => {
  const pool = echoPool(1);
  try {
    const a = {};
    const b = {};
    const first = pool.run({ value: 1, delay: 50 }, [], a); // running when cancelled
    const second = pool.run({ value: 2, delay: 0 }, [], a);
    const other = pool.run({ value: 3, delay: 0 }, [], b);
    pool.cancel(a, new Error("cancelled"));
    await assert.rejects(second, /cancelled/);
    assert.equal((await first).value, 1);
    assert.equal((await other).value, 3);
  } finally {
    pool.terminate();
  }
});

Deno.test("WorkerPool passes errors back and rejects everything once terminated", async () => {
  const pool = echoPool(2);
  await assert.rejects(pool.run({ value: 1, delay: 0, fail: true }), {
    name: "RangeError",
    message: "echo 1 failed",
  });
  assert.equal(pool.failed, false);
  const pending = pool.run({ value: 2, delay: 1000 });
  pool.terminate();
  await assert.rejects(pending, /terminated/);
  assert.equal(pool.failed, true);
  assert.equal(pool.started, 0);
  await assert.rejects(pool.run({ value: 3, delay: 0 }), /terminated/);
});

Deno.test("WorkerPool stops its workers once all have been idle for idleMs, and starts them again", async () => {
  const pool = new WorkerPool<EchoInit, EchoRequest, EchoResponse>(ECHO, 2, { tag: "t" }, 50);
  try {
    await Promise.all([1, 2].map((value) => pool.run({ value, delay: 0 })));
    assert.equal(pool.started, 2);
    const slow = pool.run({ value: 3, delay: 120 }); // busy past one idle time: nothing stops
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(pool.started, 2);
    await slow;
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(pool.started, 0);
    assert.equal((await pool.run({ value: 4, delay: 0 })).value, 4);
    assert.equal(pool.started, 1);
  } finally {
    pool.terminate();
  }
});
