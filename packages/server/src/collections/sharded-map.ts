/**
 * A Map split over SHARDS smaller Maps by a cheap hash of the key's last characters.
 *
 * Why: a V8 Map grows by rehashing every entry into a table twice the size, in one go, and
 * shrinks the same way once a quarter full. At tens of thousands of entries that is one stall of
 * the event loop: 6.5 / 11 / 33 ms at 131,072 / 262,144 / 524,288 entries on the 2-core VM, and a
 * profiled registration of 50,000 new topics showed a 17.5 ms gap spent in one `Map#set` of the
 * route digest's per-topic table (issue 11: no serving loop blocked more than 5 ms). Split in
 * 16, each part grows at a sixteenth of the size, a sixteenth of the stall.
 *
 * The price is the shard pick on every access (a few character reads) and iteration shard by
 * shard (not in insertion order): for tables read in the background or sorted afterwards, not for
 * the lookup path's hottest Maps.
 */

const SHARDS = 16;
/** Characters from the end of the key that pick its shard. */
const TAIL = 6;

/** Shard of `key`: FNV-1a over its length and last TAIL characters (topic names differ there). */
function shardOf(key: string): number {
  const n = key.length;
  let h = (0x811c9dc5 ^ n) >>> 0;
  for (let i = n > TAIL ? n - TAIL : 0; i < n; i++)
    h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h ^ (h >>> 16)) & (SHARDS - 1);
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
