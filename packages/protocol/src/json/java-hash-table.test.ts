import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  JavaHashTable,
  javaConcurrentHashMapPutAllTableSize,
  javaConcurrentHashMapTableSize,
  javaHashTableOrder,
} from './java-hash-table.js';
import { javaIntegerHashCode, javaStringHashCode, javaStringHashOrder } from './java-hash-order.js';

// Small non-negative ints are their own spread hash, so their buckets are easy to reason about.
const intTable = (kind: 'HashMap' | 'ConcurrentHashMap', capacity = 16) =>
  new JavaHashTable<number>(kind, javaIntegerHashCode, capacity);

describe('JavaHashTable', () => {
  it('HashMap kind agrees with javaStringHashOrder for any insertion order', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ maxLength: 12 }), { maxLength: 200 }), (keys) => {
        expect(javaHashTableOrder('HashMap', keys, javaStringHashCode)).toEqual(
          javaStringHashOrder(keys),
        );
      }),
    );
  });

  it('ConcurrentHashMap grows at size >= 0.75n and reverses the nodes before the last run', () => {
    const t = intTable('ConcurrentHashMap');
    // Bucket 0 of 16 holds 0, 16, 32, 48 (in that order); 1..7 fill the table up to 11 keys.
    for (const k of [0, 16, 32, 48, 1, 2, 3, 4, 5, 6, 7]) t.add(k);
    expect(t.capacity).toBe(16);
    expect(t.keys().slice(0, 4)).toEqual([0, 16, 32, 48]);
    t.add(8); // 12 keys: transfer to 32 buckets
    expect(t.capacity).toBe(32);
    // Bit 16 of 0, 16, 32, 48 is 0, 1, 0, 1: the last run is [48]; 0, 16, 32 are pushed in front.
    const keys = t.keys();
    expect(keys.filter((k) => k % 16 === 0)).toEqual([32, 0, 16, 48]);
    // HashMap grows one key later and keeps each half's order.
    const hashMap = intTable('HashMap');
    for (const k of [0, 16, 32, 48, 1, 2, 3, 4, 5, 6, 7, 8, 9]) hashMap.add(k);
    expect(hashMap.capacity).toBe(32);
    expect(hashMap.keys().filter((k) => k % 16 === 0)).toEqual([0, 32, 16, 48]);
  });

  it('HashMap grows only when size exceeds 0.75n', () => {
    const t = intTable('HashMap');
    for (let k = 0; k < 12; k++) t.add(k);
    expect(t.capacity).toBe(16);
    t.add(12);
    expect(t.capacity).toBe(32);
  });

  it('removals unlink without shrinking; a re-added key goes to the tail of its chain', () => {
    const t = intTable('ConcurrentHashMap');
    for (const k of [0, 16, 32]) t.add(k);
    expect(t.delete(0)).toBe(true);
    expect(t.delete(0)).toBe(false);
    t.add(0);
    expect(t.keys()).toEqual([16, 32, 0]);
    expect(t.size).toBe(3);
    expect(t.has(16)).toBe(true);
    t.add(16); // already present: nothing moves
    expect(t.keys()).toEqual([16, 32, 0]);
  });

  it('rejects a capacity that is not a power of two', () => {
    expect(() => intTable('HashMap', 12)).toThrow(RangeError);
  });
});

/**
 * A deliberately plain model of both tables (an array of chains, chains as arrays), written
 * straight from the JDK sources, to check the compact implementation against.
 */
function referenceOrder<K>(
  kind: 'HashMap' | 'ConcurrentHashMap',
  hashCode: (key: K) => number,
  ops: readonly (readonly [op: 'add' | 'delete', key: K])[],
): { keys: K[]; capacity: number } {
  const spread = (k: K) => {
    const h = hashCode(k);
    return h ^ (h >>> 16);
  };
  let bins: K[][] = Array.from({ length: 16 }, () => []);
  let size = 0;
  const grow = () => {
    const n = bins.length;
    const next: K[][] = Array.from({ length: n * 2 }, () => []);
    bins.forEach((chain, i) => {
      if (chain.length === 0) return;
      if (kind === 'HashMap') {
        for (const k of chain) next[(spread(k) & n) === 0 ? i : i + n]!.push(k);
        return;
      }
      let runBit = spread(chain[0]!) & n;
      let lastRun = 0;
      chain.forEach((k, j) => {
        if ((spread(k) & n) !== runBit) {
          runBit = spread(k) & n;
          lastRun = j;
        }
      });
      const low = runBit === 0 ? chain.slice(lastRun) : [];
      const high = runBit === 0 ? [] : chain.slice(lastRun);
      for (const k of chain.slice(0, lastRun)) ((spread(k) & n) === 0 ? low : high).unshift(k);
      next[i] = low;
      next[i + n] = high;
    });
    bins = next;
  };
  for (const [op, key] of ops) {
    const chain = bins[spread(key) & (bins.length - 1)]!;
    const at = chain.indexOf(key);
    if (op === 'delete') {
      if (at >= 0) {
        chain.splice(at, 1);
        size--;
      }
      continue;
    }
    if (at >= 0) continue;
    chain.push(key);
    size++;
    if (kind === 'HashMap' ? size > bins.length * 0.75 : size >= bins.length * 0.75) grow();
  }
  return { keys: bins.flat(), capacity: bins.length };
}

describe('JavaHashTable against a plain model of the JDK tables', () => {
  type Op<K> = readonly ['add' | 'delete' | 'has' | 'keys', K];
  /**
   * Runs `ops` on the table and on the model. 'has' and 'keys' are looked at as they come (the
   * model replayed up to there), so reads in the middle of a growth being spread out are checked
   * too, and a 'keys' (which finishes such a growth) can come anywhere.
   */
  function check<K>(
    kind: 'HashMap' | 'ConcurrentHashMap',
    hashCode: (key: K) => number,
    ops: readonly Op<K>[],
  ): void {
    const t = new JavaHashTable<K>(kind, hashCode);
    const edits: (readonly ['add' | 'delete', K])[] = [];
    for (const [o, k] of ops) {
      if (o === 'add' || o === 'delete') {
        if (o === 'add') t.add(k);
        else t.delete(k);
        edits.push([o, k]);
        continue;
      }
      const model = referenceOrder(kind, hashCode, edits);
      if (o === 'has') expect(t.has(k)).toBe(model.keys.includes(k));
      else expect(t.keys()).toEqual(model.keys);
    }
    const expected = referenceOrder(kind, hashCode, edits);
    expect(t.keys()).toEqual(expected.keys);
    expect(t.capacity).toBe(expected.capacity);
    expect(t.size).toBe(expected.keys.length);
  }
  const opOf = <K>(key: fc.Arbitrary<K>) =>
    fc.tuple(
      fc.constantFrom(
        'add' as const,
        'add' as const,
        'add' as const,
        'delete' as const,
        'has' as const,
        'has' as const,
        'keys' as const,
      ),
      key,
    );

  it('a large growth is spread over the edits after it: reads and the order are right throughout', () => {
    for (const kind of ['HashMap', 'ConcurrentHashMap'] as const) {
      const ops: Op<string>[] = [];
      for (let i = 0; i < 3_000; i++) {
        ops.push(['add', `topic-${i}`]);
        if (i % 7 === 0) ops.push(['delete', `topic-${i >> 1}`]);
        if (i % 5 === 0) ops.push(['has', `topic-${(i * 13) % 3_000}`]);
        if (i % 997 === 0) ops.push(['keys', '']);
      }
      check(kind, javaStringHashCode, ops);
    }
  });

  it.each(['HashMap', 'ConcurrentHashMap'] as const)(
    '%s: adds and deletes of int keys crowding a few chains',
    (kind) => {
      // Integer.hashCode is the value: multiples of 16 (plus one) share a chain of the first
      // table and split unevenly at each growth, so chain prefixes get reversed.
      const crowded = fc.oneof(
        fc.nat(15).map((i) => i * 16),
        fc.nat(15).map((i) => i * 16 + 1),
      );
      fc.assert(
        fc.property(fc.array(opOf(crowded), { minLength: 40, maxLength: 200 }), (ops) =>
          check(kind, javaIntegerHashCode, ops),
        ),
        { numRuns: 200 },
      );
    },
  );

  it.each(['HashMap', 'ConcurrentHashMap'] as const)(
    '%s: adds and deletes of distinct strings with one hash code (the key compared, not only the hash)',
    (kind) => {
      // "Aa" and "BB" have the same String.hashCode, so every 4-block word of them does too: 16
      // keys in one chain, told apart by the key alone.
      const sameHash = fc
        .array(fc.constantFrom('Aa', 'BB'), { minLength: 4, maxLength: 4 })
        .map((blocks) => blocks.join(''));
      expect(new Set(['AaAaAaAa', 'BBBBBBBB', 'AaBBAaBB'].map(javaStringHashCode)).size).toBe(1);
      fc.assert(
        fc.property(fc.array(opOf(sameHash), { minLength: 20, maxLength: 120 }), (ops) =>
          check(kind, javaStringHashCode, ops),
        ),
        { numRuns: 200 },
      );
    },
  );

  it.each(['HashMap', 'ConcurrentHashMap'] as const)(
    '%s: adds and deletes of short strings',
    (kind) => {
      fc.assert(
        fc.property(
          fc.array(opOf(fc.string({ maxLength: 3 })), { minLength: 40, maxLength: 400 }),
          (ops) => check(kind, javaStringHashCode, ops),
        ),
        { numRuns: 200 },
      );
    },
  );
});

describe('ConcurrentHashMap sizing (JDK 17)', () => {
  it('constructor table sizes of the NameServer and broker tables', () => {
    expect(javaConcurrentHashMapTableSize(1024)).toBe(2048);
    expect(javaConcurrentHashMapTableSize(128)).toBe(256);
    expect(javaConcurrentHashMapTableSize(32)).toBe(64);
    expect(javaConcurrentHashMapTableSize(13)).toBe(32);
  });

  it('putAll presizes past the constructor size (13 topics: 64 buckets, the 5.3.3 fixture)', () => {
    expect(javaConcurrentHashMapPutAllTableSize(13, 13)).toBe(64);
    expect(javaConcurrentHashMapPutAllTableSize(8, 8)).toBe(32);
    expect(javaConcurrentHashMapPutAllTableSize(13)).toBe(64);
    expect(javaConcurrentHashMapPutAllTableSize(1)).toBe(2);
  });
});

describe('5.3.3 topic list order (fixture get-all-topic-list-two-masters)', () => {
  it('a ConcurrentHashMap key set filled from the 2048-bucket topic table', () => {
    // broker-a registered first, then broker-b; no two of these share a 2048-bucket chain, so the
    // table order is the plain hash order. The set grows 16 → 32 at the 12th topic.
    const topics = [
      'RMQ_SYS_TRANS_HALF_TOPIC',
      'BenchmarkTest',
      'OFFSET_MOVED_EVENT',
      'TBW102',
      'rmq_sys_REVIVE_LOG_DefaultCluster',
      'SELF_TEST_TOPIC',
      'DefaultCluster',
      'SCHEDULE_TOPIC_XXXX',
      'DefaultCluster_REPLY_TOPIC',
      'rmq_sys_wheel_timer',
      'rmq_sys_SYNC_BROKER_MEMBER_broker-a',
      'RMQ_SYS_TRANS_OP_HALF_TOPIC',
      'broker-a',
      'rmq_sys_SYNC_BROKER_MEMBER_broker-b',
      'broker-b',
    ];
    const table = javaHashTableOrder(
      'ConcurrentHashMap',
      topics,
      javaStringHashCode,
      javaConcurrentHashMapTableSize(1024),
    );
    const set = javaHashTableOrder('ConcurrentHashMap', table, javaStringHashCode);
    expect(set.slice(8, 12)).toEqual([
      'DefaultCluster_REPLY_TOPIC',
      'rmq_sys_wheel_timer',
      'rmq_sys_SYNC_BROKER_MEMBER_broker-b',
      'rmq_sys_SYNC_BROKER_MEMBER_broker-a',
    ]);
    // 4.9: a HashMap(1024) table and a HashSet (which keeps each chain's order when it grows)
    // give the order issue 15 saw from nameserver-ts before the 5.x line existed.
    const table49 = javaStringHashOrder(topics, { capacity: 1024 });
    expect(javaStringHashOrder(table49).slice(8, 12)).toEqual([
      'DefaultCluster_REPLY_TOPIC',
      'rmq_sys_SYNC_BROKER_MEMBER_broker-b',
      'rmq_sys_wheel_timer',
      'rmq_sys_SYNC_BROKER_MEMBER_broker-a',
    ]);
  });
});
