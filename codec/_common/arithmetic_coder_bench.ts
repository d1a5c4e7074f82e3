// This module imports no tfjs.
// Speed of the arithmetic coder as the codec drives it: `deno bench codec/_common/`. Each run
// codes 65,536 bytes of text-like symbols with changing tables (four tables in turn), including
// the per-byte table check and cumulative sums of CheckedTable.
import { FREQ_TOTAL } from "../../lib/predict/predictor.ts";
import { Random } from "../_testing/random.ts";
import { SegmentDecoder, SegmentEncoder } from "./arithmetic_coder.ts";

const N = 1 << 16;
const random = new Random(1);
const input = random.text(N);
const tables = new Uint32Array(4 * 256);
for (let t = 0; t < 4; t++) {
  const counts = new Uint32Array(256).fill(1);
  for (let i = t; i < N; i += 4) counts[input[i]!]! += 40;
  const sum = counts.reduce((a, b) => a + b, 0);
  let total = 0;
  for (let v = 0; v < 256; v++) {
    tables[t * 256 + v] = 1 + Math.floor((counts[v]! * (FREQ_TOTAL - 256)) / sum);
    total += tables[t * 256 + v]!;
  }
  tables[t * 256 + 32]! += FREQ_TOTAL - total;
}
const encoder = new SegmentEncoder();
for (let i = 0; i < N; i++) encoder.encode(tables, (i & 3) * 256, input[i]!);
const coded = encoder.finish();

Deno.bench("SegmentEncoder: 64 KiB", { group: "coder", baseline: true }, () => {
  const e = new SegmentEncoder(N);
  for (let i = 0; i < N; i++) e.encode(tables, (i & 3) * 256, input[i]!);
  e.finish();
});

Deno.bench("SegmentDecoder: 64 KiB", { group: "coder" }, () => {
  const d = new SegmentDecoder(coded);
  for (let i = 0; i < N; i++) d.decode(tables, (i & 3) * 256);
});
