/**
 * The base of the incremental REGISTER_BROKER body decoder (register-broker-body-delta.ts): what it
 * keeps of the previous body (its bytes, where each entry lies, the names, the key index). A module
 * of its own so that the public API (which checks a base), the decode paths and the walk
 * (delta-walk.ts), which build bases, share it without an import cycle.
 */
import type { RegisterBodyBase } from './register-broker-body-delta.js';
import { JSON_KEY_LAYOUT, LINE_KEY_LAYOUT, PlainKeyIndex } from './plain-key-index.js';
import type { EntryKeyLayout } from './plain-key-index.js';
import { shareString } from '../json/shared-string.js';
import { jsonKey } from './delta-json-scan.js';
import { compressedKey } from './delta-compressed-scan.js';

// ---------------------------------------------------------------------------------------------
// The base

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
export class KeyList {
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

export class Base implements RegisterBodyBase {
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
