/**
 * A Map with string keys, split over SHARD_COUNT Maps by a hash of the key.
 *
 * A V8 Map grows by rehashing every entry at once when it is full: one `set` that takes a table of
 * topics past 131,072 entries holds the event loop 4–6 ms, past 262,144 13 ms, past 524,288 25 ms
 * (2-core VM, `node` 20). The route tables, the encoded-route cache and the digest keep one entry
 * per topic, and a node with a few hundred thousand topics crossed those sizes inside a slice of
 * a registration (or a lookup of a topic not cached yet). Split 64 ways, each Map grows 64 times
 * smaller: no rehash of one costs more than a fraction of a millisecond below a few million topics.
 *
 * Iteration goes shard by shard, each in insertion order: not the insertion order of the whole
 * (nothing that uses it depends on that). Live like a Map's: an entry added to a shard not yet
 * walked is seen, one deleted before it is reached is not.
 */

const SHARD_BITS = 6;
export const SHARD_COUNT = 1 << SHARD_BITS;

export class ShardedMap<V> implements Iterable<[string, V]> {
  private readonly shards: Map<string, V>[] = [];
  private count = 0;

  constructor(entries?: Iterable<readonly [string, V]>) {
    for (let i = 0; i < SHARD_COUNT; i++) this.shards.push(new Map());
    if (entries !== undefined) for (const [k, v] of entries) this.set(k, v);
  }

  get size(): number {
    return this.count;
  }

  get(key: string): V | undefined {
    return this.shards[shardOf(key)]!.get(key);
  }

  has(key: string): boolean {
    return this.shards[shardOf(key)]!.has(key);
  }

  set(key: string, value: V): this {
    const shard = this.shards[shardOf(key)]!;
    const before = shard.size;
    shard.set(key, value);
    this.count += shard.size - before;
    return this;
  }

  delete(key: string): boolean {
    if (!this.shards[shardOf(key)]!.delete(key)) return false;
    this.count--;
    return true;
  }

  clear(): void {
    for (const shard of this.shards) shard.clear();
    this.count = 0;
  }

  *entries(): IterableIterator<[string, V]> {
    for (const shard of this.shards) yield* shard;
  }

  *keys(): IterableIterator<string> {
    for (const shard of this.shards) yield* shard.keys();
  }

  *values(): IterableIterator<V> {
    for (const shard of this.shards) yield* shard.values();
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }

  /** The largest shard's size (tests: the keys spread). */
  largestShard(): number {
    let max = 0;
    for (const shard of this.shards) max = Math.max(max, shard.size);
    return max;
  }
}

/**
 * The shard of a key: FNV-1a over every character of a name up to 32 characters long (topic names
 * differ anywhere: `orders-00017`, `app-17-orders-east`, `%RETRY%group_17`), and over its length,
 * 16 characters spread over the rest and its last 8 for a longer one, so that a lookup costs at
 * most a few dozen multiplications.
 */
export function shardOf(key: string): number {
  const n = key.length;
  let h = Math.imul(0x811c9dc5 ^ n, 0x01000193);
  if (n <= 32) {
    for (let i = 0; i < n; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  } else {
    const rest = n - 8;
    for (let k = 0; k < 16; k++) {
      h = Math.imul(h ^ key.charCodeAt(((k * rest) / 16) | 0), 0x01000193);
    }
    for (let i = rest; i < n; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  }
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return (h >>> 0) & (SHARD_COUNT - 1);
}
