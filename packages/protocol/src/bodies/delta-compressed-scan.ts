/**
 * The compressed format's entry readers of the incremental REGISTER_BROKER body decoder
 * (register-broker-body-delta.ts). Like delta-json-scan.ts they know nothing of bases: the base
 * (delta-base.ts, whose KeyList reads names back with compressedKey) imports them without an import
 * cycle, and the compressed decode paths that build bases stay in register-broker-body-delta.ts.
 */
import type { TopicConfig } from './types.js';
import { decodeTopicConfigLine } from './topic-config.js';
import { isPlainKeyString, LINE_KEY_LAYOUT } from './plain-key-index.js';
import { fallback } from './delta-json-scan.js';
import type { ScannedEntry } from './delta-json-scan.js';

// A local constant, as every per-byte loop of the decoder has (see json/char-codes.ts).
const CH_SPACE = 0x20;

// ---------------------------------------------------------------------------------------------
// Compressed bodies (inflated layout: int32-length-prefixed sections, one per topic line)

/** Offset of the topic count in an inflated body (after the dataVersion section), or FALLBACK. */
export function compressedCountOffset(raw: Buffer): number {
  if (raw.length < 8) fallback();
  const dvLen = raw.readInt32BE(0);
  if (dvLen < 0 || dvLen > raw.length - 8) fallback();
  return 4 + dvLen;
}

export function scanCompressedEntry(buf: Buffer, p: number): ScannedEntry {
  if (p + 4 > buf.length) fallback();
  const len = buf.readInt32BE(p);
  if (len < 0 || len > buf.length - p - 4) fallback();
  const valueStart = p + 4;
  const end = valueStart + len;
  let sp = valueStart;
  while (sp < end && buf[sp] !== CH_SPACE) sp++;
  // No space: not a topic line (the full decoder says why).
  if (sp === end) fallback();
  const key = buf.toString('utf8', valueStart, sp);
  return { key, plain: isPlainKeyString(key, LINE_KEY_LAYOUT), valueStart, end };
}

/** The topic name of the compressed entry at `p` (its length prefix). */
export function compressedKey(buf: Buffer, p: number): string {
  return scanCompressedEntry(buf, p).key;
}

export function decodeCompressedEntry(buf: Buffer, e: ScannedEntry): TopicConfig {
  return decodeTopicConfigLine(buf.toString('utf8', e.valueStart, e.end));
}
