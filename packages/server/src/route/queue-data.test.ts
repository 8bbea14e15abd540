import { describe, expect, it } from 'vitest';
import { QueueDataPool, queueDataEquals } from './queue-data.js';

describe('QueueDataPool', () => {
  it('hands out one frozen object per broker name and numbers', () => {
    const pool = new QueueDataPool();
    const a = pool.get('broker-a', 4, 4, 6, 0);
    expect(pool.get('broker-a', 4, 4, 6, 0)).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(a).toEqual({
      brokerName: 'broker-a',
      readQueueNums: 4,
      writeQueueNums: 4,
      perm: 6,
      topicSysFlag: 0,
    });
    // Any number differing, or another broker name: another object with those values.
    for (const [name, r, w, perm, flag] of [
      ['broker-b', 4, 4, 6, 0],
      ['broker-a', 8, 4, 6, 0],
      ['broker-a', 4, 8, 6, 0],
      ['broker-a', 4, 4, 2, 0],
      ['broker-a', 4, 4, 6, 1],
    ] as const) {
      const other = pool.get(name, r, w, perm, flag);
      expect(other).not.toBe(a);
      expect(other.brokerName).toBe(name);
      expect(queueDataEquals(other, r, w, perm, flag)).toBe(true);
    }
  });

  it('numbers outside the packed range still get exact values, unshared', () => {
    const pool = new QueueDataPool();
    for (const [r, w, perm, flag] of [
      [70_000, 4, 6, 0],
      [4, -1, 6, 0],
      [4, 4, 256, 0],
      [4, 4, 6, 300],
      [2 ** 32 + 4, 4, 6, 0],
      [4.5, 4, 6, 0],
    ]) {
      const first = pool.get('b', r!, w!, perm!, flag!);
      expect(first).toEqual({
        brokerName: 'b',
        readQueueNums: r,
        writeQueueNums: w,
        perm,
        topicSysFlag: flag,
      });
      expect(pool.get('b', r!, w!, perm!, flag!)).not.toBe(first);
    }
    // No two in-range tuples share a key: the packing is exact.
    expect(pool.get('b', 1, 0, 0, 0)).not.toBe(pool.get('b', 0, 256, 0, 0));
    expect(pool.get('b', 0, 0, 1, 0)).not.toBe(pool.get('b', 0, 0, 0, 1));
    expect(pool.get('b', 0, 1, 0, 0)).not.toBe(pool.get('b', 0, 0, 255, 255));
  });

  it('keeps at most 256 per broker name, and forgets a broker name', () => {
    const pool = new QueueDataPool();
    for (let i = 0; i < 300; i++) pool.get('b', i, 1, 6, 0);
    expect(pool.get('b', 10, 1, 6, 0)).toBe(pool.get('b', 10, 1, 6, 0));
    expect(pool.get('b', 290, 1, 6, 0)).not.toBe(pool.get('b', 290, 1, 6, 0));
    const kept = pool.get('c', 4, 4, 6, 0);
    pool.forget('c');
    expect(pool.get('c', 4, 4, 6, 0)).not.toBe(kept);
  });
});
