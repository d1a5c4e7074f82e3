import assert from "node:assert/strict";
import { type LogRecord, RunLog } from "./run_log.ts";

const train = (step: number): LogRecord => ({
  kind: "train",
  step,
  bytesSeen: step * 10,
  lr: 1e-3,
  bpb: 8 - step / 10,
  gradNorm: 1,
  bytesPerSecond: 100,
});

Deno.test("RunLog.open() keeps records up to the checkpoint's step and drops later ones", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/log.jsonl`;
  try {
    const log = await RunLog.open(path, 0);
    for (let s = 1; s <= 5; s++) log.write(train(s));
    log.close();
    const resumed = await RunLog.open(path, 3);
    assert.deepEqual(resumed.records.map((r) => r.step), [1, 2, 3]);
    resumed.write(train(4));
    resumed.close();
    const lines = (await Deno.readTextFile(path)).trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines, [train(1), train(2), train(3), train(4)]);
    const fresh = await RunLog.open(path, 0);
    fresh.close();
    assert.equal(await Deno.readTextFile(path), "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
