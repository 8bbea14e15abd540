/**
 * The large list bodies of the remoting reads, built as sliced work (slices/slice-queue.ts): the
 * topic lists (GET_ALL_TOPIC_LIST_FROM_NAMESERVER, GET_TOPICS_BY_CLUSTER, the unit lists) and a KV
 * namespace (GET_KVLIST_BY_NAMESPACE).
 *
 * Built in one go, they held the event loop that answers route lookups after every change of what
 * they list: ordering 80,000 topic names as Java's table iterates them and writing them as JSON
 * took 20–70 ms on the 2-core VM, a KV namespace of 20,000 keys 8–15 ms. Here every part yields
 * every STEP items, and the body is assembled from Buffers encoded chunk by chunk.
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
  for (let i = 0; i < n; i++) {
    const b = javaHashSpread(javaStringHashCode(keys[i]!)) & mask;
    buckets[i] = b;
    counts[b + 1]!++;
    if (i % STEP === STEP - 1) yield;
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
  return Buffer.concat(parts);
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
    if (i % STEP === STEP - 1) {
      parts.push(Buffer.from(chunk, 'utf8'));
      chunk = '';
      yield;
    }
  }
  parts.push(Buffer.from(chunk + '}}', 'utf8'));
  return Buffer.concat(parts);
}

/** `items` at `order`'s positions. */
function pick(items: readonly string[], order: Int32Array): string[] {
  const out = new Array<string>(order.length);
  for (let i = 0; i < order.length; i++) out[i] = items[order[i]!]!;
  return out;
}
