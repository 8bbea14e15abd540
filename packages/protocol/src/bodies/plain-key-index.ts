/**
 * topic name → entry index of a REGISTER_BROKER body's base (delta-base.ts) with no
 * string made per name: the names' FNV-1a hashes in an open-addressed table over Int32Arrays, a
 * name compared with the base body's bytes where it lies.
 *
 * Why: a delta that brings a topic the base does not hold at that place (a new topic, one that
 * moved) must learn whether the base holds it anywhere. Built from strings (a Map of 50,000 names,
 * each read from the body first) that question cost a broker's first such re-registration 20 ms of
 * the decode thread's time at 50,000 topics, against 4 ms for the delta itself; from hashes it costs
 * one pass over the names' bytes — and nothing when the body was decoded fresh, which hashed every
 * name already to find repeats (ByteKeySet).
 *
 * Only for "plain" names, whose bytes in the body are exactly the UTF-8 of the name: valid UTF-8,
 * no control character, no quote, no backslash (so no JSON escape). That is every name a broker
 * sends (RocketMQ allows `[%|a-zA-Z0-9_-]`); a base with another name uses the string index. A
 * lookup key that is not plain is absent from a plain index by definition.
 *
 * Immutable once built: a successor base gets a new index (sharing the unchanged arrays), so bases
 * never see each other's changes. Pure: no I/O.
 */
import { fnvStep, FNV_OFFSET } from './byte-key-set.js';
import type { ByteKeySet } from './byte-key-set.js';

/** Where a name lies in an entry, per body layout. */
export interface EntryKeyLayout {
  /** From the entry's start to the name's first byte. */
  readonly offset: number;
  /** The byte that ends the name. */
  readonly terminator: number;
}

const CH_QUOTE = 0x22;
const CH_BACKSLASH = 0x5c;
const CH_SPACE = 0x20;

/** Plain JSON entries: `"name":{…}`. */
export const JSON_KEY_LAYOUT: EntryKeyLayout = Object.freeze({ offset: 1, terminator: CH_QUOTE });
/** Inflated compressed entries: int32 length, then `name <fields>`. */
export const LINE_KEY_LAYOUT: EntryKeyLayout = Object.freeze({ offset: 4, terminator: CH_SPACE });

/**
 * Whether a name, as a string, is plain (see the module comment), for the layout's terminator too.
 * U+FFFD is refused as well: invalid UTF-8 bytes decode to it, so a name holding it may not be its
 * bytes.
 */
export function isPlainKeyString(key: string, layout: EntryKeyLayout): boolean {
  let unusual = false;
  for (let k = 0; k < key.length; k++) {
    const c = key.charCodeAt(k);
    if (c < 0x20 || c === CH_QUOTE || c === CH_BACKSLASH || c === layout.terminator) return false;
    if (c >= 0xd800 && (c <= 0xdfff || c === 0xfffd)) unusual = true;
  }
  return !unusual || slowPlain(key);
}

/** A name with a surrogate or U+FFFD: plain when well formed (no lone surrogate) and no U+FFFD. */
function slowPlain(key: string): boolean {
  // A lone surrogate encodes as U+FFFD's bytes: the round trip differs exactly then.
  return !key.includes('\ufffd') && Buffer.from(key, 'utf8').toString('utf8') === key;
}

export class PlainKeyIndex {
  private constructor(
    /** id + 1 per slot; 0: empty. A power of two, at least twice `hashes` in use. */
    private readonly slots: Int32Array,
    /** The name's hash, by id. */
    private readonly hashes: Int32Array,
    /** id → entry index in this base, -1: gone; null: the identity. */
    private readonly pos: Int32Array | null,
    /** ids in use. */
    private readonly ids: number,
    /** ids whose entry is gone. */
    private readonly gone: number,
  ) {}

  /**
   * The index of a body decoded fresh: `set` holds every entry's name, added in entry order (id =
   * entry index), and every name is plain (the caller checked each byte).
   */
  static ofKeySet(set: ByteKeySet): PlainKeyIndex {
    const { slots, hashes, size } = set.table();
    return new PlainKeyIndex(slots, hashes, null, size, 0);
  }

  /**
   * Hashes the names of `n` entries starting at `starts` in `raw`; null when one is not plain (the
   * caller uses the string index), or two are the same bytes.
   */
  static build(
    raw: Uint8Array,
    starts: Int32Array,
    n: number,
    layout: EntryKeyLayout,
  ): PlainKeyIndex | null {
    const slots = new Int32Array(capacityFor(n));
    const mask = slots.length - 1;
    const hashes = new Int32Array(n);
    const { offset, terminator } = layout;
    for (let i = 0; i < n; i++) {
      const ks = starts[i]! + offset;
      let p = ks;
      let hash = FNV_OFFSET;
      let high = 0;
      for (;;) {
        if (p >= raw.length) return null;
        const c = raw[p]!;
        if (c === terminator) break;
        if (c < 0x20 || c === CH_QUOTE || c === CH_BACKSLASH) return null;
        high |= c;
        hash = fnvStep(hash, c);
        p++;
      }
      // Not UTF-8, or holding U+FFFD (EF BF BD): two different byte strings could be one name.
      if (high >= 0x80 && !isPlainUtf8(raw, ks, p)) return null;
      hashes[i] = hash;
      let s = hash & mask;
      for (let e = slots[s]!; e !== 0; e = slots[s]!) {
        const os = starts[e - 1]! + offset;
        // The same name: the same bytes, and the earlier one ends where this one does.
        if (
          hashes[e - 1] === hash &&
          raw[os + (p - ks)] === terminator &&
          sameBytes(raw, os, ks, p - ks)
        ) {
          return null;
        }
        s = (s + 1) & mask;
      }
      slots[s] = i + 1;
    }
    return new PlainKeyIndex(slots, hashes, null, n, 0);
  }

  /** Approximate memory held, in bytes. */
  get bytes(): number {
    return (this.slots.length + this.hashes.length + (this.pos?.length ?? 0)) * 4;
  }

  /**
   * The entry index of `key` in the base whose body is `raw` with entries at `starts`, or
   * undefined.
   */
  indexOf(
    key: string,
    raw: Uint8Array,
    starts: Int32Array,
    layout: EntryKeyLayout,
  ): number | undefined {
    let hash = FNV_OFFSET;
    let bytes: Uint8Array | null = null;
    for (let k = 0; k < key.length; k++) {
      const c = key.charCodeAt(k);
      if (c >= 0x80) {
        bytes = Buffer.from(key, 'utf8');
        break;
      }
      hash = fnvStep(hash, c);
    }
    if (!isPlainKeyString(key, layout)) return undefined;
    if (bytes !== null) {
      hash = FNV_OFFSET;
      for (let k = 0; k < bytes.length; k++) hash = fnvStep(hash, bytes[k]!);
    }
    const { slots, hashes, pos } = this;
    const mask = slots.length - 1;
    for (let s = hash & mask, e = slots[s]!; e !== 0; s = (s + 1) & mask, e = slots[s]!) {
      const id = e - 1;
      if (hashes[id] !== hash) continue;
      const at = pos === null ? id : pos[id]!;
      if (at < 0) continue;
      const ks = starts[at]! + layout.offset;
      if (bytes === null ? sameAscii(raw, ks, key, layout) : sameUtf8(raw, ks, bytes, layout)) {
        return at;
      }
    }
    return undefined;
  }

  /**
   * The index of a successor base: `oldToNew` maps this base's entry indexes to the successor's
   * (-1: gone), `added` lists the successor's new names with their entry index. The successor's
   * entries that continue this base's must hold the same bytes for their names (the caller checks
   * every name it read was plain). Null when the successor should build its own: a new name is not
   * plain, or too much changed since the table was built (dead slots slow every probe).
   */
  successor(
    oldToNew: Int32Array,
    added: readonly [string, number][],
    layout: EntryKeyLayout,
  ): PlainKeyIndex | null {
    const { ids, pos } = this;
    let gone = 0;
    const next = new Int32Array(ids + added.length);
    for (let id = 0; id < ids; id++) {
      const at = pos === null ? id : pos[id]!;
      const to = at < 0 ? -1 : oldToNew[at]!;
      next[id] = to;
      if (to < 0) gone++;
    }
    if (gone + added.length > (ids >> 2) + 64) return null;
    if (added.length === 0) return new PlainKeyIndex(this.slots, this.hashes, next, ids, gone);
    if ((ids + added.length) * 2 > this.slots.length) return null;
    const slots = this.slots.slice();
    const hashes = new Int32Array(ids + added.length);
    hashes.set(this.hashes.subarray(0, ids));
    const mask = slots.length - 1;
    for (let a = 0; a < added.length; a++) {
      const [key, at] = added[a]!;
      if (!isPlainKeyString(key, layout)) return null;
      const bytes = Buffer.from(key, 'utf8');
      let hash = FNV_OFFSET;
      for (let k = 0; k < bytes.length; k++) hash = fnvStep(hash, bytes[k]!);
      const id = ids + a;
      hashes[id] = hash;
      next[id] = at;
      let s = hash & mask;
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = id + 1;
    }
    return new PlainKeyIndex(slots, hashes, next, ids + added.length, gone);
  }
}

/** Room for growth: a power of two at least 2 × (n + n / 4 + 64), so successors can add. */
function capacityFor(n: number): number {
  let cap = 16;
  const want = 2 * (n + (n >> 2) + 64);
  while (cap < want) cap *= 2;
  return cap;
}

function sameBytes(raw: Uint8Array, a: number, b: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (raw[a + k] !== raw[b + k]) return false;
  return true;
}

function sameAscii(raw: Uint8Array, ks: number, key: string, layout: EntryKeyLayout): boolean {
  const len = key.length;
  if (ks + len >= raw.length || raw[ks + len] !== layout.terminator) return false;
  for (let k = 0; k < len; k++) if (raw[ks + k] !== key.charCodeAt(k)) return false;
  return true;
}

function sameUtf8(raw: Uint8Array, ks: number, bytes: Uint8Array, layout: EntryKeyLayout): boolean {
  const len = bytes.length;
  if (ks + len >= raw.length || raw[ks + len] !== layout.terminator) return false;
  for (let k = 0; k < len; k++) if (raw[ks + k] !== bytes[k]) return false;
  return true;
}

/** `raw[start .. end)` is valid UTF-8 without U+FFFD. */
function isPlainUtf8(raw: Uint8Array, start: number, end: number): boolean {
  const text = Buffer.from(raw.buffer, raw.byteOffset + start, end - start);
  const s = text.toString('utf8');
  return !s.includes('\ufffd') && Buffer.byteLength(s) === end - start;
}
