// This module imports no tfjs.
import assert from "node:assert/strict";
import { ArraySource, ChunkQueue } from "./byte_source.ts";

Deno.test("ArraySource.readUpTo() returns views, fewer bytes only at the end", async () => {
  const source = new ArraySource(new Uint8Array([1, 2, 3, 4, 5]));
  assert.deepEqual(await source.readUpTo(2), new Uint8Array([1, 2]));
  assert.equal(await source.atEnd(), false);
  assert.deepEqual(await source.readUpTo(9), new Uint8Array([3, 4, 5]));
  assert.equal(source.position, 5);
  assert.equal(await source.atEnd(), true);
});

Deno.test("ChunkQueue.readUpTo() assembles reads across chunks and copies them", async () => {
  const queue = new ChunkQueue();
  const reading = queue.readUpTo(5);
  const first = new Uint8Array([1, 2, 3]);
  const pushed = queue.push(first);
  void queue.push(new Uint8Array([4, 5, 6]));
  const bytes = await reading;
  first[0] = 99; // the caller may reuse its chunk: what was read must not change
  assert.deepEqual(bytes, new Uint8Array([1, 2, 3, 4, 5]));
  await pushed;
  queue.end();
  assert.deepEqual(await queue.readUpTo(5), new Uint8Array([6]));
  assert.equal(await queue.atEnd(), true);
  assert.equal(queue.position, 6);
});

Deno.test("ChunkQueue.push() resolves only once the reader took the whole chunk", async () => {
  const queue = new ChunkQueue();
  let resolved = false;
  const pushed = queue.push(new Uint8Array(10)).then(() => {
    resolved = true;
  });
  await queue.readUpTo(4);
  await Promise.resolve();
  assert.equal(resolved, false, "6 bytes are still buffered");
  await queue.readUpTo(6);
  await pushed;
  assert.equal(resolved, true);
});

Deno.test("ChunkQueue.atEnd() waits for more input or the end", async () => {
  const queue = new ChunkQueue();
  const waiting = queue.atEnd();
  void queue.push(new Uint8Array([1]));
  assert.equal(await waiting, false);
  await queue.readUpTo(1);
  const ending = queue.atEnd();
  queue.end();
  assert.equal(await ending, true);
});

Deno.test("ChunkQueue.fail() rejects the pending read and releases pushers", async () => {
  const queue = new ChunkQueue();
  const reading = queue.readUpTo(10);
  const pushed = queue.push(new Uint8Array(3));
  queue.fail(new RangeError("stop"));
  await assert.rejects(reading, RangeError);
  await pushed;
  await assert.rejects(queue.atEnd(), RangeError);
});
