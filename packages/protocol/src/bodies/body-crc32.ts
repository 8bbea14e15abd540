/**
 * `bodyCrc32` of REGISTER_BROKER: CRC-32 (IEEE, as zlib) of the exact body bytes, masked to 31 bits.
 * Java: `UtilAll.crc32(body)` returns `crc32 & 0x7FFFFFFF`; 0 means "not checked" and a missing body
 * hashes to 0. `zlib.crc32` exists on every supported Node.js (20.15+, 22.2+, 24).
 */
import { crc32 as zlibCrc32 } from 'node:zlib';

/** Unmasked CRC-32 of `buf`, as an unsigned 32-bit number. */
export function crc32(buf: Uint8Array): number {
  return zlibCrc32(buf) >>> 0;
}

/** The value Java puts in `bodyCrc32`: CRC-32 & 0x7FFFFFFF; 0 for a missing or empty body. */
export function bodyCrc32(buf: Uint8Array | null): number {
  if (buf === null || buf.length === 0) return 0;
  return crc32(buf) & 0x7fffffff;
}
