/**
 * The JSON byte scanner of the incremental REGISTER_BROKER body decoder
 * (register-broker-body-delta.ts): where the topicConfigTable of a plain JSON body lies, one
 * entry's key and value, one entry decoded, and everything around the table parsed on its own
 * (restOfJson). Pure functions over a body's bytes that know nothing of bases: the base
 * (delta-base.ts, whose KeyList reads names back with jsonKey) imports them without an import
 * cycle, and the decode paths that build bases stay in register-broker-body-delta.ts. Also here,
 * at the bottom of the decoder's modules: the bail-out every part throws (FALLBACK) and the shape
 * of a scanned entry, shared with delta-compressed-scan.ts and the walk (delta-walk.ts).
 */
import type { RegisterBrokerBody, TopicConfig } from './types.js';
import { randomBytes } from 'node:crypto';
import { readRegisterBrokerBody, REGISTER_BODY_MEMBERS } from './register-broker-body.js';
import { readTopicConfig } from './topic-config.js';
import { isPlainKeyString, JSON_KEY_LAYOUT } from './plain-key-index.js';
import { MAX_JSON_DEPTH, pruneJsonObject } from '../json/json-skim.js';

/** Thrown inside the incremental path: "use the full decoder". */
export const FALLBACK = new Error('register body delta: fall back to the full decoder');

export function fallback(): never {
  throw FALLBACK;
}

const CH_QUOTE = 0x22;
const CH_COMMA = 0x2c;
const CH_COLON = 0x3a;
const CH_LBRACKET = 0x5b;
const CH_BACKSLASH = 0x5c;
const CH_RBRACKET = 0x5d;
const CH_LBRACE = 0x7b;
const CH_RBRACE = 0x7d;
const CH_ZERO = 0x30;
const CH_NINE = 0x39;

/**
 * Object.keys lists array-index keys first, in numeric order: a JSON table with such a topic name
 * is not in body order, so such bodies are left to the full decoder.
 */
export function isArrayIndex(key: string): boolean {
  const c = key.charCodeAt(0);
  if (!(c >= 0x30 && c <= 0x39) || key.length > 10) return false;
  if (!/^(?:0|[1-9]\d*)$/.test(key)) return false;
  return Number(key) <= 4294967294;
}

/** isArrayIndex of the key whose UTF-8 bytes are `buf[start .. end)`. */
export function isArrayIndexBytes(buf: Buffer, start: number, end: number): boolean {
  const len = end - start;
  if (len === 0 || len > 10) return false;
  if (buf[start] === CH_ZERO) return len === 1;
  let v = 0;
  for (let k = start; k < end; k++) {
    const c = buf[k]!;
    if (c < CH_ZERO || c > CH_NINE) return false;
    v = v * 10 + (c - CH_ZERO);
  }
  return v <= 4294967294;
}

// ---------------------------------------------------------------------------------------------
// Plain JSON bodies

const TABLE_MARKER = Buffer.from('"topicConfigTable":{', 'latin1');

/** A per-process key no broker can guess: it marks where we think the table is (see restOfJson). */
const SENTINEL_KEY = 'ns-ts-sentinel-' + randomBytes(12).toString('hex');
const SENTINEL = `{"${SENTINEL_KEY}":0}`;

/** Offset of the `{` that opens the topicConfigTable, or -1. Confirmed later by restOfJson. */
export function locateJsonTable(buf: Buffer): number {
  const m = buf.indexOf(TABLE_MARKER);
  if (m <= 0) return -1;
  const before = buf[m - 1];
  if (before !== CH_COMMA && before !== CH_LBRACE) return -1;
  return m + TABLE_MARKER.length - 1;
}

/**
 * Everything but the table: the body with the table `[tableStart, tableEnd]` replaced by a sentinel
 * object, parsed. The sentinel must come out as wrapper.topicConfigTable: that proves the table
 * really is the value the full decoder reads (not a look-alike elsewhere, not overridden by a later
 * duplicate key). JSON is context-free, so once the table text is known to be a valid object, the
 * full parse equals this one with the table in the sentinel's place. Returns null when not so.
 */
export function restOfJson(
  buf: Buffer,
  tableStart: number,
  tableEnd: number,
): RegisterBrokerBody | null {
  // Members nobody reads (unknown fields) are checked, not built: see REGISTER_BODY_MEMBERS.
  const rest = pruneJsonObject(
    buf.toString('utf8', 0, tableStart) + SENTINEL + buf.toString('utf8', tableEnd + 1),
    REGISTER_BODY_MEMBERS,
  );
  if (rest === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(rest);
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
  const w = (parsed as Record<string, unknown>)['topicConfigSerializeWrapper'];
  if (w === null || typeof w !== 'object' || Array.isArray(w)) return null;
  const wrapper = w as Record<string, unknown>;
  const t = wrapper['topicConfigTable'];
  if (t === null || typeof t !== 'object') return null;
  const keys = Object.keys(t);
  if (keys.length !== 1 || keys[0] !== SENTINEL_KEY) return null;
  wrapper['topicConfigTable'] = {};
  return readRegisterBrokerBody(parsed);
}

/** End (exclusive) of the JSON object or array starting at `p`; FALLBACK when it runs off the end. */
export function jsonValueEnd(buf: Buffer, p: number): number {
  const n = buf.length;
  let depth = 0;
  let q = p;
  while (q < n) {
    const c = buf[q++]!;
    if (c === CH_QUOTE) {
      for (;;) {
        if (q >= n) fallback();
        const d = buf[q++]!;
        if (d === CH_QUOTE) break;
        if (d === CH_BACKSLASH) q++;
      }
    } else if (c === CH_LBRACE || c === CH_LBRACKET) {
      // Deeper than any real body: the full decoder refuses it (see parseJsonLenient).
      if (++depth > MAX_JSON_DEPTH) fallback();
    } else if (c === CH_RBRACE || c === CH_RBRACKET) {
      if (--depth === 0) return q;
    }
  }
  return fallback();
}

/**
 * End (index of the closing quote) of the key string starting at `p` (an opening quote); negated
 * minus one when it contains a backslash. FALLBACK on control characters or a missing quote.
 */
export function jsonKeyEnd(buf: Buffer, p: number): number {
  if (buf[p] !== CH_QUOTE) fallback();
  const n = buf.length;
  let escaped = false;
  let q = p + 1;
  for (;;) {
    if (q >= n) fallback();
    const c = buf[q]!;
    if (c === CH_QUOTE) break;
    if (c === CH_BACKSLASH) {
      escaped = true;
      q += 2;
    } else {
      if (c < 0x20) fallback();
      q++;
    }
  }
  return escaped ? -q - 1 : q;
}

export interface ScannedEntry {
  key: string;
  /** The name's bytes are plain (plain-key-index.ts): exactly the UTF-8 of `key`. */
  plain: boolean;
  /** Where the value (JSON) or the line (compressed) starts. */
  valueStart: number;
  end: number;
}

/**
 * The key of the JSON entry at `p` (its opening quote), `q`, the index of its closing quote, and
 * whether it holds an escape.
 */
export function jsonKey(buf: Buffer, p: number): { key: string; q: number; escaped: boolean } {
  const k = jsonKeyEnd(buf, p);
  if (k >= 0) return { key: buf.toString('utf8', p + 1, k), q: k, escaped: false };
  const q = -k - 1;
  let parsed: unknown;
  try {
    parsed = JSON.parse(buf.toString('utf8', p, q + 1));
  } catch {
    return fallback();
  }
  if (typeof parsed !== 'string') fallback();
  return { key: parsed, q, escaped: true };
}

export function scanJsonEntry(buf: Buffer, p: number): ScannedEntry {
  const { key, q, escaped } = jsonKey(buf, p);
  if (buf[q + 1] !== CH_COLON || buf[q + 2] !== CH_LBRACE) fallback();
  const valueStart = q + 2;
  return {
    key,
    plain: !escaped && isPlainKeyString(key, JSON_KEY_LAYOUT),
    valueStart,
    end: jsonValueEnd(buf, valueStart),
  };
}

export function decodeJsonEntry(buf: Buffer, e: ScannedEntry): TopicConfig {
  if (isArrayIndex(e.key)) fallback();
  let v: unknown;
  try {
    v = JSON.parse(buf.toString('utf8', e.valueStart, e.end));
  } catch {
    return fallback();
  }
  const tc = readTopicConfig(
    v,
    `topicConfigSerializeWrapper.topicConfigTable[${JSON.stringify(e.key)}]`,
    e.key,
  );
  // The delta names topics by topicName: a value naming another topic than its key is left alone.
  if (tc.topicName !== e.key) fallback();
  return tc;
}
