import { describe, expect, it } from 'vitest';
import type { DataVersion, TopicConfig } from '@ns/protocol';
import { compareRouteDigests, explainTopicDifference, parseRouteDigest } from '@ns/protocol';
import type { TopicsDiffer } from '@ns/protocol';
import { RouteInfoManager } from '../route/index.js';
import type { RegisterBrokerRequest } from '../route/index.js';
import { MAX_DEFER_MILLIS, RouteDigestTracker } from './route-digest-tracker.js';
import type { DigestRouteSource } from './route-digest-tracker.js';

class FakeClock {
  constructor(public t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
}

function topicConfig(name: string, over: Partial<TopicConfig> = {}): TopicConfig {
  return {
    topicName: name,
    readQueueNums: 4,
    writeQueueNums: 4,
    perm: 6,
    topicFilterType: 'SINGLE_TAG',
    topicSysFlag: 0,
    order: false,
    ...over,
  };
}

function registration(
  brokerName: string,
  brokerId: number,
  topics: readonly TopicConfig[],
  dv: DataVersion = { counter: 1, timestamp: 1000 },
  connectionId = brokerId + 1,
): RegisterBrokerRequest {
  // broker-a → 10.0.97.x, broker-b → 10.0.98.x: one address per (name, id).
  const addr = `10.0.${brokerName.charCodeAt(brokerName.length - 1)}.${brokerId}:10911`;
  return {
    clusterName: 'DefaultCluster',
    brokerName,
    brokerAddr: addr,
    brokerId,
    haServerAddr: addr,
    topicConfigWrapper: {
      dataVersion: { ...dv },
      topicConfigTable: new Map(topics.map((t) => [t.topicName, t])),
    },
    filterServerList: [],
    connectionId,
  };
}

function node() {
  const clock = new FakeClock();
  const rim = new RouteInfoManager({ clock });
  const tracker = new RouteDigestTracker(rim);
  return { clock, rim, tracker };
}

/**
 * `rim` as the tracker's route source, every look at a topic going through `look` (counting it,
 * slowing it down, failing it) before the manager answers.
 */
function sourceOf(rim: RouteInfoManager, look: (topic: string) => void): DigestRouteSource {
  return {
    onRouteChanged: (l) => rim.onRouteChanged(l),
    getAllTopicList: () => rim.getAllTopicList(),
    getAllClusterInfo: () => rim.getAllClusterInfo(),
    getBrokerLiveViews: (now) => rim.getBrokerLiveViews(now),
    getQueueDatas: (topic) => {
      look(topic);
      return rim.getQueueDatas(topic);
    },
  };
}

const topics = (prefix: string, n: number): TopicConfig[] =>
  Array.from({ length: n }, (_, i) => topicConfig(`${prefix}-${i}`));

describe('RouteDigestTracker', () => {
  it('two nodes with the same brokers agree, whatever the order and the heartbeat ages', () => {
    const a = node();
    const b = node();
    const regs = [
      registration('broker-a', 0, topics('T', 50)),
      registration('broker-a', 1, topics('T', 50)),
      registration('broker-b', 0, [...topics('T', 10), ...topics('U', 5)]),
    ];
    for (const r of regs) a.rim.registerBroker(r);
    b.clock.t += 45_000; // b heard from the brokers later: ages differ, the digest must not
    for (const r of [...regs].reverse()) b.rim.registerBroker(r);
    const da = a.tracker.digest();
    const db = b.tracker.digest();
    expect(da).toEqual(db);
    expect(da.digest).toMatch(/^[0-9a-f]{8}$/);
    expect(da.topicCount).toBe(55);
    expect(da.brokerGroups.map((g) => [g.brokerName, g.topicCount])).toEqual([
      ['broker-a', 50],
      ['broker-b', 15],
    ]);
    expect(da.brokers).toHaveLength(3);
    // What the HTTP port serves parses back to the same thing.
    expect(parseRouteDigest(JSON.parse(JSON.stringify(da)), 'a')).toEqual(da);
    expect(
      compareRouteDigests([
        { node: 'a', digest: da },
        { node: 'b', digest: db },
      ]).agree,
    ).toBe(true);
  });

  it('lists brokers by cluster, broker name, id, then address (documented order)', () => {
    const { rim, tracker } = node();
    // The slave's address sorts before the master's: the id decides, not the address.
    rim.registerBroker({ ...registration('broker-a', 0, topics('T', 1)), brokerAddr: 'z:1' });
    rim.registerBroker({ ...registration('broker-a', 1, topics('T', 1)), brokerAddr: 'a:1' });
    expect(tracker.digest().brokers.map((b) => [b.brokerId, b.brokerAddr])).toEqual([
      [0, 'z:1'],
      [1, 'a:1'],
    ]);
  });

  it("after an 'all' notification it is rebuilt from scratch, topics removed meanwhile included", () => {
    const { rim } = node();
    let listener: ((topics: ReadonlySet<string> | 'all') => void) | null = null;
    const source: DigestRouteSource = {
      ...sourceOf(rim, () => undefined),
      onRouteChanged: (l) => {
        listener = l;
        return rim.onRouteChanged(l);
      },
    };
    const tracker = new RouteDigestTracker(source);
    rim.registerBroker(registration('broker-a', 0, topics('T', 20)));
    rim.registerBroker(registration('broker-b', 0, topics('U', 5)));
    tracker.digest();
    rim.deleteTopic('T-0');
    rim.registerBroker(registration('broker-b', 0, topics('U', 6), { counter: 2, timestamp: 2 }));
    listener!('all');
    const fresh = new RouteDigestTracker(rim);
    expect(tracker.digest()).toEqual(fresh.digest());
    expect(tracker.digest().topicCount).toBe(25);
    expect(tracker.topicsOf('broker-a')!.topics).toHaveLength(19);
    tracker.close();
    fresh.close();
  });

  it('an empty node has a stable digest', () => {
    const a = node();
    const b = node();
    expect(a.tracker.digest()).toEqual(b.tracker.digest());
    expect(a.tracker.digest().topicCount).toBe(0);
  });

  it('names the broker a node lacks', () => {
    const a = node();
    const b = node();
    const c = node();
    for (const n of [a, b, c]) n.rim.registerBroker(registration('broker-a', 0, topics('T', 3)));
    for (const n of [a, b]) n.rim.registerBroker(registration('broker-b', 0, topics('T', 3)));
    const report = compareRouteDigests([
      { node: 'a', digest: a.tracker.digest() },
      { node: 'b', digest: b.tracker.digest() },
      { node: 'c', digest: c.tracker.digest() },
    ]);
    expect(report.agree).toBe(false);
    expect(report.differences).toEqual([
      {
        kind: 'brokerName-missing',
        brokerName: 'broker-b',
        cluster: 'DefaultCluster',
        brokerAddrs: { '0': '10.0.98.0:10911' },
        presentOn: ['a', 'b'],
        missingOn: ['c'],
      },
    ]);
  });

  it('a write permission wiped on one node only shows as a topic difference, topic by topic', () => {
    const a = node();
    const b = node();
    for (const n of [a, b]) n.rim.registerBroker(registration('broker-a', 0, topics('T', 4)));
    b.rim.wipeWritePermOfBroker('broker-a');
    const report = compareRouteDigests([
      { node: 'a', digest: a.tracker.digest() },
      { node: 'b', digest: b.tracker.digest() },
    ]);
    expect(report.differences.map((d) => d.kind)).toEqual(['topics-differ']);
    const diff = report.differences[0] as TopicsDiffer;
    expect(diff.values.map((v) => v.topicCount)).toEqual([4, 4]);
    const explained = explainTopicDifference(
      diff,
      new Map([
        ['a', a.tracker.topicsOf('broker-a')!],
        ['b', b.tracker.topicsOf('broker-a')!],
      ]),
      3,
    );
    expect(explained.topics!.map((t) => t.topic)).toEqual(['T-0', 'T-1', 'T-2']);
    expect(explained.moreTopics).toBe(1);
    expect(explained.topics![0]!.values.map((v) => v.queue?.perm)).toEqual([6, 4]);
  });

  it('a topic deleted on one node is named as missing there', () => {
    const a = node();
    const b = node();
    for (const n of [a, b]) n.rim.registerBroker(registration('broker-a', 0, topics('T', 3)));
    b.rim.deleteTopic('T-1');
    const diff = compareRouteDigests([
      { node: 'a', digest: a.tracker.digest() },
      { node: 'b', digest: b.tracker.digest() },
    ]).differences[0] as TopicsDiffer;
    const explained = explainTopicDifference(
      diff,
      new Map([
        ['a', a.tracker.topicsOf('broker-a')!],
        ['b', b.tracker.topicsOf('broker-a')!],
      ]),
    );
    expect(explained.topics).toEqual([
      {
        topic: 'T-1',
        values: [
          {
            node: 'a',
            queue: { readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 },
          },
          { node: 'b', queue: null },
        ],
      },
    ]);
  });

  it('a DataVersion that differs is reported per broker', () => {
    const a = node();
    const b = node();
    a.rim.registerBroker(registration('broker-a', 0, topics('T', 2), { counter: 7, timestamp: 5 }));
    b.rim.registerBroker(registration('broker-a', 0, topics('T', 2), { counter: 6, timestamp: 4 }));
    const report = compareRouteDigests([
      { node: 'a', digest: a.tracker.digest() },
      { node: 'b', digest: b.tracker.digest() },
    ]);
    expect(report.differences).toEqual([
      {
        kind: 'dataVersion-differs',
        brokerName: 'broker-a',
        clusterName: 'DefaultCluster',
        brokerId: 0,
        brokerAddr: '10.0.97.0:10911',
        values: [
          { node: 'a', dataVersion: { counter: 7, timestamp: 5 } },
          { node: 'b', dataVersion: { counter: 6, timestamp: 4 } },
        ],
      },
    ]);
  });

  it('kept incrementally, it always equals a digest computed from scratch', () => {
    const n = node();
    // A small deterministic random walk over every kind of route change.
    let seed = 42;
    const rand = (k: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % k;
    };
    const names = ['broker-a', 'broker-b', 'broker-c'];
    for (let step = 0; step < 300; step++) {
      const name = names[rand(names.length)]!;
      switch (rand(6)) {
        case 0:
        case 1: {
          const count = 1 + rand(20);
          const ts = Array.from({ length: count }, (_, i) =>
            topicConfig(`T-${(i * 7 + rand(30)) % 40}`, { perm: rand(2) === 0 ? 6 : 4 }),
          );
          n.rim.registerBroker(registration(name, rand(2), ts, { counter: step, timestamp: step }));
          break;
        }
        case 2:
          n.rim.wipeWritePermOfBroker(name);
          break;
        case 3:
          n.rim.deleteTopic(`T-${rand(40)}`);
          break;
        case 4:
          n.rim.onConnectionClosed(1 + rand(2));
          break;
        default:
          n.rim.addWritePermOfBroker(name);
      }
      if (step % 7 === 0 || step === 299) {
        const fresh = new RouteDigestTracker(n.rim);
        expect(n.tracker.digest()).toEqual(fresh.digest());
        for (const b of names) expect(n.tracker.topicsOf(b)).toEqual(fresh.topicsOf(b));
        fresh.close();
      }
    }
  });

  it('a slave joining or leaving changes no topic part: nothing is hashed again', () => {
    const n = node();
    n.rim.registerBroker(registration('broker-a', 0, topics('a', 50)));
    n.rim.registerBroker(registration('broker-b', 0, [topicConfig('shared'), topicConfig('b')]));
    n.rim.registerBroker(registration('broker-a', 0, [...topics('a', 50), topicConfig('shared')]));
    const before = n.tracker.digest();
    const answer = n.tracker.topicsOf('broker-a');
    // The slave registers the master's topics (same QueueData), then its connection closes: each
    // names every topic of broker-a as a changed route (the group's addresses changed).
    n.rim.registerBroker(registration('broker-a', 1, [...topics('a', 50), topicConfig('shared')]));
    const withSlave = n.tracker.digest();
    expect(n.tracker.topicsOf('broker-a')).toBe(answer);
    n.rim.onConnectionClosed(2);
    expect(n.tracker.topicsOf('broker-a')).toBe(answer);
    expect(n.tracker.digest()).toEqual(before);
    // The broker part did change, and a tracker built from scratch agrees at every step.
    expect(withSlave).not.toEqual(before);
    const fresh = new RouteDigestTracker(n.rim);
    expect(n.tracker.digest()).toEqual(fresh.digest());
    fresh.close();
    // A real change of one topic is still seen: the answer is built again.
    n.rim.wipeWritePermOfBroker('broker-b');
    expect(n.tracker.topicsOf('broker-a')).not.toBe(answer);
    const again = new RouteDigestTracker(n.rim);
    expect(n.tracker.digest()).toEqual(again.digest());
    expect(n.tracker.topicsOf('broker-b')).toEqual(again.topicsOf('broker-b'));
    again.close();
  });

  it('topicsOf lists a broker name sorted, [] for a group without topics, null for none', () => {
    const n = node();
    n.rim.registerBroker(registration('broker-a', 0, [topicConfig('b'), topicConfig('a')]));
    n.rim.registerBroker(registration('broker-z', 0, []));
    expect(n.tracker.topicsOf('broker-a')!.topics.map((t) => t.topic)).toEqual(['a', 'b']);
    expect(n.tracker.topicsOf('broker-z')!.topics).toEqual([]);
    expect(n.tracker.topicsOf('nope')).toBeNull();
    // Answers are kept until a topic changes, and follow groups that come and go without any.
    expect(n.tracker.topicsOf('broker-a')).toBe(n.tracker.topicsOf('broker-a'));
    n.rim.onConnectionClosed(1);
    expect(n.tracker.topicsOf('broker-z')).toBeNull();
    expect(n.tracker.topicsOf('broker-a')).toBeNull();
  });

  it('topicsOfInSteps walks and sorts in steps, and starts again when topics changed meanwhile', () => {
    const n = node();
    n.rim.registerBroker(registration('broker-a', 0, topics('t', 10_000)));
    const expected = [...topics('t', 10_000)].map((t) => t.topicName).sort();
    const steps = n.tracker.topicsOfInSteps('broker-a');
    // A few steps in, a topic of the broker name changes (as the background catch-up would see).
    for (let i = 0; i < 3; i++) expect(steps.next().done).toBe(false);
    n.rim.registerBroker(
      registration('broker-a', 0, [...topics('t', 10_000), topicConfig('t-new')], {
        counter: 2,
        timestamp: 2000,
      }),
    );
    // The background catch-up looks at the change between two steps of the walk.
    n.tracker.digest();
    let yields = 3;
    let step = steps.next();
    while (step.done !== true) {
      yields++;
      step = steps.next();
    }
    const answer = step.value!;
    expect(answer.topics.map((t) => t.topic)).toEqual([...expected, 't-new'].sort());
    expect(yields).toBeGreaterThan(10);
    // The same answer, kept, as the one-go topicsOf gives.
    expect(n.tracker.topicsOf('broker-a')).toBe(answer);
  });

  it('digestValue is the digest as an unsigned 32-bit number', () => {
    const n = node();
    n.rim.registerBroker(registration('broker-a', 0, topics('T', 2)));
    const value = n.tracker.digestValue();
    expect(value).toBe(Number.parseInt(n.tracker.digest().digest, 16));
    expect(value).toBeGreaterThanOrEqual(0);
    expect(value).toBeLessThan(2 ** 32);
  });
});

describe('RouteDigestTracker background catch-up', () => {
  it('looks at changed topics in slices of the event loop, not in digest()', async () => {
    const rim = new RouteInfoManager({ clock: new FakeClock() });
    let turn = 0;
    const turnsSeen = new Set<number>();
    let looks = 0;
    const tracker = new RouteDigestTracker(
      sourceOf(rim, () => {
        looks++;
        turnsSeen.add(turn);
      }),
    );
    let ticking = true;
    const tick = (): void => {
      turn++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    try {
      tracker.digest();
      rim.registerBroker(registration('broker-a', 0, topics('T', 20_000)));
      looks = 0;
      await tracker.settled(30_000);
      expect(looks).toBe(20_000);
      // 20,000 looks take far longer than one 2 ms slice: other turns of the loop ran between.
      expect(turnsSeen.size).toBeGreaterThan(1);
      looks = 0;
      const digest = tracker.digest();
      expect(looks).toBe(0);
      const fresh = new RouteDigestTracker(rim);
      expect(digest).toEqual(fresh.digest());
      fresh.close();
    } finally {
      ticking = false;
      tracker.close();
    }
  });

  it('settled() after close, or with nothing changed, resolves at once', async () => {
    const { rim, tracker } = node();
    tracker.digest();
    await tracker.settled();
    rim.registerBroker(registration('broker-a', 0, topics('T', 10)));
    tracker.close();
    await tracker.settled(60_000);
  });
});

describe('RouteDigestTracker deferring to the registry', () => {
  it('waits while the registry writes (at most MAX_DEFER_MILLIS), then catches up; digest() never waits', async () => {
    const rim = new RouteInfoManager({ clock: new FakeClock() });
    let writing = true;
    let looks = 0;
    // The wait's clock stands still at first: a stall of this process on a loaded machine must
    // not pass MAX_DEFER_MILLIS within the few turns below.
    let now = (): number => 0;
    const tracker = new RouteDigestTracker(
      sourceOf(rim, () => {
        looks++;
      }),
      { deferWhile: () => writing, now: () => now() },
    );
    try {
      tracker.digest();
      // While the registry writes, nothing is looked at for a few turns of the loop...
      rim.registerBroker(registration('broker-a', 0, topics('T', 100)));
      looks = 0;
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      expect(looks).toBe(0);
      // ...and once it is done, the catch-up runs.
      writing = false;
      await tracker.settled(10_000);
      expect(looks).toBe(100);

      // A registry that never stops writing delays the catch-up, never starves it.
      now = () => performance.now();
      writing = true;
      rim.registerBroker(registration('broker-b', 0, topics('U', 100)));
      looks = 0;
      const t0 = performance.now();
      await tracker.settled(10_000);
      expect(looks).toBe(100);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(MAX_DEFER_MILLIS - 1);

      // digest() does what is left itself, deferred or not.
      rim.registerBroker(registration('broker-c', 0, topics('V', 100)));
      looks = 0;
      const digest = tracker.digest();
      expect(looks).toBe(100);
      const fresh = new RouteDigestTracker(rim);
      expect(digest).toEqual(fresh.digest());
      fresh.close();
    } finally {
      tracker.close();
    }
  });
});

describe('RouteDigestTracker settled()', () => {
  it('waits for the changes made before the call, not for later ones', async () => {
    const rim = new RouteInfoManager({ clock: new FakeClock() });
    // A slow source (50 µs per topic looked at): the background never catches up with the
    // stream of changes below, so only a settled() that waits for its own changes returns.
    const tracker = new RouteDigestTracker(
      sourceOf(rim, () => {
        const until = performance.now() + 0.05;
        while (performance.now() < until);
      }),
    );
    tracker.digest();
    rim.registerBroker(registration('broker-a', 0, topics('T', 500)));
    const first = tracker.settled(60_000);
    let firstDone = false;
    void first.then(() => (firstDone = true));
    // Later changes, one per turn, each of 100 topics (5 ms of looking at, 1 ms per turn).
    const queues = [topics('U', 100), topics('U', 100).map((t) => ({ ...t, readQueueNums: 8 }))];
    let n = 0;
    while (!firstDone && n < 2_000) {
      rim.registerBroker(
        registration('broker-b', 0, queues[n % 2]!, { counter: n + 2, timestamp: n }),
      );
      n++;
      await new Promise((r) => setImmediate(r));
    }
    expect(firstDone).toBe(true);
    tracker.close();
  });

  it('a failure of the background catch-up is reported, and the digest rebuilt from scratch', async () => {
    const rim = new RouteInfoManager({ clock: new FakeClock() });
    const errors: unknown[] = [];
    let fail = false;
    const tracker = new RouteDigestTracker(
      sourceOf(rim, () => {
        if (fail) throw new Error('planted');
      }),
      { onError: (err) => errors.push(err) },
    );
    tracker.digest();
    fail = true;
    rim.registerBroker(registration('broker-a', 0, topics('T', 100)));
    await tracker.settled(10_000);
    expect(errors).toHaveLength(1);
    fail = false;
    const fresh = new RouteDigestTracker(rim);
    expect(tracker.digest()).toEqual(fresh.digest());
    tracker.close();
    fresh.close();
  });
});
