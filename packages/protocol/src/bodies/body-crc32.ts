/**
 * `bodyCrc32` of REGISTER_BROKER: CRC-32 (IEEE, as zlib) of the exact body bytes, masked to 31 bits.
 * Java: `UtilAll.crc32(body)` returns `crc32 & 0x7FFFFFFF`; 0 means "not checked" and a missing body
 * hashes to 0.
 */
import * as zlib from 'node:zlib';

const TABLE = /* @__PURE__ */ (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

function crc32Fallback(buf: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < buf.length; i++) c = TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

type Crc32Fn = (data: Uint8Array) => number;
// node:zlib.crc32 exists from Node 20.15 / 22.2; older runtimes use the table above.
const nativeCrc32 = (zlib as unknown as { crc32?: Crc32Fn }).crc32;

/** Unmasked CRC-32 of `buf`, as an unsigned 32-bit number. */
export function crc32(buf: Uint8Array): number {
  return nativeCrc32 !== undefined ? nativeCrc32(buf) >>> 0 : crc32Fallback(buf);
}

/** The value Java puts in `bodyCrc32`: CRC-32 & 0x7FFFFFFF; 0 for a missing or empty body. */
export function bodyCrc32(buf: Uint8Array | null): number {
  if (buf === null || buf.length === 0) return 0;
  return crc32(buf) & 0x7fffffff;
}
