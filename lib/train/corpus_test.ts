import assert from "node:assert/strict";
import { corpusIdentity, loadCorpus } from "./corpus.ts";

Deno.test("loadCorpus() reads plain files, .xz files and folders, naming each by category", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const text = "The quick brown fox jumps over the lazy dog.\n".repeat(50);
    await Deno.mkdir(`${dir}/d`);
    await Deno.writeTextFile(`${dir}/d/prose-en.txt`, text);
    await Deno.writeTextFile(`${dir}/d/.hidden`, "x");
    await Deno.writeTextFile(`${dir}/code-c.txt`, "int main(void) { return 0; }\n");
    const xz = await new Deno.Command("xz", { args: ["-k", `${dir}/code-c.txt`] }).output();
    assert.ok(xz.success);
    await Deno.remove(`${dir}/code-c.txt`);
    const corpus = await loadCorpus([`${dir}/d`, `${dir}/code-c.txt.xz`]);
    assert.deepEqual(corpus.files.map((f) => f.name), ["prose-en", "code-c"]);
    assert.equal(new TextDecoder().decode(corpus.files[1].bytes), "int main(void) { return 0; }\n");
    assert.equal(corpus.totalBytes, text.length + 29);
    const id = corpusIdentity(corpus);
    assert.equal(id.files[0].bytes, text.length);
    assert.match(id.files[0].sha256, /^[0-9a-f]{64}$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadCorpus() names the path it cannot read", async () => {
  await assert.rejects(loadCorpus(["/nonexistent/corpus"]), /\/nonexistent\/corpus/);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/bad.xz`, "not xz");
    await assert.rejects(loadCorpus([`${dir}/bad.xz`]), /Cannot decompress/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
