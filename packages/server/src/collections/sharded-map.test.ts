import { describe, expect, it } from 'vitest';
import { ShardedMap } from './sharded-map.js';

describe('ShardedMap', () => {
  it('answers as a Map does under random sets, deletes and clears', () => {
    const sharded = new ShardedMap<number>();
    const map = new Map<string, number>();
    let seed = 7;
    const rand = (k: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % k;
    };
    // Keys that differ anywhere: at the end (topic-000123), only at the front, empty, one char.
    const keyOf = (i: number): string =>
      i % 5 === 0
        ? `${i}-same-tail-for-many`
        : i % 7 === 0
          ? String.fromCharCode(97 + (i % 26))
          : `topic-${String(i).padStart(6, '0')}`;
    for (let step = 0; step < 20_000; step++) {
      const key = rand(100) === 0 ? '' : keyOf(rand(3000));
      const op = rand(10);
      if (op < 6) {
        expect(sharded.set(key, step)).toBe(sharded);
        map.set(key, step);
      } else if (op < 9) {
        expect(sharded.delete(key)).toBe(map.delete(key));
      } else if (rand(200) === 0) {
        sharded.clear();
        map.clear();
      }
      expect(sharded.get(key)).toBe(map.get(key));
      expect(sharded.has(key)).toBe(map.has(key));
      expect(sharded.size).toBe(map.size);
    }
    expect(new Map([...sharded])).toEqual(map);
  });

  it('spreads topic names over every shard, wherever in the name they differ', () => {
    const patterns = [
      (i: number) => `bench-c0-g0-topic-${String(i).padStart(6, '0')}`,
      (i: number) => `svc${i}_TOPIC`,
      (i: number) => `tenant-${i}.orders`,
      (i: number) => `${i}`,
    ];
    for (const name of patterns) {
      const sharded = new ShardedMap<true>();
      for (let i = 0; i < 16_000; i++) sharded.set(name(i), true);
      const shards = (sharded as unknown as { shards: Map<string, true>[] }).shards;
      // About 1,000 each; none holding more than twice its share.
      for (const shard of shards) {
        expect(shard.size, name(0)).toBeGreaterThan(500);
        expect(shard.size, name(0)).toBeLessThan(2000);
      }
    }
  });
});
