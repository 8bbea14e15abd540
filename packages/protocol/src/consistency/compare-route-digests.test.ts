import { describe, expect, it } from 'vitest';
import { checkConsistency } from './consistency-check.js';
import { compareRouteDigests, MAX_REPORTED_DIFFERENCES } from './compare-route-digests.js';
import type { RouteDigest } from './route-digest.js';

function digest(over: Partial<RouteDigest> & { id: string }): RouteDigest {
  const { id, ...rest } = over;
  return {
    format: 1,
    digest: id,
    topicCount: 1,
    clusters: [{ clusterName: 'C', brokerNames: ['b'] }],
    brokerGroups: [
      {
        brokerName: 'b',
        cluster: 'C',
        brokerAddrs: { '0': 'h:1', '1': 'h:2' },
        topicCount: 1,
        topicsHash: '00000001',
      },
    ],
    brokers: [
      {
        clusterName: 'C',
        brokerName: 'b',
        brokerId: 0,
        brokerAddr: 'h:1',
        dataVersion: { counter: 1, timestamp: 5 },
      },
      {
        clusterName: 'C',
        brokerName: 'b',
        brokerId: 1,
        brokerAddr: 'h:2',
        dataVersion: { counter: 1, timestamp: 5 },
      },
    ],
    ...rest,
  };
}

describe('compareRouteDigests', () => {
  it('equal digests agree without further comparison', () => {
    const r = compareRouteDigests([
      { node: 'a', digest: digest({ id: '00000000' }) },
      { node: 'b', digest: digest({ id: '00000000' }) },
    ]);
    expect(r.agree).toBe(true);
    expect(r.differences).toEqual([]);
    expect(r.nodes.map((n) => n.brokers)).toEqual([2, 2]);
  });

  it('a slave missing on one node, its group address gone there too', () => {
    const base = digest({ id: '00000000' });
    const lacking = digest({
      id: '11111111',
      brokerGroups: [{ ...base.brokerGroups[0]!, brokerAddrs: { '0': 'h:1' } }],
      brokers: [base.brokers[0]!],
    });
    const r = compareRouteDigests([
      { node: 'a', digest: base },
      { node: 'b', digest: lacking },
    ]);
    expect(r.differences.map((d) => d.kind)).toEqual(['addresses-differ', 'broker-missing']);
    expect(r.differences[1]).toEqual({
      kind: 'broker-missing',
      brokerName: 'b',
      clusterName: 'C',
      brokerId: 1,
      brokerAddr: 'h:2',
      presentOn: ['a'],
      missingOn: ['b'],
    });
  });

  it('a broker name listed under another cluster', () => {
    const base = digest({ id: '00000000' });
    const moved = digest({
      id: '22222222',
      clusters: [{ clusterName: 'D', brokerNames: ['b'] }],
      brokerGroups: [{ ...base.brokerGroups[0]!, cluster: 'D' }],
    });
    const r = compareRouteDigests([
      { node: 'a', digest: base },
      { node: 'b', digest: moved },
    ]);
    expect(r.differences).toEqual([
      {
        kind: 'cluster-differs',
        brokerName: 'b',
        values: [
          { node: 'a', cluster: 'C', memberOf: ['C'] },
          { node: 'b', cluster: 'D', memberOf: ['D'] },
        ],
      },
    ]);
  });
});

describe('checkConsistency', () => {
  const topics = (perm: number) => ({
    format: 1,
    brokerName: 'b',
    topics: [{ topic: 'T', readQueueNums: 4, writeQueueNums: 4, perm, topicSysFlag: 0 }],
  });

  it('reads digests, then the topic lists of the differing group, and names the topic', async () => {
    const a = digest({ id: '00000000' });
    const b = digest({
      id: '33333333',
      brokerGroups: [{ ...a.brokerGroups[0]!, topicsHash: '00000002' }],
    });
    const served: Record<string, unknown> = {
      'http://a/digest': a,
      'http://b/digest': b,
      'http://a/digest/topics?brokerName=b': topics(6),
      'http://b/digest/topics?brokerName=b': topics(4),
    };
    const asked: string[] = [];
    const result = await checkConsistency(
      [
        { node: 'a', adminUrl: 'http://a' },
        { node: 'b', adminUrl: 'http://b' },
        { node: 'c', adminUrl: 'http://c' },
      ],
      (url) => {
        asked.push(url);
        return url in served
          ? Promise.resolve(served[url])
          : Promise.reject(new Error(`GET ${url}: refused`));
      },
    );
    expect(result.failures).toEqual([
      { node: 'c', adminUrl: 'http://c', error: 'GET http://c/digest: refused' },
    ]);
    expect(result.digests.map((d) => d.node)).toEqual(['a', 'b']);
    const diff = result.report!.differences[0]!;
    expect(diff.kind).toBe('topics-differ');
    expect(diff.kind === 'topics-differ' && diff.topics).toEqual([
      {
        topic: 'T',
        values: [
          { node: 'a', queue: { readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 } },
          { node: 'b', queue: { readQueueNums: 4, writeQueueNums: 4, perm: 4, topicSysFlag: 0 } },
        ],
      },
    ]);
    expect(asked.filter((u) => u.includes('/digest/topics'))).toHaveLength(2);
  });

  it('no node readable: no report, every failure in list order', async () => {
    const result = await checkConsistency(
      [
        { node: 'a', adminUrl: 'http://a' },
        { node: 'b', adminUrl: 'http://b' },
      ],
      (url) =>
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error(`GET ${url}: down`)), url.includes('//a') ? 20 : 1),
        ),
    );
    expect(result.report).toBeNull();
    expect(result.failures.map((f) => f.node)).toEqual(['a', 'b']);
  });

  it('lists at most MAX_REPORTED_DIFFERENCES differences and counts the rest', () => {
    const many = MAX_REPORTED_DIFFERENCES + 500;
    const crowded = digest({
      id: 'bbbbbbbb',
      brokers: Array.from({ length: many }, (_, i) => ({
        clusterName: 'C',
        brokerName: `x${String(i).padStart(5, '0')}`,
        brokerId: 0,
        brokerAddr: `h:${i}`,
        dataVersion: { counter: 1, timestamp: 5 },
      })),
    });
    const report = compareRouteDigests([
      { node: 'a', digest: digest({ id: 'aaaaaaaa' }) },
      { node: 'b', digest: crowded },
    ]);
    // Every live broker of b that a lacks is a difference; b's own group 'b' lost its two members.
    expect(report.differences).toHaveLength(MAX_REPORTED_DIFFERENCES);
    expect(report.moreDifferences).toBe(many + 2 - MAX_REPORTED_DIFFERENCES);
    expect(report.differences[0]).toMatchObject({ kind: 'broker-missing', brokerName: 'b' });
  });
});
