import assert from "node:assert/strict";
import { CorruptArchiveError, ModelMismatchError } from "./_codec.ts";
import { CliError, codecDetail, describeError, EXIT, oneLine } from "./_errors.ts";

Deno.test("describeError() maps a corrupt archive to exit 1 with the codec's detail", () => {
  const error = new CorruptArchiveError("Cannot decode block 3: checksum mismatch", {
    offset: 120,
    section: "Block_Checksum",
  });
  assert.deepEqual(describeError(error, "decompress", "foo.mbz"), {
    message: "cannot decompress foo.mbz: block 3: checksum mismatch",
    exitCode: EXIT.badInput,
  });
});

Deno.test("describeError() maps a model mismatch to exit 4", () => {
  const error = new ModelMismatchError(
    "Cannot decode: the archive needs model default, none given",
  );
  assert.deepEqual(describeError(error, "decompress", "a.mbz"), {
    message: "cannot decompress a.mbz: the archive needs model default, none given" +
      " (give the archive's model with --model PATH)",
    exitCode: EXIT.model,
  });
});

Deno.test("describeError() maps file system errors to exit 3 without Deno's os error suffix", () => {
  const error = new Deno.errors.PermissionDenied("Permission denied (os error 13)");
  assert.deepEqual(describeError(error, "compress", "x"), {
    message: "cannot compress x: permission denied",
    exitCode: EXIT.fileSystem,
  });
});

Deno.test("describeError() keeps a CliError as is and calls anything else internal", () => {
  assert.deepEqual(describeError(new CliError("no input", EXIT.usage), "compress", "x"), {
    message: "no input",
    exitCode: EXIT.usage,
  });
  const internal = describeError(new TypeError("x is undefined"), "compress", "f");
  assert.equal(internal.exitCode, EXIT.internal);
  assert.equal(internal.message, "cannot compress f: internal error: x is undefined");
});

Deno.test("describeError() reads a RangeError as bad input when decoding, as usage otherwise", () => {
  const error = new RangeError("Block of 2^40 bytes");
  assert.equal(describeError(error, "decompress", "a").exitCode, EXIT.badInput);
  assert.equal(describeError(error, "compress", "a").exitCode, EXIT.usage);
});

Deno.test("oneLine() joins lines, drops a final period and keeps acronyms", () => {
  assert.equal(oneLine(new Error("Bad thing.\n  more detail")), "bad thing. more detail");
  assert.equal(oneLine(new Error("IO failed")), "IO failed");
  assert.equal(oneLine("plain string"), "plain string");
  assert.equal(
    oneLine(new Error("Module not found \x1b[36mfile:///x.ts\x1b[0m")),
    "module not found file:///x.ts",
  );
});

Deno.test("codecDetail() strips the codec's lead but keeps a message without one", () => {
  assert.equal(
    codecDetail(new Error("Cannot read the archive: bad magic number")),
    "bad magic number",
  );
  assert.equal(codecDetail(new Error("Truncated archive")), "truncated archive");
});
