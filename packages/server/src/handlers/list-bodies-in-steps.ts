/**
 * The large list bodies of the remoting reads, built as sliced work (slices/slice-queue.ts): the
 * topic lists (GET_ALL_TOPIC_LIST_FROM_NAMESERVER, GET_TOPICS_BY_CLUSTER, the unit lists) and a KV
 * namespace (GET_KVLIST_BY_NAMESPACE).
 *
 * Built in one go, they held the event loop that answers route lookups after every change of what
 * they list: ordering 80,000 topic names as Java's table iterates them and writing them as JSON
 * took 20–70 ms on the 2-core VM, a KV namespace of 20,000 keys 8–15 ms. Here every part yields
 * every STEP items, or sooner after STEP_CHARS characters of long keys or values (2,000 values of
 * 30 KB held the loop 1.2 s in one step of 2048 entries), and the body is assembled from Buffers
 * encoded chunk by chunk, then joined a COPY_STEP_BYTES at a time.
 *
 * The bytes are exactly those of the one-go encoders (`encodeTopicList` of
 * `topicListOrderLikeJava`, `encodeKVTable` with the namespace's capacity); the tests compare them
 * over random inputs.
 */
import {
  fastjsonString,
  JavaHashTable,
  javaHashMapCapacity,
  javaHashSpread,
  javaStringHashCode,
} from '@ns/protocol';
import type { JavaLine } from '@ns/protocol';
import type { SlicedJob } from '../slices/slice-queue.js';

/** Items handled between two yields. */
const STEP = 2048;

/**
 * Lists (and namespaces) shorter than this are built in one go, as before: well under a
 * millisecond, and their answer stays synchronous.
 */
export const SLICED_FROM = 4096;

/**
 * Characters (UTF-16 code units: bytes, for ASCII) of text encoded or hashed between two yields,
 * however few items they are: a KV value can be 30 KB or more, and 2048 of them made one step of
 * 60 MB that held the event loop 1.2 s. 64 Ki characters are a fraction of a millisecond of
 * escaping and UTF-8 encoding on the 2-core VM (steps of 64 Ki measured p50 0.15 ms, of 256 Ki
 * 0.6 ms). One item is never split: a step is at most this plus the largest item.
 */
export const STEP_CHARS = 64 * 1024;

/**
 * Bytes copied between two yields when the parts of a body are joined: a fresh 60 MB Buffer took
 * 140–160 ms to fill in one go (mostly page faults), 256 KiB take about 0.2 ms.
 */
export const COPY_STEP_BYTES = 256 * 1024;

/**
 * Whether a namespace is small enough to be encoded in one go (its answer synchronous): fewer
 * than SLICED_FROM entries and, together, keys and values of fewer than STEP_CHARS characters.
 */
export function namespaceFitsOneGo(entries: ReadonlyMap<string, string | null>): boolean {
  if (entries.size >= SLICED_FROM) return false;
  let chars = 0;
  for (const [k, v] of entries) {
    chars += k.length + (v === null ? 0 : v.length);
    if (chars >= STEP_CHARS) return false;
  }
  return true;
}

/**
 * `parts` joined into one Buffer (the bytes of `Buffer.concat(parts)`), COPY_STEP_BYTES at a time.
 * A body in a single part is that part.
 */
export function* concatInSteps(parts: readonly Buffer[]): SlicedJob<Buffer> {
  if (parts.length === 1) return parts[0]!;
  let total = 0;
  for (const part of parts) total += part.length;
  if (total < COPY_STEP_BYTES) return Buffer.concat(parts, total);
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  let sinceYield = 0;
  for (const part of parts) {
    for (let from = 0; from < part.length;) {
      const n = Math.min(part.length - from, COPY_STEP_BYTES - sinceYield);
      part.copy(out, at, from, from + n);
      at += n;
      from += n;
      sinceYield += n;
      if (sinceYield >= COPY_STEP_BYTES) {
        sinceYield = 0;
        yield;
      }
    }
  }
  return out;
}

/**
 * Positions in `keys` (distinct, in insertion order) in the order a Java `HashMap` / `HashSet` of
 * `capacity` buckets iterates them: the order of protocol's `javaHashOrderBy` (bucket by bucket,
 * insertion order within one), by a counting sort whose passes yield.
 */
export function* javaStringHashOrderInSteps(
  keys: readonly string[],
  capacity: number = javaHashMapCapacity(keys.length),
): SlicedJob<Int32Array> {
  const n = keys.length;
  if (capacity <= 0 || (capacity & (capacity - 1)) !== 0) {
    throw new RangeError(`capacity must be a power of two, got ${capacity}`);
  }
  const mask = capacity - 1;
  const buckets = new Int32Array(n);
  const counts = new Int32Array(capacity + 1);
  // Hashing walks every character of a key: long keys (a KV file can hold any) yield sooner.
  let chars = 0;
  for (let i = 0; i < n; i++) {
    const key = keys[i]!;
    const b = javaHashSpread(javaStringHashCode(key)) & mask;
    buckets[i] = b;
    counts[b + 1]!++;
    chars += key.length;
    if (i % STEP === STEP - 1 || chars >= STEP_CHARS) {
      chars = 0;
      yield;
    }
  }
  // A table that once held far more keys than now has far more buckets than keys: the prefix
  // sum walks them all, so it yields too (by buckets, a cheaper unit than keys).
  for (let b = 0; b < capacity; b++) {
    counts[b + 1]! += counts[b]!;
    if (b % (16 * STEP) === 16 * STEP - 1) yield;
  }
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    order[counts[buckets[i]!]!++] = i;
    if (i % STEP === STEP - 1) yield;
  }
  return order;
}

/** Topics in the order a 5.x TopicList (a `ConcurrentHashMap` key set filled one by one) holds them. */
function* concurrentKeySetOrderInSteps(topics: readonly string[]): SlicedJob<string[]> {
  const table = new JavaHashTable<string>('ConcurrentHashMap', javaStringHashCode, 16);
  for (let i = 0; i < topics.length; i++) {
    table.add(topics[i]!);
    if (i % STEP === STEP - 1) yield;
  }
  // The table spreads its growth over the adds, so what keys() finishes is a few bins.
  return table.keys();
}

/** JSON strings of `items`, comma-separated, appended to `parts` chunk by chunk. */
function* writeStringsInSteps(
  items: readonly string[],
  parts: Buffer[],
  first: string,
): SlicedJob<void> {
  let chunk = first;
  for (let i = 0; i < items.length; i++) {
    chunk += (i === 0 ? '' : ',') + fastjsonString(items[i]!, false);
    if (i % STEP === STEP - 1) {
      parts.push(Buffer.from(chunk, 'utf8'));
      chunk = '';
      yield;
    }
  }
  parts.push(Buffer.from(chunk, 'utf8'));
}

/**
 * The TopicList body of `topics` (the registry's list, in its table order) as the Java line
 * writes it: `{"topicList":[…]}`, the names in the order of Java's `HashSet` (4.9) or
 * `ConcurrentHashMap` key set (5.x) filled from that list.
 */
export function* topicListBodyInSteps(
  line: JavaLine,
  topics: readonly string[],
): SlicedJob<Buffer> {
  const ordered =
    topics.length <= 1
      ? topics
      : line === '4.9'
        ? pick(topics, yield* javaStringHashOrderInSteps(topics))
        : yield* concurrentKeySetOrderInSteps(topics);
  const parts: Buffer[] = [];
  yield* writeStringsInSteps(ordered, parts, '{"topicList":[');
  parts.push(Buffer.from(']}', 'utf8'));
  return yield* concatInSteps(parts);
}

/** A namespace's entries as taken at one instant: keys in insertion order, values beside them. */
export interface NamespaceSnapshot {
  readonly keys: readonly string[];
  readonly values: readonly string[];
  /** Buckets of the namespace's Java `HashMap` at that instant (see namespaceTableCapacity). */
  readonly capacity: number;
  /** The namespace's stamp at that instant: what a body made from it can be kept for. */
  readonly stamp: number;
}

/** What the snapshot is taken from: the KV store's live namespace and its change stamp. */
export interface NamespaceSource {
  /** The live entries (null values are stored, and left out of the body); null: no namespace. */
  entries(): ReadonlyMap<string, string | null> | null;
  /** Changes whenever the namespace may have; null when it does not exist. */
  stamp(): number | null;
  capacity(): number;
}

/** Copies taken over a changing namespace before one is taken in one go. */
const SNAPSHOT_TRIES = 3;

/**
 * The namespace's non-null entries at one instant, copied STEP at a time: a write between two
 * steps (the stamp moved) starts the copy again, and after SNAPSHOT_TRIES such restarts the copy
 * is made in one go, so a namespace written to without pause still gets an answer. Null when the
 * namespace does not exist (any more).
 */
export function* namespaceSnapshotInSteps(
  source: NamespaceSource,
): SlicedJob<NamespaceSnapshot | null> {
  for (let attempt = 0; ; attempt++) {
    const stamp = source.stamp();
    const entries = source.entries();
    if (stamp === null || entries === null) return null;
    const capacity = source.capacity();
    const keys: string[] = [];
    const values: string[] = [];
    const inOneGo = attempt >= SNAPSHOT_TRIES;
    let seen = 0;
    let torn = false;
    for (const [k, v] of entries) {
      if (v !== null) {
        keys.push(k);
        values.push(v);
      }
      if (!inOneGo && ++seen % STEP === 0) {
        yield;
        // Iterating a Map that changed meanwhile is safe in JavaScript, but the copy would mix
        // two states of the namespace, which Java (a read lock around the copy) never answers.
        if (source.stamp() !== stamp) {
          torn = true;
          break;
        }
      }
    }
    if (!torn) return { keys, values, capacity, stamp };
  }
}

/**
 * The KVTable body of a namespace snapshot, `{"table":{"k":"v",…}}`, keys in the order of the
 * namespace's Java `HashMap` (fastjson's legacy writer, as `encodeKVTable`).
 */
export function* kvTableBodyInSteps(snapshot: NamespaceSnapshot): SlicedJob<Buffer> {
  const { keys, values } = snapshot;
  if (keys.length === 0) return Buffer.from('{"table":{}}', 'utf8');
  // As encodeKVTable: a default table grown to these entries, at least the namespace's own.
  const order = yield* javaStringHashOrderInSteps(
    keys,
    javaHashMapCapacity(keys.length, snapshot.capacity),
  );
  const parts: Buffer[] = [];
  let chunk = '{"table":{';
  for (let i = 0; i < order.length; i++) {
    const at = order[i]!;
    chunk +=
      (i === 0 ? '' : ',') +
      fastjsonString(keys[at]!, false) +
      ':' +
      fastjsonString(values[at]!, false);
    // Large values: a step ends after STEP_CHARS of JSON, however few entries that is.
    if (i % STEP === STEP - 1 || chunk.length >= STEP_CHARS) {
      parts.push(Buffer.from(chunk, 'utf8'));
      chunk = '';
      yield;
    }
  }
  parts.push(Buffer.from(chunk + '}}', 'utf8'));
  return yield* concatInSteps(parts);
}

/** `items` at `order`'s positions. */
function pick(items: readonly string[], order: Int32Array): string[] {
  const out = new Array<string>(order.length);
  for (let i = 0; i < order.length; i++) out[i] = items[order[i]!]!;
  return out;
}
