import { createServer } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { DigestTopicQueue, DigestTopics, TopicConfig } from '@ns/protocol';
import { RouteInfoManager } from '../route/index.js';
import { RouteDigestTracker } from '../digest/route-digest-tracker.js';
import { consistencyThreadsStarted, runConsistencyCheck } from './consistency-runner.js';
import type { ConsistencyRun } from './consistency-runner.js';
import {
  MAX_KEPT_LISTS,
  TopicListCache,
  topicListBytes,
  topicListHash,
} from './consistency-topic-lists.js';

const LIMITS = { timeoutMs: 5_000, maxBytes: 1 << 20 };

function queue(topic: string, perm = 6): DigestTopicQueue {
  return { topic, readQueueNums: 4, writeQueueNums: 4, perm, topicSysFlag: 0 };
}

/**
 * A peer's admin port serving /digest and /digest/topics of one broker name, b0, whose topics
 * the test sets; counts the topic-list reads.
 */
async function fakeNode(topics: DigestTopicQueue[]) {
  const node = { topics, topicReads: 0, adminUrl: '', server: null as unknown as Server };
  const server = createServer((req, res) => {
    const list: DigestTopics = { format: 1, brokerName: 'b0', topics: node.topics };
    let body: unknown;
    if (req.url === '/digest') {
      const topicsHash = topicListHash(list);
      body = {
        format: 1,
        digest: topicsHash,
        topicCount: node.topics.length,
        clusters: [{ clusterName: 'c', brokerNames: ['b0'] }],
        brokerGroups: [
          { brokerName: 'b0', cluster: 'c', brokerAddrs: {}, topicCount: 1, topicsHash },
        ],
        brokers: [],
      };
    } else if (req.url === '/digest/topics?brokerName=b0') {
      node.topicReads++;
      body = list;
    } else {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  node.server = server;
  node.adminUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return node;
}

type FakeNode = Awaited<ReturnType<typeof fakeNode>>;

/** The topics named by the report's topics-differ, with each node's perm. */
function namedTopics(run: ConsistencyRun): string[] {
  expect(run.ok).toBe(true);
  if (!run.ok) return [];
  const answer = JSON.parse(run.body.toString('utf8'));
  expect(answer.failures).toEqual([]);
  return answer.report.differences
    .filter((d: { kind: string }) => d.kind === 'topics-differ')
    .flatMap((d: { topics: { topic: string; values: { queue: { perm: number } | null }[] }[] }) =>
      d.topics.map((t) => `${t.topic}:${t.values.map((v) => v.queue?.perm ?? '-').join('/')}`),
    );
}

describe('runConsistencyCheck', () => {
  const started: FakeNode[] = [];
  const owners: AbortController[] = [];
  afterEach(async () => {
    for (const o of owners.splice(0)) o.abort();
    for (const n of started.splice(0)) await new Promise((r) => n.server.close(r));
  });

  async function twoNodes() {
    const a = await fakeNode([queue('T1'), queue('T2')]);
    const b = await fakeNode([queue('T1'), queue('T2', 4)]);
    started.push(a, b);
    const nodes = [
      { node: 'a', adminUrl: a.adminUrl },
      { node: 'b', adminUrl: b.adminUrl },
    ];
    const owner = new AbortController();
    owners.push(owner);
    return { a, b, nodes, owner };
  }

  it('keeps one thread and its topic lists across checks: a list is read again only when its hash changes', async () => {
    const { a, b, nodes, owner } = await twoNodes();
    const threads = consistencyThreadsStarted();
    const check = () => runConsistencyCheck(nodes, LIMITS, 10_000, owner.signal);

    expect(namedTopics(await check())).toEqual(['T2:6/4']);
    expect([a.topicReads, b.topicReads]).toEqual([1, 1]);
    // Nothing changed: the next checks read no topic list, and answer the same.
    expect(namedTopics(await check())).toEqual(['T2:6/4']);
    expect(namedTopics(await check())).toEqual(['T2:6/4']);
    expect([a.topicReads, b.topicReads]).toEqual([1, 1]);
    expect(consistencyThreadsStarted()).toBe(threads + 1);

    // b's topics change (so does its topicsHash): b's list is read again, a's is not.
    b.topics = [queue('T1', 2), queue('T2', 4)];
    expect(namedTopics(await check())).toEqual(['T1:6/2', 'T2:6/4']);
    expect([a.topicReads, b.topicReads]).toEqual([1, 2]);
    expect(namedTopics(await check())).toEqual(['T1:6/2', 'T2:6/4']);
    expect([a.topicReads, b.topicReads]).toEqual([1, 2]);
    expect(consistencyThreadsStarted()).toBe(threads + 1);
  });

  it('ends the thread, and its lists, when its owner’s signal aborts or it waits too long', async () => {
    const { a, b, nodes, owner } = await twoNodes();
    const threads = consistencyThreadsStarted();
    expect(namedTopics(await runConsistencyCheck(nodes, LIMITS, 10_000, owner.signal))).toEqual([
      'T2:6/4',
    ]);
    owner.abort();
    const ended = await runConsistencyCheck(nodes, LIMITS, 10_000, owner.signal);
    expect(ended.ok).toBe(false);

    // Another owner, another thread: it reads the lists afresh.
    const next = new AbortController();
    owners.push(next);
    const idle = { idleMs: 50 };
    expect(
      namedTopics(await runConsistencyCheck(nodes, LIMITS, 10_000, next.signal, idle)),
    ).toEqual(['T2:6/4']);
    expect([a.topicReads, b.topicReads]).toEqual([2, 2]);
    expect(consistencyThreadsStarted()).toBe(threads + 2);

    // Idle past idleMs: the thread ends; the next check starts one and reads the lists again.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(
      namedTopics(await runConsistencyCheck(nodes, LIMITS, 10_000, next.signal, idle)),
    ).toEqual(['T2:6/4']);
    expect([a.topicReads, b.topicReads]).toEqual([3, 3]);
    expect(consistencyThreadsStarted()).toBe(threads + 3);
  });
});

describe('TopicListCache', () => {
  const list = (n: number, perm = 6): DigestTopics => ({
    format: 1,
    brokerName: 'b0',
    topics: Array.from({ length: n }, (_, i) => queue(`T${String(i).padStart(4, '0')}`, perm)),
  });

  it('answers for the hash the list has, not the one the digest said before the read', () => {
    const cache = new TopicListCache({ maxBytes: 1 << 20 });
    const l = list(10);
    const hash = topicListHash(l);
    // The digest said 'aaaaaaaa'; the list read after it hashes to `hash` (the route changed).
    cache.put('http://a', 'b0', 'aaaaaaaa', l);
    expect(cache.get('http://a', 'b0', 'aaaaaaaa')).toBeUndefined();
    expect(cache.get('http://a', 'b0', hash)).toBe(l);
    expect(cache.get('http://b', 'b0', hash)).toBeUndefined();
    expect(cache.get('http://a', 'b1', hash)).toBeUndefined();
    // A newer list of the same node and broker name replaces it.
    const changed = list(10, 2);
    cache.put('http://a', 'b0', hash, changed);
    expect(cache.get('http://a', 'b0', hash)).toBeUndefined();
    expect(cache.get('http://a', 'b0', topicListHash(changed))).toBe(changed);
    expect(cache.size).toEqual({ lists: 1, bytes: topicListBytes(changed) });
  });

  it('keeps at most maxBytes of lists, dropping the least recently used', () => {
    const l = list(100);
    const hash = topicListHash(l);
    const cache = new TopicListCache({ maxBytes: 2 * topicListBytes(l) });
    cache.put('http://a', 'b0', hash, l);
    cache.put('http://b', 'b0', hash, l);
    expect(cache.get('http://a', 'b0', hash)).toBe(l);
    // a was used after b: b goes.
    cache.put('http://c', 'b0', hash, l);
    expect(cache.size.lists).toBe(2);
    expect(cache.get('http://b', 'b0', hash)).toBeUndefined();
    expect(cache.get('http://a', 'b0', hash)).toBe(l);
    expect(cache.get('http://c', 'b0', hash)).toBe(l);
    // A list larger than the whole budget is not kept (and pushes nothing out).
    const huge = list(300);
    cache.put('http://d', 'b0', topicListHash(huge), huge);
    expect(cache.get('http://d', 'b0', topicListHash(huge))).toBeUndefined();
    expect(cache.size.lists).toBe(2);
  });

  // Counted at 64 bytes each, tiny lists of many made-up broker names could fill the thread's
  // heap far past the estimate (review finding).
  it('counts a fixed cost per list, and keeps at most MAX_KEPT_LISTS of them', () => {
    const tiny = list(1);
    expect(topicListBytes(tiny)).toBeGreaterThanOrEqual(512);
    const cache = new TopicListCache({ maxBytes: 2 ** 40 });
    for (let i = 0; i < MAX_KEPT_LISTS + 100; i++) {
      cache.put('http://a', `b${i}`, topicListHash(tiny), tiny);
    }
    expect(cache.size.lists).toBe(MAX_KEPT_LISTS);
    // The oldest went first.
    expect(cache.get('http://a', 'b0', topicListHash(tiny))).toBeUndefined();
    expect(cache.get('http://a', `b${MAX_KEPT_LISTS + 99}`, topicListHash(tiny))).toBe(tiny);
  });

  it('hashes a list as the nodes hash their topics (route-digest-tracker.ts)', () => {
    const rim = new RouteInfoManager({ clock: { now: () => 1_700_000_000_000 } });
    const tracker = new RouteDigestTracker(rim);
    const config = (name: string, perm: number): TopicConfig => ({
      topicName: name,
      readQueueNums: 8,
      writeQueueNums: 4,
      perm,
      topicFilterType: 'SINGLE_TAG',
      topicSysFlag: 1,
      order: false,
    });
    rim.registerBroker({
      clusterName: 'c',
      brokerName: 'b0',
      brokerAddr: '10.0.0.1:10911',
      brokerId: 0,
      haServerAddr: '10.0.0.1:10912',
      topicConfigWrapper: {
        dataVersion: { counter: 1, timestamp: 1000 },
        topicConfigTable: new Map(
          ['Tópic-1', 'T2', 'T3'].map((t, i) => [t, config(t, [2, 4, 6][i]!)]),
        ),
      },
      filterServerList: [],
      connectionId: 1,
    });
    const group = tracker.digest().brokerGroups.find((g) => g.brokerName === 'b0')!;
    expect(topicListHash(tracker.topicsOf('b0')!)).toBe(group.topicsHash);
  });
});
