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

  get size(): number {
    if (this.map !== null) return this.map.size;
    return this.key === undefined ? 0 : 1;
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

  *entries(): MapIterator<[string, V]> {
    if (this.map !== null) {
      yield* this.map.entries();
    } else if (this.key !== undefined) {
      yield [this.key, this.value as V];
    }
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  *keys(): MapIterator<string> {
    for (const [key] of this.entries()) yield key;
  }

  *values(): MapIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  forEach(
    callback: (value: V, key: string, map: ReadonlyMap<string, V>) => void,
    thisArg?: unknown,
  ): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }
}
