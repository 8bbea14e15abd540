import { describe, it, expect } from 'vitest';
import {
  javaHashCopyCapacity,
  javaHashMapCapacity,
  javaHashOrderBy,
  javaLongHashCode,
  javaLongHashOrder,
  javaStringHashCode,
  javaStringHashOrder,
  tableSizeFor,
  javaHashSetOrderFromMap,
  javaConcurrentHashMapPresizedCapacity,
} from './java-hash-order.js';
import { jsonHeaderOf, loadFixture, sliceFrame } from '../../test/fixtures.js';

function bodyJson(name: string): any {
  const { response } = loadFixture(name);
  return JSON.parse(sliceFrame(response!).body!.toString('utf8'));
}

describe('Java hash codes', () => {
  it('String.hashCode matches known Java values', () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('a')).toBe(97);
    expect(javaStringHashCode('hello')).toBe(99162322);
    // Overflows int32: "polygenelubricants".hashCode() == Integer.MIN_VALUE
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
    // UTF-16 code units, not code points
    expect(javaStringHashCode('😀')).toBe(0xd83d * 31 + 0xde00);
  });

  it('Long.hashCode folds the high word', () => {
    expect(javaLongHashCode(0)).toBe(0);
    expect(javaLongHashCode(7)).toBe(7);
    expect(javaLongHashCode(-1)).toBe(0);
    expect(javaLongHashCode(2 ** 32)).toBe(1);
    expect(javaLongHashCode(2 ** 32 + 5)).toBe(4);
    expect(javaLongHashCode(-2)).toBe(1);
  });

  it('capacities', () => {
    expect(tableSizeFor(1024)).toBe(1024);
    expect(tableSizeFor(1000)).toBe(1024);
    expect(javaHashMapCapacity(12)).toBe(16);
    expect(javaHashMapCapacity(13)).toBe(32);
    expect(javaHashMapCapacity(13, 1024)).toBe(1024);
    expect(javaHashCopyCapacity(9)).toBe(16);
    expect(javaHashCopyCapacity(12)).toBe(32);
  });
});

describe('Java HashMap iteration order', () => {
  it('within a bucket keeps insertion order; buckets ascend', () => {
    // "Aa" and "BB" share a hash code: insertion order decides.
    expect(javaStringHashOrder(['BB', 'Aa'])).toEqual(['BB', 'Aa']);
    expect(javaStringHashOrder(['Aa', 'BB'])).toEqual(['Aa', 'BB']);
    expect(javaLongHashOrder([3, 1, 0, 2])).toEqual([0, 1, 2, 3]);
    expect(javaLongHashOrder([16, 1], { capacity: 16 })).toEqual([16, 1]);
    expect(javaLongHashOrder([16, 1], { capacity: 32 })).toEqual([1, 16]);
  });

  it('both sort strategies agree', () => {
    const keys = Array.from({ length: 50 }, (_, i) => `topic-${i * 7919}`);
    const big = javaHashOrderBy(keys, javaStringHashCode, { capacity: 1 << 16 });
    const byHand = keys
      .map((k, i) => ({
        k,
        i,
        b: (javaStringHashCode(k) ^ (javaStringHashCode(k) >>> 16)) & 0xffff,
      }))
      .sort((x, y) => x.b - y.b || x.i - y.i)
      .map((x) => x.k);
    expect(big).toEqual(byHand);
    expect(javaHashOrderBy(keys, javaStringHashCode, { capacity: 64 })).toEqual(
      keys
        .map((k, i) => ({ k, i, b: (javaStringHashCode(k) ^ (javaStringHashCode(k) >>> 16)) & 63 }))
        .sort((x, y) => x.b - y.b || x.i - y.i)
        .map((x) => x.k),
    );
  });

  it('rejects a capacity that is not a power of two', () => {
    expect(() => javaStringHashOrder(['a', 'b'], { capacity: 12 })).toThrow(RangeError);
  });

  it('ext field order of a REGISTER_BROKER header (RegisterBrokerRequestHeader fields into a HashMap)', () => {
    const ext = jsonHeaderOf(loadFixture('register-broker-master').request).extFields!;
    // Declaration order of the Java header class; only within-bucket ties depend on it.
    const declared = [
      'brokerName',
      'brokerAddr',
      'clusterName',
      'haServerAddr',
      'brokerId',
      'compressed',
      'bodyCrc32',
    ];
    expect(javaStringHashOrder(declared)).toEqual(Object.keys(ext));
  });

  it('ext field order with mqadmin ACL fields (Signature, topic, AccessKey)', () => {
    const ext = jsonHeaderOf(loadFixture('get-route').request).extFields!;
    expect(javaStringHashOrder(['topic', 'AccessKey', 'Signature'])).toEqual(Object.keys(ext));
  });

  it('GET_ALL_TOPIC_LIST: HashSet filled from topicQueueTable (HashMap(1024)) key order', () => {
    const topics: string[] = bodyJson('get-all-topic-list').topicList;
    // Insertion order into the HashSet = iteration order of the 1024-bucket topic table.
    const tableOrder = javaStringHashOrder(topics, { capacity: 1024 });
    expect(javaStringHashOrder(tableOrder)).toEqual(topics);
    expect(javaHashSetOrderFromMap([...topics].reverse(), 1024)).toEqual(topics);
  });

  it('presized ConcurrentHashMap capacity (JDK 17)', () => {
    expect(javaConcurrentHashMapPresizedCapacity(8)).toBe(16);
    expect(javaConcurrentHashMapPresizedCapacity(11)).toBe(16);
    expect(javaConcurrentHashMapPresizedCapacity(12)).toBe(32);
    expect(javaConcurrentHashMapPresizedCapacity(2)).toBe(4);
  });

  it('GET_TOPICS_BY_CLUSTER: 15 topics in a default HashSet (grown to 32 buckets)', () => {
    const topics: string[] = bodyJson('get-topics-by-cluster').topicList;
    expect(topics).toHaveLength(15);
    const tableOrder = javaStringHashOrder(topics, { capacity: 1024 });
    expect(javaStringHashOrder(tableOrder)).toEqual(topics);
  });

  it('GET_SYSTEM_TOPIC_LIST: cluster names and broker names in one HashSet', () => {
    const topics: string[] = bodyJson('get-system-topic-list').topicList;
    expect(javaStringHashOrder(['DefaultCluster', 'broker-a', 'broker-b'])).toEqual(topics);
  });

  it('cluster info: brokerAddrTable (HashMap(128)) and a cluster set (HashSet)', () => {
    const body = sliceFrame(loadFixture('get-broker-cluster-info').response!).body!.toString();
    const names = ['broker-a', 'broker-b'];
    const tableOrder = javaStringHashOrder(names, { capacity: 128 });
    expect(body.indexOf('"broker-b":{')).toBeLessThan(body.indexOf('"broker-a":{'));
    expect(tableOrder).toEqual(['broker-b', 'broker-a']);
    expect(javaStringHashOrder(names)).toEqual(['broker-b', 'broker-a']);
  });

  it('route lists: QueueData per brokerName in a HashMap, BrokerData from a HashSet of names', () => {
    const route = bodyJson('get-route');
    const order = javaStringHashOrder(['broker-a', 'broker-b']);
    expect(route.queueDatas.map((q: any) => q.brokerName)).toEqual(order);
    expect(route.brokerDatas.map((b: any) => b.brokerName)).toEqual(order);
  });

  it('KVTable: a namespace HashMap', () => {
    const table = bodyJson('get-kvlist-by-namespace').table;
    const keys = Object.keys(table);
    expect(keys).toEqual(['OrderFixtureTopic', 'OrderProbeTopic']);
    // Both land in the same bucket of 16, so the order is their insertion order (d12 put
    // OrderFixtureTopic before the client-API probe put OrderProbeTopic).
    expect(javaStringHashOrder(['OrderFixtureTopic', 'OrderProbeTopic'])).toEqual(keys);
    expect(javaStringHashOrder(['OrderProbeTopic', 'OrderFixtureTopic'])).toEqual(
      [...keys].reverse(),
    );
  });
});
