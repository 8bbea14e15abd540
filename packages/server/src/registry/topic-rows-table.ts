/**
 * A broker's last registered topic table as the registry owner keeps it: the rows the decode
 * thread sent (names as UTF-8 bytes, four numbers per topic: typed arrays, nothing for the GC to
 * trace), edited by position as deltas arrive, and read through TopicRowsTable, a Map view that
 * makes a row's name a string and its TopicConfig only when it is read.
 *
 * Before, the owner rebuilt each new broker's table as a Map of TopicConfig objects keyed by
 * interned name strings: about 5 of the 15 ms a new broker of 10,000 topics cost the owner
 * (in-process, warm), plus ~110 heap bytes per (topic, broker) for as long as the broker stayed
 * registered, and a Map rebuild for every re-registration that added or moved a topic (20 ms of
 * owner time at 50,000 topics). The decode thread knows where each change sits among the body's
 * entries (RegisterBodyPositions), and its entries are the rows' one for one (a base is only kept
 * for a body whose entries are its table's, in order), so the owner applies a delta by position
 * and checks each edited row's name bytes against the change's: rows that do not line up are
 * never edited, the registration is decoded again in full instead ('resend').
 */
import type { TopicConfig } from '@ns/protocol';
import { rowAt, topicNames } from '../serving/decode/decoded-registration.js';
import type { TopicRows } from '../serving/decode/decoded-registration.js';

/** Rows handled between two questions to `pause`. */
const PAUSE_CHECK_EVERY = 4096;

/** Row i's name bytes: [start, end) of rows.nameBytes. */
function nameStart(rows: TopicRows, i: number): number {
  return i === 0 ? 0 : rows.nameEnds[i - 1]!;
}

function sameName(a: TopicRows, i: number, b: TopicRows, j: number): boolean {
  const as = nameStart(a, i);
  const ae = a.nameEnds[i]!;
  const bs = nameStart(b, j);
  const be = b.nameEnds[j]!;
  if (ae - as !== be - bs) return false;
  const x = a.nameBytes;
  const y = b.nameBytes;
  for (let k = 0; k < ae - as; k++) if (x[as + k] !== y[bs + k]) return false;
  return true;
}

/** The positional part of a delta (see RegisterBodyPositions) with its changed rows. */
export interface RowsDelta {
  /** Changed or new topics, in body order. */
  readonly upserts: TopicRows;
  /** The new entry index of each upsert. */
  readonly upsertAt: Int32Array;
  /** New entry i continues old row continues[i] (-1: a new topic); null: the same rows. */
  readonly continues: Int32Array | null;
}

/**
 * The rows after `delta`, built in steps (a new array set; `old` is left as it is: a registration
 * still reading it is not disturbed). Null when the delta does not line up with `old`: an upsert
 * of a continued row names another topic, a new entry has no upsert, or the counts disagree.
 */
export function* nextRowsInSteps(
  old: TopicRows,
  delta: RowsDelta,
  pause: () => boolean,
): Generator<void, TopicRows | null, void> {
  const { upserts, upsertAt, continues } = delta;
  if (upsertAt.length !== upserts.count) return null;
  const count = continues === null ? old.count : continues.length;
  // Which upsert each new entry takes (-1: none).
  const fromUpsert = new Int32Array(count).fill(-1);
  for (let u = 0; u < upsertAt.length; u++) {
    if (u % PAUSE_CHECK_EVERY === PAUSE_CHECK_EVERY - 1 && pause()) yield;
    const i = upsertAt[u]!;
    if (i < 0 || i >= count || fromUpsert[i] !== -1) return null;
    fromUpsert[i] = u;
    const j = continues === null ? i : continues[i]!;
    // A continued row keeps its name: the change must name it too.
    if (j >= 0 && (j >= old.count || !sameName(old, j, upserts, u))) return null;
  }
  if (continues === null) {
    // Same rows, same names: only numbers change (names shared with the old rows).
    const nums = old.nums.slice();
    const from = upserts.nums;
    for (let u = 0; u < upsertAt.length; u++) {
      const at = 4 * upsertAt[u]!;
      for (let k = 0; k < 4; k++) nums[at + k] = from[4 * u + k]!;
    }
    return { count, nameBytes: old.nameBytes, nameEnds: old.nameEnds, nums };
  }
  // New order: each row's bytes and numbers from its old row or its upsert.
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    if (i % PAUSE_CHECK_EVERY === PAUSE_CHECK_EVERY - 1 && pause()) yield;
    const u = fromUpsert[i]!;
    const j = continues[i]!;
    if (u >= 0) bytes += upserts.nameEnds[u]! - nameStart(upserts, u);
    else if (j >= 0 && j < old.count) bytes += old.nameEnds[j]! - nameStart(old, j);
    else return null;
  }
  const nameBytes = new Uint8Array(bytes);
  const nameEnds = new Int32Array(count);
  const nums = new Int32Array(4 * count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (i % PAUSE_CHECK_EVERY === PAUSE_CHECK_EVERY - 1 && pause()) yield;
    const u = fromUpsert[i]!;
    const src = u >= 0 ? upserts : old;
    const r = u >= 0 ? u : continues[i]!;
    // Names are tens of bytes: a loop beats a native copy's call and subarray per row.
    const from = src.nameBytes;
    for (let k = nameStart(src, r), e = src.nameEnds[r]!; k < e; k++) nameBytes[at++] = from[k]!;
    nameEnds[i] = at;
    const n = src.nums;
    for (let k = 0; k < 4; k++) nums[4 * i + k] = n[4 * r + k]!;
  }
  return { count, nameBytes, nameEnds, nums };
}

/**
 * A read-only Map view of rows (what RouteInfoManager reads a registration's table through):
 * iterating makes each row's name and TopicConfig as it goes, so a registration worked through in
 * slices pays for each topic in the slice that applies it. `get` and `has` need a name index,
 * built on first use (`prepareInSteps` builds it in steps beforehand).
 */
export class TopicRowsTable implements ReadonlyMap<string, TopicConfig> {
  private index: Map<string, number> | null = null;

  /**
   * @param keys the table's keys, row by row, when one differs from its row's topicName (a body
   *   as a 4.x broker may send it); by default each row's key is its name.
   */
  constructor(
    readonly rows: TopicRows,
    private readonly keys_?: readonly string[],
  ) {}

  /** Row i's key and its name (the TopicConfig's topicName). */
  private namer(): {
    readonly keyAt: (i: number) => string;
    readonly nameAt: (i: number) => string;
  } {
    const { nameAt } = topicNames(this.rows);
    const keys = this.keys_;
    return { keyAt: keys === undefined ? nameAt : (i) => keys[i]!, nameAt };
  }

  get size(): number {
    return this.rows.count;
  }

  /** Builds the name index in steps, so that `get`/`has` do not build it in one go. */
  *prepareInSteps(pause: () => boolean): Generator<void, void, void> {
    if (this.index !== null) return;
    const index = new Map<string, number>();
    const { keyAt } = this.namer();
    for (let i = 0; i < this.rows.count; i++) {
      if (i % PAUSE_CHECK_EVERY === PAUSE_CHECK_EVERY - 1 && pause()) yield;
      index.set(keyAt(i), i);
    }
    this.index = index;
  }

  private indexOf(key: string): number | undefined {
    if (this.index === null) {
      const steps = this.prepareInSteps(() => false);
      while (steps.next().done !== true);
    }
    return this.index!.get(key);
  }

  get(key: string): TopicConfig | undefined {
    const i = this.indexOf(key);
    return i === undefined ? undefined : rowAt(this.rows, i, this.namer().nameAt(i));
  }

  has(key: string): boolean {
    return this.indexOf(key) !== undefined;
  }

  *entries(): MapIterator<[string, TopicConfig]> {
    const { keyAt, nameAt } = this.namer();
    for (let i = 0; i < this.rows.count; i++) {
      const name = nameAt(i);
      yield [this.keys_ === undefined ? name : keyAt(i), rowAt(this.rows, i, name)];
    }
  }

  *keys(): MapIterator<string> {
    const { keyAt } = this.namer();
    for (let i = 0; i < this.rows.count; i++) yield keyAt(i);
  }

  *values(): MapIterator<TopicConfig> {
    const { nameAt } = topicNames(this.rows);
    for (let i = 0; i < this.rows.count; i++) yield rowAt(this.rows, i, nameAt(i));
  }

  [Symbol.iterator](): MapIterator<[string, TopicConfig]> {
    return this.entries();
  }

  forEach(
    callback: (value: TopicConfig, key: string, map: ReadonlyMap<string, TopicConfig>) => void,
    thisArg?: unknown,
  ): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }
}
