/**
 * Bits per byte of a model file on the benchmark corpora, as the codec codes them: the neural
 * method alone and the context-mixing method alone (archive bits, headers included), and
 * `xz -9e` for reference; columns: neural, neural segments alone (no archive framing: what the
 * model's tables cost, to hold against `bench/float_eval.ts`), cm, xz bpb, neural KB/s (2 workers).
 * Feeds the model card. `--from NAME` starts at that file.
 *
 *   deno run --allow-read --allow-run=xz --allow-env bench/model_eval.ts [models/default.mgb] [--json]
 *
 * @module
 */
import { loadModel } from "../lib/model/model_file_read.ts";
import { score } from "../codec/score.ts";
import { DEFAULT_MODEL_URL } from "../cli/_model.ts";

const args = Deno.args.filter((a, i) => !a.startsWith("--") && Deno.args[i - 1] !== "--from");
const json = Deno.args.includes("--json");
const fromIndex = Deno.args.indexOf("--from");
let skipping = fromIndex >= 0;
const modelPath = args[0] ?? DEFAULT_MODEL_URL.pathname;
const model = await loadModel(modelPath);
const root = new URL("../../shared/corpora/", import.meta.url).pathname;

async function xzSize(path: string): Promise<number> {
  const out = await new Deno.Command("xz", { args: ["-9e", "-c", path], stdout: "piped" }).output();
  return out.stdout.length;
}

const rows = [];
for (const corpus of ["canterbury", "calgary"]) {
  const names = [...Deno.readDirSync(root + corpus)].map((e) => e.name).sort();
  for (const name of names) {
    if (skipping && name !== Deno.args[fromIndex + 1]) continue;
    skipping = false;
    const path = `${root}${corpus}/${name}`;
    const bytes = await Deno.readFile(path);
    const t0 = performance.now();
    const neural = await score(bytes, { model, methods: ["neural"], workers: 2 });
    const seconds = (performance.now() - t0) / 1000;
    const cm = await score(bytes, { methods: ["cm"] });
    const xz = await xzSize(path);
    const row = {
      corpus,
      name,
      bytes: bytes.length,
      neuralBpb: neural.bitsPerByte,
      neuralPayloadBpb: neural.payloadBits / bytes.length,
      cmBpb: cm.bitsPerByte,
      xzBpb: (8 * xz) / bytes.length,
      neuralKBps: bytes.length / 1000 / seconds,
    };
    rows.push(row);
    if (!json) {
      console.log(
        `${corpus}/${name}`.padEnd(24),
        row.neuralBpb.toFixed(3),
        row.neuralPayloadBpb.toFixed(4),
        row.cmBpb.toFixed(3),
        row.xzBpb.toFixed(3),
        row.neuralKBps.toFixed(1),
      );
    }
  }
}
if (json) console.log(JSON.stringify({ model: model.name, rows }, null, 1));
