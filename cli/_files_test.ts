import assert from "node:assert/strict";
import { CliError } from "./_errors.ts";
import { openInput, openOutput } from "./_files.ts";

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) out.push(entry.name);
  return out.sort();
}

Deno.test("openOutput() writes a temporary file and renames it only on commit", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/in`, "input");
    const input = await openInput(`${dir}/in`, "compress");
    const output = await openOutput(`${dir}/out`, {
      force: false,
      compressed: true,
      input,
      action: "compress",
    });
    await input.readable.pipeTo(output.writable);
    const during = await names(dir);
    assert.equal(during.length, 2);
    assert.match(during.find((n) => n !== "in")!, /^\.out\.[0-9a-z]+\.tmp$/);
    await output.commit();
    assert.deepEqual(await names(dir), ["in", "out"]);
    assert.equal(await Deno.readTextFile(`${dir}/out`), "input");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openOutput() leaves nothing behind when the write fails", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/in`, "input");
    const input = await openInput(`${dir}/in`, "compress");
    const output = await openOutput(`${dir}/out`, {
      force: false,
      compressed: true,
      input,
      action: "compress",
    });
    const failing = new TransformStream<Uint8Array, Uint8Array>({
      transform(_chunk, controller) {
        controller.error(new Error("boom"));
      },
    });
    await assert.rejects(input.readable.pipeThrough(failing).pipeTo(output.writable), /boom/);
    await output.abort();
    assert.deepEqual(await names(dir), ["in"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openOutput() refuses an existing file without force and a folder always", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/in`, "input");
    await Deno.writeTextFile(`${dir}/taken`, "keep");
    await Deno.mkdir(`${dir}/folder`);
    const input = await openInput(`${dir}/in`, "compress");
    const options = { force: false, compressed: true, input, action: "compress" };
    await assert.rejects(openOutput(`${dir}/taken`, options), CliError);
    await assert.rejects(openOutput(`${dir}/folder`, { ...options, force: true }), CliError);
    await assert.rejects(openOutput(`${dir}/in`, { ...options, force: true }), /is the input/);
    await input.readable.cancel();
    assert.equal(await Deno.readTextFile(`${dir}/taken`), "keep");
    assert.deepEqual(await names(dir), ["folder", "in", "taken"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openInput() refuses a missing file and a folder with exit code 3", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(openInput(`${dir}/none`, "compress"), (e) => {
      assert.ok(e instanceof CliError);
      assert.equal(e.exitCode, 3);
      assert.match(e.message, /no such file/);
      return true;
    });
    await assert.rejects(openInput(dir, "compress"), /is a directory/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
