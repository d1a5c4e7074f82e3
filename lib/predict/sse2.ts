// This module imports no tfjs.
/**
 * Block methods 6 ("mix-sse2") to 13 ("mix-sse9"): the mix of the context-mixing model and the
 * neural model (`mixer.ts`), refined bit by bit by a larger secondary estimation than method 5's
 * (`sse.ts`), learned within the segment; methods 12 and 13 code each byte as eight bits.
 * {@link createSse2Predictor} to {@link createSse9Predictor}. `codec/FORMAT.md`, Appendices F to
 * M, are the specification; this module follows them step by step.
 *
 * What it adds to method 5, each measured on cached tables of 13 files (text, binaries and
 * validation samples; `bench/sse_bpb.ts` measures the whole):
 *
 * - the two parts' own bit probabilities as inputs of the learned mix, beside the mix's
 *   (the stage runs the mixer itself, so that neither part runs twice);
 * - two more hashed maps: one in the context of the current word and the word before, one of
 *   the three previous bytes;
 * - six direct bit models: one probability per (hashed context, node), for the contexts of
 *   orders 2, 3, 4 and 6, the current word, and the current and previous word;
 * - a second learned mix whose weights are chosen by the node (the first's by the match state
 *   and the input's confidence), averaged with the first.
 *
 * Method 7 adds to method 6 (measured the same way on 10 validation samples of 200 KB: −0.95%,
 * every category smaller; as archives, the Canterbury and Calgary corpora −1.9%, every file
 * smaller):
 *
 * - three more direct models: order 1; the two bytes before the previous one (a sparse context,
 *   which binaries and tables like); and the column, the previous byte and the byte above it in
 *   the previous line (text laid out in columns: code, tables, mail headers);
 * - a constant input (the mixes' bias);
 * - a third learned mix whose weights are chosen by the previous byte;
 * - a direct table twice as large (2^23 slots), since the contexts collide more.
 *
 * Method 8 adds to method 7 (measured the same way: −1.44%, every category smaller,
 * `bench/results/direct-rates-2026-12-01.txt`; as archives, the Canterbury and Calgary corpora
 * −0.85%, no file larger):
 *
 * - a second, fast probability per direct slot (rate floor 0.3; the first's floor goes from 0.02 to
 *   0.01), nine more inputs of the mixes, scaled by 0.35 so that the mixes, tuned for nine direct
 *   inputs, take them well.
 *
 * Method 9 adds to method 8 (measured the same way: −0.94%, nine categories smaller, prose the
 * same; as archives, the Canterbury and Calgary corpora −0.71%, kennedy.xls −14%, book1 +0.04% the
 * only file larger):
 *
 * - each direct slot's last six bits, read through a map learned per (depth, direct model,
 *   history): nine more inputs, which learn how far a slot's recent run of bits can be trusted
 *   (paq's indirect modelling of bit histories, in its simplest form);
 * - a final learned mix of mixes A, B and C and the fixed average, with weights chosen by depth,
 *   match state and confidence, in place of their plain average.
 *
 * Method 10 changes only where method 9's mixes start: from weights fitted once, offline, on the
 * validation samples (`_sse_starts.ts`, `bench/fit_starts.ts`), not from fixed ones, so that the
 * start of every segment, and all of a small file, is coded as if the mixes had already learned
 * (measured the same way, on the samples it was fitted on: −0.34%, every category smaller; fitted
 * on five and measured on the other five: −0.28% and −0.35%, and −1.1% and −1.4% on each sample's
 * first 16 KiB; as archives, the Canterbury and Calgary corpora −0.18%, every file smaller).
 *
 * Method 11 adds to method 10 (measured the same way: −0.64% on the samples its starts were fitted
 * on, every category smaller; on six 1 MiB samples from further into the validation files, −0.98%;
 * as archives, the Canterbury and Calgary corpora −1.11%, every file smaller, kennedy.xls −12%):
 *
 * - four more direct models: the segment's match (its row) with the previous byte, the word with
 *   the previous byte, the 4th to 7th bytes back, and the byte above alone;
 * - direct slots in pairs, each keeping an 8-bit check of its context: a context reads the slot of
 *   its pair that carries its check, else takes over the one with the lower count from a blank
 *   state (a block of 1 MiB touches more slots than the table holds, and a shared slot predicts
 *   worse than a fresh one);
 * - start weights fitted again, the same way, for its 49 inputs (`_sse_starts11.ts`).
 *
 * Method 12 makes method 11's predictions and codes each byte as eight bits, so that only the 8
 * nodes of its path are computed (its stage 2.2× faster, 0.15% smaller on the corpora).
 *
 * Method 13 adds to method 12 (measured the same way: −0.25% on the samples its starts were
 * fitted on, every one smaller; −0.38% on six 1 MiB samples further into the validation files;
 * as archives, the Canterbury and Calgary corpora −0.14%, 22 of 29 files smaller):
 *
 * - three more direct models: the word with the two words before it, the word with the one before
 *   the previous, and the line's indentation with the previous byte;
 * - start weights fitted again for its 58 inputs (`_sse_starts13.ts`).
 *
 * Every step is a float64 +, −, ×, ÷, comparison, floor or table lookup in a fixed order, or a
 * 32-bit integer operation, so the tables are the same on every machine, and a segment's tables
 * depend only on its own bytes and its parts' tables.
 *
 * @module
 */
import { log2Table, mixingStage } from "./mixer.ts";
import { SegmentHistory } from "./long_match.ts";
import { ALPHABET, BIT_FREQUENCY_MIN, FREQ_TOTAL, type Predictor } from "./predictor.ts";
import {
  type BitStage,
  bitStagedPredictor,
  type SegmentStage,
  stagedPredictor,
  writeFrequencies,
} from "./_stage.ts";
import {
  BaseMaps,
  fillMatchContexts,
  fillTree,
  GOLDEN,
  INTERVALS_H,
  ProbabilityMap,
  SCALE_H,
  SKIP_BELOW,
  squash,
  SSE_MATCH_LENGTH,
  stretch,
} from "./_probability_map.ts";
import * as STARTS_10 from "./_sse_starts.ts";
import * as STARTS_11 from "./_sse_starts11.ts";
import * as STARTS_13 from "./_sse_starts13.ts";

/** Bits of maps 4 and 5's hashed contexts: words, order 3. */
const WORD_BITS = 18;
const ORDER3_BITS = 18;
/** Orders of the byte-context direct models; method 7 also has order 1 (as its seventh). */
const DIRECT_ORDERS = [2, 3, 4, 6];
/** Multipliers of the hashes, as int32 for `Math.imul` (products mod 2^32 are exact). */
const MIX_BYTE = -2048144789; // 0x85EBCA6B
const MIX_WORD = 789269223; // 0x2F0B4AE7
const MIX_TRIPLE = 1540483477; // 0x5BD1E995
const WORD_STEP = 1013904223; // 0x3C6EF35F
/** Inputs before the direct models': the input, maps 0–5, the two parts. */
const FIRST_DIRECT = 9;
/** Weight sets of mix A (match state × confidence), mix B (node), mix C (previous byte). */
const SETS_A = 9;
const SETS_B = 256;
const SETS_C = 256;
const RATE_A = 0.002;
const RATE_B = 0.004;
const RATE_C = 0.003;
/** Weight of the learned mixes against the fixed average in the final estimate. */
const MIX_WEIGHT = 15;
/** Method 9: bits of history a direct slot keeps, and its states (a leading 1, then the bits). */
const HISTORY_BITS = 6;
const HISTORY_STATES = 1 << (HISTORY_BITS + 1);
/** Method 9: the history maps' rate floor. */
const HISTORY_RATE_FLOOR = 0.002;
/** A direct slot's values: doubles (probability, fast probability), bytes (count, check, history). */
const PROBS = 2;
const META = 4;
const COUNT = 0;
const CHECK = 1;
const HISTORY = 2;
/** Method 9: the final mix's inputs (st(g_A), st(g_B), st(g_C), st(a), 1), sets and rate. */
const FINAL_INPUTS = 5;
const FINAL_SETS = 64;
const RATE_FINAL = 0.001;

/** What sets methods 7 to 11's stages apart from method 6's. */
interface Variant {
  /** Bits of the direct models' shared table. */
  readonly directBits: number;
  /**
   * Direct models: 6 (orders 2, 3, 4, 6, "w", "ww"), 9 (then order 1, sparse, column), 13
   * (method 11: then the match with b_1, the word with b_1, b_4 to b_7, the byte above), or 16
   * (method 13: then the word with the two before it, the word with the one before the previous,
   * the indentation with b_1).
   */
  readonly directContexts: number;
  /** Whether the inputs end with the constant 1. */
  readonly bias: boolean;
  /** Whether mix C (weights by the previous byte) joins mixes A and B. */
  readonly mixC: boolean;
  /** The direct models' rate floor. */
  readonly rateFloor: number;
  /** Method 8: the fast probability's rate floor (0: no fast probability), and its input's scale. */
  readonly fastFloor: number;
  readonly fastScale: number;
  /**
   * Method 9: each direct slot also keeps its last bits, read through a map learned per (depth,
   * direct model, history) as one more input each; and a final learned mix replaces the average of
   * mixes A, B and C.
   */
  readonly history: boolean;
  /**
   * Methods 10 and 11: the mixes start from these weights (fitted once, offline:
   * `_sse_starts.ts`, `_sse_starts11.ts`) in place of (0.1, 0.3, 0.3, 0.3, 0, …) and
   * (1/3, 1/3, 1/3, 0, 0); null for the fixed ones.
   */
  readonly fittedStarts: StartTables | null;
  /**
   * Method 11: the direct slots come in pairs, and each keeps an 8-bit check of its context, so
   * that a context finds its own slot rather than one it shares with others.
   */
  readonly checks: boolean;
}

/** A fitted-starts module's tables (`bench/fit_starts.ts` writes them). */
interface StartTables {
  readonly START_UNIT: number;
  readonly START_A: Int16Array;
  readonly START_B: Int16Array;
  readonly START_C: Int16Array;
  readonly START_F: Int16Array;
}

const METHOD_6: Variant = {
  directBits: 22,
  directContexts: 6,
  bias: false,
  mixC: false,
  rateFloor: 0.02,
  fastFloor: 0,
  fastScale: 0,
  history: false,
  fittedStarts: null,
  checks: false,
};
const METHOD_7: Variant = {
  ...METHOD_6,
  directBits: 23,
  directContexts: 9,
  bias: true,
  mixC: true,
};
const METHOD_8: Variant = { ...METHOD_7, rateFloor: 0.01, fastFloor: 0.3, fastScale: 0.35 };
const METHOD_9: Variant = { ...METHOD_8, history: true };
const METHOD_10: Variant = { ...METHOD_9, fittedStarts: STARTS_10 };
/** Method 11 before its starts were fitted: what `bench/fit_starts.ts --method 11` runs. */
const METHOD_11_UNFITTED: Variant = { ...METHOD_9, directContexts: 13, checks: true };
const METHOD_11: Variant = { ...METHOD_11_UNFITTED, fittedStarts: STARTS_11 };
/** Method 13 before its starts were fitted: what `bench/fit_starts.ts --method 13` runs. */
const METHOD_13_UNFITTED: Variant = { ...METHOD_11_UNFITTED, directContexts: 16 };
const METHOD_13: Variant = { ...METHOD_13_UNFITTED, fittedStarts: STARTS_13 };

let LOG2: Float64Array | undefined;

/** The weights of a stage's mixes A, B, C and its final mix, each (sets, inputs) row-major. */
export interface StageWeights {
  /** Mix A's, (9, 37) for method 9. */
  readonly a: Float64Array;
  /** Mix B's, (256, 37). */
  readonly b: Float64Array;
  /** Mix C's, (256, 37). */
  readonly c: Float64Array;
  /** The final mix's, (64, 5). */
  readonly final: Float64Array;
}

/** A direct context of two values: `((((k ⊗ K) ⊕ a) ⊗ B) ⊕ b) ⊗ B` (FORMAT.md, Appendix G). */
function hashPair(k: number, a: number, b: number): number {
  return Math.imul(Math.imul(Math.imul(k, GOLDEN) ^ a, MIX_BYTE) ^ b, MIX_BYTE);
}

/** Offset of mix C's weight set: the previous byte's. */
function mixCSet(last: Uint8Array, inputs: number): number {
  return last[0]! * inputs;
}

/** The stage's state for one segment: the mixer's state, then the refinement's. */
class SegmentSse2 implements BitStage {
  readonly #mixer: SegmentStage;
  readonly #variant: Variant;
  /**
   * Inputs of the learned mixes: the first nine, the direct models', their fast ones (method 8),
   * then the bias (methods 7 and 8).
   */
  readonly #inputs: number;
  /** Offset of the first fast input; as many as the direct models (method 8), else none. */
  readonly #firstFast: number;
  /** Offset of the first history input; as many as the direct models (method 9), else none. */
  readonly #firstHistory: number;
  /** The mixer's table of the position, and the parts' tables as 256-entry views. */
  readonly #mixed = new Uint32Array(ALPHABET);
  readonly #views: Uint32Array[] = [new Uint32Array(0), new Uint32Array(0)];
  /** Maps 0–3, as method 5's. */
  readonly #maps = new BaseMaps();
  readonly #map4 = new ProbabilityMap(1 << WORD_BITS, INTERVALS_H, SCALE_H);
  readonly #map5 = new ProbabilityMap(1 << ORDER3_BITS, INTERVALS_H, SCALE_H);
  /**
   * Direct models, per slot s: the probability − 1/2 (0 at the start) at `probs[PROBS · s]`, and
   * method 8's fast one, learned with the same count, at `PROBS · s + 1`; the count at
   * `meta[META · s + COUNT]`, method 11's check (0: empty; a context's is odd) at `+ CHECK`, and
   * method 9's history (0 before the first bit, else a leading 1 and the last bits) at `+ HISTORY`.
   * A slot's values lie together, and a pair's too, so that reading one costs two cache misses, not
   * five (the tables are far larger than the caches: the stage ran ~30% faster).
   */
  readonly #probs: Float64Array;
  readonly #meta: Uint8Array;
  /** Method 11: per node and direct model of the last prediction, the check of its context. */
  readonly #checkOf: Uint8Array;
  /** Method 9: the history maps, a probability and a count per (depth, direct model, history). */
  readonly #historyP: Float64Array;
  readonly #historyCount: Uint16Array;
  /** Per node and direct model of the last prediction: the history map's entry read. */
  readonly #historyAt: Int32Array;
  /** Method 9's final mix: weights (FINAL_SETS, FINAL_INPUTS), and per node its inputs, set, g. */
  readonly #weightsF: Float64Array;
  readonly #zf = new Float64Array(256 * FINAL_INPUTS);
  readonly #setF = new Int32Array(256);
  readonly #gf = new Float64Array(256);
  /** The mixes' weights, (SETS_A, inputs), (SETS_B, inputs) and (SETS_C, inputs). */
  readonly #weightsA: Float64Array;
  readonly #weightsB: Float64Array;
  readonly #weightsC: Float64Array;
  readonly #bytes = new SegmentHistory(SSE_MATCH_LENGTH);
  readonly #log = LOG2 ??= log2Table();
  /** Subtree sums of the mix, of cm and of the neural model, nodes 1..511. */
  readonly #s = new Float64Array(512);
  readonly #sc = new Float64Array(512);
  readonly #sn = new Float64Array(512);
  /** Probabilities of nodes 1..511, and of the leaves (a view of 256..511). */
  readonly #p = new Float64Array(512);
  readonly #leaves = this.#p.subarray(256);
  /** Per node of the last prediction: maps 4–5's entries, direct slots, set A, z, gA, gB, gC. */
  readonly #base = new Int32Array(256 * 2);
  readonly #slot: Int32Array;
  readonly #set = new Int32Array(256);
  readonly #z: Float64Array;
  readonly #ga = new Float64Array(256);
  readonly #gb = new Float64Array(256);
  readonly #gc = new Float64Array(256);
  readonly #u = new Float64Array(ALPHABET);
  /** Match-map context per node of the last prediction. */
  readonly #m = new Int32Array(256);
  /** The prepared byte's contexts of the maps and of mix C (FORMAT.md, Appendix F, step 3). */
  #prevBase = 0;
  #pair = 0;
  #words = 0;
  #triple = 0;
  #setC = 0;
  /** Per node, the prepared byte (counted from 1) in which it was last evaluated. */
  readonly #evaluated = new Int32Array(256);
  #epoch = 0;
  /** Contexts of the direct models for the current byte. */
  readonly #contexts: Int32Array;
  /** The last 7 bytes, most recent first (0 before the segment's start). */
  readonly #last = new Uint8Array(7);
  #word = 0;
  #word1 = 0;
  /** Method 13: the word before `#word1`, and the line's indentation (Appendix M). */
  #word2 = 0;
  #indent = 1;
  /** Method 7's column context: the next byte's column, and where its line and the last began. */
  #column = 0;
  #lineStart = 0;
  #previousLineStart = -1;

  constructor(mixer: SegmentStage, variant: Variant) {
    this.#mixer = mixer;
    this.#variant = variant;
    const fast = variant.fastFloor > 0 ? variant.directContexts : 0;
    const history = variant.history ? variant.directContexts : 0;
    this.#firstFast = FIRST_DIRECT + variant.directContexts;
    this.#firstHistory = this.#firstFast + fast;
    const inputs = this.#inputs = this.#firstHistory + history + (variant.bias ? 1 : 0);
    this.#probs = new Float64Array(PROBS << variant.directBits);
    this.#meta = new Uint8Array(META << variant.directBits);
    this.#checkOf = new Uint8Array(variant.checks ? 256 * variant.directContexts : 0);
    const historyMaps = history > 0 ? 8 * history * HISTORY_STATES : 0;
    this.#historyP = new Float64Array(historyMaps).fill(0.5);
    this.#historyCount = new Uint16Array(historyMaps);
    this.#historyAt = new Int32Array(256 * history);
    this.#weightsF = new Float64Array(history > 0 ? FINAL_SETS * FINAL_INPUTS : 0);
    for (let k = 0; k < this.#weightsF.length; k += FINAL_INPUTS) {
      this.#weightsF.set([1 / 3, 1 / 3, 1 / 3, 0, 0], k);
    }
    this.#slot = new Int32Array(256 * variant.directContexts);
    this.#contexts = new Int32Array(variant.directContexts);
    this.#z = new Float64Array(256 * inputs);
    this.#weightsA = new Float64Array(SETS_A * inputs);
    this.#weightsB = new Float64Array(SETS_B * inputs);
    this.#weightsC = new Float64Array(variant.mixC ? SETS_C * inputs : 0);
    const start = new Float64Array(inputs);
    start.set([0.1, 0.3, 0.3, 0.3]);
    for (let k = 0; k < SETS_A; k++) this.#weightsA.set(start, k * inputs);
    for (let k = 0; k < SETS_B; k++) this.#weightsB.set(start, k * inputs);
    if (variant.mixC) { for (let k = 0; k < SETS_C; k++) this.#weightsC.set(start, k * inputs); }
    if (variant.fittedStarts !== null) this.#fittedStarts(variant.fittedStarts);
  }

  /** Methods 10 and 11: every weight from `starts`, in units of 1/4096 (exact in float64). */
  #fittedStarts(starts: StartTables): void {
    const { START_A, START_B, START_C, START_F, START_UNIT } = starts;
    const inputs = this.#inputs, unit = 1 / START_UNIT;
    for (let k = 0; k < SETS_A * inputs; k++) this.#weightsA[k] = START_A[k]! * unit;
    for (let k = 0; k < SETS_B * inputs; k++) this.#weightsB[k] = START_B[k % inputs]! * unit;
    for (let k = 0; k < SETS_C * inputs; k++) this.#weightsC[k] = START_C[k % inputs]! * unit;
    for (let k = 0; k < FINAL_SETS * FINAL_INPUTS; k++) this.#weightsF[k] = START_F[k]! * unit;
  }

  /** The mixes' weights, as views (for `bench/fit_starts.ts`). */
  weights(): StageWeights {
    return { a: this.#weightsA, b: this.#weightsB, c: this.#weightsC, final: this.#weightsF };
  }

  /** The parts' tables of the position as 256-entry views, for the mixer. */
  #partViews(parts: readonly Uint32Array[], at: number): Uint32Array[] {
    this.#views[0] = parts[0]!.subarray(at, at + ALPHABET);
    this.#views[1] = parts[1]!.subarray(at, at + ALPHABET);
    return this.#views;
  }

  /** The direct models' hashed contexts of the current byte; `words` is {@link #wordPair}'s. */
  #hashContexts(words: number): void {
    const last = this.#last, contexts = this.#contexts;
    for (let i = 0; i < DIRECT_ORDERS.length; i++) {
      let h = Math.imul(i + 1, GOLDEN);
      for (let k = 0; k < DIRECT_ORDERS[i]!; k++) h = Math.imul(h ^ last[k]!, MIX_BYTE);
      contexts[i] = h;
    }
    contexts[4] = Math.imul(Math.imul(5, GOLDEN) ^ this.#word, MIX_BYTE);
    contexts[5] = Math.imul(Math.imul(6, GOLDEN) ^ words, MIX_BYTE);
    if (this.#variant.directContexts === 6) return;
    // Method 7: order 1; the sparse pair b_2, b_3; the column with b_1 and the byte above.
    contexts[6] = Math.imul(Math.imul(7, GOLDEN) ^ last[0]!, MIX_BYTE);
    contexts[7] = hashPair(8, last[1]!, last[2]!);
    const column = (this.#column < 255 ? this.#column : 255) * 256 + last[0]!;
    const above = Math.imul(Math.imul(9, GOLDEN) ^ this.#above(), MIX_BYTE);
    contexts[8] = Math.imul(above ^ column, MIX_BYTE);
    if (this.#variant.directContexts === 9) return;
    // Method 11: the match's row with b_1; the word with b_1; b_4 to b_7; the byte above alone.
    const row = this.#bytes.row(this.#bytes.length);
    contexts[9] = hashPair(10, row < 0 ? 0x7fffffff : row, last[0]!);
    contexts[10] = hashPair(11, this.#word, last[0]!);
    let far = Math.imul(12, GOLDEN);
    for (let k = 3; k < 7; k++) far = Math.imul(far ^ last[k]!, MIX_BYTE);
    contexts[11] = far;
    contexts[12] = Math.imul(Math.imul(13, GOLDEN) ^ this.#above(), MIX_BYTE);
    if (this.#variant.directContexts === 13) return;
    // Method 13: the word with the two before it; the word with the one before the previous;
    // the indentation with b_1.
    contexts[13] = hashPair(14, words, this.#word2);
    contexts[14] = hashPair(15, this.#word, this.#word2);
    contexts[15] = hashPair(16, this.#indent, last[0]!);
  }

  /** The byte at the next byte's column in the line before (its LF included), else 0. */
  #above(): number {
    if (this.#previousLineStart < 0) return 0;
    const at = this.#previousLineStart + this.#column;
    return at < this.#lineStart ? this.#bytes.bytes[at]! : 0;
  }

  /** The current word's hash combined with the previous word's. */
  #wordPair(): number {
    return Math.imul(this.#word1, MIX_WORD) ^ this.#word;
  }

  /**
   * Method 9's final mix of node n at `depth`: `squash` of the weights of set (depth, match state
   * `sm`, |x| ≥ 4) times (st(g_A), st(g_B), st(g_C), st(a), 1); remembers its inputs for the update.
   */
  #finalMix(
    n: number,
    depth: number,
    ga: number,
    gb: number,
    gc: number,
    a: number,
    sm: number,
    ax: number,
  ): number {
    const log = this.#log, zf = this.#zf, w = this.#weightsF, zb = n * FINAL_INPUTS;
    zf[zb] = stretch(log, ga);
    zf[zb + 1] = stretch(log, gb);
    zf[zb + 2] = stretch(log, gc);
    zf[zb + 3] = stretch(log, a);
    zf[zb + 4] = 1;
    const set = (depth * 8 + sm * 2 + (ax < 4 ? 0 : 1)) * FINAL_INPUTS;
    this.#setF[n] = set;
    let dot = 0;
    for (let k = 0; k < FINAL_INPUTS; k++) dot = dot + w[set + k]! * zf[zb + k]!;
    const g = squash(dot);
    this.#gf[n] = g;
    return g;
  }

  /**
   * Steps 1–3 of a byte (FORMAT.md, Appendix F) for the tables of position `at` of `parts` (cm,
   * neural): the mix, the trees, and the contexts that every node of the byte reads.
   */
  prepare(parts: readonly Uint32Array[], at: number): void {
    this.#mixer.predict(this.#partViews(parts, at), 0, this.#mixed);
    // 2. The trees (step 1, the mix, ran above).
    fillTree(this.#s, this.#mixed, 0);
    fillTree(this.#sc, parts[0]!, at);
    fillTree(this.#sn, parts[1]!, at);
    // 3. The contexts: the match map's per node, then the hashed ones.
    fillMatchContexts(this.#bytes.row(this.#bytes.length), this.#m);
    const last = this.#last;
    this.#prevBase = last[0]! * 256;
    this.#pair = last[1]! * 256 + last[0]!;
    this.#words = this.#wordPair();
    this.#triple = Math.imul((last[2]! * 256 + last[1]!) * 256 + last[0]!, MIX_TRIPLE);
    this.#setC = mixCSet(last, this.#inputs);
    this.#hashContexts(this.#words);
    this.#epoch++;
  }

  /**
   * Steps 4–7 for node n of the prepared byte: the probability that its bit is 1 (the mix's own
   * for a node with too little mass); remembers what {@link update} needs of the node.
   */
  #node(n: number): number {
    const s = this.#s, all = s[n]!, input = s[2 * n + 1]! / all;
    const maps = this.#maps;
    this.#evaluated[n] = this.#epoch;
    if (all < SKIP_BELOW) {
      maps.skip(n);
      return input;
    }
    const log = this.#log, r = maps.r, bases = this.#base, slots = this.#slot, z = this.#z;
    const weightsA = this.#weightsA, weightsB = this.#weightsB, weightsC = this.#weightsC;
    const map4 = this.#map4, map5 = this.#map5;
    const probs = this.#probs, meta = this.#meta, contexts = this.#contexts;
    const { directBits, directContexts, bias, mixC, fastFloor, fastScale } = this.#variant;
    const firstFast = this.#firstFast, firstHistory = this.#firstHistory;
    const historyP = this.#historyP, historyAt = this.#historyAt;
    const useHistory = this.#variant.history;
    const checks = this.#variant.checks, checkOf = this.#checkOf;
    const inputs = this.#inputs;
    // 4–5. The input and the maps.
    const x = stretch(log, input);
    // The node's depth (0..7) picks method 9's history maps and final-mix sets.
    const depth = 31 - Math.clz32(n), historyRow = depth * directContexts;
    const m = this.#m[n]!;
    maps.read(n, x, this.#prevBase, this.#pair, m);
    const jh = maps.jh, wh = maps.wh[n]!;
    const b4 = map4.row(Math.imul(this.#words + n, GOLDEN) >>> (32 - WORD_BITS)) + jh;
    const b5 = map5.row(Math.imul(this.#triple + n, GOLDEN) >>> (32 - ORDER3_BITS)) + jh;
    bases[2 * n] = b4;
    bases[2 * n + 1] = b5;
    // 6–7. The inputs, the direct models' among them.
    const zb = n * inputs;
    z[zb] = x;
    z[zb + 1] = stretch(log, r[0]!);
    z[zb + 2] = stretch(log, r[1]!);
    z[zb + 3] = stretch(log, r[2]!);
    z[zb + 4] = stretch(log, r[3]!);
    z[zb + 5] = stretch(log, map4.read(b4, wh));
    z[zb + 6] = stretch(log, map5.read(b5, wh));
    z[zb + 7] = stretch(log, this.#sc[2 * n + 1]! / this.#sc[n]!);
    z[zb + 8] = stretch(log, this.#sn[2 * n + 1]! / this.#sn[n]!);
    for (let i = 0; i < directContexts; i++) {
      let slot = Math.imul(contexts[i]! + n, GOLDEN) >>> (32 - directBits);
      let seen = meta[META * slot + COUNT] !== 0;
      if (checks) {
        // Method 11: the pair's slot with this check, else the one with the lower count.
        const check = (Math.imul(contexts[i]! + n, MIX_WORD) >>> 24) | 1;
        checkOf[directContexts * n + i] = check;
        const s0 = slot & ~1, s1 = s0 | 1;
        const m0 = META * s0, m1 = META * s1;
        slot = meta[m0 + CHECK] === check
          ? s0
          : meta[m1 + CHECK] === check
          ? s1
          : meta[m1 + COUNT]! < meta[m0 + COUNT]!
          ? s1
          : s0;
        seen = meta[META * slot + CHECK] === check && meta[META * slot + COUNT] !== 0;
      }
      slots[directContexts * n + i] = slot;
      z[zb + FIRST_DIRECT + i] = seen ? stretch(log, 0.5 + probs[PROBS * slot]!) : 0;
      if (fastFloor > 0) {
        z[zb + firstFast + i] = seen ? fastScale * stretch(log, 0.5 + probs[PROBS * slot + 1]!) : 0;
      }
      if (useHistory) {
        const h = seen || !checks ? meta[META * slot + HISTORY]! : 0;
        const e = (historyRow + i) * HISTORY_STATES + (h === 0 ? 1 : h);
        historyAt[directContexts * n + i] = e;
        z[zb + firstHistory + i] = stretch(log, historyP[e]!);
      }
    }
    if (bias) z[zb + inputs - 1] = 1;
    // 7. The estimates.
    const a = maps.average(input);
    const ax = x < 0 ? -x : x;
    const sm = m === 0 ? 0 : m > 8 ? 2 : 1;
    const setA = (sm * 3 + (ax < 2 ? 0 : ax < 6 ? 1 : 2)) * inputs;
    const setB = n * inputs;
    this.#set[n] = setA;
    let dotA = 0, dotB = 0;
    for (let k = 0; k < inputs; k++) dotA = dotA + weightsA[setA + k]! * z[zb + k]!;
    for (let k = 0; k < inputs; k++) dotB = dotB + weightsB[setB + k]! * z[zb + k]!;
    const ga = squash(dotA), gb = squash(dotB);
    this.#ga[n] = ga;
    this.#gb[n] = gb;
    let g = (ga + gb) / 2;
    if (mixC) {
      let dotC = 0;
      const setC = this.#setC;
      for (let k = 0; k < inputs; k++) dotC = dotC + weightsC[setC + k]! * z[zb + k]!;
      const gc = squash(dotC);
      this.#gc[n] = gc;
      g = useHistory ? this.#finalMix(n, depth, ga, gb, gc, a, sm, ax) : (ga + gb + gc) / 3;
    }
    return (MIX_WEIGHT * g + a) / (MIX_WEIGHT + 1);
  }

  /**
   * Method 12: the frequency of a 1 bit at node n of the prepared byte, of 65536: its probability
   * q as `floor(q · 65536)`, limited to [32, 65504] (FORMAT.md, Appendix L).
   */
  bitFrequency(n: number): number {
    const f = Math.floor(this.#node(n) * FREQ_TOTAL);
    const limit = FREQ_TOTAL - BIT_FREQUENCY_MIN;
    return f < BIT_FREQUENCY_MIN ? BIT_FREQUENCY_MIN : f > limit ? limit : f;
  }

  /** Writes the refined table of position `at` of `parts` (cm, neural) to `out[at..at+256)`. */
  predict(parts: readonly Uint32Array[], at: number, out: Uint32Array): void {
    this.prepare(parts, at);
    // 8. The children's probabilities (n ascending: P[n] is final when n is reached).
    const p = this.#p;
    p[1] = 1;
    for (let n = 1; n < 256; n++) {
      const q = this.#node(n);
      p[2 * n + 1] = p[n]! * q;
      p[2 * n] = p[n]! * (1 - q);
    }
    // 8. Frequencies.
    writeFrequencies(this.#leaves, this.#u, out, at);
  }

  /** Learns from byte `x`, after {@link predict}. */
  update(parts: readonly Uint32Array[], at: number, x: number): void {
    this.#mixer.update(this.#partViews(parts, at), 0, x);
    const maps = this.#maps, bases = this.#base, slots = this.#slot, z = this.#z;
    const weightsA = this.#weightsA, weightsB = this.#weightsB, weightsC = this.#weightsC;
    const probs = this.#probs, meta = this.#meta;
    const { directContexts, mixC, rateFloor, fastFloor } = this.#variant, inputs = this.#inputs;
    const useHistory = this.#variant.history;
    const historyP = this.#historyP, historyCount = this.#historyCount;
    const checks = this.#variant.checks, checkOf = this.#checkOf;
    const setC = this.#setC;
    // Method 12 evaluates only the nodes it is asked for: those of x's path, unless x was not
    // coded (a finished segment's filler byte, or advance without predict). Every node of the
    // path is evaluated before any learns.
    for (let d = 0; d < 8; d++) {
      const n = (x + 256) >> (8 - d);
      if (this.#evaluated[n] !== this.#epoch) this.#node(n);
    }
    for (let d = 0; d < 8; d++) {
      const n = (x + 256) >> (8 - d), y = (x >> (7 - d)) & 1;
      if (!maps.refined(n)) continue;
      const wh = maps.wh[n]!;
      maps.update(n, y);
      this.#map4.update(bases[2 * n]!, wh, y);
      this.#map5.update(bases[2 * n + 1]!, wh, y);
      for (let i = 0; i < directContexts; i++) {
        const slot = slots[directContexts * n + i]!, at = PROBS * slot, mt = META * slot;
        if (checks && meta[mt + CHECK] !== checkOf[directContexts * n + i]) {
          // Method 11: the context takes the slot over, from a blank state.
          meta[mt + CHECK] = checkOf[directContexts * n + i]!;
          probs[at] = 0;
          probs[at + 1] = 0;
          meta[mt + COUNT] = 0;
          meta[mt + HISTORY] = 0;
        }
        const c = meta[mt + COUNT]!;
        const r0 = 1 / (c + 1.5);
        const r = r0 < rateFloor ? rateFloor : r0;
        probs[at] = probs[at]! + r * (y - (0.5 + probs[at]!));
        if (fastFloor > 0) {
          const rf = r0 < fastFloor ? fastFloor : r0;
          probs[at + 1] = probs[at + 1]! + rf * (y - (0.5 + probs[at + 1]!));
        }
        if (c < 255) meta[mt + COUNT] = c + 1;
        if (useHistory) {
          const e = this.#historyAt[directContexts * n + i]!, k = historyCount[e]!;
          const r1 = 1 / (k + 1.5);
          historyP[e] = historyP[e]! + (r1 < HISTORY_RATE_FLOOR ? HISTORY_RATE_FLOOR : r1) *
              (y - historyP[e]!);
          if (k < 65535) historyCount[e] = k + 1;
          const h = ((meta[mt + HISTORY] === 0 ? 1 : meta[mt + HISTORY]!) << 1) | y;
          meta[mt + HISTORY] = h < HISTORY_STATES
            ? h
            : (h & (HISTORY_STATES / 2 - 1)) | (HISTORY_STATES / 2);
        }
      }
      const zb = n * inputs;
      const stepA = RATE_A * (y - this.#ga[n]!), setA = this.#set[n]!;
      for (let k = 0; k < inputs; k++) {
        weightsA[setA + k] = weightsA[setA + k]! + stepA * z[zb + k]!;
      }
      const stepB = RATE_B * (y - this.#gb[n]!), setB = n * inputs;
      for (let k = 0; k < inputs; k++) {
        weightsB[setB + k] = weightsB[setB + k]! + stepB * z[zb + k]!;
      }
      if (!mixC) continue;
      const stepC = RATE_C * (y - this.#gc[n]!);
      for (let k = 0; k < inputs; k++) {
        weightsC[setC + k] = weightsC[setC + k]! + stepC * z[zb + k]!;
      }
      if (!useHistory) continue;
      const weightsF = this.#weightsF, zf = this.#zf, setF = this.#setF[n]!;
      const stepF = RATE_FINAL * (y - this.#gf[n]!), zfb = n * FINAL_INPUTS;
      for (let k = 0; k < FINAL_INPUTS; k++) {
        weightsF[setF + k] = weightsF[setF + k]! + stepF * zf[zfb + k]!;
      }
    }
    this.#bytes.push(x);
    // Lines end with LF (10): the next byte's column, and where its line and the one before began.
    if (x === 10) {
      this.#previousLineStart = this.#lineStart;
      this.#lineStart = this.#bytes.length;
      this.#column = 0;
    } else this.#column++;
    // Method 13's indentation: 2 · (the line's leading spaces and tabs so far, at most 63) + 1
    // while the line has had nothing else, else + 0.
    if (x === 10) this.#indent = 1;
    else if ((this.#indent & 1) === 1 && (x === 32 || x === 9)) {
      this.#indent = this.#indent < 127 ? this.#indent + 2 : 127;
    } else this.#indent &= ~1;
    this.#last.copyWithin(1, 0, 6);
    this.#last[0] = x;
    // Words: letters (case folded) and bytes ≥ 128 continue one; any other byte ends it.
    const c = x >= 65 && x <= 90 ? x + 32 : x;
    if ((c >= 97 && c <= 122) || c >= 128) {
      this.#word = Math.imul(this.#word + c + 1, WORD_STEP);
    } else if (this.#word !== 0) {
      this.#word2 = this.#word1;
      this.#word1 = this.#word;
      this.#word = 0;
    }
  }
}

/**
 * Creates the predictor of block method 6: `cm` and `neural` mixed as method 4 mixes them
 * (`mixer.ts` with its default options), then refined by the secondary estimation of
 * `codec/FORMAT.md`, Appendix F (the module's documentation lists what it adds to method 5).
 *
 * @param cm the context-mixing predictor (the mixer's first part)
 * @param neural the neural predictor (the mixer's second part)
 * @returns a {@link Predictor} named "mix+sse2"; `predictSegment` when both parts have it,
 *   equal to the step path bit for bit
 *
 * @example Refining the mix of two context-mixing models
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSse2Predictor } from "./sse2.ts";
 * import { createContextMixingPredictor } from "./context_mixing.ts";
 * const cm = createContextMixingPredictor();
 * const batch = createSse2Predictor(cm, createContextMixingPredictor()).start(1);
 * const table = new Uint32Array(256);
 * batch.predict(table);
 * assert.equal(table.reduce((a, b) => a + b, 0), 65536);
 * batch.close();
 * ```
 */
export function createSse2Predictor(cm: Predictor, neural: Predictor): Predictor {
  const newMixer = mixingStage(2);
  return stagedPredictor("mix+sse2", [cm, neural], () => new SegmentSse2(newMixer(), METHOD_6));
}

/**
 * Creates the predictor of block method 7: method 6's stage ({@link createSse2Predictor}) with
 * the additions of `codec/FORMAT.md`, Appendix G (three more direct models, a bias input, a
 * third learned mix by the previous byte, a direct table of 2^23 slots).
 *
 * @param cm the context-mixing predictor (the mixer's first part)
 * @param neural the neural predictor (the mixer's second part)
 * @returns a {@link Predictor} named "mix+sse3"; `predictSegment` when both parts have it,
 *   equal to the step path bit for bit
 *
 * @example Refining the mix of two context-mixing models
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSse3Predictor } from "./sse2.ts";
 * import { createContextMixingPredictor } from "./context_mixing.ts";
 * const cm = createContextMixingPredictor();
 * const batch = createSse3Predictor(cm, createContextMixingPredictor()).start(1);
 * const table = new Uint32Array(256);
 * batch.predict(table);
 * assert.equal(table.reduce((a, b) => a + b, 0), 65536);
 * batch.close();
 * ```
 */
export function createSse3Predictor(cm: Predictor, neural: Predictor): Predictor {
  const newMixer = mixingStage(2);
  return stagedPredictor("mix+sse3", [cm, neural], () => new SegmentSse2(newMixer(), METHOD_7));
}

/**
 * Creates the predictor of block method 8: method 7's stage ({@link createSse3Predictor}) with
 * the additions of `codec/FORMAT.md`, Appendix H: each direct slot also keeps a fast probability
 * (rate floor 0.3), an input of the mixes at 0.35 of its stretch, and the direct models' own rate
 * floor is 0.01.
 *
 * @param cm the context-mixing predictor (the mixer's first part)
 * @param neural the neural predictor (the mixer's second part)
 * @returns a {@link Predictor} named "mix+sse4"; `predictSegment` when both parts have it,
 *   equal to the step path bit for bit
 *
 * @example Refining the mix of two context-mixing models
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSse4Predictor } from "./sse2.ts";
 * import { createContextMixingPredictor } from "./context_mixing.ts";
 * const cm = createContextMixingPredictor();
 * const batch = createSse4Predictor(cm, createContextMixingPredictor()).start(1);
 * const table = new Uint32Array(256);
 * batch.predict(table);
 * assert.equal(table.reduce((a, b) => a + b, 0), 65536);
 * batch.close();
 * ```
 */
export function createSse4Predictor(cm: Predictor, neural: Predictor): Predictor {
  const newMixer = mixingStage(2);
  return stagedPredictor("mix+sse4", [cm, neural], () => new SegmentSse2(newMixer(), METHOD_8));
}

/**
 * Creates the predictor of block method 9: method 8's stage ({@link createSse4Predictor}) with
 * the additions of `codec/FORMAT.md`, Appendix I: each direct slot also keeps its last six bits,
 * read through a map learned per (depth, direct model, history) as one more input each, and a
 * final learned mix of mixes A, B and C replaces their average.
 *
 * @param cm the context-mixing predictor (the mixer's first part)
 * @param neural the neural predictor (the mixer's second part)
 * @returns a {@link Predictor} named "mix+sse5"; `predictSegment` when both parts have it,
 *   equal to the step path bit for bit
 *
 * @example Refining the mix of two context-mixing models
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSse5Predictor } from "./sse2.ts";
 * import { createContextMixingPredictor } from "./context_mixing.ts";
 * const cm = createContextMixingPredictor();
 * const batch = createSse5Predictor(cm, createContextMixingPredictor()).start(1);
 * const table = new Uint32Array(256);
 * batch.predict(table);
 * assert.equal(table.reduce((a, b) => a + b, 0), 65536);
 * batch.close();
 * ```
 */
export function createSse5Predictor(cm: Predictor, neural: Predictor): Predictor {
  const newMixer = mixingStage(2);
  return stagedPredictor("mix+sse5", [cm, neural], () => new SegmentSse2(newMixer(), METHOD_9));
}

/**
 * Creates the predictor of block method 10: method 9's stage ({@link createSse5Predictor}) whose
 * mixes start from weights fitted once, offline, on the validation samples
 * (`codec/FORMAT.md`, Appendix J; `bench/fit_starts.ts`), so that the start of every segment
 * (and all of a small file) is coded as if the mixes had already learned.
 *
 * @param cm the context-mixing predictor (the mixer's first part)
 * @param neural the neural predictor (the mixer's second part)
 * @returns a {@link Predictor} named "mix+sse6"; `predictSegment` when both parts have it,
 *   equal to the step path bit for bit
 *
 * @example Refining the mix of two context-mixing models
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSse6Predictor } from "./sse2.ts";
 * import { createContextMixingPredictor } from "./context_mixing.ts";
 * const cm = createContextMixingPredictor();
 * const batch = createSse6Predictor(cm, createContextMixingPredictor()).start(1);
 * const table = new Uint32Array(256);
 * batch.predict(table);
 * assert.equal(table.reduce((a, b) => a + b, 0), 65536);
 * batch.close();
 * ```
 */
export function createSse6Predictor(cm: Predictor, neural: Predictor): Predictor {
  const newMixer = mixingStage(2);
  return stagedPredictor("mix+sse6", [cm, neural], () => new SegmentSse2(newMixer(), METHOD_10));
}

/**
 * Creates the predictor of block method 11: method 10's stage ({@link createSse6Predictor}) with
 * the additions of `codec/FORMAT.md`, Appendix K: four more direct models (the segment's match
 * with the previous byte, the word with the previous byte, the 4th to 7th bytes back, the byte
 * above), direct slots in pairs that each keep an 8-bit check of their context, and start weights
 * fitted for this stage.
 *
 * @param cm the context-mixing predictor (the mixer's first part)
 * @param neural the neural predictor (the mixer's second part)
 * @returns a {@link Predictor} named "mix+sse7"; `predictSegment` when both parts have it,
 *   equal to the step path bit for bit
 *
 * @example Refining the mix of two context-mixing models
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSse7Predictor } from "./sse2.ts";
 * import { createContextMixingPredictor } from "./context_mixing.ts";
 * const cm = createContextMixingPredictor();
 * const batch = createSse7Predictor(cm, createContextMixingPredictor()).start(1);
 * const table = new Uint32Array(256);
 * batch.predict(table);
 * assert.equal(table.reduce((a, b) => a + b, 0), 65536);
 * batch.close();
 * ```
 */
export function createSse7Predictor(cm: Predictor, neural: Predictor): Predictor {
  const newMixer = mixingStage(2);
  return stagedPredictor("mix+sse7", [cm, neural], () => new SegmentSse2(newMixer(), METHOD_11));
}

/**
 * Creates the predictor of block method 12: method 11's stage ({@link createSse7Predictor}) asked
 * node by node, so that each byte is coded as eight bits (`codec/FORMAT.md`, Appendix L): only the
 * nodes on the byte's path are evaluated, about 8 of the ~32 that a table of method 11 needs, with
 * the same probabilities there.
 *
 * @param cm the context-mixing predictor (the mixer's first part)
 * @param neural the neural predictor (the mixer's second part)
 * @returns a {@link Predictor} named "mix+sse8" whose batches give `bitFrequency` and no tables
 *
 * @example The frequency of the first bit of a byte
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSse8Predictor } from "./sse2.ts";
 * import { createContextMixingPredictor } from "./context_mixing.ts";
 * const cm = createContextMixingPredictor();
 * const batch = createSse8Predictor(cm, createContextMixingPredictor()).start(1);
 * batch.predict(new Uint32Array(256));
 * const f = batch.bitFrequency!(0, 1);
 * assert.ok(f >= 32 && f <= 65504);
 * batch.close();
 * ```
 */
export function createSse8Predictor(cm: Predictor, neural: Predictor): Predictor {
  const newMixer = mixingStage(2);
  return bitStagedPredictor("mix+sse8", [cm, neural], () => new SegmentSse2(newMixer(), METHOD_11));
}

/**
 * Creates the predictor of block method 13: method 12's ({@link createSse8Predictor}), each byte
 * coded as eight bits, with the additions of `codec/FORMAT.md`, Appendix M: three more direct
 * models (the word with the two words before it, the word with the one before the previous, the
 * line's indentation with the previous byte) and start weights fitted for this stage.
 *
 * @param cm the context-mixing predictor (the mixer's first part)
 * @param neural the neural predictor (the mixer's second part)
 * @returns a {@link Predictor} named "mix+sse9" whose batches give `bitFrequency` and no tables
 *
 * @example The frequency of the first bit of a byte
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSse9Predictor } from "./sse2.ts";
 * import { createContextMixingPredictor } from "./context_mixing.ts";
 * const cm = createContextMixingPredictor();
 * const batch = createSse9Predictor(cm, createContextMixingPredictor()).start(1);
 * batch.predict(new Uint32Array(256));
 * const f = batch.bitFrequency!(0, 1);
 * assert.ok(f >= 32 && f <= 65504);
 * batch.close();
 * ```
 */
export function createSse9Predictor(cm: Predictor, neural: Predictor): Predictor {
  const newMixer = mixingStage(2);
  return bitStagedPredictor("mix+sse9", [cm, neural], () => new SegmentSse2(newMixer(), METHOD_13));
}

/**
 * Runs the stage of block method `method` (10, 11 or 13) as it was before its starts were fitted
 * (method 10's: method 9's) over one segment, given its parts' tables, and returns its mixes'
 * weights at the end: what `bench/fit_starts.ts` averages into the method's start weights.
 * Method 13 is run as it codes, bit by bit (the same weights as its table path, 3× faster).
 *
 * @param method 10, 11 or 13
 * @param parts cm's and the neural model's tables of the segment, each (bytes.length, 256)
 * @param bytes the segment's bytes
 * @returns the weights of mixes A, B, C and the final mix after the last byte
 */
export function unfittedWeights(
  method: 10 | 11 | 13,
  parts: readonly [Uint32Array, Uint32Array],
  bytes: Uint8Array,
): StageWeights {
  const variant = method === 10
    ? METHOD_9
    : method === 11
    ? METHOD_11_UNFITTED
    : METHOD_13_UNFITTED;
  const stage = new SegmentSse2(mixingStage(2)(), variant);
  // One position's views and one table: the stage reads and writes at offset 0 of each.
  const out = new Uint32Array(ALPHABET);
  for (let i = 0; i < bytes.length; i++) {
    const at = parts.map((part) => part.subarray(i * ALPHABET, (i + 1) * ALPHABET));
    // Method 13 as it codes: update evaluates the byte's path nodes, and no others.
    if (method === 13) stage.prepare(at, 0);
    else stage.predict(at, 0, out);
    stage.update(at, 0, bytes[i]!);
  }
  return stage.weights();
}
