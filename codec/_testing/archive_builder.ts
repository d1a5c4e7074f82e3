// This module imports no tfjs.
/**
 * Builds archives field by field (`codec/FORMAT.md`), computing checksums unless a field is
 * given: the golden error archives and the model-mismatch tests are made with it, and
 * {@link splitArchive} takes a valid archive apart into the same fields.
 *
 * @module
 */
import { loadChecksums, low32, readU64, writeU64 } from "../_common/checksum.ts";
import { FORMAT_VERSION, MAGIC_NUMBER } from "../_common/format.ts";
import { addVarintByte, pushVarint } from "../_common/varint.ts";

/** Header fields; each defaults to a valid value. */
export interface HeaderFields {
  magic?: Uint8Array;
  formatVersion?: number;
  flags?: number;
  blockMaximumSize?: number;
  modelHash?: Uint8Array;
  modelName?: Uint8Array;
  /** Override of the computed `Header_Checksum`. */
  headerChecksum?: number;
}

/** Block fields. */
export interface BlockFields {
  /** `Block_Descriptor` byte (last bit, method, reserved bits) as written. */
  descriptor: number;
  rawSize: number;
  /** `Segment_Size` and `Coded_Size`s, for coded methods. */
  segmentSize?: number;
  codedSizes?: number[];
  /** `Block_Data`. */
  data: Uint8Array;
  /** `Block_Checksum`; computed from `raw` when absent. */
  checksum?: bigint;
  /** The raw bytes, to compute the checksum from. */
  raw?: Uint8Array;
}

/** Footer fields; computed from the blocks' raw bytes when absent. */
export interface FooterFields {
  contentSize?: bigint;
  contentChecksum?: bigint;
}

/** A whole archive's fields. */
export interface ArchiveFields {
  header: HeaderFields;
  blocks: BlockFields[];
  footer: FooterFields;
  /** Bytes after the footer. */
  trailing?: Uint8Array;
}

/** Writes `fields` as bytes. */
export async function buildArchive(fields: ArchiveFields): Promise<Uint8Array> {
  const { xxh64, createXxh64 } = await loadChecksums();
  const h = fields.header;
  const head: number[] = [
    ...(h.magic ?? MAGIC_NUMBER),
    h.formatVersion ?? FORMAT_VERSION,
    h.flags ?? 0,
  ];
  pushVarint(head, h.blockMaximumSize ?? 1 << 20);
  const name = h.modelName ?? new Uint8Array(0);
  head.push(...(h.modelHash ?? new Uint8Array(32)), name.length, ...name);
  const checksum = h.headerChecksum ?? low32(xxh64(new Uint8Array(head)));
  head.push(checksum & 0xff, (checksum >>> 8) & 0xff, (checksum >>> 16) & 0xff, checksum >>> 24);

  const out: number[] = head;
  const content = createXxh64();
  let size = 0n;
  for (const b of fields.blocks) {
    out.push(b.descriptor);
    pushVarint(out, b.rawSize);
    if (b.segmentSize !== undefined) {
      pushVarint(out, b.segmentSize);
      for (const c of b.codedSizes ?? []) pushVarint(out, c);
    }
    out.push(...b.data);
    const raw = b.raw ?? b.data;
    content.update(raw);
    size += BigInt(raw.length);
    const sum = new Uint8Array(8);
    writeU64(sum, 0, b.checksum ?? xxh64(raw));
    out.push(...sum);
  }
  const footer = new Uint8Array(16);
  writeU64(footer, 0, fields.footer.contentSize ?? size);
  writeU64(footer, 8, fields.footer.contentChecksum ?? content.digest());
  out.push(...footer, ...(fields.trailing ?? []));
  return new Uint8Array(out);
}

/** Takes a valid archive apart into its fields (no checks; for building variants of it). */
export function splitArchive(archive: Uint8Array): ArchiveFields {
  let at = 0;
  const varint = () => {
    let value = 0;
    for (let i = 0;; i++) {
      const byte = archive[at++]!;
      value = addVarintByte(value, byte, i) as number;
      if ((byte & 0x80) === 0) return value;
    }
  };
  const magic = archive.slice(0, 4);
  at = 4;
  const formatVersion = archive[at++]!;
  const flags = archive[at++]!;
  const blockMaximumSize = varint();
  const modelHash = archive.slice(at, at + 32);
  at += 32;
  const nameLength = archive[at++]!;
  const modelName = archive.slice(at, at + nameLength);
  at += nameLength + 4;
  const blocks: BlockFields[] = [];
  while (true) {
    const descriptor = archive[at++]!;
    const rawSize = varint();
    const block: BlockFields = { descriptor, rawSize, data: new Uint8Array(0) };
    let dataSize = rawSize;
    if ((descriptor & 0x0e) !== 0) {
      block.segmentSize = varint();
      block.codedSizes = [];
      for (let i = 0; i < Math.ceil(rawSize / block.segmentSize); i++) {
        block.codedSizes.push(varint());
      }
      dataSize = block.codedSizes.reduce((a, b) => a + b, 0);
    }
    block.data = archive.slice(at, at + dataSize);
    at += dataSize;
    block.checksum = readU64(archive, at);
    at += 8;
    blocks.push(block);
    if ((descriptor & 1) !== 0) break;
  }
  const footer = { contentSize: readU64(archive, at), contentChecksum: readU64(archive, at + 8) };
  return {
    header: { magic, formatVersion, flags, blockMaximumSize, modelHash, modelName },
    blocks,
    footer,
  };
}
