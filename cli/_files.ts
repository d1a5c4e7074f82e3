/**
 * Inputs and outputs of the CLI with the habits of gzip and zstd: `-` is stdin/stdout, an output
 * file is written to a temporary file in the same folder and renamed into place only after
 * success, an existing output is refused without `--force`, and compressed data is never written
 * to a terminal unless forced.
 *
 * @module
 */
import { CliError, EXIT } from "./_errors.ts";

/** An opened input: a file or stdin. */
export interface Input {
  /** The name for messages: the path, or "stdin". */
  name: string;
  /** The path, or null for stdin. */
  path: string | null;
  /** The size in bytes when known (regular files). */
  size: number | null;
  /** The file's stat, for copying its mode and times to the output. */
  info: Deno.FileInfo | null;
  /** The bytes. Reading it consumes the input. */
  readable: ReadableStream<Uint8Array>;
}

/** An output being written: a temporary file committed by rename, or stdout. */
export interface Output {
  /** The name for messages: the final path, or "stdout". */
  name: string;
  /**
   * The final path of a regular file written by this run, or null for stdout or a FIFO or device
   * written in place (after which `--rm` keeps the input).
   */
  path: string | null;
  /**
   * Where to write. Pipe into it normally (without `preventClose`): for stdout, closing it
   * only releases stdout for the next file, after every write has succeeded.
   */
  writable: WritableStream<Uint8Array>;
  /** Whether the output is stdout. */
  isStdout: boolean;
  /** Renames the temporary file into place (after the writable has closed). */
  commit(): Promise<void>;
  /** Closes and removes the temporary file, if any. Never throws. */
  abort(): Promise<void>;
}

/** Temporary files not yet committed or removed, cleaned on Ctrl-C. */
const pending = new Set<string>();

/** Removes every temporary file still pending (for the SIGINT handler). */
export function removePendingSync(): void {
  for (const path of pending) {
    try {
      Deno.removeSync(path);
    } catch {
      // Already gone.
    }
  }
  pending.clear();
}

/**
 * A writable over stdout that never closes stdout and reports a failed write (e.g. a broken
 * pipe): `pipeTo(Deno.stdout.writable, { preventClose: true })` may resolve even when the last
 * writes fail, because the source closed first.
 */
function stdoutSink(): WritableStream<Uint8Array> {
  const writer = Deno.stdout.writable.getWriter();
  return new WritableStream<Uint8Array>({
    write: (chunk) => writer.write(chunk),
    close: () => writer.releaseLock(),
    abort: () => writer.releaseLock(),
  });
}

/**
 * A writable over a file that writes each chunk with `file.write()` until all of it is written,
 * and closes the file at the end (or on abort). Not `file.writable`: in Deno 2.9 a failed write
 * of under 64 KiB through it (e.g. ENOSPC, a full disk) resolves as if it had succeeded, and a
 * small output would be committed empty with success.
 */
function fileSink(file: Deno.FsFile): WritableStream<Uint8Array> {
  const close = () => {
    try {
      file.close();
    } catch {
      // Already closed.
    }
  };
  return new WritableStream<Uint8Array>({
    async write(chunk) {
      for (let done = 0; done < chunk.length;) done += await file.write(chunk.subarray(done));
    },
    close,
    abort: close,
  });
}

/** Whether `name` means stdin/stdout. */
export function isStdio(name: string | undefined): boolean {
  return name === undefined || name === "-";
}

/** Splits a path into its folder (with trailing slash, or "") and base name. */
function splitPath(path: string): { dir: string; base: string } {
  const cut = path.lastIndexOf("/");
  return cut < 0
    ? { dir: "", base: path }
    : { dir: path.slice(0, cut + 1), base: path.slice(cut + 1) };
}

/**
 * Opens an input file (or stdin for "-" / undefined).
 *
 * @param name The path or "-".
 * @param action The verb for messages, e.g. "compress".
 * @param options `regularOnly`: refuse a FIFO or a device before opening it (its output would
 *   be named after it).
 * @returns The opened input.
 * @throws {CliError} When it is missing, unreadable or a folder, or not a regular file when
 *   `regularOnly` (exit 3).
 */
export async function openInput(
  name: string | undefined,
  action: string,
  options: { regularOnly?: boolean } = {},
): Promise<Input> {
  if (isStdio(name)) {
    return { name: "stdin", path: null, size: null, info: null, readable: Deno.stdin.readable };
  }
  const path = name!;
  if (path === "") throw new CliError(`cannot ${action} "": no such file`, EXIT.fileSystem);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new CliError(`cannot ${action} ${path}: no such file`, EXIT.fileSystem);
    }
    throw error;
  }
  if (info.isDirectory) {
    throw new CliError(`cannot ${action} ${path}: is a directory`, EXIT.fileSystem);
  }
  if (options.regularOnly && !info.isFile) {
    throw new CliError(
      `cannot ${action} ${path}: not a regular file (use -c or -o FILE)`,
      EXIT.fileSystem,
    );
  }
  const file = await Deno.open(path, { read: true });
  return {
    name: path,
    path,
    size: info.isFile ? info.size : null,
    info,
    readable: file.readable,
  };
}

/** Whether two paths name the same existing file. */
async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    const [x, y] = await Promise.all([Deno.stat(a), Deno.stat(b)]);
    return x.dev === y.dev && x.ino !== null && x.ino === y.ino;
  } catch {
    return false;
  }
}

/** Options of {@link openOutput}. */
export interface OpenOutputOptions {
  /** Overwrite an existing output file; allow compressed data on a terminal. */
  force: boolean;
  /** Whether the data is compressed (refused on a terminal without force). */
  compressed: boolean;
  /** The input, to refuse writing over it and to copy its mode and times. */
  input: Input;
  /** The verb for messages, e.g. "compress". */
  action: string;
}

/**
 * Opens the output: stdout for null, else a temporary file beside `path`.
 *
 * @param path The final path, or null for stdout.
 * @param options Force, what is written and the input.
 * @returns The output; call `commit()` after a successful write, `abort()` otherwise.
 * @throws {CliError} For a terminal, an existing output without force, or the input itself.
 */
export async function openOutput(path: string | null, options: OpenOutputOptions): Promise<Output> {
  const { force, compressed, input, action } = options;
  if (path === null) {
    if (compressed && !force && Deno.stdout.isTerminal()) {
      throw new CliError(
        "refusing to write compressed data to a terminal (use -o FILE, a pipe, or -f to force)",
        EXIT.usage,
      );
    }
    return {
      name: "stdout",
      path: null,
      writable: stdoutSink(),
      isStdout: true,
      commit: () => Promise.resolve(),
      abort: () => Promise.resolve(),
    };
  }
  const subject = input.path ?? "stdin";
  if (input.path !== null && await sameFile(input.path, path)) {
    throw new CliError(`cannot ${action} ${subject}: the output ${path} is the input`, EXIT.usage);
  }
  let existing: Deno.FileInfo | null = null;
  try {
    existing = await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) existing = null;
    else if (error instanceof Deno.errors.NotADirectory) {
      throw new CliError(`cannot write ${path}: not a directory`, EXIT.fileSystem);
    } else throw error;
  }
  if (existing !== null) {
    if (existing.isDirectory) {
      throw new CliError(`cannot write ${path}: is a directory`, EXIT.fileSystem);
    }
    // A FIFO or a character device (/dev/null) is written into, as a shell redirection would,
    // never replaced by a renamed file.
    if (existing.isFifo || existing.isCharDevice) {
      return await openInPlace(path, compressed && !force);
    }
    if (!existing.isFile && !existing.isSymlink) {
      throw new CliError(`cannot write ${path}: not a regular file`, EXIT.fileSystem);
    }
    if (!force) {
      throw new CliError(
        `cannot write ${path}: file exists (use -f to overwrite)`,
        EXIT.fileSystem,
      );
    }
  }
  const { dir, base } = splitPath(path);
  const suffix = crypto.getRandomValues(new Uint32Array(1))[0]!.toString(36);
  const temp = `${dir}.${base}.${suffix}.tmp`;
  const mode = input.info?.mode != null ? input.info.mode & 0o777 : undefined;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(temp, { write: true, createNew: true, mode: mode ?? 0o644 });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new CliError(`cannot write ${path}: no such folder`, EXIT.fileSystem);
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new CliError(`cannot write ${path}: permission denied`, EXIT.fileSystem);
    }
    throw error;
  }
  pending.add(temp);
  let closed = false;
  const inner = fileSink(file).getWriter();
  // Our own wrapper, so that both a successful close and an abort are observed.
  const writable = new WritableStream<Uint8Array>({
    write: (chunk) => inner.write(chunk),
    close: async () => {
      await inner.close();
      closed = true;
    },
    abort: async (reason) => {
      await inner.abort(reason).catch(() => {});
      closed = true;
    },
  });
  return {
    name: path,
    path,
    writable,
    isStdout: false,
    async commit() {
      if (!closed) throw new Error(`Cannot commit ${path}: the output is still open`);
      if (input.info?.mtime) {
        // Like gzip and zstd: the output keeps the input's modification time.
        await Deno.utime(temp, input.info.atime ?? input.info.mtime, input.info.mtime).catch(
          () => {},
        );
      }
      await Deno.rename(temp, path);
      pending.delete(temp);
    },
    async abort() {
      if (!closed) {
        await inner.abort().catch(() => {});
        closed = true;
      }
      try {
        file.close();
      } catch {
        // Already closed by the stream.
      }
      await Deno.remove(temp).catch(() => {});
      pending.delete(temp);
    },
  };
}

/**
 * An existing FIFO or character device opened for writing in place: nothing to rename or remove.
 *
 * @param path The FIFO or device.
 * @param refuseTerminal Whether a terminal (e.g. `-o /dev/tty`) is refused: compressed data.
 */
async function openInPlace(path: string, refuseTerminal: boolean): Promise<Output> {
  const file = await Deno.open(path, { write: true });
  if (refuseTerminal && file.isTerminal()) {
    file.close();
    throw new CliError(
      `refusing to write compressed data to the terminal ${path} (use -f to force)`,
      EXIT.usage,
    );
  }
  const writable = fileSink(file);
  return {
    name: path,
    path: null,
    writable,
    isStdout: false,
    commit: () => Promise.resolve(),
    async abort() {
      // After a failed write the stream is errored and its abort does not reach the file.
      await writable.abort().catch(() => {});
      try {
        file.close();
      } catch {
        // Already closed.
      }
    },
  };
}
