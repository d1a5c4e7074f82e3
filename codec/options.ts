// This module imports no tfjs.
/**
 * The options of the codec's entry points.
 *
 * @module
 */
import type { ModelFile } from "../lib/model/model_file_types.ts";

/**
 * A block method's name (`codec/FORMAT.md`, Block_Descriptor): "stored" (raw bytes), "cm" (the
 * context-mixing model), "neural" (the model alone), "mix" (cm and the model mixed byte by byte),
 * "mix-long" (the same, the model's match row looked up in the whole segment, not its window),
 * "mix-sse" ("mix-long" refined by secondary estimation learned within the segment), "mix-sse2"
 * (the same with a larger secondary estimation that also reads cm's and the model's own tables),
 * "mix-sse3" (method 6's with more contexts and a third learned mix), "mix-sse4" (method 7's with
 * a second, fast probability per direct model), "mix-sse5" (method 8's with each direct model's
 * recent bits as inputs, and a final learned mix), "mix-sse6" (method 9's with mixes that start
 * from weights fitted once, offline, instead of from fixed ones), "mix-sse7" (method 10's with four
 * more direct models, checked direct slots and start weights fitted for them), "mix-sse8"
 * ("mix-sse7"'s predictions, each byte coded as eight bits, so that only the nodes of its path are
 * computed), "mix-sse9" ("mix-sse8" with three more direct models: the word with the two words
 * before it, the word with the one before the previous, the line's indentation).
 */
export type BlockMethod =
  | "stored"
  | "cm"
  | "neural"
  | "mix"
  | "mix-long"
  | "mix-sse"
  | "mix-sse2"
  | "mix-sse3"
  | "mix-sse4"
  | "mix-sse5"
  | "mix-sse6"
  | "mix-sse7"
  | "mix-sse8"
  | "mix-sse9";

/** Options of `compress`, `compressStream` and `score`. */
export interface CompressOptions {
  /**
   * The neural model (`lib/model/model_file_types.ts`). Null or undefined: no "neural" method and
   * no mix ("mix" to "mix-sse9"). The archive then names this model, and decompression needs it.
   *
   * @default null
   */
  model?: ModelFile | null;
  /**
   * Bytes per block, 1 to 2^26 (`Block_Maximum_Size`). Memory grows with it.
   *
   * @default 1048576 (1 MiB)
   */
  blockSize?: number;
  /**
   * Web Workers to spread each block's segments over; 0 or 1 codes in this thread. The archive
   * is the same whatever the number. Workers start as blocks need them, stop when the call or
   * stream ends, and stop after 2 s with nothing to do (so a stream left open does not keep the
   * process alive); they start again when work comes.
   *
   * @default 1
   */
  workers?: number;
  /**
   * Methods each block may try; the block keeps the smallest result (the earliest of "cm", "mix",
   * "mix-long", "mix-sse", "mix-sse2", "mix-sse3", "mix-sse4", "mix-sse5", "mix-sse6", "mix-sse7",
   * "mix-sse8", "mix-sse9", "neural" on ties).
   * "stored" is always tried (it bounds the growth of incompressible input); the model's methods
   * only when `model` is given and the engine can run it, and not in a block that "cm" (when
   * listed) cannot code smaller than stored. The others are tried only when listed here:
   * "mix-sse9" gives "mix-sse8" three more direct models (the word with the two words before it,
   * the word with the one before the previous, the line's indentation with the previous byte;
   * 0.14% smaller on the Canterbury and Calgary corpora, 22 of 29 files smaller; 0.38% on 1 MiB
   * samples of the validation corpus, every one smaller; about 13% more time compressing),
   * "mix-sse8" codes what "mix-sse7" predicts bit by bit, computing 8 nodes of each byte where
   * "mix-sse7" computes about 32 for its table (its stage 2.2× faster on cached tables; compressing
   * 1.5× and decompressing 1.4× faster on 60 KB of alice29.txt, one worker; 0.1% smaller, since
   * no table is rounded), "mix-sse7" gives "mix-sse6" four more direct models (the segment's match and the word, each with the
   * previous byte; the 4th to 7th bytes back; the byte above) and direct slots that keep a check of
   * their context, with start weights fitted again (1.11% smaller on the Canterbury and Calgary
   * corpora, every file smaller, kennedy.xls 12%; 0.98% on 1 MiB samples of the validation
   * corpus; for ~35% more time in the stage, measured on
   * cached tables, and 8 MiB more per segment being coded), "mix-sse6"
   * starts "mix-sse5"'s mixes from weights fitted on samples of the validation corpus (0.18%
   * smaller on the Canterbury and Calgary corpora, every file smaller, the small ones by 1–2.5%;
   * 0.34% on the samples it was fitted on; the same work per byte), "mix-sse5" adds to "mix-sse4"
   * each direct model's last six bits, read through a learned map, and a final learned mix (0.71%
   * smaller on the Canterbury and Calgary corpora: 0.18% on their text, 2.5% on their binaries,
   * book1 0.04% larger; 0.94% on samples of the validation corpus, prose the same),
   * "mix-sse4" gives "mix-sse3"'s direct models a second, fast probability (0.85% smaller on the
   * Canterbury and Calgary corpora: 0.5% on their text, 2.1% on their binaries; 1.4% on samples of
   * the validation corpus, every category smaller; for ~30% more time in the stage and a 64 MiB
   * table more per segment being coded), "mix-sse3" refines the mix with more contexts than
   * "mix-sse2" (1.9% smaller on the Canterbury and Calgary corpora: 0.9% on their text, 5.2% on
   * their binaries; 0.95% on samples of the validation corpus; for ~5% more time compressing and
   * ~10% decompressing), "mix-sse2" refines it further than "mix-sse" (1.8% smaller on the
   * Canterbury and Calgary text, 5.6% on their binaries, for ~20% more time), "mix-sse" refines
   * what "mix-long" predicts (2.5% and 21% smaller than it), "mix-long" predicts as "mix" does but
   * with repeats from the whole segment, and pure "neural" is never the smallest with the models so
   * far, while each costs about as much time as "mix-sse3".
   *
   * @default ["stored", "cm", "mix-sse9"]
   */
  methods?: BlockMethod[];
  /** Called after each block with the number of input bytes done so far. */
  onProgress?: (inputBytesDone: number) => void;
  /**
   * Internal, for tests: segments per predictor batch. The archive is the same whatever it is.
   *
   * @default 8
   */
  batchSize?: number;
  /**
   * Internal, for tests: `Segment_Size` of cm and mix blocks (capped by the block's size).
   *
   * @default 1048576 (1 MiB)
   */
  segmentSize?: number;
}

/** Options of `decompress` and `decompressStream`. */
export interface DecompressOptions {
  /**
   * The neural model; must be the one the archive names (by hash) when it names one.
   *
   * @default null
   */
  model?: ModelFile | null;
  /**
   * Web Workers to spread each block's segments over; 0 or 1 decodes in this thread. They stop
   * as the compressor's do (`CompressOptions.workers`).
   *
   * @default 1
   */
  workers?: number;
  /** Called after each verified block with the number of output bytes done so far. */
  onProgress?: (outputBytesDone: number) => void;
  /**
   * Internal, for tests: segments per predictor batch. The output is the same whatever it is.
   *
   * @default 8
   */
  batchSize?: number;
}
