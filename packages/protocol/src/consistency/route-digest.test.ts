import { describe, expect, it } from 'vitest';
import { DigestFormatError, parseDigestTopics, parseRouteDigest } from './route-digest.js';

const digest = {
  format: 1,
  digest: '0badf00d',
  topicCount: 1,
  clusters: [{ clusterName: 'C', brokerNames: ['b'] }],
  brokerGroups: [
    {
      brokerName: 'b',
      cluster: 'C',
      brokerAddrs: { '0': 'h:1' },
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
      dataVersion: { counter: 1, timestamp: 1_700_000_000_000 },
    },
  ],
};

describe('parseRouteDigest', () => {
  it('accepts a well-formed digest as it is', () => {
    expect(parseRouteDigest(structuredClone(digest), 'n1')).toEqual(digest);
  });

  it('names the node and the first wrong field', () => {
    const bad = structuredClone(digest) as Record<string, unknown>;
    (bad.brokers as Record<string, unknown>[])[0]!.brokerId = '0';
    expect(() => parseRouteDigest(bad, 'n1')).toThrow(
      new DigestFormatError('n1: brokers[0].brokerId: expected an integer, got "0"'),
    );
    expect(() => parseRouteDigest({ ...digest, digest: 'XYZ' }, 'n1')).toThrow(
      'n1: digest.digest: expected 8 lowercase hex digits',
    );
    expect(() => parseRouteDigest('<html>', 'n1')).toThrow('n1: digest: expected an object');
  });

  it('names a deeply nested answer without overflowing the stack', () => {
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() =>
      parseRouteDigest({ format: 1, digest: 'x', clusters: deep }, 'http://n:1'),
    ).toThrow('got an array nested too deep to show');
  });

  it('refuses another format with advice', () => {
    expect(() => parseRouteDigest({ ...digest, format: 2 }, 'n1')).toThrow(
      'n1: digest format 2, this tool reads format 1 (upgrade the older side)',
    );
  });

  it('keeps a broker id key __proto__ as data', () => {
    const odd = structuredClone(digest);
    odd.brokerGroups[0]!.brokerAddrs = JSON.parse('{"__proto__":"x:1"}');
    const parsed = parseRouteDigest(odd, 'n1');
    expect(Object.hasOwn(parsed.brokerGroups[0]!.brokerAddrs, '__proto__')).toBe(true);
  });
});

describe('parseDigestTopics', () => {
  it('validates each topic entry', () => {
    const ok = {
      format: 1,
      brokerName: 'b',
      topics: [{ topic: 't', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 }],
    };
    expect(parseDigestTopics(ok, 'n')).toEqual(ok);
    expect(() =>
      parseDigestTopics({ ...ok, topics: [{ ...ok.topics[0], perm: null }] }, 'n'),
    ).toThrow('n: topics[0].perm: expected an integer, got null');
  });
});
