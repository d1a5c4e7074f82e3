/**
 * The progress bar: drawn on a terminal, absent with `-q`, and never in a pipe.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  hasScript,
  listDir,
  megazip,
  megazipOnTerminal,
  sampleBytes,
  tempDir,
} from "./_cli_helpers.ts";

/** The escape character that starts a terminal's control sequences. */
const ESC = String.fromCharCode(27);

/** What a terminal showed, without carriage returns and escape sequences. */
function shown(output: Deno.CommandOutput): string {
  return new TextDecoder().decode(output.stdout)
    .replace(new RegExp(`${ESC}(\\[[0-9;?]*[A-Za-z]|[78])`, "g"), "")
    .replace(/\r/g, "");
}

Deno.test({
  name: "megazip draws a progress bar on a terminal, and none with -q",
  ignore: !(await hasScript()),
  fn: async () => {
    await using tmp = await tempDir();
    await Deno.writeFile(`${tmp.dir}/in`, sampleBytes(300_000, 91));
    const drawn = await megazipOnTerminal("--no-model in -o a.mbz", tmp.dir);
    assert.equal(drawn.code, 0, shown(drawn));
    assert.match(shown(drawn), /compressing in \[[-=]*\] \d+% \| .* of 293\.0 KiB/);

    const quiet = await megazipOnTerminal("-q --no-model in -o b.mbz", tmp.dir);
    assert.equal(quiet.code, 0, shown(quiet));
    assert.equal(shown(quiet).trim(), "");
    const back = await megazipOnTerminal("-dq --no-model b.mbz -o out", tmp.dir);
    assert.equal(back.code, 0, shown(back));
    assert.equal(shown(back).trim(), "");
    assert.deepEqual(await Deno.readFile(`${tmp.dir}/out`), await Deno.readFile(`${tmp.dir}/in`));
    assert.deepEqual(await listDir(tmp.dir), ["a.mbz", "b.mbz", "in", "out"]);
  },
});

Deno.test("megazip draws no bar when stderr is a pipe, and -q with -v is a usage error", async () => {
  await using tmp = await tempDir();
  await Deno.writeFile(`${tmp.dir}/in`, sampleBytes(300_000, 92));
  const piped = await megazip(["--no-model", "in"], { cwd: tmp.dir });
  assert.equal(piped.code, 0, piped.stderr);
  assert.equal(piped.stderr, "");
  const both = await megazip(["-q", "-v", "--no-model", "in", "-o", "x.mbz"], { cwd: tmp.dir });
  assert.equal(both.code, 2);
  assert.match(both.stderr, /^megazip: .*'-q, --quiet' cannot be used with .*'-v, --verbose'\n$/);
  assert.deepEqual(await listDir(tmp.dir), ["in", "in.mbz"]);
});
