/**
 * Iteration order of Java's `HashMap` / `HashSet` (JDK 8+), so that maps the 4.9.7 NameServer keeps
 * in hash tables (topic lists, clusterAddrTable, brokerAddrTable, a topic's per-broker QueueData map,
 * KV namespaces, ext fields) can be written in the same order as the Java bytes.
 *
 * Model: a table of `capacity` buckets (a power of two); a key goes to bucket
 * `spread(hashCode) & (capacity - 1)` with `spread(h) = h ^ (h >>> 16)`; iteration walks the buckets
 * in index order and each bucket's chain in insertion order. Resizes split each chain into a "low"
 * and a "high" chain keeping relative order, so the within-bucket order is always insertion order,
 * and the final order depends only on (final capacity, insertion order) — not on when resizes happened.
 *
 * Not modelled: treeified buckets (a chain of ≥ 8 keys in a table of ≥ 64 buckets becomes a red-black
 * tree). TreeNodes keep their `next` links in insertion order for iteration in practice, and 8
 * colliding keys need adversarial names; we accept the divergence.
 */

/** `java.lang.String.hashCode()`: `s[0]*31^(n-1) + … + s[n-1]` over UTF-16 code units, int32. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** `java.lang.Long.hashCode(v)` = `(int)(v ^ (v >>> 32))`, for any safe integer `v`. */
export function javaLongHashCode(v: number): number {
  const hi = Math.floor(v / 4294967296) | 0;
  const lo = v >>> 0; // ToUint32 is v mod 2^32: the low word, also for negatives
  return (lo ^ hi) | 0;
}

/** `Integer.hashCode(v)` is the value itself. */
export function javaIntegerHashCode(v: number): number {
  return v | 0;
}

/** `HashMap.hash(key)`: the spread step applied before masking. */
export function javaHashSpread(h: number): number {
  return h ^ (h >>> 16);
}

const MAXIMUM_CAPACITY = 1 << 30;

/** `HashMap.tableSizeFor`: the smallest power of two ≥ `cap` (at least 1). */
export function tableSizeFor(cap: number): number {
  let n = 1;
  while (n < cap && n < MAXIMUM_CAPACITY) n *= 2;
  return n;
}

/**
 * Table capacity of a `new HashMap<>(initialCapacity)` (default 16) after its size has ever reached
 * `maxSize` (Java tables never shrink). A put resizes when the new size exceeds `0.75 * capacity`.
 */
export function javaHashMapCapacity(maxSize: number, initialCapacity = 16): number {
  let cap = tableSizeFor(initialCapacity);
  while (maxSize > cap * 0.75 && cap < MAXIMUM_CAPACITY) cap *= 2;
  return cap;
}

/**
 * Capacity of `new HashSet<>(collection)` / `new HashMap<>(map)`:
 * `tableSizeFor(max(size / .75f + 1, 16))`.
 */
export function javaHashCopyCapacity(size: number): number {
  return tableSizeFor(Math.max(Math.floor(size / 0.75) + 1, 16));
}

/**
 * `tableSizeFor(n / 0.75 + 1)`, with no 16-bucket minimum: the table `new ConcurrentHashMap<>(n)`
 * allocates on JDK 17. A `putAll` into it presizes further (`javaConcurrentHashMapPutAllTableSize`).
 */
export function javaConcurrentHashMapPresizedCapacity(size: number): number {
  return tableSizeFor(Math.floor(size / 0.75) + 1);
}

export interface JavaHashOrderOptions {
  /** Table capacity (power of two). Default: what a default HashMap holding these keys has. */
  capacity?: number;
}

/**
 * Orders `keys` (distinct, in insertion order) as a Java hash table of `capacity` buckets iterates
 * them. `hashCode` is the Java `hashCode()` of a key. Counting sort: O(n + capacity), stable.
 */
export function javaHashOrderBy<K>(
  keys: readonly K[],
  hashCode: (key: K) => number,
  options: JavaHashOrderOptions = {},
): K[] {
  const n = keys.length;
  if (n <= 1) return keys.slice();
  const capacity = options.capacity ?? javaHashMapCapacity(n);
  if (capacity <= 0 || (capacity & (capacity - 1)) !== 0) {
    throw new RangeError(`capacity must be a power of two, got ${capacity}`);
  }
  const mask = capacity - 1;
  const buckets = new Int32Array(n);
  // For small inputs in a big table, a comparison sort beats walking `capacity` counters.
  if (capacity > 4 * n + 64) {
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < n; i++) buckets[i] = javaHashSpread(hashCode(keys[i]!)) & mask;
    idx.sort((a, b) => buckets[a]! - buckets[b]! || a - b);
    return idx.map((i) => keys[i]!);
  }
  const counts = new Int32Array(capacity + 1);
  for (let i = 0; i < n; i++) {
    const b = javaHashSpread(hashCode(keys[i]!)) & mask;
    buckets[i] = b;
    counts[b + 1]!++;
  }
  for (let b = 0; b < capacity; b++) counts[b + 1]! += counts[b]!;
  const out = new Array<K>(n);
  for (let i = 0; i < n; i++) out[counts[buckets[i]!]!++] = keys[i]!;
  return out;
}

/** Iteration order of a `HashMap<String,…>` / `HashSet<String>` given the insertion order. */
export function javaStringHashOrder(
  keys: readonly string[],
  options: JavaHashOrderOptions = {},
): string[] {
  return javaHashOrderBy(keys, javaStringHashCode, options);
}

/** Iteration order of a `HashMap<Long,…>` given the insertion order. */
export function javaLongHashOrder(
  keys: readonly number[],
  options: JavaHashOrderOptions = {},
): number[] {
  return javaHashOrderBy(keys, javaLongHashCode, options);
}

/**
 * Order of a default `new HashSet<String>()` filled one by one while iterating a
 * `HashMap<String,…>` of `sourceCapacity` buckets whose keys were inserted in `keys` order. This is
 * how the 4.9.7 NameServer builds its topic lists: `topicList.addAll(topicQueueTable.keySet())`
 * with `topicQueueTable = new HashMap<>(1024)` (verified against get-all-topic-list and
 * get-topics-by-cluster).
 */
export function javaHashSetOrderFromMap(keys: readonly string[], sourceCapacity: number): string[] {
  return javaStringHashOrder(javaStringHashOrder(keys, { capacity: sourceCapacity }));
}
