/**
 * `megazip -l FILE.mbz...`: one line per archive (sizes, bits per byte, blocks, methods), read
 * from the block headers without decoding, as `xz -l`, `gzip -l` and `zstd -l` list theirs.
 *
 * @module
 */
import { inspectArchive } from "./_codec.ts";
import { CliError, describeError, EXIT, type ExitCode, printError } from "./_errors.ts";
import { isStdio, openInput } from "./_files.ts";
import { bitsPerByte, countBytes } from "./_measure.ts";

/** One listed archive. */
interface Listed {
  name: string;
  archiveBytes: number;
  contentSize: number;
  blocks: number;
  methods: string[];
}

/** The archive `name` (none or "-": stdin) as one {@link Listed}, its blocks read, not decoded. */
async function listOne(name: string | undefined): Promise<Listed> {
  const input = await openInput(name, "list");
  let archiveBytes = 0;
  const counted = input.readable.pipeThrough(countBytes((n) => archiveBytes = n));
  const info = await inspectArchive(counted, { verify: false });
  const methods = [...new Set(info.blocks.map((block) => block.method))];
  return {
    name: input.name,
    archiveBytes: input.size ?? archiveBytes,
    contentSize: info.contentSize,
    blocks: info.blocks.length,
    methods,
  };
}

/** A table row: sizes right-aligned, then methods and the name. */
function row(
  archive: string,
  content: string,
  bpb: string,
  blocks: string,
  methods: string,
  name: string,
): string {
  return `${archive.padStart(12)} ${content.padStart(13)} ${bpb.padStart(9)} ${
    blocks.padStart(6)
  }  ${methods.padEnd(14)} ${name}`;
}

/**
 * Lists `files` (none: stdin) on stdout, one line each and a total for several; a file that is
 * not an archive gets one line on stderr and the listing goes on. Nothing goes to stdout when no
 * input is an archive, as with `gzip -l`.
 *
 * @param files The archive paths ("-" for stdin).
 * @returns The exit code: 0, or the code of the first failure.
 */
export async function listFiles(files: string[]): Promise<ExitCode> {
  if (files.length === 0 && Deno.stdin.isTerminal()) {
    throw new CliError("no input: give a FILE.mbz or pipe one into stdin", EXIT.usage);
  }
  // The header comes with the first archive listed: when every input fails, stdout stays empty.
  const header = () => row("compressed", "uncompressed", "bits/byte", "blocks", "methods", "name");
  let exitCode: ExitCode = EXIT.ok;
  let archives = 0, coded = 0, raw = 0, blocks = 0;
  for (const name of files.length === 0 ? [undefined] : files) {
    try {
      const it = await listOne(name);
      const { archiveBytes, contentSize } = it;
      if (archives === 0) console.log(header());
      console.log(
        row(
          String(archiveBytes),
          String(contentSize),
          bitsPerByte(archiveBytes, contentSize),
          String(it.blocks),
          it.methods.join(",") || "-",
          it.name,
        ),
      );
      archives++, coded += archiveBytes, raw += contentSize, blocks += it.blocks;
    } catch (error) {
      const subject = isStdio(name) ? "stdin" : name!;
      const { message, exitCode: code } = describeError(error, "list", subject);
      printError(message);
      if (exitCode === EXIT.ok) exitCode = code;
    }
  }
  if (files.length > 1 && archives > 0) {
    const total = `${archives} ${archives === 1 ? "archive" : "archives"}`;
    console.log(
      row(String(coded), String(raw), bitsPerByte(coded, raw), String(blocks), "", total),
    );
  }
  return exitCode;
}
