import assert from "node:assert/strict";

Deno.test("cm_bpb.ts --limit=N measures gzip and xz on the same first N bytes as cm", async () => {
  const file = new URL("../README.md", import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-run", "bench/cm_bpb.ts", "--limit=3000", file],
    cwd: new URL("../", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const row = new TextDecoder().decode(stdout).split("\n")[1].trim().split(/\s+/);
  assert.equal(row[1], "3000");
  const first = (await Deno.readFile(file)).subarray(0, 3000);
  const gzip = new Deno.Command("gzip", { args: ["-9c"], stdin: "piped", stdout: "piped" }).spawn();
  const writer = gzip.stdin.getWriter();
  await writer.write(first);
  await writer.close();
  const gz = (await gzip.output()).stdout.length;
  assert.equal(row[3], ((gz * 8) / 3000).toFixed(3));
});
