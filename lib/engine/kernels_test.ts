import assert from "node:assert/strict";
import { WasmKernels } from "./kernels.ts";

Deno.test("WasmKernels alloc() aligns to 16, reuses freed blocks and merges neighbours", () => {
  const k = new WasmKernels();
  const a = k.alloc(10), b = k.alloc(100), c = k.alloc(50);
  assert.ok([a, b, c].every((p) => p % 16 === 0));
  assert.ok(b >= a + 16 && c >= b + 112);
  k.free(a);
  k.free(b);
  assert.equal(k.alloc(120), a, "a and b merged into one free block");
  k.free(c);
  assert.throws(() => k.free(c), RangeError);
});

Deno.test("WasmKernels alloc() grows the memory and keeps what was written", () => {
  const k = new WasmKernels();
  const a = k.alloc(64);
  k.f32(a, 4).set([1, 2, 3, 4]);
  const big = k.alloc(64 << 20);
  assert.ok(k.memory.buffer.byteLength >= big + (64 << 20));
  assert.deepEqual([...k.f32(a, 4)], [1, 2, 3, 4]);
  k.free(big);
  assert.throws(() => k.alloc(5 * 2 ** 30), /at most 4 GiB/);
});
