import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SHARD_COUNT, ShardedMap, shardOf } from './sharded-map.js';

describe('ShardedMap', () => {
  it('behaves like a Map of the same operations (order aside)', () => {
    const op = fc.oneof(
      fc.tuple(fc.constant('set' as const), fc.string({ maxLength: 12 }), fc.integer()),
      fc.tuple(fc.constant('delete' as const), fc.string({ maxLength: 12 }), fc.constant(0)),
      fc.tuple(fc.constant('clear' as const), fc.constant(''), fc.constant(0)),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const map = new Map<string, number>();
        const sharded = new ShardedMap<number>();
        for (const [kind, key, value] of ops) {
          if (kind === 'set') {
            map.set(key, value);
            sharded.set(key, value);
          } else if (kind === 'delete') {
            expect(sharded.delete(key)).toBe(map.delete(key));
          } else {
            map.clear();
            sharded.clear();
          }
          expect(sharded.size).toBe(map.size);
          expect(sharded.has(key)).toBe(map.has(key));
          expect(sharded.get(key)).toBe(map.get(key));
        }
        const byKey = (a: [string, number], b: [string, number]) => (a[0] < b[0] ? -1 : 1);
        expect([...sharded].sort(byKey)).toEqual([...map].sort(byKey));
        expect([...sharded.keys()].sort()).toEqual([...map.keys()].sort());
        expect([...sharded.values()].sort()).toEqual([...map.values()].sort());
      }),
    );
  });

  it.each([
    ['numbered at the end', (i: number) => `TopicTest-${String(i).padStart(6, '0')}`],
    ['numbered in the middle', (i: number) => `app-${i}-orders-east`],
    ['retry topics of groups', (i: number) => `%RETRY%consumer_group_${i}`],
    ['short', (i: number) => i.toString(36)],
    [
      'long, numbered in the middle',
      (i: number) => `region-east-app-${i}-orders-topic-for-billing`,
    ],
  ])('spreads topic names %s over the shards', (_, name) => {
    const map = new ShardedMap<number>();
    const n = 100_000;
    for (let i = 0; i < n; i++) map.set(name(i), i);
    // An even spread would be n / 64 = 1,563 per shard: none holds more than 3 times that.
    expect(map.largestShard()).toBeLessThan((3 * n) / SHARD_COUNT);
  });

  it('shardOf is a shard index for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        const shard = shardOf(s);
        expect(Number.isInteger(shard) && shard >= 0 && shard < SHARD_COUNT).toBe(true);
      }),
    );
  });
});
