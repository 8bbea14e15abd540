/**
 * The 32-bit hashes of the route digest: FNV-1a over UTF-16 code units and integers, finished
 * with MurmurHash3's fmix32 so that XOR-combining many entry hashes (an order-independent set
 * hash) does not inherit FNV's weak low bits. Every node runs this same code, so equal inputs give
 * equal hashes everywhere; ROUTE_DIGEST_FORMAT changes when this does.
 */
import type { QueueData } from '@ns/protocol';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnvString(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

/** Integers up to 2^53: both 32-bit halves, so large timestamps are hashed whole. */
function fnvInt(h: number, n: number): number {
  h = Math.imul(h ^ (n >>> 0), FNV_PRIME);
  return Math.imul(h ^ Math.floor(n / 0x1_0000_0000), FNV_PRIME);
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The topic-name part of its entries' hashes, computed once for all its broker names. */
export function topicSeed(topic: string): number {
  return fnvString(FNV_OFFSET, topic);
}

/** Hash of one (topic, QueueData) entry of a broker name's topic set; `seed` = topicSeed(topic). */
export function topicQueueHash(seed: number, qd: Readonly<QueueData>): number {
  let h = fnvInt(seed, qd.readQueueNums);
  h = fnvInt(h, qd.writeQueueNums);
  h = fnvInt(h, qd.perm);
  h = fnvInt(h, qd.topicSysFlag);
  return fmix32(h);
}

/** Hash of a canonical text (the digest's JSON). */
export function textHash(text: string): number {
  return fmix32(fnvString(FNV_OFFSET, text));
}

/** Unsigned 32-bit value as 8 lowercase hex digits. */
export function hex8(h: number): string {
  return (h >>> 0).toString(16).padStart(8, '0');
}
