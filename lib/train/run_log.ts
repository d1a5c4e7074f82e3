// This module imports no tfjs.
/**
 * The run's log: one JSON object per line in `runs/NAME/log.jsonl`. A resumed run first drops the
 * lines written after its checkpoint (they will be written again, identically), so the log of an
 * interrupted and resumed run reads as the log of one uninterrupted run (plus a "session" line
 * for each start).
 *
 * @module
 */
import type { ValidationResult } from "./checkpoint.ts";

/** A training step. */
export interface TrainRecord {
  /** Record kind. */
  kind: "train";
  /** Steps taken, this one included. */
  step: number;
  /** Training bytes seen after this step. */
  bytesSeen: number;
  /** Learning rate of the step. */
  lr: number;
  /** Training loss of the step's batch, bits per byte. */
  bpb: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Training bytes per second over the step. */
  bytesPerSecond: number;
}

/** A validation pass. */
export interface ValidRecord extends ValidationResult {
  /** Record kind. */
  kind: "valid";
  /** Training bytes seen. */
  bytesSeen: number;
}

/** A validation pass with history (`TrainOptions.validHistory`), logged after its "valid" one. */
export interface ValidHistoryRecord extends ValidationResult {
  /** Record kind. */
  kind: "valid-history";
  /** Bytes of each file before a window that its match rows could search. */
  history: number;
  /** Training bytes seen. */
  bytesSeen: number;
}

/** A session of the run began (new or resumed). */
export interface SessionRecord {
  /** Record kind. */
  kind: "session";
  /** Steps taken when the session began. */
  step: number;
  /** ISO time. */
  time: string;
  /** tfjs backend in use. */
  backend: string;
  /** Whether the session continued a checkpoint. */
  resumed: boolean;
}

/** Any line of the log. */
export type LogRecord = TrainRecord | ValidRecord | ValidHistoryRecord | SessionRecord;

/** An open log: append-only, with the records so far kept for the loss curve. */
export class RunLog {
  /** Every record in the file, oldest first. */
  readonly records: LogRecord[];
  readonly #file: Deno.FsFile;
  readonly #encoder = new TextEncoder();

  private constructor(file: Deno.FsFile, records: LogRecord[]) {
    this.#file = file;
    this.records = records;
  }

  /**
   * Opens `path`, keeping the records up to step `keepThrough` (all of a new run: pass 0 to start
   * empty) and dropping the later ones.
   *
   * @param path The log file; created if missing.
   * @param keepThrough The checkpoint's step: records of later steps are removed.
   * @returns The open log.
   */
  static async open(path: string, keepThrough: number): Promise<RunLog> {
    let kept: LogRecord[] = [];
    try {
      const text = await Deno.readTextFile(path);
      kept = text.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line))
        .filter((r: LogRecord) => r.step <= keepThrough);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    if (keepThrough === 0) kept = [];
    const body = kept.map((r) => JSON.stringify(r) + "\n").join("");
    await Deno.writeTextFile(path, body);
    const file = await Deno.open(path, { append: true });
    return new RunLog(file, kept);
  }

  /**
   * Appends one record (written through at once).
   *
   * @param record The record.
   */
  write(record: LogRecord): void {
    this.records.push(record);
    const bytes = this.#encoder.encode(JSON.stringify(record) + "\n");
    let done = 0;
    while (done < bytes.length) done += this.#file.writeSync(bytes.subarray(done));
  }

  /** Closes the file. */
  close(): void {
    this.#file.close();
  }
}
