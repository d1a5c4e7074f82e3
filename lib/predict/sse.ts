// This module imports no tfjs.
/**
 * Secondary estimation ("SSE", an adaptive probability map): a last stage that learns, within the
 * segment, how far to trust the tables of the predictor before it. {@link createSsePredictor}.
 *
 * The mix of the context-mixing model and the neural model is still miscalibrated on a file it
 * has not seen: the model under-trusts repeats of the file (`bench/match_trust.ts`), and neither
 * part knows the file's own statistics when the segment starts. This stage corrects the mixed
 * table bit by bit, with maps learned online from the segment's own bytes, as the SSE/APM stages
 * of PAQ-family compressors do; here it runs over a 256-way table instead of a binary model.
 *
 * ## The stage, for one segment
 *
 * Before byte i, with `f` the part's integer table (each entry ≥ 1, sum 65536):
 *
 * 1. **The binary tree.** Byte v is the path from node 1 through its 8 bits, most significant
 *    first: node n has children 2n (bit 0) and 2n + 1 (bit 1); leaf v is node 256 + v.
 *    `S[256 + v] = f[v]` and `S[n] = S[2n] + S[2n + 1]` for n = 255 down to 1 (exact integers).
 * 2. **The input of node n** (n = 1..255). A node with `S[n] < 256` is not refined:
 *    `q[n] = S[2n + 1] / S[n]`, and it reads and learns nothing (steps 3–4 and the update skip
 *    it). Otherwise `x = st(S[2n + 1] / S[n])`, where for a probability r,
 *    `st(r) = L(c) − L(65536 − c)` with `c = floor(r · 65536)` limited to 1..65535 (the log2
 *    odds; L from `log2Table` of `mixer.ts`). `pos = x + 16` limited to [0, 32 − 2^−20],
 *    `j = floor(pos)`, `w = pos − j`; and for map 3, `pos3 = (x + 16) · 0.375` limited to
 *    [0, 12 − 2^−20], `j3 = floor(pos3)`, `w3 = pos3 − j3`.
 * 3. **Four maps** hold probabilities per context, starting at the identity: maps 0–2 33 per
 *    context, `squash(k − 16)` for k = 0..32 (exactly `1 / (1 + 2^(16 − k))`); map 3 13 per
 *    context, `squash(k / 0.375 − 16)` for k = 0..12 (squash in step 4); every entry with a
 *    count (0). Map k reads `r_k = t[j] · (1 − w) + t[j + 1] · w` in its context (map 3 with j3
 *    and w3). The contexts of node n:
 *    - map 0: n;
 *    - map 1: `p · 256 + n`, p the previous byte (0 at the segment's start);
 *    - map 2: `m · 256 + n`, where m = 0 unless the segment has a match at i and node n is on its
 *      byte's path, and then `m = 1 + 8 · b + l`: b the match byte's bit at node n, l the match
 *      length's bucket. The match is `matchRow(segment, i, 6)` of `lib/model/match.ts` (the
 *      byte that followed the most recent earlier occurrence of the 6 bytes before i, and its
 *      length L, 6..32); with `e = L − 6`, l = e for e < 4, `4 + floor((e − 4) / 2)` for e < 8, 6
 *      for e < 16, 7 otherwise;
 *    - map 3: `h = (((p2 · 256 + p) · 256 + n) · 2654435761 mod 2^32) >> 14` (18 bits, from
 *      `Math.imul`, exact), p2 the byte before p (0 when there is none).
 * 4. **Two estimates** of bit 1 at node n:
 *    - the average `a = (0.25 · S[2n + 1] / S[n] + r_0 + r_1 + r_2) / 3.25`, summed in that order;
 *    - the learned mix `g = squash(Σ_k u_k · z_k)` of the inputs `z = (x, st(r_0), st(r_1),
 *      st(r_2), st(r_3))` (summed k = 0..4, from `0 + u_0 · z_0`), with the weight vector u of set
 *      s: 0 when m = 0, 1 when the match expects bit 0, 2 when it expects bit 1. The three sets
 *      start at (0.1, 0.3, 0.3, 0.3, 0). `squash(d) = 1 / (1 + exp2neg(d))` for d ≥ 0 and
 *      `e / (1 + e)` with `e = exp2neg(−d)` for d < 0 (`exp2neg` of `mixer.ts`).
 *
 *    `q[n] = (3 · g + a) / 4`.
 * 5. **Leaf probabilities**: `P[1] = 1`, then for n = 1..255 in order `P[2n + 1] = P[n] · q[n]`
 *    and `P[2n] = P[n] · (1 − q[n])`; `P[256 + v]` is byte v's probability.
 * 6. **Frequencies**: the rule of `lib/engine/FREQS.md`, steps 3–6, over `P[256 + v]` (as the
 *    mixer's step 4): `u = floor(P · 2^22)`, `freq = 1 + floor(u · 65280 / Σu)`, the remainder to
 *    the first largest u.
 *
 * After the byte x, for its 8 nodes from the root that were refined (with y the bit and the
 * node's values of steps 2–4), in order:
 *
 * - each map k = 0..3 updates its two entries of the node's context: `t[j] += r(j) · (1 − w) ·
 *   (y − t[j])`, then `t[j + 1] += r(j + 1) · w · (y − t[j + 1])`, with
 *   `r(e) = max(1 / (count[e] + 1.5), 0.01)` of the counts before the update; then the count of
 *   the nearer entry (j when w < 0.5, else j + 1) grows by one, up to 255;
 * - the weights of the node's set: `u_k += 0.002 · (y − g) · z_k`, k = 0..4.
 *
 * Every step is a float64 +, −, ×, ÷, comparison, floor or table lookup in a fixed order, or an
 * integer operation, so the tables are the same on every machine (as the
 * mixer's, `mixer.ts`), and a segment's tables depend only on its own bytes and its part's
 * tables.
 *
 * @module
 */
import { log2Table } from "./mixer.ts";
import { SegmentHistory } from "./long_match.ts";
import { ALPHABET, type Predictor } from "./predictor.ts";
import { type SegmentStage, stagedPredictor, writeFrequencies } from "./_stage.ts";
import {
  BaseMaps,
  fillMatchContexts,
  fillTree,
  SKIP_BELOW,
  squash,
  SSE_MATCH_LENGTH,
  stretch,
} from "./_probability_map.ts";

/** Inputs of the learned mix, its weight sets, their start and its learning rate. */
const INPUTS = 5;
const SETS = 3;
const START_WEIGHTS = [0.1, 0.3, 0.3, 0.3, 0];
const MIX_RATE = 0.002;

let LOG2: Float64Array | undefined;

/** The stage's state for one segment. */
class SegmentSse implements SegmentStage {
  /** Maps 0–3. */
  readonly #maps = new BaseMaps();
  /** The learned mix's weights, (SETS, INPUTS). */
  readonly #weights = new Float64Array(SETS * INPUTS);
  readonly #history = new SegmentHistory(SSE_MATCH_LENGTH);
  readonly #log = LOG2 ??= log2Table();
  /** Subtree sums, nodes 1..511. */
  readonly #s = new Float64Array(512);
  /** Probabilities of nodes 1..511, and of the leaves (a view of 256..511). */
  readonly #p = new Float64Array(512);
  readonly #leaves = this.#p.subarray(256);
  /** Per node: its weight set's offset, the mix's inputs z, and g. */
  readonly #set = new Int32Array(256);
  readonly #z = new Float64Array(256 * INPUTS);
  readonly #g = new Float64Array(256);
  readonly #u = new Float64Array(ALPHABET);
  /** Map-2 context per node of the last prediction. */
  readonly #m = new Int32Array(256);
  #prev = 0;
  #prev2 = 0;

  constructor() {
    for (let k = 0; k < SETS; k++) this.#weights.set(START_WEIGHTS, k * INPUTS);
  }

  /** Writes the refined table of `parts[0][at..at+256)` to `out[at..at+256)`. */
  predict(parts: readonly Uint32Array[], at: number, out: Uint32Array): void {
    const s = this.#s, p = this.#p, maps = this.#maps, r = maps.r;
    const ms = this.#m, z = this.#z, sets = this.#set, gs = this.#g, log = this.#log;
    const weights = this.#weights;
    // 1. The tree.
    fillTree(s, parts[0]!, at);
    // The match context.
    fillMatchContexts(this.#history.row(this.#history.length), ms);
    const prevBase = this.#prev * 256;
    const pair = this.#prev2 * 256 + this.#prev;
    p[1] = 1;
    for (let n = 1; n < 256; n++) {
      const all = s[n]!, input = s[2 * n + 1]! / all;
      if (all < SKIP_BELOW) {
        // Too little probability below this node for its refinement to matter: the input.
        maps.skip(n);
        p[2 * n + 1] = p[n]! * input;
        p[2 * n] = p[n]! * (1 - input);
        continue;
      }
      // 2–3. The input and the maps.
      const x = stretch(log, input);
      const m = ms[n]!;
      maps.read(n, x, prevBase, pair, m);
      // 4. The two estimates.
      const a = maps.average(input);
      const zb = n * INPUTS;
      z[zb] = x;
      z[zb + 1] = stretch(log, r[0]!);
      z[zb + 2] = stretch(log, r[1]!);
      z[zb + 3] = stretch(log, r[2]!);
      z[zb + 4] = stretch(log, r[3]!);
      const set = (m === 0 ? 0 : m > 8 ? 2 : 1) * INPUTS;
      sets[n] = set;
      let dot = 0;
      for (let k = 0; k < INPUTS; k++) dot = dot + weights[set + k]! * z[zb + k]!;
      const g = squash(dot);
      gs[n] = g;
      const q = (3 * g + a) / 4;
      // 5. The children's probabilities (n ascending: P[n] is final when n is reached).
      p[2 * n + 1] = p[n]! * q;
      p[2 * n] = p[n]! * (1 - q);
    }
    // 6. Frequencies.
    writeFrequencies(this.#leaves, this.#u, out, at);
  }

  /** Learns from byte `x`, after {@link predict}. */
  update(_parts: readonly Uint32Array[], _at: number, x: number): void {
    const maps = this.#maps, z = this.#z, weights = this.#weights;
    for (let d = 0; d < 8; d++) {
      const n = (x + 256) >> (8 - d), y = (x >> (7 - d)) & 1;
      if (!maps.refined(n)) continue;
      maps.update(n, y);
      const step = MIX_RATE * (y - this.#g[n]!), set = this.#set[n]!, zb = n * INPUTS;
      for (let k = 0; k < INPUTS; k++) weights[set + k] = weights[set + k]! + step * z[zb + k]!;
    }
    this.#history.push(x);
    this.#prev2 = this.#prev;
    this.#prev = x;
  }
}

/**
 * Creates a predictor that refines the tables of `part` with the secondary estimation the
 * module's documentation specifies (four adaptive maps over the bits of each byte, learned
 * within the segment: by node, by node and previous byte, by node and the segment's match, by
 * node and the two previous bytes; and a learned mix of them).
 *
 * @param part the predictor whose tables are refined
 * @returns a {@link Predictor} named `part.name` + "+sse"; `predictSegment` when `part` has it,
 *   equal to the step path bit for bit
 *
 * @example Refining the context-mixing model
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSsePredictor } from "./sse.ts";
 * import { createContextMixingPredictor } from "./context_mixing.ts";
 * const batch = createSsePredictor(createContextMixingPredictor()).start(1);
 * const table = new Uint32Array(256);
 * batch.predict(table);
 * assert.equal(table.reduce((a, b) => a + b, 0), 65536);
 * batch.close();
 * ```
 */
export function createSsePredictor(part: Predictor): Predictor {
  return stagedPredictor(`${part.name}+sse`, [part], () => new SegmentSse());
}
