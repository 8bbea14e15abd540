/**
 * The walk of the incremental REGISTER_BROKER body decoder (register-broker-body-delta.ts): the new
 * body's entries against the base's, for both formats (runs of unchanged entries compared
 * natively, the others scanned), ending in the delta and the next base (delta-base.ts). A module of
 * its own for readability: the decode paths of both formats use it.
 */
import type { RegisterBrokerBody, TopicConfig } from './types.js';
import type {
  RegisterBodyChanges,
  RegisterBodyDecodeResult,
  RegisterBodyPositions,
} from './register-broker-body-delta.js';
import { Base } from './delta-base.js';
import { fallback } from './delta-json-scan.js';
import type { ScannedEntry } from './delta-json-scan.js';

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

export class Walker {
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
