// This module imports no tfjs.
/**
 * Corpus files for training and validation: plain files, or `.xz` files read through `xz -dc`,
 * held in memory with the identity (name, size, SHA-256) that a checkpoint records.
 *
 * @module
 */
import { sha256Hex } from "./_sha256.ts";

/** One corpus file in memory. */
export interface CorpusFile {
  /** Category: the file's base name without `.xz` and its extension ("code-c" for code-c.txt.xz). */
  name: string;
  /** Where it was read from. */
  path: string;
  /** The (decompressed) bytes. */
  bytes: Uint8Array;
  /** SHA-256 of `bytes`, lowercase hex. */
  sha256: string;
}

/** What identifies a corpus in a checkpoint: the same bytes give the same identity, wherever they lie. */
export interface CorpusIdentity {
  /** One entry per file, in load order. */
  files: { name: string; bytes: number; sha256: string }[];
}

/** Files in the order they were given (a folder's files sorted by name). */
export interface Corpus {
  /** The files. */
  files: CorpusFile[];
  /** Sum of the files' sizes. */
  totalBytes: number;
}

/**
 * Loads corpus files. Each path is a file or a folder (its regular files, not hidden, sorted by
 * name; not recursive). Files ending in `.xz` are decompressed with `xz -dc`.
 *
 * @param paths Files and folders.
 * @returns The corpus.
 * @example Load one plain file
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCorpus } from "./corpus.ts";
 * const path = await Deno.makeTempFile({ suffix: ".txt" });
 * await Deno.writeTextFile(path, "hello");
 * const corpus = await loadCorpus([path]);
 * assert.equal(corpus.totalBytes, 5);
 * await Deno.remove(path);
 * ```
 */
export async function loadCorpus(paths: readonly string[]): Promise<Corpus> {
  if (paths.length === 0) throw new TypeError("Cannot load the corpus: no paths given");
  const filePaths: string[] = [];
  for (const path of paths) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(path);
    } catch (error) {
      throw new Error(`Cannot load the corpus: ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (info.isDirectory) {
      const names: string[] = [];
      for await (const entry of Deno.readDir(path)) {
        if (entry.isFile && !entry.name.startsWith(".")) names.push(entry.name);
      }
      names.sort();
      if (names.length === 0) throw new Error(`Cannot load the corpus: ${path} holds no files`);
      for (const name of names) filePaths.push(`${path.replace(/\/+$/, "")}/${name}`);
    } else {
      filePaths.push(path);
    }
  }
  const files: CorpusFile[] = [];
  for (const path of filePaths) {
    const bytes = path.endsWith(".xz") ? await readXz(path) : await Deno.readFile(path);
    files.push({ name: categoryName(path), path, bytes, sha256: await sha256Hex(bytes) });
  }
  return { files, totalBytes: files.reduce((sum, f) => sum + f.bytes.length, 0) };
}

/**
 * The identity of a corpus as a checkpoint stores it.
 *
 * @param corpus A loaded corpus.
 * @returns Names, sizes and hashes of its files.
 */
export function corpusIdentity(corpus: Corpus): CorpusIdentity {
  return {
    files: corpus.files.map((f) => ({ name: f.name, bytes: f.bytes.length, sha256: f.sha256 })),
  };
}

/** "dir/code-c.txt.xz" → "code-c". */
function categoryName(path: string): string {
  let base = path.slice(path.lastIndexOf("/") + 1);
  if (base.endsWith(".xz")) base = base.slice(0, -3);
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(0, dot) : base;
}

async function readXz(path: string): Promise<Uint8Array> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("xz", {
      args: ["-dc", "--", path],
      stdout: "piped",
      stderr: "piped",
    })
      .output();
  } catch (error) {
    throw new Error(`Cannot decompress ${path}: xz could not be run: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!output.success) {
    const detail = new TextDecoder().decode(output.stderr).trim().split("\n")[0];
    throw new Error(`Cannot decompress ${path}: ${detail || `xz exited with ${output.code}`}`);
  }
  return output.stdout;
}
