// This module imports no tfjs.
/**
 * The exact engine: a model file run by the WebAssembly kernels, either one byte at a time for a
 * batch of segments (the decoder: key/value caches over patches for the global model and within
 * the patch for the local model, the global model run once per patch) or over a whole segment at
 * once (the encoder: every matrix product over all rows). Both give, bit for bit, the tables of
 * `reference.ts` (`tests/engine/contract_test.ts`).
 *
 * Shape letters: `B` batch, `T` context, `K` patches, `P` patch size, `DG`, `E = P·DG`, `DL`,
 * `V = 256`.
 *
 * @module
 */
import type { MegabyteConfig } from "../model/config.ts";
import type { ModelFile } from "../model/model_file_types.ts";
import { ngramRow } from "../model/ngram.ts";
import { MatchIndex, matchRow } from "../model/match.ts";
import { ALPHABET, type PredictorBatch } from "../predict/predictor.ts";
import { attentionScratchBytes, kvCacheBytes, type PackedMatrix, WasmKernels } from "./kernels.ts";
import {
  addNgramRow,
  type PreparedBlock,
  type PreparedModel,
  prepareModel,
} from "./prepared_model.ts";

/** A batch of segments advanced one byte at a time (the decoder's path). */
export interface EngineBatch extends PredictorBatch {
  /** Bytes already advanced (the same for every segment of the batch). */
  readonly position: number;
}

/**
 * Where a batch's match rows come from when not from each segment's own bytes (`start`): the row
 * of byte t of segment `slot`, −1 for none, asked for t in increasing order once bytes 0..t−1 of
 * that segment were advanced. The "mix-long" method (codec/FORMAT.md, Appendix D) answers from the
 * whole codec segment before the window (`lib/predict/long_match.ts`).
 */
export type MatchRowOf = (slot: number, t: number) => number;

/** A model loaded into the engine. */
export interface Engine {
  /** The model's sizes. */
  readonly config: MegabyteConfig;
  /** Bytes of key/value cache one segment of a batch holds (the batch's memory grows with it). */
  readonly cacheBytesPerSegment: number;
  /**
   * Starts `count` empty segments; with `matchRowOf` (a model with a match row), their match rows
   * come from it instead of from each segment's bytes.
   */
  start(count: number, matchRowOf?: MatchRowOf): EngineBatch;
  /**
   * The tables of every position of `bytes` (at most `config.context` bytes), computed over the
   * whole segment at once: `result[t * 256 + v]`. Equal to `start(1)` with predict/advance.
   * `matchRows`: the match row of each position (−1: none) instead of the segment's own, as
   * `start`'s `matchRowOf` would give them.
   */
  predictSegment(bytes: Uint8Array, matchRows?: Int32Array): Uint32Array;
  /** The logits behind `predictSegment`, (T, 256), for float comparisons and bits per byte. */
  logits(bytes: Uint8Array, matchRows?: Int32Array): Float32Array;
  /** Releases the engine's memory; later calls throw. */
  close(): void;
}

interface PackedBlock {
  ln1: number;
  wqkv: PackedMatrix;
  wo: PackedMatrix;
  ln2: number;
  w1: PackedMatrix;
  w2: PackedMatrix;
}

/** A layer's key/value cache: `kvCacheBytes` per sequence, sequences one after another. */
type LayerCache = number;

/** Rows of a layer that attend together: nb sequences of nr rows from row `row0`, caches from `seq0`. */
interface AttendGroup {
  row0: number;
  nb: number;
  nr: number;
  seq0: number;
  pos0: number;
}

const ceil = (x: number, m: number) => Math.ceil(x / m) * m;

/**
 * Writes the local input of byte t of a segment (`lib/model/ARCHITECTURE.md`, step 5) to
 * `out[o..o+DL)`: `l_glob + local.pos_emb[p] + prev + ngram_2 + … + ngram_{H+1} + match`, added
 * in that order, each add rounded to float32 (as `reference.ts` does), where `prev` is `local.pad`
 * at p = 0, else the byte embedding of `seq[t − 1]`, `ngram_n` the row `ngramRow(seq, t, n, R)` of
 * table n and `match` the row `matchRow(seq, t, k)` of the match table (nothing where a row is
 * −1). The n-grams read `seq[t − H − 1..t − 1]`, across patches; the match row all of `seq[0..t−1]`.
 *
 * @param pm The prepared model (only its config, local embeddings and n-gram tables are read).
 * @param lg Holds `l_glob` of byte t at `lg[lgOff..lgOff+DL)`.
 * @param lgOff Offset of that row in `lg`.
 * @param seq The segment's bytes (at least its first t).
 * @param t The byte's position in the segment.
 * @param out Receives the row.
 * @param o Offset of the row in `out`.
 * @param match With a match row: the segment's {@link MatchIndex}, asked for t in increasing
 *   order, which finds the row in about O(1), or the row itself (−1: none) found elsewhere; without
 *   it, `matchRow` scans back from t.
 *
 * @example Without n-gram tables, byte 0 of a segment
 * ```ts
 * import assert from "node:assert/strict";
 * import { localInputRow } from "./engine.ts";
 * import { prepareModel } from "./prepared_model.ts";
 * import { loadModel } from "../model/model_file_read.ts";
 *
 * const pm = prepareModel(await loadModel("tests/fixtures/tiny.mgb"));
 * const DL = pm.config.localDim;
 * const out = new Float32Array(DL);
 * localInputRow(pm, new Float32Array(DL), 0, new Uint8Array(0), 0, out, 0);
 * assert.equal(out[3], Math.fround(pm.localPosEmb[3] + pm.localPad[3]));
 * ```
 */
export function localInputRow(
  pm: Pick<
    PreparedModel,
    "config" | "localPad" | "localByteEmb" | "localPosEmb" | "ngramEmb" | "matchEmb"
  >,
  lg: Float32Array,
  lgOff: number,
  seq: Uint8Array,
  t: number,
  out: Float32Array,
  o: number,
  match?: MatchIndex | number,
): void {
  const { patchSize: P, localDim: DL } = pm.config;
  const p = t % P;
  const prev = p === 0 ? pm.localPad : pm.localByteEmb;
  const po = p === 0 ? 0 : seq[t - 1] * DL;
  const pos = pm.localPosEmb;
  // Float32Array stores round each double sum of two float32 values: the exact float32 add.
  for (let d = 0; d < DL; d++) {
    out[o + d] = Math.fround(lg[lgOff + d] + pos[p * DL + d]) + prev[po + d]; // (DL)
  }
  const tables = pm.ngramEmb;
  if (tables.length > 0) {
    const R = tables[0].values.length / DL; // hashRows, without an object per byte
    for (let j = 0; j < tables.length; j++) {
      const r = ngramRow(seq, t, j + 2, R);
      if (r >= 0) addNgramRow(tables[j], r, out, o, DL);
    }
  }
  if (pm.matchEmb !== null) {
    let r: number; // the row given, or found by the index, or by scanning back
    if (typeof match === "number") r = match;
    else if (match !== undefined) r = match.row(seq, t);
    else r = matchRow(seq, t, pm.config.matchLength!);
    if (r >= 0) addNgramRow(pm.matchEmb, r, out, o, DL);
  }
}

function putF32(kern: WasmKernels, data: Float32Array): number {
  const ptr = kern.alloc(data.length * 4);
  kern.f32(ptr, data.length).set(data);
  return ptr;
}

/**
 * What the engine reads from the prepared model after packing it: the embeddings and n-gram tables
 * that build input rows, not the matrices (in kernel memory by then). Keeping only these lets the
 * prepared matrices be collected once the caller drops the prepared model (and the model file).
 */
type InputTables = Pick<
  PreparedModel,
  | "name"
  | "config"
  | "globalByteEmb"
  | "globalPosEmb"
  | "globalPad"
  | "localByteEmb"
  | "localPosEmb"
  | "localPad"
  | "ngramEmb"
  | "matchEmb"
>;

class WasmEngine implements Engine {
  readonly config: MegabyteConfig;
  readonly cacheBytesPerSegment: number;
  #pm: InputTables;
  #k: WasmKernels | undefined;
  /** The global blocks in kernel memory. */
  readonly globalBlocks: PackedBlock[];
  /** The local blocks in kernel memory. */
  readonly localBlocks: PackedBlock[];
  #globalLnF: number;
  #localLnF: number;
  #g2l: PackedMatrix;
  #head: PackedMatrix;
  #scratch = new Map<string, { ptr: number; bytes: number }>();
  /** Global cache capacity in patches (context / P, rounded up to 16). */
  #kcap: number;
  /** Local cache capacity in positions (P rounded up to 16). */
  #pcap: number;

  constructor(pm: PreparedModel) {
    this.#pm = {
      name: pm.name,
      config: pm.config,
      globalByteEmb: pm.globalByteEmb,
      globalPosEmb: pm.globalPosEmb,
      globalPad: pm.globalPad,
      localByteEmb: pm.localByteEmb,
      localPosEmb: pm.localPosEmb,
      localPad: pm.localPad,
      ngramEmb: pm.ngramEmb,
      matchEmb: pm.matchEmb,
    };
    this.config = { ...pm.config };
    const kern = new WasmKernels();
    this.#k = kern;
    const block = (b: PreparedBlock): PackedBlock => ({
      ln1: putF32(kern, b.ln1),
      wqkv: kern.packMatrix(b.wqkv),
      wo: kern.packMatrix(b.wo),
      ln2: putF32(kern, b.ln2),
      w1: kern.packMatrix(b.w1),
      w2: kern.packMatrix(b.w2),
    });
    this.globalBlocks = pm.global.map(block);
    this.localBlocks = pm.local.map(block);
    this.#globalLnF = putF32(kern, pm.globalLnF);
    this.#localLnF = putF32(kern, pm.localLnF);
    this.#g2l = kern.packMatrix(pm.g2l);
    this.#head = kern.packMatrix(pm.head);
    const { patchSize: P, globalDim: DG, localDim: DL, context: T } = pm.config;
    this.#kcap = ceil(T / P, 16);
    this.#pcap = ceil(P, 16);
    const { globalHeads: GH, localHeads: LH } = pm.config;
    this.cacheBytesPerSegment = pm.global.length * kvCacheBytes(GH, (P * DG) / GH, this.#kcap) +
      pm.local.length * kvCacheBytes(LH, DL / LH, this.#pcap);
  }

  get kern(): WasmKernels {
    if (!this.#k) {
      throw new TypeError(`Cannot use the engine of model ${this.#pm.name}: it is closed`);
    }
    return this.#k;
  }

  /** A scratch buffer of at least `bytes` bytes, kept between calls under `name`. */
  scratch(name: string, bytes: number): number {
    const have = this.#scratch.get(name);
    if (have && have.bytes >= bytes) return have.ptr;
    if (have) this.kern.free(have.ptr);
    const size = Math.max(bytes, have ? Math.ceil(have.bytes * 1.5) : 0);
    const ptr = this.kern.alloc(size);
    this.#scratch.set(name, { ptr, bytes: size });
    return ptr;
  }

  /** Allocates the caches of `layers` layers for `seqs` sequences (heads of size hs, `cap` positions). */
  allocCaches(layers: number, seqs: number, heads: number, hs: number, cap: number): LayerCache[] {
    const caches: LayerCache[] = [];
    for (let l = 0; l < layers; l++) {
      caches.push(this.kern.alloc(seqs * kvCacheBytes(heads, hs, cap)));
    }
    return caches;
  }

  freeCaches(caches: LayerCache[]): void {
    for (const c of caches) this.kern.free(c);
  }

  /**
   * Runs pre-norm blocks over M rows of width D at `a` (in place): the residual stream.
   * Attention runs per group of rows, with caches of capacity `cap`.
   */
  runBlocks(
    blocks: PackedBlock[],
    a: number,
    M: number,
    D: number,
    heads: number,
    caches: LayerCache[],
    cap: number,
    groups: AttendGroup[],
  ): void {
    if (blocks.length === 0) return;
    const k = this.kern;
    const hidden = blocks[0].w1.n;
    const kpMax = Math.max(blocks[0].w2.kp, blocks[0].wqkv.kp);
    const xn = this.scratch("xn", M * D * 4);
    const aq = this.scratch("aq", M * kpMax * 2);
    const as = this.scratch("as", M * 4);
    const qkv = this.scratch("qkv", M * 3 * D * 4);
    const att = this.scratch("att", M * D * 4);
    const hid = this.scratch("hid", M * hidden * 4);
    const hs = D / heads;
    const sc = this.scratch("sc", attentionScratchBytes(cap, hs));
    const seqBytes = kvCacheBytes(heads, hs, cap);
    for (let l = 0; l < blocks.length; l++) {
      const b = blocks[l];
      k.rmsnorm(a, D, M, D, b.ln1, xn, D); // (M, D) -> (M, D)
      k.quantize(xn, D, M, D, b.wqkv.kp, b.wqkv.qa, aq, as);
      k.qmatmul(aq, as, M, b.wqkv, qkv, 3 * D, "store"); // (M, D) @ (D, 3D) -> (M, 3D)
      for (const g of groups) {
        k.attention(
          qkv + g.row0 * 3 * D * 4,
          3 * D,
          g.nb,
          g.nr,
          heads,
          hs,
          caches[l] + g.seq0 * seqBytes,
          cap,
          g.pos0,
          att + g.row0 * D * 4,
          D,
          sc,
        ); // (nb·nr, 3D) -> (nb·nr, D), caches of nb sequences
      }
      k.quantize(att, D, M, D, b.wo.kp, b.wo.qa, aq, as);
      k.qmatmul(aq, as, M, b.wo, a, D, "residual"); // a += (M, D) @ (D, D)
      k.rmsnorm(a, D, M, D, b.ln2, xn, D);
      k.quantize(xn, D, M, D, b.w1.kp, b.w1.qa, aq, as);
      k.qmatmul(aq, as, M, b.w1, hid, hidden, "gelu"); // GELU((M, D) @ (D, rD)) -> (M, rD)
      k.quantize(hid, hidden, M, hidden, b.w2.kp, b.w2.qa, aq, as);
      k.qmatmul(aq, as, M, b.w2, a, D, "residual"); // a += (M, rD) @ (rD, D)
    }
  }

  /** Writes global input rows for patches `k0..k0+n−1` of each sequence into `a` (rows of E). */
  globalInput(a: number, rows: { seq: Uint8Array; patch: number }[]): void {
    const { patchSize: P, globalDim: DG } = this.config;
    const E = P * DG;
    const pm = this.#pm;
    const af = this.kern.f32(a, rows.length * E);
    for (let r = 0; r < rows.length; r++) {
      const { seq, patch } = rows[r];
      if (patch === 0) {
        af.set(pm.globalPad, r * E); // (E)
        continue;
      }
      for (let i = 0; i < P; i++) {
        const t = (patch - 1) * P + i;
        const emb = seq[t] * DG;
        const o = r * E + i * DG;
        for (let d = 0; d < DG; d++) {
          af[o + d] = pm.globalByteEmb[emb + d] + pm.globalPosEmb[t * DG + d]; // (DG)
        }
      }
    }
  }

  /** Global blocks over M rows at `a`, then final norm and g2l into `lg` (M·P rows of DL). */
  globalForward(
    a: number,
    M: number,
    caches: LayerCache[],
    cap: number,
    groups: AttendGroup[],
    lg: number,
  ): void {
    const { patchSize: P, globalDim: DG, localDim: DL, globalHeads } = this.config;
    const E = P * DG;
    this.runBlocks(this.globalBlocks, a, M, E, globalHeads, caches, cap, groups);
    const xn = this.scratch("gxn", M * E * 4);
    const aq = this.scratch("aq", M * P * this.#g2l.kp * 2);
    const as = this.scratch("as", M * P * 4);
    const k = this.kern;
    k.rmsnorm(a, E, M, E, this.#globalLnF, xn, E); // (M, E) -> (M, E)
    k.quantize(xn, DG, M * P, DG, this.#g2l.kp, this.#g2l.qa, aq, as); // (M, E) -> (M·P, DG)
    k.qmatmul(aq, as, M * P, this.#g2l, lg, DL, "store"); // (M·P, DG) @ (DG, DL) -> (M·P, DL)
  }

  /** Final local norm, head and frequency rule over M rows at `x`; returns the tables' address. */
  headForward(x: number, M: number): { logits: number; tables: number } {
    const DL = this.config.localDim;
    const h = this.#head;
    const xn = this.scratch("lxn", M * DL * 4);
    const aq = this.scratch("aq", M * h.kp * 2);
    const as = this.scratch("as", M * 4);
    const logits = this.scratch("logits", M * ALPHABET * 4);
    const tables = this.scratch("tables", M * ALPHABET * 4);
    const k = this.kern;
    k.rmsnorm(x, DL, M, DL, this.#localLnF, xn, DL); // (M, DL) -> (M, DL)
    k.quantize(xn, DL, M, DL, h.kp, h.qa, aq, as);
    k.qmatmul(aq, as, M, h, logits, ALPHABET, "store"); // (M, DL) @ (DL, V) -> (M, V)
    k.freqs(logits, M, tables); // (M, V) -> (M, V)
    return { logits, tables };
  }

  /** A {@link MatchIndex} for one segment of up to `capacity` bytes, or none without a match row. */
  matchIndex(capacity: number): MatchIndex | undefined {
    const k = this.config.matchLength ?? 0;
    return k > 0 ? new MatchIndex(k, capacity) : undefined;
  }

  /** Writes local input rows (`localInputRow`): byte t of `seq`, its l_glob at row `lgRow` of `lg`. */
  localInput(
    x: number,
    lg: number,
    rows: { lgRow: number; seq: Uint8Array; t: number; match?: MatchIndex | number }[],
  ): void {
    const DL = this.config.localDim;
    const k = this.kern;
    const xf = k.f32(x, rows.length * DL);
    const lgf = k.f32(lg, (Math.max(...rows.map((r) => r.lgRow)) + 1) * DL);
    for (let r = 0; r < rows.length; r++) {
      const { lgRow, seq, t, match } = rows[r];
      localInputRow(this.#pm, lgf, lgRow * DL, seq, t, xf, r * DL, match); // (DL)
    }
  }

  #parallel(
    bytes: Uint8Array,
    matchRows?: Int32Array,
  ): { logits: number; tables: number } | undefined {
    const c = this.config;
    const L = bytes.length;
    if (L > c.context) {
      throw new RangeError(
        `Cannot predict a segment of ${L} bytes: model ${this.#pm.name} has a context of ${c.context}`,
      );
    }
    if (matchRows !== undefined && matchRows.length !== L) {
      throw new RangeError(
        `Cannot predict a segment of ${L} bytes with ${matchRows.length} match rows`,
      );
    }
    if (L === 0) return undefined;
    const { patchSize: P, globalDim: DG, localDim: DL } = c;
    const E = P * DG;
    const K = Math.ceil(L / P);
    // Global model over all K patches at once (one sequence, causal over its rows).
    const gcap = ceil(K, 16);
    const gCaches = this.allocCaches(
      this.globalBlocks.length,
      1,
      c.globalHeads,
      E / c.globalHeads,
      gcap,
    );
    const a = this.scratch("ga", K * E * 4);
    const lg = this.kern.alloc(K * P * DL * 4);
    this.globalInput(a, Array.from({ length: K }, (_, k) => ({ seq: bytes, patch: k })));
    this.globalForward(a, K, gCaches, gcap, [{ row0: 0, nb: 1, nr: K, seq0: 0, pos0: 0 }], lg); // (K, E) -> (K·P, DL)
    this.freeCaches(gCaches);
    // Local model over all L positions, each patch its own sequence.
    const full = Math.floor(L / P);
    const lCaches = this.allocCaches(
      this.localBlocks.length,
      K,
      c.localHeads,
      DL / c.localHeads,
      this.#pcap,
    );
    const x = this.kern.alloc(L * DL * 4);
    const index = matchRows === undefined ? this.matchIndex(L) : undefined;
    this.localInput(
      x,
      lg,
      Array.from(
        { length: L },
        (_, t) => ({ lgRow: t, seq: bytes, t, match: matchRows?.[t] ?? index }),
      ),
    );
    const groups: AttendGroup[] = [];
    if (full > 0) groups.push({ row0: 0, nb: full, nr: P, seq0: 0, pos0: 0 });
    if (L % P) groups.push({ row0: full * P, nb: 1, nr: L % P, seq0: full, pos0: 0 });
    this.runBlocks(this.localBlocks, x, L, DL, c.localHeads, lCaches, this.#pcap, groups); // (L, DL) -> (L, DL)
    this.freeCaches(lCaches);
    this.kern.free(lg);
    const out = this.headForward(x, L); // (L, DL) -> (L, V)
    this.kern.free(x);
    return out;
  }

  predictSegment(bytes: Uint8Array, matchRows?: Int32Array): Uint32Array {
    const out = this.#parallel(bytes, matchRows);
    if (!out) return new Uint32Array(0);
    return this.kern.u32(out.tables, bytes.length * ALPHABET).slice();
  }

  logits(bytes: Uint8Array, matchRows?: Int32Array): Float32Array {
    const out = this.#parallel(bytes, matchRows);
    if (!out) return new Float32Array(0);
    return this.kern.f32(out.logits, bytes.length * ALPHABET).slice();
  }

  start(count: number, matchRowOf?: MatchRowOf): EngineBatch {
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeError(`Cannot start a batch: count must be a positive integer, got ${count}`);
    }
    return new WasmBatch(this, count, this.#kcap, this.#pcap, matchRowOf);
  }

  close(): void {
    this.#k = undefined;
    this.#scratch.clear();
  }
}

class WasmBatch implements EngineBatch {
  readonly count: number;
  #e: WasmEngine;
  #pos = 0;
  #hist: Uint8Array;
  /** Each segment's bytes so far: its view of `#hist`. */
  #segs: Uint8Array[];
  /** Each segment's match index (models with a match row), unless the rows come from outside. */
  #matches: (MatchIndex | undefined)[];
  #matchRowOf?: MatchRowOf;
  #gCaches: LayerCache[];
  #lCaches: LayerCache[];
  #kcap: number;
  #pcap: number;
  /** l_glob of the current patch, (B, P, DL). */
  #lg: number;
  /** Local residual stream at the last computed position, (B, DL). */
  #x: number;
  #globalDone = -1;
  #localDone = -1;
  #closed = false;

  constructor(
    engine: WasmEngine,
    count: number,
    kcap: number,
    pcap: number,
    matchRowOf?: MatchRowOf,
  ) {
    this.#e = engine;
    this.#matchRowOf = engine.config.matchLength ? matchRowOf : undefined;
    this.count = count;
    this.#kcap = kcap;
    this.#pcap = pcap;
    const c = engine.config;
    this.#hist = new Uint8Array(count * c.context);
    this.#segs = Array.from(
      { length: count },
      (_, b) => this.#hist.subarray(b * c.context, (b + 1) * c.context),
    );
    this.#matches = Array.from(
      { length: count },
      () => this.#matchRowOf === undefined ? engine.matchIndex(c.context) : undefined,
    );
    const E = c.patchSize * c.globalDim;
    this.#gCaches = engine.allocCaches(
      c.globalLayers,
      count,
      c.globalHeads,
      E / c.globalHeads,
      kcap,
    );
    this.#lCaches = engine.allocCaches(
      c.localLayers,
      count,
      c.localHeads,
      c.localDim / c.localHeads,
      pcap,
    );
    this.#lg = engine.kern.alloc(count * c.patchSize * c.localDim * 4);
    this.#x = engine.kern.alloc(count * c.localDim * 4);
  }

  get position(): number {
    return this.#pos;
  }

  #check(what: string, length: number, expected: number): void {
    if (this.#closed) throw new TypeError(`Cannot ${what}: the batch is closed`);
    if (length !== expected) {
      throw new RangeError(`Cannot ${what}: expected ${expected} entries, got ${length}`);
    }
    const T = this.#e.config.context;
    if (this.#pos >= T) {
      throw new RangeError(
        `Cannot ${what}: segments are limited to the model's context of ${T} bytes`,
      );
    }
  }

  /** Runs the global model up to patch k (once per patch, for every segment). */
  #ensureGlobal(k: number): void {
    const e = this.#e;
    const { patchSize: P, globalDim: DG } = e.config;
    const B = this.count;
    while (this.#globalDone < k) {
      const patch = this.#globalDone + 1;
      const a = e.scratch("ga", B * P * DG * 4);
      e.globalInput(a, this.#segs.map((seq) => ({ seq, patch })));
      e.globalForward(a, B, this.#gCaches, this.#kcap, [{
        row0: 0,
        nb: B,
        nr: 1,
        seq0: 0,
        pos0: patch,
      }], this.#lg); // (B, E) -> (B·P, DL)
      this.#globalDone = patch;
    }
  }

  /** Runs the local model at every position of the current patch up to t. */
  #ensureLocal(t: number): void {
    const e = this.#e;
    const P = e.config.patchSize;
    const B = this.count;
    const k = Math.floor(t / P);
    this.#ensureGlobal(k);
    for (let s = Math.max(this.#localDone + 1, k * P); s <= t; s++) {
      const p = s % P;
      e.localInput(
        this.#x,
        this.#lg,
        this.#segs.map((seq, b) => ({
          lgRow: b * P + p,
          seq,
          t: s,
          match: this.#matchRowOf ? this.#matchRowOf(b, s) : this.#matches[b],
        })),
      ); // (B, DL)
      e.runBlocks(
        e.localBlocks,
        this.#x,
        B,
        e.config.localDim,
        e.config.localHeads,
        this.#lCaches,
        this.#pcap,
        [{ row0: 0, nb: B, nr: 1, seq0: 0, pos0: p }],
      );
      this.#localDone = s;
    }
  }

  predict(tables: Uint32Array): void {
    this.#check("predict", tables.length, this.count * ALPHABET);
    this.#ensureLocal(this.#pos);
    const out = this.#e.headForward(this.#x, this.count); // (B, DL) -> (B, V)
    tables.set(this.#e.kern.u32(out.tables, this.count * ALPHABET));
  }

  advance(bytes: Uint8Array): void {
    this.#check("advance", bytes.length, this.count);
    const { patchSize: P, context: T } = this.#e.config;
    // The local caches of this patch are needed by its later positions.
    if (this.#pos % P < P - 1) this.#ensureLocal(this.#pos);
    for (let b = 0; b < this.count; b++) this.#hist[b * T + this.#pos] = bytes[b];
    this.#pos++;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const e = this.#e;
    try {
      e.freeCaches(this.#gCaches);
      e.freeCaches(this.#lCaches);
      e.kern.free(this.#lg);
      e.kern.free(this.#x);
    } catch {
      // The engine is closed: its memory is gone already.
    }
  }
}

/**
 * Loads a model into a new engine (its own WebAssembly memory). Throws a RangeError if the model
 * does not match its config (missing or misshapen tensors, non-finite weights). The engine keeps
 * no reference to a model file, and of a prepared model only the embeddings and n-gram tables: a
 * caller that drops `model` lets the rest (the float32 weights, the prepared matrices) be
 * collected.
 *
 * @param model A model file read into memory, or one already prepared.
 * @returns The engine.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createEngine } from "./engine.ts";
 * import { loadModel } from "../model/model_file_read.ts";
 *
 * const engine = createEngine(await loadModel("tests/fixtures/tiny.mgb"));
 * const tables = engine.predictSegment(new TextEncoder().encode("hello")); // (5, 256)
 * assert.equal(tables.subarray(0, 256).reduce((a, b) => a + b, 0), 65536);
 * engine.close();
 * ```
 */
export function createEngine(model: ModelFile | PreparedModel): Engine {
  const pm = "tensors" in model ? prepareModel(model) : model;
  return new WasmEngine(pm);
}
