/**
 * Java's per-topic `HashMap<brokerName, QueueData>` never shrinks: once a topic had 13 or more
 * broker names its table has 32 buckets (25 or more: 64…) for as long as the topic exists, so
 * after names leave, a route's queueDatas, its broker-name set (hence brokerDatas) and the
 * "first QueueData" of the unit-topic lists come in that larger table's order.
 *
 * The same holds for each cluster's `HashSet` of broker names (GET_BROKER_CLUSTER_INFO,
 * GET_TOPICS_BY_CLUSTER, GET_SYSTEM_TOPIC_LIST_FROM_NS).
 *
 * The expected orders are what java.util.HashMap / HashSet gave for the same puts and removes
 * (OpenJDK 17.0.15): `map.keySet()`; `new HashSet<>()` + `addAll(keySet)` (4.9.7);
 * `new HashSet<>(keySet)` (5.3.3); `map.values().iterator().next()`; for the system topic list,
 * the cluster name and then its set added to a `new HashSet<>()` (4.9.7) or
 * `ConcurrentHashMap.newKeySet()` (5.3.3).
 */
import { describe, expect, it } from 'vitest';
import { decodeClusterInfo, encodeClusterInfo, LEGACY_JSON, TopicSysFlag } from '@ns/protocol';
import type { JavaLine } from '@ns/protocol';
import { orderRouteLikeJava, systemTopicListLikeJava } from '../src/handlers/java-order.js';
import { RouteTables } from '../src/route/route-tables.js';

const range = (sign: '+' | '-', prefix: string, from: number, to: number): string[] =>
  Array.from({ length: to - from }, (_, i) => `${sign}${prefix}${from + i}`);

interface JavaCase {
  readonly ops: readonly string[];
  readonly map: string;
  readonly set49: string;
  readonly set5: string;
  readonly first: string;
}

const CASES: readonly JavaCase[] = [
  {
    // 25 names (64 buckets), 15 leave, one comes back.
    ops: [
      ...range('+', 'broker-', 0, 25),
      ...[3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 0, 1, 2, 4].map((i) => `-broker-${i}`),
      '+broker-3',
    ],
    map: 'broker-3,broker-24,broker-22,broker-20,broker-14,broker-8,broker-12,broker-6,broker-10,broker-18,broker-16',
    set49:
      'broker-24,broker-14,broker-22,broker-8,broker-12,broker-20,broker-6,broker-10,broker-3,broker-18,broker-16',
    set5: 'broker-24,broker-14,broker-22,broker-8,broker-12,broker-20,broker-6,broker-10,broker-3,broker-18,broker-16',
    first: 'broker-3',
  },
  {
    // 14 names (32 buckets), 10 leave: the map and the set (16 buckets) disagree.
    ops: [...range('+', 'broker-a-', 0, 14), ...range('-', 'broker-a-', 2, 12)],
    map: 'broker-a-13,broker-a-12,broker-a-1,broker-a-0',
    set49: 'broker-a-1,broker-a-0,broker-a-13,broker-a-12',
    set5: 'broker-a-1,broker-a-0,broker-a-13,broker-a-12',
    first: 'broker-a-13',
  },
];

function replay(line: JavaLine, ops: readonly string[], flagged: string | null): RouteTables {
  const tables = new RouteTables({ javaLine: line });
  for (const op of ops) {
    const name = op.slice(1);
    if (op.startsWith('+')) {
      tables.createGroup(name, 'C');
      tables.setBrokerAddr(name, 0, `10.0.0.${name.length}:10911`);
      tables.putQueueData('T', name, 4, 4, 6, name === flagged ? TopicSysFlag.FLAG_UNIT : 0);
    } else {
      tables.removeQueueData('T', name);
    }
  }
  return tables;
}

function javaOrdered(tables: RouteTables, line: JavaLine) {
  const route = orderRouteLikeJava(
    tables.pickupTopicRouteData('T')!,
    line,
    tables.queueDataTableCapacity('T'),
  );
  return {
    map: route.queueDatas.map((qd) => qd.brokerName).join(','),
    set: route.brokerDatas.map((bd) => bd.brokerName).join(','),
  };
}

describe('a topic whose QueueData table once held more broker names', () => {
  for (const [i, c] of CASES.entries()) {
    for (const line of ['4.9', '5.x'] as const) {
      it(`case ${i}, ${line}: queueDatas, brokerDatas and the first QueueData in Java's order`, () => {
        const tables = replay(line, c.ops, null);
        expect(tables.queueDataTableCapacity('T')).toBeGreaterThan(16);
        expect(javaOrdered(tables, line)).toEqual({
          map: c.map,
          set: line === '4.9' ? c.set49 : c.set5,
        });
        // The unit-topic lists look at the first QueueData Java iterates: flag that one alone.
        expect(replay(line, c.ops, c.first).getUnitTopics()).toEqual(['T']);
        const other = c.map.split(',').find((n) => n !== c.first)!;
        expect(replay(line, c.ops, other).getUnitTopics()).toEqual([]);
      });
    }
  }

  it('a replica started from a snapshot keeps the grown table (same capacity, same order)', () => {
    const c = CASES[0]!;
    const owner = replay('5.x', c.ops, null);
    const replica = new RouteTables({ javaLine: '5.x' });
    replica.importOps(owner.exportOps());
    expect(replica.queueDataTableCapacity('T')).toBe(owner.queueDataTableCapacity('T'));
    expect(javaOrdered(replica, '5.x')).toEqual(javaOrdered(owner, '5.x'));
    expect(javaOrdered(replica, '5.x').map).toBe(c.map);
  });

  it('a topic removed when its last broker name left starts again with a default table', () => {
    const names = range('+', 'b', 0, 13);
    const tables = replay('5.x', [...names, ...names.map((op) => `-${op.slice(1)}`)], null);
    expect(tables.pickupTopicRouteData('T')).toBeNull();
    tables.putQueueData('T', 'b1', 4, 4, 6, 0);
    expect(tables.queueDataTableCapacity('T')).toBe(16);
  });
});

describe('a cluster whose broker-name set once held more names', () => {
  // 14 names (32 buckets), 10 leave: Java lists the 4 left in the 32-bucket order.
  const JAVA_SET = 'broker-a-13,broker-a-12,broker-a-1,broker-a-0';
  const JAVA_SYSTEM_TOPICS = 'C,broker-a-1,broker-a-0,broker-a-13,broker-a-12';

  function cluster(line: JavaLine): RouteTables {
    const tables = new RouteTables({ javaLine: line });
    for (let i = 0; i < 14; i++) {
      const name = `broker-a-${i}`;
      tables.createGroup(name, 'C');
      tables.setBrokerAddr(name, 0, `10.0.0.${i}:10911`);
      tables.addClusterMember('C', name);
      tables.putQueueData(`T-${i}`, name, 4, 4, 6, 0);
    }
    for (let i = 2; i < 12; i++) {
      const name = `broker-a-${i}`;
      tables.removeQueueData(`T-${i}`, name);
      tables.deleteBrokerAddr(name, 0);
      tables.deleteGroup(name);
      tables.removeFromAllClusters(name);
    }
    return tables;
  }

  for (const line of ['4.9', '5.x'] as const) {
    it(`${line}: cluster info, topics by cluster and the system topic list in Java's order`, () => {
      const tables = cluster(line);
      expect(tables.clusterNameSetCapacity('C')).toBe(32);
      const capacity = (c: string) => tables.clusterNameSetCapacity(c);
      const info = decodeClusterInfo(
        encodeClusterInfo(tables.getAllClusterInfo(), LEGACY_JSON, line, capacity),
      );
      expect(info.clusterAddrTable.get('C')!.join(',')).toBe(JAVA_SET);
      expect(tables.getTopicsByCluster('C')).toEqual(
        JAVA_SET.split(',').map((name) => `T-${name.slice('broker-a-'.length)}`),
      );
      const system = systemTopicListLikeJava(line, tables.getAllClusterInfo(), capacity);
      expect(system.topicList.join(',')).toBe(JAVA_SYSTEM_TOPICS);
    });
  }

  it('a replica started from a snapshot keeps the grown set; an emptied cluster starts afresh', () => {
    const owner = cluster('5.x');
    const replica = new RouteTables({ javaLine: '5.x' });
    replica.importOps(owner.exportOps());
    expect(replica.clusterNameSetCapacity('C')).toBe(32);
    expect(replica.getTopicsByCluster('C')).toEqual(owner.getTopicsByCluster('C'));
    for (const name of ['broker-a-0', 'broker-a-1', 'broker-a-12', 'broker-a-13']) {
      owner.removeFromAllClusters(name);
    }
    owner.addClusterMember('C', 'broker-a-0');
    expect(owner.clusterNameSetCapacity('C')).toBe(16);
  });
});
