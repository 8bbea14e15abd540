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
 */
import type {
  DataVersion,
  RegisterBrokerBody,
  TopicConfig,
  TopicQueueMappingInfo,
} from './types.js';
import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import {
  decodeInflatedRegisterBrokerBody,
  decodeRegisterBrokerBody,
  inflateRegisterBody,
  MAX_INFLATED_REGISTER_BODY,
  readRegisterBrokerBody,
  REGISTER_BODY_MEMBERS,
  REGISTER_BODY_MIN_VERSION,
} from './register-broker-body.js';
import { decodeTopicConfigLine, readTopicConfig } from './topic-config.js';
import { plainFields, scanPlainTopicConfig, topicConfigOf } from './topic-config-plain-json.js';
import { TopicConfigRowsBuilder } from './topic-config-rows.js';
import type { TopicConfigRows } from './topic-config-rows.js';
import { ByteKeySet, fnvStep, FNV_OFFSET } from './byte-key-set.js';
import {
  isPlainKeyString,
  JSON_KEY_LAYOUT,
  LINE_KEY_LAYOUT,
  PlainKeyIndex,
} from './plain-key-index.js';
import type { EntryKeyLayout } from './plain-key-index.js';
import { shareString } from '../json/shared-string.js';
import { jsonNestingExceeds, MAX_JSON_DEPTH, pruneJsonObject } from '../json/json-skim.js';

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

// ---------------------------------------------------------------------------------------------
// The base

const UNCHANGED: RegisterBodyDelta = Object.freeze({ kind: 'unchanged' as const });

/** Rough per-entry cost of the index: two Int32 offsets, a key slot, the key string. */
const INDEX_BYTES_PER_ENTRY = 64;
/** Rough per-entry cost of a key → index map. */
const KEY_INDEX_BYTES_PER_ENTRY = 48;

/**
 * key → entry index of one base, carried from base to base without rebuilding: a map built once
 * from an ancestor's keys (`root`), translated to this base's indexes through `remap`, plus the
 * keys added since. A key in `extra` wins over `root` (a topic removed and added again).
 */
interface KeyIndex {
  readonly root: Map<string, number>;
  /** Root index → this base's index, -1 when gone; null: the identity. */
  readonly remap: Int32Array | null;
  readonly extra: Map<string, number>;
}

/**
 * The topic names of a base's entries, in entry order, each made a string the first time it is
 * asked for (read from the base's bytes) and kept: a base indexed without strings (the `rows`
 * answer) costs a new broker's registration none, and a later delta makes only the few it looks
 * at — all of them only for a key index of strings (a topic that is not where the base had it,
 * in a base with a name that is not plain: see plain-key-index.ts).
 */
class KeyList {
  private constructor(
    readonly length: number,
    /**
     * The names made so far, by entry index. Lists of the same names in the same order share it
     * (a base and its successor over the next body), so what one made the other has.
     */
    private readonly made: (string | undefined)[],
    /** Where unmade names are read: the body and its entry starts (as Base has them). */
    private readonly raw: Buffer | null,
    private readonly starts: Int32Array | null,
    private readonly compressed: boolean,
  ) {}

  /** Names that are all made already. */
  static of(keys: string[], compressed: boolean): KeyList {
    return new KeyList(keys.length, keys, null, null, compressed);
  }

  /** `length` names, read from the entries of `raw` at `starts` when asked for. */
  static unmade(length: number, raw: Buffer, starts: Int32Array, compressed: boolean): KeyList {
    const made = new Array<string | undefined>(length).fill(undefined);
    return new KeyList(length, made, raw, starts, compressed);
  }

  at(i: number): string {
    let key = this.made[i];
    if (key === undefined) {
      const p = this.starts![i]!;
      const read = this.compressed ? compressedKey(this.raw!, p) : jsonKey(this.raw!, p).key;
      // Shared with the other holders of the name, as JSON.parse would have (see plainJson).
      key = shareString(read);
      this.made[i] = key;
    }
    return key;
  }

  /** The same names in the same order, for a base over another body (`raw`, `starts`). */
  over(raw: Buffer, starts: Int32Array): KeyList {
    return new KeyList(this.length, this.made, raw, starts, this.compressed);
  }

  /**
   * The names of a new order over `raw` at `starts`: runs `[from, to)` of this list's entries and
   * names made already, in order (what a Walker records).
   */
  reordered(
    parts: readonly (string | readonly [number, number])[],
    raw: Buffer,
    starts: Int32Array,
  ): KeyList {
    const made: (string | undefined)[] = [];
    for (const part of parts) {
      if (typeof part === 'string') made.push(part);
      else for (let k = part[0]; k < part[1]; k++) made.push(this.made[k]);
    }
    return new KeyList(made.length, made, raw, starts, this.compressed);
  }
}

class Base implements RegisterBodyBase {
  /**
   * Built on first need (by hashes when every name is plain, see plain-key-index.ts; else a Map of
   * strings), or derived from the previous base's.
   */
  private keyIndex: PlainKeyIndex | KeyIndex | null;

  constructor(
    readonly compressed: boolean,
    readonly version: number,
    /** Compressed bodies: the body as received (to recognise an identical one without inflating). */
    readonly wire: Buffer | null,
    /** The JSON body, or the inflated bytes of a compressed one. */
    readonly raw: Buffer,
    /**
     * Entry i lies at [starts[i], ends[i]) of raw: `"key":{…}` (JSON; entries are separated by one
     * comma) or length prefix + line (compressed; entries are adjacent).
     */
    readonly starts: Int32Array,
    readonly ends: Int32Array,
    readonly keys: KeyList,
    keyIndex: PlainKeyIndex | KeyIndex | null,
  ) {
    this.keyIndex = keyIndex;
  }

  private get layout(): EntryKeyLayout {
    return this.compressed ? LINE_KEY_LAYOUT : JSON_KEY_LAYOUT;
  }

  get bytes(): number {
    const n = this.keys.length;
    const ix = this.keyIndex;
    return (
      this.raw.length +
      (this.wire?.length ?? 0) +
      n * INDEX_BYTES_PER_ENTRY +
      (ix === null
        ? 0
        : ix instanceof PlainKeyIndex
          ? ix.bytes
          : (ix.root.size + ix.extra.size) * KEY_INDEX_BYTES_PER_ENTRY)
    );
  }

  /** The index of `key` among the entries, or undefined. */
  indexOf(key: string): number | undefined {
    let ix = this.keyIndex;
    if (ix === null) {
      ix =
        PlainKeyIndex.build(this.raw, this.starts, this.keys.length, this.layout) ??
        this.stringKeyIndex();
      this.keyIndex = ix;
    }
    if (ix instanceof PlainKeyIndex) return ix.indexOf(key, this.raw, this.starts, this.layout);
    const e = ix.extra.get(key);
    if (e !== undefined) return e;
    const r = ix.root.get(key);
    if (r === undefined || ix.remap === null) return r;
    const v = ix.remap[r]!;
    return v < 0 ? undefined : v;
  }

  /** Every name made a string, in a Map (names that are not all plain). */
  private stringKeyIndex(): KeyIndex {
    const root = new Map<string, number>();
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) root.set(keys.at(i), i);
    return { root, remap: null, extra: new Map() };
  }

  /**
   * The key index of a successor base, from `oldToNew` (this base's index → the successor's, -1:
   * gone) and the successor's new keys; null when there is none to carry, or when carrying it on
   * costs more than building a new one. `namesPlain`: every name the walk read from the new body
   * was plain (so an entry that continues one of this base's has the same bytes for its name).
   */
  successorKeyIndex(
    oldToNew: Int32Array,
    added: readonly [string, number][],
    namesPlain: boolean,
  ): PlainKeyIndex | KeyIndex | null {
    const ix = this.keyIndex;
    if (ix === null) return null;
    if (ix instanceof PlainKeyIndex) {
      return namesPlain ? ix.successor(oldToNew, added, this.layout) : null;
    }
    const size = ix.root.size;
    const remap = new Int32Array(size);
    const old = ix.remap;
    let gone = 0;
    for (let r = 0; r < size; r++) {
      const v = old === null ? r : old[r]!;
      const nv = v < 0 ? -1 : oldToNew[v]!;
      remap[r] = nv;
      if (nv < 0) gone++;
    }
    const extra = new Map<string, number>();
    for (const [k, v] of ix.extra) {
      const nv = oldToNew[v]!;
      if (nv >= 0) extra.set(k, nv);
    }
    for (const [k, v] of added) extra.set(k, v);
    // Too much drift from the root: let the successor build a fresh one when it needs one.
    if (gone + extra.size > (size >> 2) + 64) return null;
    return { root: ix.root, remap, extra };
  }

  /**
   * The key index as it is, for a successor with the same entries in the same order (`namesPlain`
   * as for successorKeyIndex).
   */
  sameKeyIndex(namesPlain: boolean): PlainKeyIndex | KeyIndex | null {
    const ix = this.keyIndex;
    return ix instanceof PlainKeyIndex && !namesPlain ? null : ix;
  }

  withWire(wire: Buffer): Base {
    return new Base(
      this.compressed,
      this.version,
      wire,
      this.raw,
      this.starts,
      this.ends,
      this.keys,
      this.keyIndex,
    );
  }
}

/** Thrown inside the incremental path: "use the full decoder". */
const FALLBACK = new Error('register body delta: fall back to the full decoder');

function fallback(): never {
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
const CH_SPACE = 0x20;
const CH_ZERO = 0x30;
const CH_NINE = 0x39;

/**
 * Object.keys lists array-index keys first, in numeric order: a JSON table with such a topic name
 * is not in body order, so such bodies are left to the full decoder.
 */
function isArrayIndex(key: string): boolean {
  const c = key.charCodeAt(0);
  if (!(c >= 0x30 && c <= 0x39) || key.length > 10) return false;
  if (!/^(?:0|[1-9]\d*)$/.test(key)) return false;
  return Number(key) <= 4294967294;
}

/** isArrayIndex of the key whose UTF-8 bytes are `buf[start .. end)`. */
function isArrayIndexBytes(buf: Buffer, start: number, end: number): boolean {
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
function locateJsonTable(buf: Buffer): number {
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
function restOfJson(buf: Buffer, tableStart: number, tableEnd: number): RegisterBrokerBody | null {
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
function jsonValueEnd(buf: Buffer, p: number): number {
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
function jsonKeyEnd(buf: Buffer, p: number): number {
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

interface ScannedEntry {
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
function jsonKey(buf: Buffer, p: number): { key: string; q: number; escaped: boolean } {
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

function scanJsonEntry(buf: Buffer, p: number): ScannedEntry {
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

function decodeJsonEntry(buf: Buffer, e: ScannedEntry): TopicConfig {
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

/** Offset of the topic count in an inflated body (after the dataVersion section), or FALLBACK. */
function compressedCountOffset(raw: Buffer): number {
  if (raw.length < 8) fallback();
  const dvLen = raw.readInt32BE(0);
  if (dvLen < 0 || dvLen > raw.length - 8) fallback();
  return 4 + dvLen;
}

function scanCompressedEntry(buf: Buffer, p: number): ScannedEntry {
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
function compressedKey(buf: Buffer, p: number): string {
  return scanCompressedEntry(buf, p).key;
}

function decodeCompressedEntry(buf: Buffer, e: ScannedEntry): TopicConfig {
  return decodeTopicConfigLine(buf.toString('utf8', e.valueStart, e.end));
}

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

// ---------------------------------------------------------------------------------------------
// The walk: the new body's entries against the base's

/** A base entry's state during a walk. */
const NOT_SEEN = 0;
/** Found in base order. */
const KEPT = 1;
/** Skipped over (the body went on with a later base entry): removed, or found later (moved). */
const SKIPPED = 2;
/** Found out of base order. */
const MOVED = 3;

/** Base entries skipped at most this far ahead are taken as removed; farther, the entry moved. */
const SKIP_WINDOW = 32;
/** Run length to try after a scanned entry. */
const RUN_AFTER_SCAN = 16;
/** Bail out to the full decoder once this many entries had to be scanned … */
const SCAN_BAILOUT_MIN = 32;

class Walker {
  private readonly n: number;
  private readonly state: Uint8Array;
  /** Base indexes found out of order, ahead of the walk: runs must stop before them. Sorted. */
  private readonly movedAhead: number[] = [];
  private i = 0;
  private run: number;
  /** The topic the last entry consumed names: made already, or the base entry that names it. */
  private prevKey: string | null = null;
  private prevAt = -1;
  private scanned = 0;
  /** Entries of the new body so far. */
  produced = 0;
  private starts: Int32Array;
  private ends: Int32Array;
  /**
   * The new order's keys, as runs of base entries ([from, to) indexes) and single scanned keys;
   * only turned into a key array when the order changed.
   */
  private readonly keyParts: (string | [from: number, to: number])[] = [];
  private readonly upserts: TopicConfig[] = [];
  /** The new-body index of each upsert (see RegisterBodyChanges.upsertAt). */
  private readonly upsertAt: number[] = [];
  private readonly inserted: [string | null, string][] = [];
  private readonly newKeys = new Set<string>();
  /** Base index → index in the new body; -1: not (yet) found. */
  private readonly oldToNew: Int32Array;
  /** New topics with their index in the new body. */
  private readonly added: [string, number][] = [];
  /** Every name scanned so far was plain (see Base.successorKeyIndex). */
  private namesPlain = true;

  constructor(
    private readonly base: Base,
    private readonly buf: Buffer,
    private readonly decode: (buf: Buffer, e: ScannedEntry) => TopicConfig,
    private readonly scan: (buf: Buffer, p: number) => ScannedEntry,
  ) {
    this.n = base.keys.length;
    this.state = new Uint8Array(this.n);
    this.oldToNew = new Int32Array(this.n).fill(-1);
    this.run = Math.max(1, this.n);
    const cap = this.n + 16;
    this.starts = new Int32Array(cap);
    this.ends = new Int32Array(cap);
  }

  /** Room for `more` entries. */
  private reserve(more: number): void {
    const need = this.produced + more;
    if (need <= this.starts.length) return;
    const cap = Math.max(need, this.starts.length * 2);
    const s = new Int32Array(cap);
    s.set(this.starts);
    this.starts = s;
    const e = new Int32Array(cap);
    e.set(this.ends);
    this.ends = e;
  }

  /**
   * Consumes one or more entries of the new body at `p` (an entry start) and returns the position
   * after them. At most `max` entries (compressed bodies: the lines left).
   */
  step(p: number, max: number): number {
    const { base, state, n, buf } = this;
    let i = this.i;
    while (i < n && state[i] !== NOT_SEEN) i++;
    this.i = i;
    if (i < n) {
      let limit = Math.min(n - i, max);
      const moved = this.movedAhead;
      while (moved.length > 0 && moved[0]! < i) moved.shift();
      if (moved.length > 0) limit = Math.min(limit, moved[0]! - i);
      let r = Math.min(this.run, limit);
      const { starts, ends, raw } = base;
      while (r >= 1) {
        const bs = starts[i]!;
        const be = ends[i + r - 1]!;
        const len = be - bs;
        if (p + len <= buf.length && buf.compare(raw, bs, be, p, p + len) === 0) {
          const shift = p - bs;
          state.fill(KEPT, i, i + r);
          this.reserve(r);
          const o = this.produced - i;
          const ns = this.starts;
          const ne = this.ends;
          const o2n = this.oldToNew;
          for (let k = i; k < i + r; k++) {
            ns[o + k] = starts[k]! + shift;
            ne[o + k] = ends[k]! + shift;
            o2n[k] = o + k;
          }
          this.produced += r;
          this.keyParts.push([i, i + r]);
          // Made a string only if an insertion follows it.
          this.prevKey = null;
          this.prevAt = i + r - 1;
          this.i = i + r;
          this.run = r * 2;
          return p + len;
        }
        r >>= 1;
      }
    }
    return this.scanOne(p);
  }

  private scanOne(p: number): number {
    const { base, state, buf } = this;
    const e = this.scan(buf, p);
    const key = e.key;
    if (!e.plain) this.namesPlain = false;
    const i = this.i;
    let j: number | undefined;
    if (i < this.n && base.keys.at(i) === key) j = i;
    else {
      j = base.indexOf(key);
      // Cheap insurance: an index that disagreed with the keys could only cost a full decode.
      if (j !== undefined && base.keys.at(j) !== key) fallback();
    }
    if (j === undefined) {
      // A new topic.
      if (this.newKeys.has(key)) fallback();
      this.newKeys.add(key);
      this.added.push([key, this.produced]);
      this.upserts.push(this.decode(buf, e));
      this.upsertAt.push(this.produced);
      this.inserted.push([this.previous(), key]);
    } else {
      const s = state[j]!;
      if (s === KEPT || s === MOVED) fallback(); // duplicate key
      if (s === NOT_SEEN && j - i <= SKIP_WINDOW) {
        // In order, after skipping i..j-1 (removed, or found later as moved).
        for (let k = i; k < j; k++) if (state[k] === NOT_SEEN) state[k] = SKIPPED;
        state[j] = KEPT;
        this.i = j + 1;
      } else {
        // Out of base order: found far ahead, or skipped earlier.
        if (s === NOT_SEEN) insertSorted(this.movedAhead, j);
        state[j] = MOVED;
        this.inserted.push([this.previous(), key]);
      }
      this.oldToNew[j] = this.produced;
      if (!this.sameBytes(e, p, j)) {
        this.upserts.push(this.decode(buf, e));
        this.upsertAt.push(this.produced);
      }
    }
    this.reserve(1);
    this.starts[this.produced] = p;
    this.ends[this.produced] = e.end;
    this.produced++;
    this.keyParts.push(key);
    this.prevKey = key;
    this.prevAt = -1;
    this.run = RUN_AFTER_SCAN;
    // Most of the body changed: a full decode is cheaper than going on entry by entry.
    const scanned = ++this.scanned;
    if (
      scanned > SCAN_BAILOUT_MIN &&
      (scanned * 2 > this.produced || scanned > (this.n >> 2) + SCAN_BAILOUT_MIN)
    ) {
      fallback();
    }
    return e.end;
  }

  /** The topic the last entry consumed names (null: none yet, the next one is first). */
  private previous(): string | null {
    return this.prevKey ?? (this.prevAt < 0 ? null : this.base.keys.at(this.prevAt));
  }

  private sameBytes(e: ScannedEntry, p: number, j: number): boolean {
    const base = this.base;
    const bs = base.starts[j]!;
    const be = base.ends[j]!;
    return be - bs === e.end - p && this.buf.compare(base.raw, bs, be, p, e.end) === 0;
  }

  finish(rest: RegisterBrokerBody, wire: Buffer | null): RegisterBodyDecodeResult {
    const { base, state, n } = this;
    const removed: string[] = [];
    for (let k = 0; k < n; k++) {
      const s = state[k];
      if (s === NOT_SEEN || s === SKIPPED) removed.push(base.keys.at(k));
    }
    const count = this.produced;
    const sameOrder = removed.length === 0 && this.inserted.length === 0;
    // A view when little capacity is left over, else a right-sized copy.
    const starts =
      count > this.starts.length - 64
        ? this.starts.subarray(0, count)
        : this.starts.slice(0, count);
    const next = new Base(
      base.compressed,
      base.version,
      wire,
      this.buf,
      starts,
      count > this.ends.length - 64 ? this.ends.subarray(0, count) : this.ends.slice(0, count),
      sameOrder
        ? base.keys.over(this.buf, starts)
        : base.keys.reordered(this.keyParts, this.buf, starts),
      sameOrder
        ? base.sameKeyIndex(this.namesPlain)
        : base.successorKeyIndex(this.oldToNew, this.added, this.namesPlain),
    );
    let continues: Int32Array | null = null;
    if (!sameOrder) {
      continues = new Int32Array(count).fill(-1);
      const o2n = this.oldToNew;
      for (let k = 0; k < n; k++) if (o2n[k]! >= 0) continues[o2n[k]!] = k;
    }
    const w = rest.topicConfigSerializeWrapper;
    const delta: RegisterBodyChanges & RegisterBodyPositions = {
      kind: 'delta',
      dataVersion: w.dataVersion,
      filterServerList: rest.filterServerList,
      upserts: this.upserts,
      removed,
      inserted: this.inserted,
      upsertAt: Int32Array.from(this.upsertAt),
      continues,
    };
    if (w.mappingDataVersion !== undefined) delta.mappingDataVersion = w.mappingDataVersion;
    if (w.topicQueueMappingInfoMap !== undefined) {
      delta.topicQueueMappingInfoMap = w.topicQueueMappingInfoMap;
    }
    if (w.topicQueueMappingDetailMap !== undefined) {
      delta.topicQueueMappingDetailMap = w.topicQueueMappingDetailMap;
    }
    return { delta, base: next };
  }
}

function insertSorted(a: number[], v: number): void {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  a.splice(lo, 0, v);
}
