// This module imports no tfjs.
/**
 * Constants of the archive format, named as in `codec/FORMAT.md`.
 *
 * @module
 */

/** `Magic_Number`: 0x89 then "MBZ". */
export const MAGIC_NUMBER: Uint8Array = new Uint8Array([0x89, 0x4d, 0x42, 0x5a]);
/** `Format_Version` written and read by this code. */
export const FORMAT_VERSION = 2;
/** Largest `Block_Maximum_Size`: 64 MiB. */
export const BLOCK_MAXIMUM_SIZE_LIMIT = 1 << 26;
/** Default `Block_Maximum_Size` of the encoder: 1 MiB. */
export const DEFAULT_BLOCK_SIZE = 1 << 20;
/** `Segment_Size` the encoder writes for methods 1 (cm) and 3 (mix), when the block is that long. */
export const CM_SEGMENT_SIZE = 1 << 20;
/** Bytes of `Model_Hash`. */
export const MODEL_HASH_BYTES = 32;
/** Largest `Model_Name_Length`. */
export const MODEL_NAME_LIMIT = 255;
/** Bytes of `Header_Checksum`. */
export const HEADER_CHECKSUM_BYTES = 4;
/** Bytes of `Block_Checksum`. */
export const BLOCK_CHECKSUM_BYTES = 8;
/** Bytes of the `Footer`: `Content_Size` and `Content_Checksum`. */
export const FOOTER_BYTES = 16;
/** Segment ratio limit: raw ≤ RATIO_LIMIT × Coded_Size + RATIO_SLACK. */
export const RATIO_LIMIT = 2048;
/** See {@link RATIO_LIMIT}. */
export const RATIO_SLACK = 65536;

/** `Block_Descriptor` bit 0. */
export const LAST_BLOCK_BIT = 0x01;
/** `Block_Descriptor` bits 1–4. */
export const METHOD_MASK = 0x1e;
/** `Block_Descriptor` bits 5–7. */
export const DESCRIPTOR_RESERVED_MASK = 0xe0;

/** The names of the block methods, by `Block_Method` value. */
export const METHOD_NAMES = [
  "stored",
  "cm",
  "neural",
  "mix",
  "mix-long",
  "mix-sse",
  "mix-sse2",
  "mix-sse3",
  "mix-sse4",
  "mix-sse5",
  "mix-sse6",
  "mix-sse7",
  "mix-sse8",
  "mix-sse9",
] as const;
/** A block method's name. */
export type MethodName = (typeof METHOD_NAMES)[number];
/** A method that codes segments with a predictor. */
export type ModelMethod = Exclude<MethodName, "stored">;
/** A method that mixes cm and the neural model. */
export type MixMethod = Exclude<ModelMethod, "cm" | "neural">;
/** `Block_Method` value of a method name. */
export const METHOD_IDS: Readonly<Record<MethodName, number>> = {
  stored: 0,
  cm: 1,
  neural: 2,
  mix: 3,
  "mix-long": 4,
  "mix-sse": 5,
  "mix-sse2": 6,
  "mix-sse3": 7,
  "mix-sse4": 8,
  "mix-sse5": 9,
  "mix-sse6": 10,
  "mix-sse7": 11,
  "mix-sse8": 12,
  "mix-sse9": 13,
};

/** True for the methods whose predictor runs the archive's model (`Model_Hash`). */
export function needsModel(method: MethodName): boolean {
  return method === "neural" || isMix(method);
}

/** True for the methods that mix cm and the neural model (FORMAT.md, Appendix D). */
export function isMix(method: MethodName): method is MixMethod {
  return method === "mix" || hasLongMatch(method);
}

/** True for the mix methods whose model reads its match row in the whole segment: 4 to 13. */
export function hasLongMatch(method: MethodName): boolean {
  return METHOD_IDS[method] >= METHOD_IDS["mix-long"];
}

/** The `codec/FORMAT.md` headings that errors name as their section. */
export const Section = {
  magicNumber: "Magic_Number",
  formatVersion: "Format_Version",
  headerFlags: "Header_Flags",
  blockMaximumSize: "Block_Maximum_Size",
  modelHash: "Model_Hash",
  modelNameLength: "Model_Name_Length",
  modelName: "Model_Name",
  headerChecksum: "Header_Checksum",
  blockDescriptor: "Block_Descriptor",
  rawSize: "Raw_Size",
  segmentTable: "Segment_Table",
  blockData: "Block_Data",
  segment: "Segment",
  blockChecksum: "Block_Checksum",
  contentSize: "Content_Size",
  contentChecksum: "Content_Checksum",
  endOfArchive: "End_Of_Archive",
} as const;

/** The archive's `Header`, parsed. */
export interface Header {
  /** `Format_Version`. */
  formatVersion: number;
  /** `Block_Maximum_Size`. */
  blockMaximumSize: number;
  /** `Model_Hash`; all zero when the archive needs no model. */
  modelHash: Uint8Array;
  /** `Model_Name`. */
  modelName: string;
}

/** True when every byte of `hash` is zero (`Model_Hash` of an archive that needs no model). */
export function isZeroHash(hash: Uint8Array): boolean {
  for (const b of hash) if (b !== 0) return false;
  return true;
}

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}
