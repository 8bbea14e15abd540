/**
 * Incremental decoding of REGISTER_BROKER bodies (issue 11: registration work proportional to what
 * changed).
 *
 * A broker re-sends its whole topic table on every registration. `decodeRegisterBodyWithBase` keeps
 * what it needs of the previous body (a "base": its bytes, inflated for compressed bodies, and where
 * each topic entry lies) and, given the next body, finds the runs of entries whose bytes did not
 * change with native comparisons of whole runs (`Buffer#compare`, a run doubles while it matches
 * and halves on a mismatch); only the entries that differ are scanned and parsed. The small parts
 * around the table (dataVersion, filterServerList, the 5.x mapping sections) are decoded on their
 * own with the full decoder's readers. No JS code loops over the bytes of unchanged entries, and the
 * next base is derived from the previous one by shifting offsets (O(entries) arithmetic), its key
 * index carried over rather than rebuilt.
 *
 * A body decoded in full (no base: a new broker) can come as rows (`rows` option: TopicConfigRows,
 * names as bytes), and its base then holds no string of any name until a later delta asks for one
 * (KeyList): no string and no object per topic is made for a new broker's table.
 *
 * Whatever this module does not understand (escapes in a key are fine; whitespace between tokens,
 * lenient fastjson syntax, duplicate keys, a value that is not an object, array-index topic names in
 * JSON, a body the full decoder rejects…) goes to the full decoder, which gives the answer or the
 * error: never a wrong answer, at worst the cost of a full decode.
 *
 * Pure: no I/O. The base keeps a reference to the `body` Buffer of plain JSON bodies: callers must
 * not modify a body after passing it. A base is a class instance: it serves only in the thread that
 * made it (a structured-cloned copy is not recognised, which costs a full decode, nothing more).
 *
 * The parts: the JSON byte scanner (delta-json-scan.ts), the compressed format's entry readers
 * (delta-compressed-scan.ts), the base (delta-base.ts) and the walk (delta-walk.ts); here the
 * public API and the decode paths of both formats, which tie them together.
 */
import type {
  DataVersion,
  RegisterBrokerBody,
  TopicConfig,
  TopicQueueMappingInfo,
} from './types.js';
import { isUtf8 } from 'node:buffer';
import {
  decodeInflatedRegisterBrokerBody,
  decodeRegisterBrokerBody,
  inflateRegisterBody,
  MAX_INFLATED_REGISTER_BODY,
  readRegisterBrokerBody,
  REGISTER_BODY_MIN_VERSION,
} from './register-broker-body.js';
import { plainFields, scanPlainTopicConfig, topicConfigOf } from './topic-config-plain-json.js';
import { TopicConfigRowsBuilder } from './topic-config-rows.js';
import type { TopicConfigRows } from './topic-config-rows.js';
import { ByteKeySet, fnvStep, FNV_OFFSET } from './byte-key-set.js';
import { PlainKeyIndex } from './plain-key-index.js';
import { shareString } from '../json/shared-string.js';
import { jsonNestingExceeds } from '../json/json-skim.js';
import {
  decodeJsonEntry,
  FALLBACK,
  fallback,
  isArrayIndex,
  isArrayIndexBytes,
  jsonKeyEnd,
  jsonValueEnd,
  locateJsonTable,
  restOfJson,
  scanJsonEntry,
} from './delta-json-scan.js';
import {
  compressedCountOffset,
  decodeCompressedEntry,
  scanCompressedEntry,
} from './delta-compressed-scan.js';
import { Base, KeyList } from './delta-base.js';
import { Walker } from './delta-walk.js';

/** What the decoder keeps of a previous body. Opaque; `bytes` estimates its memory. */
export interface RegisterBodyBase {
  /** Approximate memory held by this base, in bytes (the body bytes plus the entry index). */
  readonly bytes: number;
}

export interface RegisterBodyDeltaOptions {
  /** The `compressed` request header. */
  compressed: boolean;
  /** The request's version ordinal. */
  version: number;
  /** Inflated compressed bodies larger than this are refused. Default MAX_INFLATED_REGISTER_BODY. */
  maxInflatedBytes?: number;
  /**
   * Answer a plain JSON body decoded in full (a new broker's, typically) as `rows` instead of
   * `full`: its table as TopicConfigRows, no TopicConfig object and no string made for any name —
   * neither for the answer nor for the base, which makes a name a string only when a later delta
   * needs it. Rows hold what a NameServer keeps of a topic config (not topicFilterType, order or
   * attributes). Other bodies (compressed, lenient, …) are still answered `full`.
   */
  rows?: boolean;
}

/** A body described relative to the base's body. */
export interface RegisterBodyChanges {
  kind: 'delta';
  dataVersion: DataVersion;
  filterServerList: string[];
  /** 5.x fields, present exactly when the full decode has them. */
  mappingDataVersion?: DataVersion;
  topicQueueMappingInfoMap?: Map<string, TopicQueueMappingInfo>;
  topicQueueMappingDetailMap?: Map<string, unknown>;
  /** Entries whose bytes differ from the base entry of the same topic, or that are new; body order. */
  upserts: TopicConfig[];
  /** Topics of the base that the body no longer has; base order. */
  removed: string[];
  /**
   * Topics that are not where the base order puts them: every new topic, and topics of the base that
   * moved. Each comes with the topic it follows in the new order (null: first); body order. The
   * other topics keep their base order.
   */
  inserted: [after: string | null, topic: string][];
}

/**
 * A delta's changes by position, for a holder that keeps the base's topics as rows in entry order
 * (the registry owner): `upsertAt[u]` is the index of `upserts[u]` among the new body's entries;
 * `continues[i]` is the base entry that new entry i continues (-1: a new topic), or null when the
 * entries are the base's, in the same order (then `upsertAt` indexes both).
 */
export interface RegisterBodyPositions {
  upsertAt: Int32Array;
  continues: Int32Array | null;
}

export type RegisterBodyDelta =
  /** No usable base: everything decoded (exactly decodeRegisterBrokerBody's result). */
  | { kind: 'full'; body: RegisterBrokerBody }
  /**
   * No usable base, `rows` asked for: the table as rows (body order; the names and the four
   * numbers of decodeRegisterBrokerBody's table), the rest of the body with an empty table.
   */
  | { kind: 'rows'; rows: TopicConfigRows; body: RegisterBrokerBody }
  /** The body (inflated, for compressed bodies) is byte-identical to the base's. */
  | { kind: 'unchanged' }
  | (RegisterBodyChanges & RegisterBodyPositions);

export interface RegisterBodyDecodeResult {
  delta: RegisterBodyDelta;
  /** The base for the next call; null when this body cannot serve as one. */
  base: RegisterBodyBase | null;
}

/**
 * Decodes a REGISTER_BROKER body relative to `base` (the base a previous call returned for the same
 * broker connection, or null). Throws BodyDecodeError exactly when decodeRegisterBrokerBody would.
 * A base from other options (compressed, version) is not used.
 */
export function decodeRegisterBodyWithBase(
  body: Buffer | null,
  options: RegisterBodyDeltaOptions,
  base: RegisterBodyBase | null,
): RegisterBodyDecodeResult {
  const { compressed, version } = options;
  if (body === null || body.length === 0 || version < REGISTER_BODY_MIN_VERSION) {
    return { delta: { kind: 'full', body: decodeRegisterBrokerBody(body, options) }, base: null };
  }
  const usable =
    base instanceof Base && base.compressed === compressed && base.version === version
      ? base
      : null;
  if (compressed) {
    if (usable !== null && usable.wire !== null && body.equals(usable.wire)) {
      return { delta: UNCHANGED, base: usable };
    }
    const raw = inflateRegisterBody(body, options.maxInflatedBytes ?? MAX_INFLATED_REGISTER_BODY);
    if (usable !== null) {
      if (raw.equals(usable.raw)) return { delta: UNCHANGED, base: usable.withWire(body) };
      try {
        return incrementalCompressed(raw, body, usable);
      } catch {
        // Anything unexpected: the full decoder gives the answer or the error.
      }
    }
    return freshCompressed(raw, body, version);
  }
  if (usable !== null) {
    if (body.equals(usable.raw)) return { delta: UNCHANGED, base: usable };
    try {
      return incrementalJson(body, usable);
    } catch {
      // Anything unexpected: the full decoder gives the answer or the error.
    }
  }
  return freshJson(body, version, options.rows === true);
}

/**
 * Whether `body` is, byte for byte as received, the body `base` was made from (for compressed
 * bodies: the same deflated bytes, not just the same content), under the same options: then it
 * has the same CRC32 too, and decodeRegisterBodyWithBase would answer `unchanged`.
 */
export function isSameRegisterBody(
  base: RegisterBodyBase,
  body: Buffer,
  options: RegisterBodyDeltaOptions,
): boolean {
  if (!(base instanceof Base)) return false;
  if (base.compressed !== options.compressed || base.version !== options.version) return false;
  const received = base.compressed ? base.wire : base.raw;
  return received !== null && body.equals(received);
}

/**
 * The body a base was made from, decoded in full — what decodeRegisterBodyWithBase's `full` would
 * have given for it — for a holder of the base that no longer has the body it came in (the serving
 * side hands bodies to its decode thread without keeping a copy). Throws a TypeError for a base
 * this module did not make.
 */
export function decodeRegisterBodyOfBase(base: RegisterBodyBase): RegisterBrokerBody {
  if (!(base instanceof Base)) throw new TypeError('not a base made by decodeRegisterBodyWithBase');
  return base.compressed
    ? decodeInflatedRegisterBrokerBody(base.raw, base.version)
    : decodeRegisterBrokerBody(base.raw, { compressed: false, version: base.version });
}

/**
 * Owner side: the topicConfigTable of the new body, from the previous body's table (the full decode
 * of the base's body, or the result of the previous apply) and a delta; in exactly the order the
 * full decode gives. Throws a plain Error when the delta does not fit `previous`.
 */
export function applyRegisterBodyDelta(
  previous: ReadonlyMap<string, TopicConfig>,
  delta: RegisterBodyChanges,
): Map<string, TopicConfig> {
  const steps = applyRegisterBodyDeltaInSteps(previous, delta, NEVER_PAUSE);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

const NEVER_PAUSE = (): boolean => false;
/** Entries handled between two questions to `pause` (applyRegisterBodyDeltaInSteps). */
const PAUSE_CHECK_EVERY = 256;

/**
 * applyRegisterBodyDelta as a generator that yields whenever `pause()` (asked every few hundred
 * entries) says so: with insertions the whole table is rebuilt (10–50 ms at 50,000 topics), which
 * a caller sharing its event loop with other work must be able to spread out. `previous` must not
 * change until the generator is done; it is not modified.
 */
export function* applyRegisterBodyDeltaInSteps(
  previous: ReadonlyMap<string, TopicConfig>,
  delta: RegisterBodyChanges,
  pause: () => boolean,
): Generator<void, Map<string, TopicConfig>, void> {
  let work = 0;
  const due = (): boolean => ++work % PAUSE_CHECK_EVERY === 0 && pause();
  if (delta.inserted.length === 0) {
    // The base order less the removed topics: a native copy, then in-place updates keep the order.
    const out = new Map(previous);
    updateInPlace(out, delta);
    return out;
  }
  const upserts = new Map<string, TopicConfig>();
  for (const tc of delta.upserts) {
    upserts.set(tc.topicName, tc);
    if (due()) yield;
  }
  const removed = new Set(delta.removed);
  const next = new Map<string | null, string>();
  const placed = new Set<string>();
  for (const [after, topic] of delta.inserted) {
    if (next.has(after) || placed.has(topic)) {
      throw new Error(`register body delta: inconsistent insertion of ${JSON.stringify(topic)}`);
    }
    next.set(after, topic);
    placed.add(topic);
    if (due()) yield;
  }
  const out = new Map<string, TopicConfig>();
  let emitted = 0;
  const chain = (anchor: string | null): void => {
    let topic = next.get(anchor);
    while (topic !== undefined) {
      const tc = upserts.get(topic) ?? previous.get(topic);
      if (tc === undefined || out.has(topic)) {
        throw new Error(`register body delta: no value for inserted ${JSON.stringify(topic)}`);
      }
      out.set(topic, tc);
      emitted++;
      work++;
      topic = next.get(topic);
    }
  };
  chain(null);
  for (const [topic, tc] of previous) {
    if (due()) yield;
    if (removed.has(topic) || placed.has(topic)) continue;
    out.set(topic, upserts.get(topic) ?? tc);
    if (next.size > 0) chain(topic);
  }
  if (emitted !== placed.size) {
    throw new Error('register body delta: an insertion does not follow a topic of the new body');
  }
  return out;
}

/**
 * Owner side, in place: turns `table` (the previous body's table, as for applyRegisterBodyDelta)
 * into the new body's table, order included. Without insertions this costs O(changes); with
 * insertions the Map is rebuilt. Throws a plain Error (with `table` unchanged) when the delta does
 * not fit.
 */
export function applyRegisterBodyDeltaInPlace(
  table: Map<string, TopicConfig>,
  delta: RegisterBodyChanges,
): void {
  if (delta.inserted.length > 0) {
    const out = applyRegisterBodyDelta(table, delta);
    table.clear();
    for (const [k, v] of out) table.set(k, v);
    return;
  }
  updateInPlace(table, delta);
}

/** A delta without insertions: deletions and updates (validated first, so all or nothing). */
function updateInPlace(table: Map<string, TopicConfig>, delta: RegisterBodyChanges): void {
  const removed = new Set(delta.removed);
  for (const topic of removed) {
    if (!table.has(topic)) {
      throw new Error(`register body delta: no topic ${JSON.stringify(topic)} to remove`);
    }
  }
  for (const tc of delta.upserts) {
    if (!table.has(tc.topicName) || removed.has(tc.topicName)) {
      throw new Error(`register body delta: upsert of unknown ${JSON.stringify(tc.topicName)}`);
    }
  }
  for (const topic of removed) table.delete(topic);
  for (const tc of delta.upserts) table.set(tc.topicName, tc);
}

/** The whole body that a delta describes, given the previous body's table. */
export function registerBodyOfDelta(
  previous: ReadonlyMap<string, TopicConfig>,
  delta: RegisterBodyChanges,
): RegisterBrokerBody {
  const body: RegisterBrokerBody = {
    topicConfigSerializeWrapper: {
      dataVersion: delta.dataVersion,
      topicConfigTable: applyRegisterBodyDelta(previous, delta),
    },
    filterServerList: delta.filterServerList,
  };
  const w = body.topicConfigSerializeWrapper;
  if (delta.mappingDataVersion !== undefined) w.mappingDataVersion = delta.mappingDataVersion;
  if (delta.topicQueueMappingInfoMap !== undefined) {
    w.topicQueueMappingInfoMap = delta.topicQueueMappingInfoMap;
  }
  if (delta.topicQueueMappingDetailMap !== undefined) {
    w.topicQueueMappingDetailMap = delta.topicQueueMappingDetailMap;
  }
  return body;
}

const UNCHANGED: RegisterBodyDelta = Object.freeze({ kind: 'unchanged' as const });

// ---------------------------------------------------------------------------------------------
// Plain JSON bodies

// Local constants, as every per-byte loop of the decoder has (see json/char-codes.ts).
const CH_QUOTE = 0x22;
const CH_COMMA = 0x2c;
const CH_COLON = 0x3a;
const CH_BACKSLASH = 0x5c;
const CH_LBRACE = 0x7b;
const CH_RBRACE = 0x7d;

function freshJson(body: Buffer, version: number, asRows: boolean): RegisterBodyDecodeResult {
  const plain = plainJson(body, version, asRows);
  if (plain !== null) return plain;
  let parsed: unknown;
  try {
    const text = body.toString('utf8');
    // Too deep: the full decoder refuses it without JSON.parse's cost (see parseJsonLenient).
    if (jsonNestingExceeds(text)) throw FALLBACK;
    parsed = JSON.parse(text);
  } catch {
    // Not strict JSON (fastjson leniency, or garbage): the full decoder decides; no base.
    return {
      delta: { kind: 'full', body: decodeRegisterBrokerBody(body, { compressed: false, version }) },
      base: null,
    };
  }
  const full = readRegisterBrokerBody(parsed);
  let base: Base | null = null;
  try {
    base = indexJson(body, full, version);
  } catch {
    base = null;
  }
  return { delta: { kind: 'full', body: full }, base };
}

/**
 * A body whose table is all plain entries (topic-config-plain-json.ts: the shape brokers write),
 * decoded and indexed in one pass over the table's bytes, without JSON.parse of the whole body;
 * the parts around the table are parsed on their own (restOfJson). Null when the body is not of
 * that shape: the general path gives the answer (or the error) then, so the result is always what
 * decodeRegisterBrokerBody gives. With `asRows`, the table comes as rows and no name is made a
 * string (KeyList makes them when a later delta needs them).
 */
function plainJson(
  body: Buffer,
  version: number,
  asRows: boolean,
): RegisterBodyDecodeResult | null {
  const tableStart = locateJsonTable(body);
  if (tableStart < 0) return null;
  // About 150 bytes per entry as brokers write them: a first guess, everything grows.
  const guess = Math.min(1 << 16, (body.length >> 7) + 16);
  const seen = new ByteKeySet(body, guess);
  const fields = plainFields();
  const rows = asRows ? new TopicConfigRowsBuilder(guess, guess * 32) : null;
  const table = asRows ? null : new Map<string, TopicConfig>();
  const keys: string[] = [];
  let starts = new Int32Array(guess);
  let ends = new Int32Array(guess);
  let count = 0;
  /** Some name has a byte ≥ 0x80 (then the key index is not `seen`: see below). */
  let anyHigh = 0;
  const n = body.length;
  let p = tableStart + 1;
  if (body[p] !== CH_RBRACE) {
    for (;;) {
      // The key: no escape, no control character; hashed on the way for the repeat check.
      if (body[p] !== CH_QUOTE) return null;
      const ks = p + 1;
      let q = ks;
      let hash = FNV_OFFSET;
      let high = 0;
      for (;;) {
        if (q >= n) return null;
        const c = body[q]!;
        if (c === CH_QUOTE) break;
        if (c === CH_BACKSLASH || c < 0x20) return null;
        high |= c;
        hash = fnvStep(hash, c);
        q++;
      }
      if (body[q + 1] !== CH_COLON) return null;
      // Repeated keys and array-index keys change the order or values JSON.parse gives. Bytes
      // that are not UTF-8 decode to U+FFFD: two different ones could be the same key.
      if (isArrayIndexBytes(body, ks, q)) return null;
      if (high >= 0x80 && !isUtf8(body.subarray(ks, q))) return null;
      anyHigh |= high;
      if (!seen.add(ks, q, hash)) return null;
      const end = scanPlainTopicConfig(body, q + 2, ks, q, fields);
      if (end < 0) return null;
      if (count === starts.length) {
        starts = grown(starts);
        ends = grown(ends);
      }
      starts[count] = p;
      ends[count] = end;
      count++;
      if (rows !== null) {
        rows.push(
          body,
          ks,
          q,
          fields.readQueueNums,
          fields.writeQueueNums,
          fields.perm,
          fields.topicSysFlag,
        );
      } else {
        const key = body.toString('utf8', ks, q);
        keys.push(key);
        table!.set(key, topicConfigOf(key, fields));
        // JSON.parse shared each key's text with the other bases holding the same name (brokers
        // of a cluster register the same topics); without that the decode thread held a copy per
        // broker, and its old generation, then at its limit, forced a full collection every few
        // registrations (+30 % CPU per re-registration, 8 brokers of the same 10,000 topics).
        shareString(key);
      }
      const c = body[end];
      if (c === CH_COMMA) p = end + 1;
      else if (c === CH_RBRACE) {
        p = end;
        break;
      } else return null;
    }
  }
  // The rest parses with the table left out, and the table is the one the full decode reads.
  const rest = restOfJson(body, tableStart, p);
  if (rest === null) return null;
  const entryStarts = starts.slice(0, count);
  const base = new Base(
    false,
    version,
    null,
    body,
    entryStarts,
    ends.slice(0, count),
    rows !== null ? KeyList.unmade(count, body, entryStarts, false) : KeyList.of(keys, false),
    // The names' hashes are in `seen` already, entry by entry: the key index a later delta may ask
    // for comes for free. A name with other bytes than ASCII may hold U+FFFD, which a plain index
    // must not (see plain-key-index.ts): such a base builds its own when needed.
    anyHigh < 0x80 ? PlainKeyIndex.ofKeySet(seen) : null,
  );
  if (rows !== null) return { delta: { kind: 'rows', rows: rows.finish(), body: rest }, base };
  rest.topicConfigSerializeWrapper.topicConfigTable = table!;
  return { delta: { kind: 'full', body: rest }, base };
}

function grown(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/** The index of a body known to be strict JSON, whose full decode is `full`; null if unusable. */
function indexJson(body: Buffer, full: RegisterBrokerBody, version: number): Base | null {
  const tableStart = locateJsonTable(body);
  if (tableStart < 0) return null;
  const table = full.topicConfigSerializeWrapper.topicConfigTable;
  const keys = [...table.keys()];
  for (const k of keys) if (isArrayIndex(k)) return null;
  // A value naming another topic than its key: the delta names topics by key, a holder of the
  // table's rows by topicName, Java's rule g by key; such a body is decoded in full every time.
  for (const [k, tc] of table) if (tc.topicName !== k) return null;
  const n = keys.length;
  const starts = new Int32Array(n);
  const ends = new Int32Array(n);
  let p = tableStart + 1;
  let count = 0;
  if (body[p] !== CH_RBRACE) {
    for (;;) {
      let q = jsonKeyEnd(body, p);
      if (q < 0) q = -q - 1;
      if (body[q + 1] !== CH_COLON || body[q + 2] !== CH_LBRACE) return null;
      const end = jsonValueEnd(body, q + 2);
      // More entries than keys: duplicate keys (or null values) collapsed in the full decode.
      if (count >= n) return null;
      starts[count] = p;
      ends[count] = end;
      count++;
      const c = body[end];
      if (c === CH_COMMA) p = end + 1;
      else if (c === CH_RBRACE) {
        p = end;
        break;
      } else return null;
    }
  }
  if (count !== n) return null;
  // Confirms the located table is the one the full decoder read.
  if (restOfJson(body, tableStart, p) === null) return null;
  return new Base(false, version, null, body, starts, ends, KeyList.of(keys, false), null);
}

function incrementalJson(body: Buffer, base: Base): RegisterBodyDecodeResult {
  const tableStart = locateJsonTable(body);
  if (tableStart < 0) fallback();
  const w = new Walker(base, body, decodeJsonEntry, scanJsonEntry);
  let p = tableStart + 1;
  if (body[p] !== CH_RBRACE) {
    for (;;) {
      p = w.step(p, Infinity);
      const c = body[p];
      if (c === CH_COMMA) p++;
      else if (c === CH_RBRACE) break;
      else fallback();
    }
  }
  const rest = restOfJson(body, tableStart, p);
  if (rest === null) fallback();
  return w.finish(rest, null);
}

// ---------------------------------------------------------------------------------------------
// Compressed bodies (inflated layout: int32-length-prefixed sections, one per topic line)

function freshCompressed(raw: Buffer, wire: Buffer, version: number): RegisterBodyDecodeResult {
  const full = decodeInflatedRegisterBrokerBody(raw, version);
  const keys = [...full.topicConfigSerializeWrapper.topicConfigTable.keys()];
  const countOffset = 4 + raw.readInt32BE(0);
  const n = raw.readInt32BE(countOffset);
  let base: Base | null = null;
  // Fewer keys than lines: duplicate topic names, which a delta cannot express.
  if (keys.length === n) {
    const starts = new Int32Array(n);
    const ends = new Int32Array(n);
    let p = countOffset + 4;
    for (let i = 0; i < n; i++) {
      starts[i] = p;
      p += 4 + raw.readInt32BE(p);
      ends[i] = p;
    }
    base = new Base(true, version, wire, raw, starts, ends, KeyList.of(keys, true), null);
  }
  return { delta: { kind: 'full', body: full }, base };
}

const ZERO_COUNT = Buffer.alloc(4);

function incrementalCompressed(raw: Buffer, wire: Buffer, base: Base): RegisterBodyDecodeResult {
  const countOffset = compressedCountOffset(raw);
  const count = raw.readInt32BE(countOffset);
  if (count < 0) fallback();
  const w = new Walker(base, raw, decodeCompressedEntry, scanCompressedEntry);
  let p = countOffset + 4;
  while (w.produced < count) p = w.step(p, count - w.produced);
  // The sections around the table, decoded by the full decoder's own reader with no topic lines.
  const rest = decodeInflatedRegisterBrokerBody(
    Buffer.concat([raw.subarray(0, countOffset), ZERO_COUNT, raw.subarray(p)]),
    base.version,
  );
  return w.finish(rest, wire);
}
