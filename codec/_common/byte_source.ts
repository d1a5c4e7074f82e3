// This module imports no tfjs.
/**
 * Where the encoder and decoder read their input: a whole array, or a queue fed by a stream
 * that holds at most one pushed chunk beyond what the reader has taken (flat memory).
 *
 * @module
 */

/** Bytes read in order. */
export interface ByteSource {
  /** Bytes read so far. */
  readonly position: number;
  /**
   * The next `n` bytes; fewer only at the end of the input. The result is the caller's to keep
   * (a view of the input for an {@link ArraySource}, a fresh copy for a {@link ChunkQueue}).
   */
  readUpTo(n: number): Promise<Uint8Array>;
  /** True when no byte is left to read (waits for more input or its end). */
  atEnd(): Promise<boolean>;
}

/** A {@link ByteSource} over one array (not copied: results are views of it). */
export class ArraySource implements ByteSource {
  readonly #bytes: Uint8Array;
  #position = 0;

  /** A source that reads `bytes`. */
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** Bytes read so far. */
  get position(): number {
    return this.#position;
  }

  /** The next `n` bytes (fewer at the end), as a view of the array. */
  readUpTo(n: number): Promise<Uint8Array> {
    const start = this.#position;
    this.#position = Math.min(this.#bytes.length, start + n);
    return Promise.resolve(this.#bytes.subarray(start, this.#position));
  }

  /** True when every byte was read. */
  atEnd(): Promise<boolean> {
    return Promise.resolve(this.#position >= this.#bytes.length);
  }
}

/**
 * A {@link ByteSource} fed chunk by chunk (by a stream's writes). `push` resolves once the
 * reader has taken the whole chunk, so a writer that awaits it never runs ahead of the reader.
 */
export class ChunkQueue implements ByteSource {
  #chunks: Uint8Array[] = [];
  #head = 0;
  #buffered = 0;
  #position = 0;
  #ended = false;
  #error: { reason: unknown } | undefined;
  #wakeReader: (() => void) | undefined;
  #taken: (() => void)[] = []; // resolves push() of each chunk in #chunks

  /** Bytes read so far. */
  get position(): number {
    return this.#position;
  }

  /** Adds `chunk`; resolves when the reader has taken all of it (or the queue failed). */
  push(chunk: Uint8Array): Promise<void> {
    if (this.#ended) throw new TypeError("Cannot push to the queue: it has ended");
    if (this.#error !== undefined || chunk.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#chunks.push(chunk);
      this.#taken.push(resolve);
      this.#buffered += chunk.length;
      this.#wake();
    });
  }

  /** Marks the end of the input. */
  end(): void {
    this.#ended = true;
    this.#wake();
  }

  /** Stops the queue: the reader's pending and later reads throw `reason`; pushes resolve. */
  fail(reason: unknown): void {
    this.#error ??= { reason };
    this.#chunks = [];
    this.#buffered = 0;
    this.#wake();
    for (const resolve of this.#taken.splice(0)) resolve();
  }

  /** The next `n` bytes, copied; fewer only once the input has ended. */
  async readUpTo(n: number): Promise<Uint8Array> {
    const result = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      if (this.#error !== undefined) throw this.#error.reason;
      if (this.#buffered === 0) {
        if (this.#ended) return result.subarray(0, filled);
        await this.#waitForInput();
        continue;
      }
      const chunk = this.#chunks[0]!;
      const take = Math.min(n - filled, chunk.length - this.#head);
      result.set(chunk.subarray(this.#head, this.#head + take), filled);
      filled += take;
      this.#head += take;
      this.#buffered -= take;
      this.#position += take;
      if (this.#head === chunk.length) {
        this.#chunks.shift();
        this.#taken.shift()!();
        this.#head = 0;
      }
    }
    return result;
  }

  /** True when the input has ended and every byte was read. */
  async atEnd(): Promise<boolean> {
    while (true) {
      if (this.#error !== undefined) throw this.#error.reason;
      if (this.#buffered > 0) return false;
      if (this.#ended) return true;
      await this.#waitForInput();
    }
  }

  #waitForInput(): Promise<void> {
    return new Promise((resolve) => {
      this.#wakeReader = resolve;
    });
  }

  #wake(): void {
    const wake = this.#wakeReader;
    this.#wakeReader = undefined;
    wake?.();
  }
}
