import assert from "node:assert/strict";

const PROGRESS = new URL("./progress.ts", import.meta.url).href;

/** Runs `code` (with Progress imported) in a child whose stderr is a pipe, not a terminal. */
async function stderrOf(code: string): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", `import { Progress } from "${PROGRESS}";\n${code}`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
  return new TextDecoder().decode(output.stderr);
}

Deno.test("Progress prints plain lines off a terminal: step, bpb, speed and ETA, then messages", async () => {
  const text = await stderrOf(`
    const p = new Progress({ intervalSeconds: 3600 });
    p.update({ step: 1, steps: 10, bpb: 7.5, bytesPerSecond: 2500, etaSeconds: 95 });
    p.update({ step: 2, steps: 10, bpb: 7.25, bytesPerSecond: 2500, etaSeconds: 90 }); // too soon
    p.message("valid: step 2, 7.000 bpb");
    p.update({ step: 10, steps: 10, bpb: 6.5, bytesPerSecond: 2.5e6, etaSeconds: 0 }); // last: always
    p.stop();
  `);
  assert.equal(
    text,
    "train: step 1/10, 7.500 bpb, 2.5 KB/s, ETA 1m35s\n" +
      "valid: step 2, 7.000 bpb\n" +
      "train: step 10/10, 6.500 bpb, 2.50 MB/s, ETA 0m00s\n",
  );
});

Deno.test("Progress with quiet prints nothing", async () => {
  const text = await stderrOf(`
    const p = new Progress({ quiet: true });
    p.update({ step: 10, steps: 10, bpb: 6.5, bytesPerSecond: 1, etaSeconds: 0 });
    p.message("hello");
    p.stop();
  `);
  assert.equal(text, "");
});
