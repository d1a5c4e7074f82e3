/**
 * Measures the context-mixing predictor alone: the ideal code length Σ −log2(freq/65536) of each
 * file (bits per byte) and the predict+advance speed, next to `gzip -9` and `xz -9e`.
 *
 * Usage: `deno run --allow-read --allow-run bench/cm_bpb.ts [--limit=N] FILE...`
 *
 * @module
 */
import { createContextMixingPredictor } from "../lib/predict/context_mixing.ts";
import { ALPHABET, FREQ_TOTAL } from "../lib/predict/predictor.ts";
import process from "node:process";
import { exitWithUsageError, parseArgsOrExit } from "./_args.ts";

/**
 * Ideal code length in bits of `bytes` under the predictor, and the CPU seconds it took (CPU time,
 * not wall time, so that other processes on the machine disturb the figure less).
 */
export function idealBits(bytes: Uint8Array): { bits: number; seconds: number } {
  const batch = createContextMixingPredictor().start(1);
  const table = new Uint32Array(ALPHABET);
  const one = new Uint8Array(1);
  const logTotal = Math.log2(FREQ_TOTAL);
  let bits = 0;
  const t0 = process.cpuUsage();
  for (let i = 0; i < bytes.length; i++) {
    batch.predict(table);
    const x = bytes[i]!;
    bits += logTotal - Math.log2(table[x]!);
    one[0] = x;
    batch.advance(one);
  }
  const used = process.cpuUsage(t0);
  const seconds = (used.user + used.system) / 1e6;
  batch.close();
  return { bits, seconds };
}

/** Bytes of `cmd args` writing `bytes` compressed to stdout: the same bytes cm measured. */
async function sizeOf(cmd: string, args: string[], bytes: Uint8Array): Promise<number> {
  const child = new Deno.Command(cmd, { args, stdin: "piped", stdout: "piped" }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(bytes);
  await writer.close();
  return (await child.output()).stdout.length;
}

if (import.meta.main) {
  // An unknown option is a usage error, not a file name.
  const { values, positionals: files } = parseArgsOrExit("cm_bpb", import.meta.url, {
    options: { limit: { type: "string" } },
    allowPositionals: true,
  });
  const limit = values.limit === undefined ? Infinity : Number(values.limit);
  if (!(limit >= 1) || (limit !== Infinity && !Number.isInteger(limit))) {
    exitWithUsageError(
      "cm_bpb",
      import.meta.url,
      `--limit must be a whole number ≥ 1, not ${values.limit}`,
    );
  }
  if (files.length === 0) exitWithUsageError("cm_bpb", import.meta.url, "no FILE given");
  let totBits = 0, totBytes = 0, totSec = 0, totGz = 0, totXz = 0;
  console.log("file              bytes   cm bpb  gzip-9   xz-9e   KB/s");
  for (const f of files) {
    const bytes = Deno.readFileSync(f).subarray(0, limit);
    const { bits, seconds } = idealBits(bytes);
    const gz = await sizeOf("gzip", ["-9c"], bytes);
    const xz = await sizeOf("xz", ["-9ec"], bytes);
    totBits += bits, totBytes += bytes.length, totSec += seconds, totGz += gz, totXz += xz;
    const name = f.split("/").pop()!.padEnd(14);
    console.log(
      `${name} ${String(bytes.length).padStart(8)} ${
        (bits / bytes.length).toFixed(3).padStart(8)
      }` +
        ` ${(gz * 8 / bytes.length).toFixed(3).padStart(7)} ${
          (xz * 8 / bytes.length).toFixed(3).padStart(7)
        }` +
        ` ${(bytes.length / 1000 / seconds).toFixed(0).padStart(6)}${
          bits / 8 > gz ? "  WORSE THAN GZIP" : ""
        }`,
    );
  }
  console.log(
    `TOTAL          ${String(totBytes).padStart(8)} ${
      (totBits / totBytes).toFixed(3).padStart(8)
    }` +
      ` ${(totGz * 8 / totBytes).toFixed(3).padStart(7)} ${
        (totXz * 8 / totBytes).toFixed(3).padStart(7)
      }` +
      ` ${(totBytes / 1000 / totSec).toFixed(0).padStart(6)}`,
  );
}
