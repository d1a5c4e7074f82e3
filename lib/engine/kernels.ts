// This module imports no tfjs.
/**
 * One instance of the engine's WebAssembly kernels (`wasm/kernels.ts`) with its own memory, and a
 * small allocator over that memory. Each kernel wrapper passes byte addresses; what each computes
 * is documented in `wasm/kernels.ts` and defined by `reference.ts`.
 *
 * @module
 */
import { quantLevels, type QuantMatrix } from "./prepared_model.ts";
import { KERNELS_WASM_BASE64 } from "./wasm/kernels_wasm.ts";

/** Addresses below this belong to the module's static data (scratch of a few KiB). */
const HEAP_START = 65536;
const PAGE = 65536;
/** wasm32 memories end at 4 GiB: 65536 pages. */
const MAX_PAGES = 65536;

let compiled: WebAssembly.Module | undefined;

/** The compiled kernels module (compiled once per JavaScript realm). */
function kernelsModule(): WebAssembly.Module {
  if (!compiled) {
    const bin = atob(KERNELS_WASM_BASE64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    compiled = new WebAssembly.Module(bytes);
  }
  return compiled;
}

interface KernelExports {
  map_f32(op: number, x: number, n: number, out: number): void;
  rmsnorm(x: number, xs: number, m: number, d: number, g: number, out: number, os: number): void;
  quantize(
    x: number,
    xs: number,
    m: number,
    k: number,
    kp: number,
    qa: number,
    aq: number,
    sc: number,
  ): void;
  qmatmul(
    aq: number,
    as: number,
    m: number,
    kp: number,
    w: number,
    ws: number,
    n: number,
    out: number,
    os: number,
    res: number,
    rs: number,
    mode: number,
  ): void;
  qmatmul8(
    aq: number,
    as: number,
    m: number,
    kp: number,
    w: number,
    ws: number,
    n: number,
    out: number,
    os: number,
    res: number,
    rs: number,
    mode: number,
  ): void;
  attention(
    qkv: number,
    qs: number,
    nb: number,
    nr: number,
    heads: number,
    hs: number,
    kv: number,
    cap: number,
    pos0: number,
    out: number,
    os: number,
    sc: number,
    qk: number,
    qq: number,
  ): void;
  freqs(x: number, m: number, out: number): void;
}

/** A quantized matrix in kernel memory, as `qmatmul` reads it. */
export interface PackedMatrix {
  /** Address of the int16 panels. */
  w: number;
  /** Address of the column scales (padded to a multiple of 8 with zeros). */
  ws: number;
  /** Rows. */
  k: number;
  /** Rows rounded up to even: the row length of quantized activations. */
  kp: number;
  /** Columns. */
  n: number;
  /** The activation range of its inputs. */
  qa: number;
  /** True when the panels hold int8 (every integer within −127..127), else int16. */
  int8: boolean;
}

/**
 * Bytes of one sequence's key/value cache for one layer: int16 keys and int16 values of `cap`
 * positions (a multiple of 16) with a float32 scale per position and head.
 *
 * @param heads Heads of the layer.
 * @param hs Head size.
 * @param cap Positions.
 * @returns Bytes (a multiple of 16).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kvCacheBytes } from "./kernels.ts";
 *
 * assert.equal(kvCacheBytes(8, 64, 512), 8 * 512 * (2 * 64 + 2 * 64 + 8)); // 1056 KiB
 * ```
 */
export function kvCacheBytes(heads: number, hs: number, cap: number): number {
  const hsp = hs + (hs & 1);
  return heads * cap * (hsp * 2 + 4 + hs * 2 + 4);
}

/**
 * Bytes of scratch the attention kernel needs for caches of `cap` positions and head size `hs`.
 *
 * @param cap Positions.
 * @param hs Head size.
 * @returns Bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { attentionScratchBytes } from "./kernels.ts";
 *
 * assert.ok(attentionScratchBytes(512, 64) > 512 * 4);
 * ```
 */
export function attentionScratchBytes(cap: number, hs: number): number {
  return cap * 4 + (cap + 16) * 2 + (hs + 1) * 2 + 16;
}

/** Operations of the `mapF32` test hook. */
export type MapOp = "exp" | "tanh" | "gelu" | "rsqrt";
const MAP_OPS: Record<MapOp, number> = { exp: 0, tanh: 1, gelu: 2, rsqrt: 3 };

/** Epilogue codes of `qmatmul`. */
export type MatmulMode = "store" | "residual" | "gelu";
const MODES: Record<MatmulMode, number> = { store: 0, residual: 1, gelu: 2 };

/**
 * A kernels instance: memory, allocator, typed views and the kernel calls.
 *
 * @example Round trip through the wasm exp
 * ```ts
 * import assert from "node:assert/strict";
 * import { WasmKernels } from "./kernels.ts";
 *
 * const k = new WasmKernels();
 * const x = k.alloc(16);
 * k.f32(x, 4).set([0, -1, -2, -3]);
 * k.mapF32("exp", x, 4, x);
 * assert.equal(k.f32(x, 4)[0], 1);
 * k.free(x);
 * ```
 */
export class WasmKernels {
  /** The instance's memory (grows; views must be taken after every allocation). */
  readonly memory: WebAssembly.Memory;
  #ex: KernelExports;
  #top = HEAP_START;
  #sizes = new Map<number, number>();
  #free: { ptr: number; size: number }[] = [];

  /** Instantiates the kernels with a fresh memory. */
  constructor() {
    this.memory = new WebAssembly.Memory({ initial: 2, maximum: MAX_PAGES });
    const instance = new WebAssembly.Instance(kernelsModule(), { env: { memory: this.memory } });
    this.#ex = instance.exports as unknown as KernelExports;
  }

  /**
   * Allocates `bytes` bytes (aligned to 16; contents undefined). Throws a RangeError when the
   * 4 GiB of a wasm32 memory would be exceeded.
   */
  alloc(bytes: number): number {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    for (let i = 0; i < this.#free.length; i++) {
      const block = this.#free[i];
      if (block.size < size) continue;
      if (block.size === size) this.#free.splice(i, 1);
      else {
        this.#free[i] = { ptr: block.ptr + size, size: block.size - size };
      }
      this.#sizes.set(block.ptr, size);
      return block.ptr;
    }
    const ptr = this.#top;
    const end = ptr + size;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE);
      if (have / PAGE + pages > MAX_PAGES) {
        throw new RangeError(
          `Cannot allocate ${bytes} bytes of engine memory: a wasm32 memory holds at most 4 GiB`,
        );
      }
      this.memory.grow(
        Math.max(pages, Math.min(MAX_PAGES - have / PAGE, Math.floor(have / PAGE / 4))),
      );
    }
    this.#top = end;
    this.#sizes.set(ptr, size);
    return ptr;
  }

  /** Frees a block from `alloc` (0 is ignored). */
  free(ptr: number): void {
    if (ptr === 0) return;
    const size = this.#sizes.get(ptr);
    if (size === undefined) {
      throw new RangeError(`Cannot free engine memory at ${ptr}: not allocated`);
    }
    this.#sizes.delete(ptr);
    let block = { ptr, size };
    // Insert sorted by address, merging with neighbours.
    let i = 0;
    while (i < this.#free.length && this.#free[i].ptr < ptr) i++;
    const prev = this.#free[i - 1];
    if (prev && prev.ptr + prev.size === block.ptr) {
      block = { ptr: prev.ptr, size: prev.size + block.size };
      this.#free.splice(--i, 1);
    }
    const next = this.#free[i];
    if (next && block.ptr + block.size === next.ptr) {
      block = { ptr: block.ptr, size: block.size + next.size };
      this.#free.splice(i, 1);
    }
    if (block.ptr + block.size === this.#top) this.#top = block.ptr;
    else this.#free.splice(i, 0, block);
  }

  /** Bytes between the heap start and the highest allocation. */
  get heapBytes(): number {
    return this.#top - HEAP_START;
  }

  /** A float32 view of `n` values at `ptr` (valid until the next allocation). */
  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n);
  }

  /** An int16 view of `n` values at `ptr`. */
  i16(ptr: number, n: number): Int16Array {
    return new Int16Array(this.memory.buffer, ptr, n);
  }

  /** A uint32 view of `n` values at `ptr`. */
  u32(ptr: number, n: number): Uint32Array {
    return new Uint32Array(this.memory.buffer, ptr, n);
  }

  /**
   * Copies a quantized matrix into kernel memory in `qmatmul`'s layout: panels of 8 columns; in a
   * panel, for each pair of rows (2i, 2i+1), columns 0-3 then 4-7, each as (W[2i][c], W[2i+1][c]).
   * Integers within −127..127 (a model file's int8 tensors) are stored as int8, half the memory;
   * `qmatmul` reads either exactly.
   */
  packMatrix(m: QuantMatrix): PackedMatrix {
    const kp = m.k + (m.k & 1);
    const np = Math.ceil(m.n / 8) * 8;
    const int8 = m.q.every((v) => v >= -127 && v <= 127);
    const w = this.alloc(kp * np * (int8 ? 1 : 2));
    const ws = this.alloc(np * 4);
    const dst = int8 ? new Int8Array(this.memory.buffer, w, kp * np) : this.i16(w, kp * np);
    dst.fill(0);
    const half = kp / 2;
    for (let i = 0; i < m.k; i++) {
      for (let j = 0; j < m.n; j++) {
        const c = j & 7;
        dst[((j >> 3) * half + (i >> 1)) * 16 + (c >> 2) * 8 + (c & 3) * 2 + (i & 1)] =
          m.q[i * m.n + j];
      }
    }
    const scales = this.f32(ws, np);
    scales.fill(0);
    scales.set(m.scale);
    return { w, ws, k: m.k, kp, n: m.n, qa: m.qa, int8 };
  }

  /** Test hook: `out[i] = op(x[i])`, lanes of four with a scalar tail. */
  mapF32(op: MapOp, x: number, n: number, out: number): void {
    this.#ex.map_f32(MAP_OPS[op], x, n, out);
  }

  /** RMSNorm of m rows of d floats (strides in floats): `reference.rmsnormRow` per row. */
  rmsnorm(x: number, xs: number, m: number, d: number, g: number, out: number, os: number): void {
    this.#ex.rmsnorm(x, xs, m, d, g, out, os);
  }

  /** Quantizes m rows of k floats into int16 rows of kp: `reference.quantizeRow` per row. */
  quantize(
    x: number,
    xs: number,
    m: number,
    k: number,
    kp: number,
    qa: number,
    aq: number,
    sc: number,
  ): void {
    this.#ex.quantize(x, xs, m, k, kp, qa, aq, sc);
  }

  /**
   * `out = epilogue(dequant(aq @ W))` for m quantized rows (row stride `os` floats; "residual" adds
   * to what `out` holds): `reference.qmatmulRow` per row.
   */
  qmatmul(
    aq: number,
    as: number,
    m: number,
    w: PackedMatrix,
    out: number,
    os: number,
    mode: MatmulMode,
  ): void {
    const fn = w.int8 ? this.#ex.qmatmul8 : this.#ex.qmatmul;
    fn(aq, as, m, w.kp, w.w, w.ws, w.n, out, os, out, os, MODES[mode]);
  }

  /**
   * Causal attention with integer key/value caches (layout in `wasm/kernels.ts`): stores the new
   * rows' keys and values of nb sequences at positions pos0.., then `reference.attendRow` per new
   * row and head. `kv` is the first sequence's cache ({@link kvCacheBytes} per sequence); `sc` a
   * scratch of {@link attentionScratchBytes}.
   */
  attention(
    qkv: number,
    qs: number,
    nb: number,
    nr: number,
    heads: number,
    hs: number,
    kv: number,
    cap: number,
    pos0: number,
    out: number,
    os: number,
    sc: number,
  ): void {
    const { qw, qa } = quantLevels(hs);
    this.#ex.attention(qkv, qs, nb, nr, heads, hs, kv, cap, pos0, out, os, sc, qw, qa);
  }

  /** Frequency tables of m rows of 256 logits: `reference.freqsFromLogits` per row. */
  freqs(x: number, m: number, out: number): void {
    this.#ex.freqs(x, m, out);
  }
}
