import { describe, expect, it } from 'vitest';
import type { RouteDifference } from '@ns/protocol';
import type { CheckNodesResult } from '../src/admin/route-digest-client.js';
import { differenceLines, formatCheckNodes } from '../src/cli/consistency-text.js';

const summary = (node: string, digest: string) => ({
  node,
  digest,
  topicCount: 2,
  brokerNames: 1,
  brokers: 2,
});

const BROKER_MISSING: RouteDifference = {
  kind: 'broker-missing',
  brokerName: 'b',
  clusterName: 'C',
  brokerId: 1,
  brokerAddr: 'h:2',
  presentOn: ['x'],
  missingOn: ['y'],
};

describe('checkNodes text', () => {
  it('one line per node, then OK', () => {
    const result: CheckNodesResult = {
      nodes: [
        { node: 'a:9876', adminUrl: 'http://a:9877' },
        { node: 'b:9876', adminUrl: 'http://b:9877' },
      ],
      digests: [],
      failures: [],
      report: {
        agree: true,
        nodes: [summary('a:9876', '0000abcd'), summary('b:9876', '0000abcd')],
        differences: [],
        moreDifferences: 0,
      },
    };
    expect(formatCheckNodes(result)).toBe(
      [
        '#Node   #Digest   #Topics  #Broker Groups  #Brokers',
        'a:9876  0000abcd  2        1               2',
        'b:9876  0000abcd  2        1               2',
        'OK: all 2 nodes agree (digest 0000abcd)',
        '',
      ].join('\n'),
    );
  });

  it('an unreadable node is listed and named', () => {
    const text = formatCheckNodes({
      nodes: [
        { node: 'a:9876', adminUrl: 'http://a:9877' },
        { node: 'b:9876', adminUrl: 'http://b:9877' },
      ],
      digests: [],
      failures: [
        {
          node: 'b:9876',
          adminUrl: 'http://b:9877',
          error: 'GET http://b:9877/digest: connect ECONNREFUSED',
        },
      ],
      report: {
        agree: true,
        nodes: [summary('a:9876', '0000abcd')],
        differences: [],
        moreDifferences: 0,
      },
    });
    expect(text).toContain('b:9876  UNREADABLE');
    expect(text).toContain('FAILED b:9876: GET http://b:9877/digest: connect ECONNREFUSED');
    expect(text).toContain('OK: the 1 readable nodes agree');
  });

  it('every kind of difference reads as a sentence naming the nodes', () => {
    expect(differenceLines(BROKER_MISSING)).toEqual([
      'broker b member h:2 (id 1, cluster C) is missing on y (present on x)',
    ]);
    expect(
      differenceLines({
        kind: 'dataVersion-differs',
        brokerName: 'b',
        clusterName: 'C',
        brokerId: 0,
        brokerAddr: 'h:1',
        values: [
          { node: 'x', dataVersion: { counter: 2, timestamp: 0 } },
          { node: 'y', dataVersion: { counter: 1, timestamp: 0 } },
        ],
      }),
    ).toEqual([
      'broker b member h:1 (id 0) has different DataVersions: x: 2@1970-01-01T00:00:00.000Z; y: 1@1970-01-01T00:00:00.000Z',
    ]);
    expect(
      differenceLines({
        kind: 'addresses-differ',
        brokerName: 'b',
        values: [
          { node: 'x', brokerAddrs: { '1': 'h:2', '0': 'h:1' } },
          { node: 'y', brokerAddrs: { '0': 'h:1' } },
        ],
      }),
    ).toEqual(['broker b has different addresses: x: 0=h:1,1=h:2; y: 0=h:1']);
    expect(
      differenceLines({
        kind: 'topics-differ',
        brokerName: 'b',
        values: [
          { node: 'x', topicCount: 2, topicsHash: '00000001' },
          { node: 'y', topicCount: 1, topicsHash: '00000002' },
        ],
        topics: [
          {
            topic: 'T',
            values: [
              {
                node: 'x',
                queue: { readQueueNums: 8, writeQueueNums: 8, perm: 6, topicSysFlag: 0 },
              },
              { node: 'y', queue: null },
            ],
          },
        ],
        moreTopics: 3,
      }),
    ).toEqual([
      'broker b has different topics: x: 2 topics #00000001; y: 1 topics #00000002',
      '  topic T: x: r8/w8 RW-; y: missing',
      '  … and 3 more topics',
    ]);
  });

  it('shows raw perm and sysFlag where the letters read the same, and why topics are not listed', () => {
    const queue = { readQueueNums: 8, writeQueueNums: 8, perm: 6, topicSysFlag: 0 };
    const values = [
      { node: 'x', topicCount: 1, topicsHash: '00000001' },
      { node: 'y', topicCount: 1, topicsHash: '00000002' },
    ];
    expect(
      differenceLines({
        kind: 'topics-differ',
        brokerName: 'b',
        values,
        topics: [
          {
            topic: 'T',
            values: [
              { node: 'x', queue },
              { node: 'y', queue: { ...queue, perm: 14, topicSysFlag: 1 } },
            ],
          },
        ],
        moreTopics: 0,
      })[1],
    ).toBe('  topic T: x: r8/w8 RW- perm=6 sysFlag=0; y: r8/w8 RW- perm=14 sysFlag=1');
    const unexplained = (why: 'unreadable' | 'limit' | 'deadline') =>
      differenceLines({
        kind: 'topics-differ',
        brokerName: 'b',
        values,
        topics: null,
        moreTopics: 0,
        unexplained: why,
      })[1];
    expect(unexplained('unreadable')).toContain('could not be read from every node');
    expect(unexplained('limit')).toContain('more broker names differ than one check looks into');
    expect(unexplained('deadline')).toContain('ran out of time');
  });

  it('counts the differences a report left out', () => {
    const text = formatCheckNodes({
      nodes: [{ node: 'a:9876', adminUrl: 'http://a:9877' }],
      digests: [],
      failures: [],
      report: {
        agree: false,
        nodes: [summary('a:9876', '0000abcd')],
        differences: [BROKER_MISSING],
        moreDifferences: 41,
      },
    });
    expect(text).toContain('DIVERGENCE: 42 differences');
    expect(text).toContain('… and 41 more differences (not listed)');
  });
});
