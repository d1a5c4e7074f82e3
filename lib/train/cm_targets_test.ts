import assert from "node:assert/strict";
import { createContextMixingPredictor } from "../predict/context_mixing.ts";
import {
  CM_BUCKETS,
  CM_SEGMENT,
  cmBatch,
  cmBucket,
  computeCmTargets,
  decodeCmTargets,
  encodeCmTargets,
} from "./cm_targets.ts";
import { sha256Hex } from "./_sha256.ts";

function text(n: number, seed: number): Uint8Array {
  const words = ["the ", "cat ", "sat ", "on ", "a ", "mat ", "and ", "ran\n"];
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n;) {
    s = (s * 1103515245 + 12345) >>> 0;
    for (const c of words[s >>> 29]) if (i < n) out[i++] = c.charCodeAt(0);
  }
  return out;
}

Deno.test("computeCmTargets() gives cm's frequency of each byte, as cm predicts it step by step", () => {
  const bytes = text(3000, 1);
  const { freq, bucket } = computeCmTargets(bytes);
  const batch = createContextMixingPredictor().start(1);
  const table = new Uint32Array(256);
  for (let i = 0; i < bytes.length; i++) {
    batch.predict(table);
    assert.equal(freq[i], table[bytes[i]]);
    assert.equal(bucket[i], cmBucket(Math.max(...table) / 65536));
    batch.advance(bytes.subarray(i, i + 1));
  }
  assert.ok(bucket.some((b) => b === 4) && bucket.some((b) => b === 0));
});

Deno.test("computeCmTargets() restarts cm every CM_SEGMENT bytes, as the codec's blocks do", () => {
  const bytes = text(CM_SEGMENT + 500, 2);
  const whole = computeCmTargets(bytes);
  const tail = computeCmTargets(bytes.subarray(CM_SEGMENT));
  assert.deepEqual(whole.freq.subarray(CM_SEGMENT), tail.freq);
  assert.deepEqual(whole.bucket.subarray(CM_SEGMENT), tail.bucket);
});

Deno.test("cmBucket() splits cm's top probability at 0.4, 0.6, 0.8 and 0.95", () => {
  assert.deepEqual([0.4, 0.41, 0.6, 0.61, 0.8, 0.81, 0.95, 0.96].map(cmBucket), [
    0,
    1,
    1,
    2,
    2,
    3,
    3,
    4,
  ]);
});

Deno.test("encodeCmTargets() and decodeCmTargets() round-trip, and other bytes' targets are refused", async () => {
  const bytes = text(1000, 3);
  const targets = computeCmTargets(bytes);
  const file = { bytes, sha256: await sha256Hex(bytes) };
  const encoded = encodeCmTargets(targets, file.sha256);
  assert.equal(encoded.length, 40 + 3 * bytes.length);
  assert.deepEqual(decodeCmTargets(encoded, file, "x.cmt"), targets);
  const other = text(1000, 4);
  assert.throws(
    () => decodeCmTargets(encoded, { bytes: other, sha256: "00".repeat(32) }, "x.cmt"),
    /Cannot read cm targets x.cmt: they belong to other bytes/,
  );
  assert.throws(() => decodeCmTargets(encoded.subarray(0, 100), file, "x.cmt"), /other bytes/);
  assert.throws(() => decodeCmTargets(new Uint8Array(50), file, "x.cmt"), /not a cm targets file/);
  const bad = encoded.slice();
  bad[40 + 2 * bytes.length + 7] = CM_BUCKETS;
  assert.throws(() => decodeCmTargets(bad, file, "x.cmt"), /entry 7 is out of range/);
});

Deno.test("cmBatch() cuts each window's targets where the window was cut; CRLF windows get no mix", () => {
  const a = {
    freq: Uint16Array.from({ length: 20 }, (_, i) => 100 + i),
    bucket: new Uint8Array(20).fill(2),
  };
  const b = {
    freq: Uint16Array.from({ length: 20 }, (_, i) => 200 + i),
    bucket: new Uint8Array(20).fill(4),
  };
  const { pCm, bucket } = cmBatch([a, b], [
    { file: 1, start: 5, crlf: false },
    { file: 0, start: 0, crlf: true },
  ], 3);
  assert.deepEqual([...pCm.subarray(0, 3)].map((p) => p * 65536), [205, 206, 207]);
  assert.deepEqual([...bucket], [4, 4, 4, CM_BUCKETS, CM_BUCKETS, CM_BUCKETS]);
  assert.deepEqual([...pCm.subarray(3)], [1, 1, 1]);
});
