/**
 * A Map split over SHARDS smaller Maps by a hash of the key.
 *
 * Why: a V8 Map grows by rehashing every entry into a table twice the size, in one go, and
 * shrinks the same way once a quarter full. At tens of thousands of entries that is one stall of
 * the event loop: 6.5 / 11 / 33 ms at 131,072 / 262,144 / 524,288 entries on the 2-core VM, and a
 * profiled registration of 50,000 new topics showed a 17.5 ms gap spent in one `Map#set` of the
 * route digest's per-topic table (issue 11: no serving loop blocked more than 5 ms). Split in
 * 16, each part grows at a sixteenth of the size, a sixteenth of the stall.
 *
 * The price is the shard pick on every access (a hash of the whole key: topic names differ
 * anywhere, `topic-123`, `svc123_TOPIC`, `tenant-123.orders`) and Maps that are each colder: a
 * get costs 1.5–2× a single Map's in a microbenchmark. So: for tables worked through in the
 * background, not for the lookup path's Maps. Iteration goes shard by shard, not in insertion
 * order.
 */

const SHARDS = 16;

/** Shard of `key`: FNV-1a over its characters, high bits folded down. */
function shardOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h ^ (h >>> 16) ^ (h >>> 8)) & (SHARDS - 1);
}

export class ShardedMap<V> {
  private readonly shards: Map<string, V>[] = Array.from(
    { length: SHARDS },
    () => new Map<string, V>(),
  );
  private count = 0;

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
    const deleted = this.shards[shardOf(key)]!.delete(key);
    if (deleted) this.count--;
    return deleted;
  }

  clear(): void {
    for (const shard of this.shards) shard.clear();
    this.count = 0;
  }

  /** Every entry, shard by shard (not in insertion order). */
  *[Symbol.iterator](): IterableIterator<[string, V]> {
    for (const shard of this.shards) yield* shard;
  }
}
