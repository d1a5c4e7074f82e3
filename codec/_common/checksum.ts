// This module imports no tfjs.
/**
 * XXH64 with seed 0 (`codec/FORMAT.md`, Checksums), through the npm package `xxhash-wasm`.
 *
 * @module
 */
import xxhash from "xxhash-wasm";

/** A running XXH64 over bytes given in pieces. */
export interface Xxh64State {
  /** Adds `bytes` to the hashed bytes. */
  update(bytes: Uint8Array): Xxh64State;
  /** The hash of every byte added so far. */
  digest(): bigint;
}

/** The hash functions the codec uses. */
export interface Checksums {
  /** XXH64 of `bytes`, seed 0. */
  xxh64(bytes: Uint8Array): bigint;
  /** Starts a running XXH64, seed 0. */
  createXxh64(): Xxh64State;
}

let loaded: Promise<Checksums> | undefined;

/** Loads the wasm hash functions once per thread. */
export function loadChecksums(): Promise<Checksums> {
  loaded ??= xxhash().then((api) => ({
    xxh64: (bytes: Uint8Array) => api.h64Raw(bytes, 0n),
    createXxh64: () => api.create64(0n) as Xxh64State,
  }));
  return loaded;
}

/** Writes `value` (a 64-bit hash) as 8 little-endian bytes into `out` at `at`. */
export function writeU64(out: Uint8Array, at: number, value: bigint): void {
  new DataView(out.buffer, out.byteOffset, out.byteLength).setBigUint64(at, value, true);
}

/** Reads 8 little-endian bytes of `bytes` at `at` as an unsigned 64-bit integer. */
export function readU64(bytes: Uint8Array, at: number): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(at, true);
}

/** The low 32 bits of `hash`, as `Header_Checksum` stores them. */
export function low32(hash: bigint): number {
  return Number(hash & 0xffffffffn);
}
