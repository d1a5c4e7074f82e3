// This module imports no tfjs.
// Every file of the Canterbury and Calgary corpora round-trips through the codec (cm and stored
// methods; the neural model is proven on its own inputs elsewhere).
import assert from "node:assert/strict";
import { compress } from "../codec/compress.ts";
import { decompress } from "../codec/decompress.ts";

const CORPORA = new URL("../../shared/corpora/", import.meta.url);

for (const corpus of ["canterbury", "calgary"]) {
  const folder = new URL(`${corpus}/`, CORPORA);
  const names = [...Deno.readDirSync(folder)].filter((e) => e.isFile).map((e) => e.name).sort();
  for (const name of names) {
    Deno.test(`compress() round-trips ${corpus}/${name}`, async () => {
      const input = await Deno.readFile(new URL(name, folder));
      const archive = await compress(input, { methods: ["stored", "cm"] });
      assert.ok(archive.length < input.length, `${archive.length} bytes from ${input.length}`);
      assert.deepEqual(await decompress(archive), input);
    });
  }
}
