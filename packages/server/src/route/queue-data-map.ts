import { javaHashMapCapacity } from '@ns/protocol';

/**
 * One topic's QueueData by broker name, as a Map would hold them (same reads, same insertion
 * order), without a Map while it holds one entry. Most topics live on one broker name, and a Map
 * costs about 170 bytes where these three fields cost about 50: at 50,000 new topics that is 6 MB
 * less for every young-generation GC to copy while the registration runs (issue 11: those pauses
 * are most of what still stalls the event loop).
 *
 * Order: the inline entry is the first one; a second key moves both into a Map, first the inline
 * one, so iteration is exactly a Map's insertion order (replicas replay the same edits and must
 * iterate alike).
 */
export class QueueDataMap<V> implements ReadonlyMap<string, V> {
  /**
   * @param topic the topic's name, the one string the route tables keep for it: every broker
   *   name's registration brings its own copy of the name, and the tables hold this one instead.
   */
  constructor(readonly topic: string) {}

  private key: string | undefined = undefined;
  private value: V | undefined = undefined;
  private map: Map<string, V> | null = null;
  /** The most entries held at once (tracked from two on: below that no table grows). */
  private peak = 0;

  get size(): number {
    if (this.map !== null) return this.map.size;
    return this.key === undefined ? 0 : 1;
  }

  /**
   * Buckets of the `new HashMap<>()` Java keeps for this topic after the same edits: it doubles
   * whenever its size passes ¾ of them and never shrinks, so a topic that once had 13 or more
   * broker names iterates them in a larger table's order than its size alone gives.
   */
  get javaTableCapacity(): number {
    return javaHashMapCapacity(this.highWater);
  }

  /** The most entries this map has held at once. */
  get highWater(): number {
    return Math.max(this.peak, this.size);
  }

  /** Replays a high-water mark carried by a snapshot (RouteTables.exportOps). */
  raiseHighWater(size: number): void {
    if (size > this.peak) this.peak = size;
  }

  get(key: string): V | undefined {
    if (this.map !== null) return this.map.get(key);
    return key === this.key ? this.value : undefined;
  }

  has(key: string): boolean {
    if (this.map !== null) return this.map.has(key);
    return this.key !== undefined && key === this.key;
  }

  set(key: string, value: V): this {
    if (this.map !== null) {
      this.map.set(key, value);
      if (this.map.size > this.peak) this.peak = this.map.size;
    } else if (this.key === undefined || this.key === key) {
      this.key = key;
      this.value = value;
    } else {
      this.map = new Map([
        [this.key, this.value as V],
        [key, value],
      ]);
      this.key = undefined;
      this.value = undefined;
    }
    return this;
  }

  delete(key: string): boolean {
    if (this.map !== null) return this.map.delete(key);
    if (this.key === undefined || key !== this.key) return false;
    this.key = undefined;
    this.value = undefined;
    return true;
  }

  // Iterators: the Map's own, or an array's over the inline entry. Not generators: a generator
  // object per call cost 0.3-0.8 µs against ~0.02 µs for an array iterator, and these are walked
  // for every topic a route is built for or the route digest refolds (50,000 topics after a
  // large registration).

  entries(): MapIterator<[string, V]> {
    if (this.map !== null) return this.map.entries();
    return (this.key === undefined ? [] : [[this.key, this.value as V] as [string, V]]).values();
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  keys(): MapIterator<string> {
    if (this.map !== null) return this.map.keys();
    return (this.key === undefined ? [] : [this.key]).values();
  }

  values(): MapIterator<V> {
    if (this.map !== null) return this.map.values();
    return (this.key === undefined ? [] : [this.value as V]).values();
  }

  forEach(
    callback: (value: V, key: string, map: ReadonlyMap<string, V>) => void,
    thisArg?: unknown,
  ): void {
    if (this.map !== null) {
      this.map.forEach((value, key) => callback.call(thisArg, value, key, this));
    } else if (this.key !== undefined) {
      callback.call(thisArg, this.value as V, this.key, this);
    }
  }
}
