// This module imports no tfjs.
/**
 * One segment of the context-mixing model (internal to `context_mixing.ts`).
 *
 * A PPM-style chain of orders with exclusion and learned escapes, then a match model, then a
 * secondary estimation of the likely value, then a fixed rounding rule:
 *
 * 1. Orders 0 and 1, dense: P(v) = (1 − w) · n1(v) / T1 + w · P0(v), order 0 being additive
 *    counts over all 256 values (never zero); w is learned per (distinct, total) class by a
 *    gradient step on −log P; the context's last symbol gets a recency bonus.
 * 2. Each order k = 2..MAX_ORDER whose context has been seen keeps the symbols that followed it
 *    with their counts. The symbols it has seen get `(1 − e) · n(v) / T`; every other value keeps
 *    its lower-order probability, renormalised to the escape mass `e` (exclusion). `e` is learned
 *    per bucket (order, distinct symbols, total count, previous byte's class, the mass lower
 *    orders gave the symbols seen) from what actually followed. The most recent symbol of a
 *    context counts extra.
 * 3. The match model finds the last occurrence of the recent MATCH_MIN bytes and predicts the byte
 *    that followed it; the probability of that byte is set to a learned hit rate (per match length
 *    and prior probability), the others rescaled.
 * 4. The record model predicts the byte one period back, the period being the distance between
 *    equal bytes that has been most frequent lately (tables, bitmaps, arrays of fixed-size
 *    values); its byte's probability is set to a learned hit rate like the match model's.
 * 5. Secondary estimation: the probability q of the likely value is mapped through two learned
 *    piecewise-linear curves (per state, and per previous byte and match state) and mixed with q;
 *    the others rescaled.
 * 6. Frequencies: `1 + floor(p · (FREQ_TOTAL − 256))`, the remainder added to the likely value.
 *
 * Determinism: only +, −, ×, ÷, floor and integer operations on IEEE doubles and int32, in a fixed
 * order that depends on the segment's own bytes alone.
 *
 * @module
 */
import { ALPHABET, FREQ_TOTAL } from "./predictor.ts";

/**
 * Highest context order (bytes of context). 4 measured better than 5 or 6 on the dev set
 * (2.021 against 2.025 and 2.030 bpb): the match model covers longer contexts.
 */
const MAX_ORDER = 4;
/** Slots of the directly indexed region: one per order-2 context. */
const LOW_SLOTS = 65536;
/** Slots of the hashed region (orders 3 and up) at the start; it grows by doubling. */
const TABLE_START_BITS = 12;
/** Largest hashed region: 2^19 slots × 16 bytes = 8 MiB (2^20 gained 0.3% on binary only). */
const TABLE_MAX_BITS = 19;
/** Symbol pool entries at the start (grows by doubling). */
const POOL_START = 1 << 12;
/** Largest symbol pool: 2^21 entries × 4 bytes = 8 MiB. */
const POOL_MAX = 1 << 21;
/** Count units added when a symbol is seen again. */
const COUNT_INC = 2;
/** Count units of a symbol's first occurrence in a context. */
const COUNT_INIT = 6;
/** Order 1 (a dense table): count units added per occurrence. */
const O1_INC = 2;
/** Order 1: a context's counts are halved when their total exceeds this. */
const O1_LIMIT = 2000;
/**
 * Recency: a context's most recent symbol (kept first in its list) counts RECENT_BONUS + RECENT_SHARE
 * × T units more when the context predicts (measured: dev set 2.018 → 1.997 bpb).
 */
const RECENT_BONUS = 6;
const RECENT_SHARE = 0.1;
/** Recency in order 1: the context's last symbol counts this many units more (and this share). */
const O1_RECENT_BONUS = 2;
const O1_RECENT_SHARE = 0.05;
/** Order 1: learning rate of the weight of order 0 in its blend. */
const O1_RATE = 0.01;
/** A context's total is halved when it exceeds this, per order (0 and 1 unused). */
const COUNT_LIMIT = [0, 0, 1000, 500, 1000, 1000, 1000, 1000, 1000];
/** Bytes hashed to find a match. */
const MATCH_MIN = 6;
/** Match model: classes of the match length, and of the probability the byte had before. */
const MATCH_LEN_CLASSES = 32;
const MATCH_Q_EDGES = [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99];
const MATCH_Q_CLASSES = MATCH_Q_EDGES.length + 1;
/** Match hit rates learn at rate 1 / (n + 1.5) for their first MH_N updates, then 1 / (MH_N + 1.5). */
const MH_N = 60;
/**
 * Record model: the period is a distance between equal bytes in REC_MIN..REC_MAX, chosen every
 * REC_EVERY bytes when it holds over REC_SHARE of the recent distances (measured: kennedy.xls
 * 1.016 → 0.845 bpb, pic 0.756 → 0.690, geo 4.47 → 4.23; text unchanged).
 */
const REC_MIN = 4;
const REC_MAX = 1024;
const REC_EVERY = 4096;
const REC_SHARE = 0.1;
/** Match hash table: 2^MATCH_BITS positions. */
const MATCH_BITS = 18;
/** Escapes learn at rate 1 / (n + 2) for their first ESC_N updates, then 1 / (ESC_N + 2). */
const ESC_N = 60;
/** Learned probabilities stay within [P_MIN, 1 − P_MIN], so no scale ever becomes 0. */
const P_MIN = 1 / 8192;
/** Escape buckets: classes of a context's distinct-symbol count. */
const D_CLASSES = 12;
/** Escape buckets: classes of a context's total count. */
const T_CLASSES = 12;

function buildDClass(): Uint8Array {
  const c = new Uint8Array(ALPHABET + 1);
  const edges = [0, 1, 2, 3, 4, 5, 6, 8, 11, 15, 23, 39, 257];
  for (let d = 0; d <= ALPHABET; d++) {
    let i = 0;
    while (d >= edges[i + 1]!) i++;
    c[d] = Math.min(i, D_CLASSES - 1);
  }
  return c;
}

function buildTClass(): Uint8Array {
  const c = new Uint8Array(512);
  for (let t = 0; t < 512; t++) {
    // Roughly logarithmic in the count units: 1, 2, 3, 4-5, 6-7, 8-11, ...
    const u = t * 2;
    let k = 0;
    let edge = 2;
    while (u >= edge && k < T_CLASSES - 1) {
      k++;
      edge = edge + (edge >> 1) + 1;
    }
    c[t] = k;
  }
  return c;
}

/** Escape buckets: classes of the probability lower orders gave the symbols a context has seen. */
const X_EDGES = [0.05, 0.15, 0.3, 0.5, 0.7, 0.9];
const X_CLASSES = X_EDGES.length + 1;

/** X_INDEX[floor(q · 256)]: the class of q, or one below it (refined by a comparison). */
const X_INDEX = Uint8Array.from({ length: 257 }, (_, j) => {
  let c = 0;
  while (c < X_EDGES.length && j / 256 >= X_EDGES[c]!) c++;
  return c;
});

/** The class of probability `q` among X_EDGES: how many edges are ≤ q. */
function xClass(q: number): number {
  let c = X_INDEX[q < 1 ? Math.floor(q * 256) : 256]!;
  while (c < X_EDGES.length && q >= X_EDGES[c]!) c++;
  return c;
}

/** Secondary estimation: node probabilities (the identity map at the start) per state. */
const SSE_EDGES = [
  0,
  0.02,
  0.05,
  0.1,
  0.2,
  0.3,
  0.4,
  0.5,
  0.6,
  0.7,
  0.8,
  0.9,
  0.95,
  0.98,
  0.99,
  0.995,
  0.999,
  1,
  2,
];
const SSE_NODES = SSE_EDGES.length;
/** States: highest order with a context (0..MAX_ORDER) × match (none, agrees, disagrees). */
const SSE_STATES = (MAX_ORDER + 1) * 3;
/** Learning rate of the first stage. */
const SSE_RATE = 0.02;
/** Weight (of 4) of the input probability in the output; the rest is the two stages'. */
const SSE_KEEP = 0.5;
/** SSE_INDEX[floor(q · 1024)]: a node index near q's (refined by comparisons). */
const SSE_INDEX = buildSseIndex();
/** Weight (of 4) of the first (state) stage in the output. */
const SSE_A = 2;
/** Learning rate of the second stage (per previous byte). */
const SSE_RATE2 = 0.02;

function buildSseIndex(): Uint8Array {
  const index = new Uint8Array(1025);
  for (let j = 0; j <= 1024; j++) {
    let i = 0;
    while (i + 1 < SSE_NODES - 1 && SSE_EDGES[i + 1]! <= j / 1024) i++;
    index[j] = i;
  }
  return index;
}

function buildSseNodes(states = SSE_STATES): Float64Array {
  const nodes = new Float64Array(states * SSE_NODES);
  for (let i = 0; i < nodes.length; i++) {
    const e = SSE_EDGES[i % SSE_NODES]!;
    nodes[i] = e > 1 ? 1 : e;
  }
  return nodes;
}

/** Escape buckets: class of the previous byte (letter, digit or space, punctuation, other). */
const C_CLASSES = 4;
const C_CLASS = Uint8Array.from(
  { length: 256 },
  (_, c) =>
    (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
      ? 0
      : (c >= 48 && c <= 57) || c === 32 || c === 10 || c === 9
      ? 1
      : c > 32 && c < 127
      ? 2
      : 3,
);

/** Distinct-count class of d, for d = 0..256. */
const D_CLASS = buildDClass();
/** Total-count class of T, indexed by min(T, 1023) >> 1. */
const T_CLASS = buildTClass();

/** Mixes two 32-bit words into a non-zero 32-bit context key. */
function hashKey(order: number, lo: number, hi: number): number {
  let h = Math.imul(lo ^ Math.imul(order, 0x2545f491), 0x9e3779b1);
  h ^= h >>> 15;
  h = Math.imul(h ^ hi, 0x85ebca77);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae3d);
  h ^= h >>> 16;
  return h === 0 ? 1 : h;
}

/** The state of one segment. */
export class CmSegment {
  // History and rolling context.
  #hist = new Uint8Array(1 << 12);
  #len = 0;
  #c4 = 0; // last 4 bytes, newest in the low byte
  #c8 = 0; // the 4 bytes before those

  // Order 0: raw weights (count + smoothing) and their sum.
  #o0 = new Float64Array(ALPHABET).fill(1);
  #o0Sum = ALPHABET;
  #o0Top = 0;

  // Order 1: counts per (previous byte, byte), and per previous byte its total, distinct symbols
  // and most frequent symbol. Its prediction blends in order 0 (interpolation, no exclusion).
  #o1 = new Float64Array(ALPHABET * ALPHABET); // whole counts, as doubles: the blend is faster
  #o1Total = new Int32Array(ALPHABET);
  #o1Distinct = new Int32Array(ALPHABET);
  #o1Top = new Uint8Array(ALPHABET);
  #o1Last = new Uint8Array(ALPHABET);
  #o1Syms = new Uint8Array(ALPHABET * ALPHABET); // per context: its distinct symbols, d1 of them
  #o1Weight = new Float64Array(D_CLASSES * T_CLASSES).fill(0.5);
  #o1Bucket = 0;

  // Context table: slot i holds [key, list, T, d] at 4i.. (list: the entry itself when d = 1,
  // else its offset in #pool, whose entries are count << 8 | symbol, the most recent first).
  // Slots 0..65535 are the order-2 contexts (d = 0 until seen), then the hashed region of
  // 2^#tabBits slots for orders 3 and up (key 0 = empty).
  #tab = new Int32Array(4 * (LOW_SLOTS + (1 << TABLE_START_BITS)));
  #tabBits = TABLE_START_BITS;
  #tabUsed = 0;
  #pool = new Uint32Array(POOL_START);
  #poolUsed = 0;

  // Current contexts: key and slot (×4; −1 if absent) per order; escape bucket from predict().
  #keys = new Int32Array(MAX_ORDER + 1);
  #slots = new Int32Array(MAX_ORDER + 1).fill(-1);
  #buckets = new Int32Array(MAX_ORDER + 1);
  #hits = new Uint8Array(MAX_ORDER + 1);

  // Learned escape probabilities per (order, d class, T class, previous byte class, x class).
  #esc = new Float64Array((MAX_ORDER + 1) * D_CLASSES * T_CLASSES * C_CLASSES * X_CLASSES).fill(
    0.3,
  );
  #escN = new Uint16Array((MAX_ORDER + 1) * D_CLASSES * T_CLASSES * C_CLASSES * X_CLASSES);

  // Match model.
  #matchTab = new Int32Array(1 << MATCH_BITS).fill(-1);
  #matchPtr = -1; // index in #hist of the predicted byte, −1 if none
  #matchLen = 0;
  #matchHit = new Float64Array(MATCH_LEN_CLASSES * MATCH_Q_CLASSES).fill(0.5);
  #matchHitN = new Uint16Array(MATCH_LEN_CLASSES * MATCH_Q_CLASSES);
  #matchCtx = -1;
  #matchSym = -1;

  // Record model: period (0: none), recent distances between equal bytes, hit rates.
  #recPeriod = 0;
  #recLast = new Int32Array(ALPHABET).fill(-(1 << 30));
  #recCount = new Int32Array(REC_MAX + 1);
  #recHit = new Float64Array(16 * 2 * MATCH_Q_CLASSES).fill(0.5);
  #recHitN = new Uint16Array(16 * 2 * MATCH_Q_CLASSES);
  #recRun = 0;
  #recCtx = 0;
  #recSym = -1;

  // Secondary estimation of the likely value's probability: interpolated nodes per state.
  #sse = buildSseNodes();
  #sseTop = -1;
  #sseNode = 0;
  #sseAlpha = 0;
  #sseH = 0;
  #sse2 = buildSseNodes(256 * 3); // per (previous byte, match state)
  #sseNode2 = 0;
  #sseH2 = 0;

  // Scratch: the probability of v is s · #p[v] in predict().
  #p = new Float64Array(ALPHABET);
  // Whether predict() ran for the next byte (advance() learns from what it computed).
  #predicted = false;
  static #scratch = new Uint32Array(ALPHABET);

  constructor() {
    this.#lookupAll();
  }

  /** Writes this segment's table for the next byte into `out[at..at+256)`. */
  predict(out: Uint32Array, at: number): void {
    const p = this.#p;
    const tab = this.#tab;
    const pool = this.#pool;
    // Orders 0 and 1, dense: P(v) = (1 − w) · n1'(v) / T1' + w · P0(v), n1' with the recency
    // bonus on the context's last symbol.
    const c1 = this.#c4 & 255;
    const t1 = this.#len === 0 ? 0 : this.#o1Total[c1]!;
    let s: number;
    let top: number; // a likely value: the highest order's most frequent one
    if (t1 === 0) {
      p.set(this.#o0);
      s = 1 / this.#o0Sum;
      top = this.#o0Top;
    } else {
      // P(v) = (1 − w) · n1(v) / T1 + w · P0(v), w learned per (distinct, total) class.
      const d1 = this.#o1Distinct[c1]!;
      const b1 = D_CLASS[d1 > 256 ? 256 : d1]! * T_CLASSES + T_CLASS[t1 > 1023 ? 511 : t1 >> 1]!;
      this.#o1Bucket = b1;
      const w = this.#o1Weight[b1]!;
      // In units of order 0: p[v] = o0(v) + h · n1'(v), s = w / S0 (only the d1 symbols seen
      // after c1 need adding to the copy of order 0).
      const o1 = this.#o1;
      const syms = this.#o1Syms;
      const row = c1 * ALPHABET;
      const bonus = O1_RECENT_BONUS + O1_RECENT_SHARE * t1;
      const h = ((1 - w) * this.#o0Sum) / (w * (t1 + bonus));
      p.set(this.#o0);
      for (let i = row; i < row + d1; i++) {
        const v = syms[i]!;
        p[v]! += h * o1[row + v]!;
      }
      p[this.#o1Last[c1]!]! += h * bonus;
      s = w / this.#o0Sum;
      top = this.#o1Top[c1]!;
    }
    let hiK = t1 === 0 ? 0 : 1;
    const cc = C_CLASS[c1]!;
    for (let k = 2; k <= MAX_ORDER; k++) {
      const slot = this.#slots[k]!;
      if (slot < 0) continue;
      const d = tab[slot + 3]!;
      if (d === 0) continue;
      hiK = k;
      const t = tab[slot + 2]!;
      const b0 = (((k * D_CLASSES + D_CLASS[d]!) * T_CLASSES + T_CLASS[t > 1023 ? 511 : t >> 1]!) *
          C_CLASSES + cc) * X_CLASSES;
      if (d === 1) {
        const v = tab[slot + 1]! & 255;
        const m = s * p[v]!;
        const b = b0 + xClass(m);
        this.#buckets[k] = b;
        const e = this.#esc[b]!;
        const s2 = m > 1 - 1e-9 ? s * e : (s * e) / (1 - m);
        p[v] = (1 - e) / s2;
        s = s2;
        top = v;
      } else {
        const off = tab[slot + 1]!;
        let m = 0;
        let topEnt = 0;
        for (let i = off; i < off + d; i++) {
          const ent = pool[i]!;
          m += p[ent & 255]!;
          if (ent > topEnt) topEnt = ent;
        }
        m *= s;
        const b = b0 + xClass(m);
        this.#buckets[k] = b;
        top = topEnt & 255;
        if (d === ALPHABET || m > 1 - 1e-9) {
          const f = 1 / (t * s);
          for (let i = off; i < off + d; i++) {
            const ent = pool[i]!;
            p[ent & 255] = (ent >>> 8) * f;
          }
        } else {
          // The list's first symbol is the most recent one: it gets RECENT_BONUS more units.
          const e = this.#esc[b]!;
          const s2 = (s * e) / (1 - m);
          const bonus = RECENT_BONUS + t * RECENT_SHARE;
          const f = (1 - e) / ((t + bonus) * s2);
          for (let i = off; i < off + d; i++) {
            const ent = pool[i]!;
            p[ent & 255] = (ent >>> 8) * f;
          }
          const first = pool[off]!;
          p[first & 255] = ((first >>> 8) + bonus) * f;
          s = s2;
        }
      }
    }
    // Match model: set the predicted byte's probability to the learned hit rate.
    this.#matchSym = -1;
    if (this.#matchLen > 0) {
      const v = this.#hist[this.#matchPtr]!;
      const q = s * p[v]!;
      const len = this.#matchLen;
      const lenClass = len < 16
        ? len
        : len < 32
        ? 16 + ((len - 16) >> 2)
        : len < 64
        ? 20 + ((len - 32) >> 3)
        : len < 512
        ? 24 + ((len - 64) >> 6)
        : 31;
      let qc = 0;
      while (qc < MATCH_Q_CLASSES - 1 && q >= MATCH_Q_EDGES[qc]!) qc++;
      const ctx = lenClass * MATCH_Q_CLASSES + qc;
      const h = this.#matchHit[ctx]!;
      if (q < 1 - 1e-9) {
        const s2 = (s * (1 - h)) / (1 - q);
        p[v] = h / s2;
        s = s2;
        if (h > 0.5) top = v;
      }
      this.#matchCtx = ctx;
      this.#matchSym = v;
    }
    // Record model: the byte one period back (the period measured from the data).
    this.#recSym = -1;
    if (this.#recPeriod > 0) {
      const v = this.#hist[this.#len - this.#recPeriod]!;
      const q = s * p[v]!;
      let qc = 0;
      while (qc < MATCH_Q_CLASSES - 1 && q >= MATCH_Q_EDGES[qc]!) qc++;
      const run = this.#recRun;
      const ctx = ((run > 15 ? 15 : run) * 2 + (v === this.#matchSym ? 1 : 0)) * MATCH_Q_CLASSES +
        qc;
      const h = this.#recHit[ctx]!;
      if (q < 1 - 1e-9) {
        const s2 = (s * (1 - h)) / (1 - q);
        p[v] = h / s2;
        s = s2;
        if (h > 0.5 && h > q) top = v;
      }
      this.#recCtx = ctx;
      this.#recSym = v;
    }
    // Secondary estimation: refine the probability of the likely value `top` by what followed
    // similar probabilities in a similar state (highest order seen, match agreement).
    this.#sseTop = -1;
    const q = s * p[top]!;
    if (q < 1 - 1e-9) {
      const mstate = this.#matchSym < 0 ? 0 : this.#matchSym === top ? 1 : 2;
      let i = SSE_INDEX[Math.floor(q * 1024)]!;
      while (q < SSE_EDGES[i]!) i--;
      while (q >= SSE_EDGES[i + 1]!) i++;
      const alpha = (q - SSE_EDGES[i]!) / (SSE_EDGES[i + 1]! - SSE_EDGES[i]!);
      const node = (hiK * 3 + mstate) * SSE_NODES + i;
      const v = this.#sse;
      const h = (1 - alpha) * v[node]! + alpha * v[node + 1]!;
      const node2 = ((this.#c4 & 0xff) * 3 + mstate) * SSE_NODES + i;
      const v2 = this.#sse2;
      const hb = (1 - alpha) * v2[node2]! + alpha * v2[node2 + 1]!;
      let h2 = (q * SSE_KEEP + h * SSE_A + hb * (4 - SSE_KEEP - SSE_A)) / 4;
      h2 = h2 < P_MIN ? P_MIN : h2 > 1 - P_MIN ? 1 - P_MIN : h2;
      const s2 = (s * (1 - h2)) / (1 - q);
      p[top] = h2 / s2;
      s = s2;
      this.#sseTop = top;
      this.#sseNode = node;
      this.#sseAlpha = alpha;
      this.#sseH = h;
      this.#sseNode2 = node2;
      this.#sseH2 = hb;
    }
    quantize(p, s, top, out, at);
    this.#predicted = true;
  }

  /** Appends `byte` to the segment and learns from it. */
  advance(byte: number): void {
    if (!this.#predicted) this.predict(CmSegment.#scratch, 0);
    this.#predicted = false;
    // 2. Secondary estimation.
    if (this.#sseTop >= 0) {
      const err = ((byte === this.#sseTop ? 1 : 0) - this.#sseH) * SSE_RATE;
      const node = this.#sseNode;
      const alpha = this.#sseAlpha;
      this.#sse[node]! += (1 - alpha) * err;
      this.#sse[node + 1]! += alpha * err;
      const err2 = ((byte === this.#sseTop ? 1 : 0) - this.#sseH2) * SSE_RATE2;
      this.#sse2[this.#sseNode2]! += (1 - alpha) * err2;
      this.#sse2[this.#sseNode2 + 1]! += alpha * err2;
    }
    // 2a. Record model: learn the hit rate, count the run, measure the period.
    if (this.#recSym >= 0) {
      const ctx = this.#recCtx;
      const n = this.#recHitN[ctx]!;
      if (n < MH_N) this.#recHitN[ctx] = n + 1;
      const hit = this.#recSym === byte ? 1 : 0;
      const h = this.#recHit[ctx]! + (hit - this.#recHit[ctx]!) / (n < MH_N ? n + 1.5 : MH_N + 1.5);
      this.#recHit[ctx] = h < P_MIN ? P_MIN : h > 1 - P_MIN ? 1 - P_MIN : h;
      this.#recRun = hit ? this.#recRun + 1 : 0;
    }
    const dist = this.#len - this.#recLast[byte]!;
    if (dist >= REC_MIN && dist <= REC_MAX) this.#recCount[dist]!++;
    this.#recLast[byte] = this.#len;
    if ((this.#len & (REC_EVERY - 1)) === REC_EVERY - 1) this.#choosePeriod();
    // 2b. Match model.
    if (this.#matchSym >= 0) {
      const ctx = this.#matchCtx;
      const n = this.#matchHitN[ctx]!;
      if (n < MH_N) this.#matchHitN[ctx] = n + 1;
      const h = this.#matchHit[ctx]! +
        ((this.#matchSym === byte ? 1 : 0) - this.#matchHit[ctx]!) /
          (n < MH_N ? n + 1.5 : MH_N + 1.5);
      this.#matchHit[ctx] = h < P_MIN ? P_MIN : h > 1 - P_MIN ? 1 - P_MIN : h;
    }
    if (this.#matchLen > 0) {
      if (this.#hist[this.#matchPtr] === byte) {
        if (this.#matchLen < 65535) this.#matchLen++;
        this.#matchPtr++;
      } else {
        this.#matchLen = 0;
      }
    }
    // 3. Counts, growing the table first so that the slots stay valid.
    if (this.#tabUsed + MAX_ORDER > (1 << (this.#tabBits - 1)) && this.#tabBits < TABLE_MAX_BITS) {
      this.#grow();
    }
    const hits = this.#hits;
    for (let k = 2; k <= MAX_ORDER; k++) {
      const slot = this.#slots[k]!;
      if (slot >= 0) hits[k] = this.#update(slot, k, byte);
      else {
        hits[k] = 2;
        if (k <= this.#len) this.#insert(this.#keys[k]!, byte);
      }
    }
    // 4. Escapes: an order escaped when its context had been seen but not this byte; learn only
    //    on the orders that coding reached (highest first, down to the first hit).
    for (let k = MAX_ORDER; k >= 2; k--) {
      const hit = hits[k]!;
      if (hit === 2) continue; // context not seen before
      const b = this.#buckets[k]!;
      const n = this.#escN[b]!;
      const rate = n < ESC_N ? 1 / (n + 2) : 1 / (ESC_N + 2);
      if (n < ESC_N) this.#escN[b] = n + 1;
      const e = this.#esc[b]! + ((hit === 1 ? 0 : 1) - this.#esc[b]!) * rate;
      this.#esc[b] = e < P_MIN ? P_MIN : e > 1 - P_MIN ? 1 - P_MIN : e;
      if (hit === 1) break;
    }
    if (this.#len > 0) {
      const c1 = this.#c4 & 255;
      const t1 = this.#o1Total[c1]!;
      if (t1 > 0) {
        // Gradient step on w for −log P(byte) of the order-0/1 blend.
        const bonus = O1_RECENT_BONUS + O1_RECENT_SHARE * t1;
        const a = (this.#o1[c1 * ALPHABET + byte]! + (byte === this.#o1Last[c1] ? bonus : 0)) /
          (t1 + bonus);
        const b = this.#o0[byte]! / this.#o0Sum;
        const b1 = this.#o1Bucket;
        const w0 = this.#o1Weight[b1]!;
        const w = w0 + (O1_RATE * (b - a)) / ((1 - w0) * a + w0 * b);
        this.#o1Weight[b1] = w < 0.02 ? 0.02 : w > 0.98 ? 0.98 : w;
      }
      this.#updateOrder1(c1, byte);
    }
    this.#o0[byte]! += 1;
    this.#o0Sum += 1;
    if (this.#o0[byte]! > this.#o0[this.#o0Top]!) this.#o0Top = byte;
    if (this.#o0Sum > 65536) {
      let sum = 0;
      for (let v = 0; v < ALPHABET; v++) {
        const w = Math.floor(this.#o0[v]! / 2) + 0.5;
        this.#o0[v] = w;
        sum += w;
      }
      this.#o0Sum = sum;
    }
    // 5. History.
    if (this.#len === this.#hist.length) {
      const h = new Uint8Array(this.#hist.length * 2);
      h.set(this.#hist);
      this.#hist = h;
    }
    this.#hist[this.#len++] = byte;
    this.#c8 = ((this.#c8 << 8) | (this.#c4 >>> 24)) | 0;
    this.#c4 = ((this.#c4 << 8) | byte) | 0;
    // 6. Match lookup.
    if (this.#len >= MATCH_MIN) {
      const hi = MATCH_MIN >= 8 ? this.#c8 : this.#c8 & ((1 << (8 * (MATCH_MIN - 4))) - 1);
      const mh = Math.imul(this.#c4 ^ Math.imul(hi, 0x2f0b3c5d), 0x9e3779b1) >>> (32 - MATCH_BITS);
      if (this.#matchLen === 0) {
        const cand = this.#matchTab[mh]!;
        if (cand >= 0) {
          let l = 0;
          while (l < 32 && l < cand && this.#hist[cand - 1 - l] === this.#hist[this.#len - 1 - l]) {
            l++;
          }
          if (l >= MATCH_MIN) {
            this.#matchLen = l;
            this.#matchPtr = cand;
          }
        }
      }
      this.#matchTab[mh] = this.#len;
    }
    this.#lookupAll();
  }

  #lookupAll(): void {
    const c4 = this.#c4;
    const c8 = this.#c8;
    const len = this.#len;
    const slots = this.#slots;
    slots[2] = len >= 2 ? (c4 & 0xffff) * 4 : -1;
    // Hashed orders: first the keys, then the probes (their cache misses overlap).
    const keys = this.#keys;
    for (let k = 3; k <= MAX_ORDER; k++) {
      keys[k] = k <= 4
        ? hashKey(k, k === 4 ? c4 : c4 & ((1 << (8 * k)) - 1), 0)
        : hashKey(k, c4, k === 8 ? c8 : c8 & ((1 << (8 * (k - 4))) - 1));
    }
    for (let k = 3; k <= MAX_ORDER; k++) slots[k] = k <= len ? this.#find(keys[k]!) : -1;
  }

  #updateOrder1(c1: number, byte: number): void {
    const o1 = this.#o1;
    const row = c1 * ALPHABET;
    if (o1[row + byte] === 0) this.#o1Syms[row + this.#o1Distinct[c1]!++] = byte;
    o1[row + byte]! += O1_INC;
    if (o1[row + byte]! > o1[row + this.#o1Top[c1]!]!) this.#o1Top[c1] = byte;
    this.#o1Last[c1] = byte;
    let t = this.#o1Total[c1]! + O1_INC;
    if (t > O1_LIMIT) {
      t = 0;
      let d = 0;
      for (let v = 0; v < ALPHABET; v++) {
        const c = Math.floor(o1[row + v]! / 2);
        o1[row + v] = c;
        t += c;
        if (c > 0) this.#o1Syms[row + d++] = v;
      }
      this.#o1Distinct[c1] = d;
    }
    this.#o1Total[c1] = t;
  }

  /**
   * Picks the record period: the distance between equal bytes seen most often lately, if it
   * stands out (more than REC_SHARE of all distances counted); then ages the counts.
   */
  #choosePeriod(): void {
    const count = this.#recCount;
    let best = 0;
    let total = 0;
    for (let d = REC_MIN; d <= REC_MAX; d++) {
      total += count[d]!;
      if (count[d]! > count[best]!) best = d;
    }
    const period = count[best]! > total * REC_SHARE ? best : 0;
    if (period !== this.#recPeriod) this.#recRun = 0;
    this.#recPeriod = period;
    for (let d = REC_MIN; d <= REC_MAX; d++) count[d] = count[d]! >> 1;
  }

  /** The slot (×4) of hashed context `key`, or −1. */
  #find(key: number): number {
    const tab = this.#tab;
    const mask = (1 << this.#tabBits) - 1;
    let i = (key >>> (32 - this.#tabBits)) & mask;
    for (;;) {
      const k = tab[(LOW_SLOTS + i) * 4]!;
      if (k === key) return (LOW_SLOTS + i) * 4;
      if (k === 0) return -1;
      i = (i + 1) & mask;
    }
  }

  /** Adds a new hashed context `key` whose first symbol is `byte` (unless the table is full). */
  #insert(key: number, byte: number): void {
    if (this.#tabUsed >= (3 << (this.#tabBits - 2))) return; // full: forget new contexts
    const tab = this.#tab;
    const mask = (1 << this.#tabBits) - 1;
    let i = (key >>> (32 - this.#tabBits)) & mask;
    while (tab[(LOW_SLOTS + i) * 4] !== 0) i = (i + 1) & mask;
    const at = (LOW_SLOTS + i) * 4;
    tab[at] = key;
    tab[at + 1] = (COUNT_INIT << 8) | byte;
    tab[at + 2] = COUNT_INIT;
    tab[at + 3] = 1;
    this.#tabUsed++;
  }

  /**
   * Counts `byte` in the context at `slot` (order k); returns 1 if the context had seen it
   * before, 0 if not (it is added when there is room).
   */
  #update(slot: number, k: number, byte: number): number {
    const tab = this.#tab;
    const d = tab[slot + 3]!;
    let t = tab[slot + 2]!;
    if (d <= 1) {
      const ent = tab[slot + 1]!;
      if (d === 0) {
        tab[slot + 1] = (COUNT_INIT << 8) | byte;
        tab[slot + 2] = COUNT_INIT;
        tab[slot + 3] = 1;
        return 0;
      }
      if ((ent & 255) === byte) {
        t += COUNT_INC;
        if (t > COUNT_LIMIT[k]!) {
          t = (t + 1) >>> 1;
        }
        tab[slot + 1] = (t << 8) | byte;
        tab[slot + 2] = t;
        return 1;
      }
      // Second symbol: move the list into the pool, capacity 2.
      const off = this.#alloc(2);
      if (off < 0) return 0;
      this.#pool[off] = (COUNT_INIT << 8) | byte;
      this.#pool[off + 1] = ent;
      tab[slot + 1] = off;
      tab[slot + 2] = t + COUNT_INIT;
      tab[slot + 3] = 2;
      return 0;
    }
    let off = tab[slot + 1]!;
    let pool = this.#pool;
    let i = off;
    const end = off + d;
    while (i < end && (pool[i]! & 255) !== byte) i++;
    const hit = i < end ? 1 : 0;
    if (hit) {
      // Count it and move it to the front (the most recent symbol first).
      const ent = pool[i]! + (COUNT_INC << 8);
      pool[i] = pool[off]!;
      pool[off] = ent;
      t += COUNT_INC;
    } else {
      // New symbol: grow the list when d is a power of two (its capacity).
      if ((d & (d - 1)) === 0) {
        const off2 = this.#alloc(d * 2);
        if (off2 < 0) return 0;
        pool = this.#pool;
        pool.copyWithin(off2, off, off + d);
        off = off2;
        tab[slot + 1] = off;
      }
      pool[off + d] = pool[off]!;
      pool[off] = (COUNT_INIT << 8) | byte;
      tab[slot + 3] = d + 1;
      t += COUNT_INIT;
    }
    if (t > COUNT_LIMIT[k]!) {
      t = 0;
      const n = tab[slot + 3]!;
      for (let j = off; j < off + n; j++) {
        const ent = pool[j]!;
        const c = ((ent >>> 8) + 1) >>> 1;
        pool[j] = (c << 8) | (ent & 255);
        t += c;
      }
    }
    tab[slot + 2] = t;
    return hit;
  }

  /** Reserves `n` pool entries; −1 when the pool is full. */
  #alloc(n: number): number {
    if (this.#poolUsed + n > this.#pool.length) {
      let size = this.#pool.length;
      while (size < this.#poolUsed + n) size *= 2;
      if (size > POOL_MAX) return -1;
      const pool = new Uint32Array(size);
      pool.set(this.#pool.subarray(0, this.#poolUsed));
      this.#pool = pool;
    }
    const off = this.#poolUsed;
    this.#poolUsed += n;
    return off;
  }

  /** Doubles the hashed region and re-finds the current slots. */
  #grow(): void {
    const old = this.#tab;
    const oldBits = this.#tabBits;
    this.#tabBits++;
    const tab = new Int32Array(4 * (LOW_SLOTS + (1 << this.#tabBits)));
    tab.set(old.subarray(0, 4 * LOW_SLOTS));
    const mask = (1 << this.#tabBits) - 1;
    for (let j = 4 * LOW_SLOTS; j < 4 * (LOW_SLOTS + (1 << oldBits)); j += 4) {
      const key = old[j]!;
      if (key === 0) continue;
      let i = (key >>> (32 - this.#tabBits)) & mask;
      while (tab[(LOW_SLOTS + i) * 4] !== 0) i = (i + 1) & mask;
      const at = (LOW_SLOTS + i) * 4;
      tab[at] = key;
      tab[at + 1] = old[j + 1]!;
      tab[at + 2] = old[j + 2]!;
      tab[at + 3] = old[j + 3]!;
    }
    this.#tab = tab;
    for (let k = 3; k <= MAX_ORDER; k++) {
      if (this.#slots[k]! >= 0) this.#slots[k] = this.#find(this.#keys[k]!);
    }
  }
}

/**
 * Writes `1 + floor(scale · p[v] · (FREQ_TOTAL − 256))` for every v into `out[at..)`, then adds
 * what is left of FREQ_TOTAL to `top` (a likely value). Should rounding ever have pushed the
 * probabilities' sum above 1, the table is redone from the exact sum, the rest going to the first
 * most probable value.
 */
function quantize(p: Float64Array, scale: number, top: number, out: Uint32Array, at: number): void {
  const spare = FREQ_TOTAL - ALPHABET;
  const f = scale * spare;
  let sum = 0;
  let bits = 0; // OR of every q: bits above 15 reveal a q out of range
  for (let v = 0; v < ALPHABET; v++) {
    const q = (p[v]! * f) | 0; // p ≥ 0; NaN gives 0
    out[at + v] = q + 1;
    sum = (sum + q) | 0;
    bits |= q;
  }
  if (bits >>> 16 === 0 && sum <= spare) {
    out[at + top]! += spare - sum;
    return;
  }
  let total = 0;
  for (let v = 0; v < ALPHABET; v++) total += p[v]!;
  const g = spare / total;
  sum = 0;
  let best = 0;
  for (let v = 0; v < ALPHABET; v++) {
    const x = p[v]! * g;
    const q = x < spare ? x | 0 : 0; // non-finite values get nothing
    out[at + v] = q + 1;
    sum += q;
    if (q > out[at + best]! - 1) best = v;
  }
  if (sum <= spare) out[at + best]! += spare - sum;
  else out.fill(FREQ_TOTAL / ALPHABET, at, at + ALPHABET); // only if p held non-finite values
}
