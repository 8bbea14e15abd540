/**
 * registerBrokerInSteps (issue 11): a registration of a large body, run in steps, ends in exactly
 * the state, answer, change notifications and replica ops of the same registration in one go;
 * between steps every topic's route is the one it had before or after, and the changes made so
 * far have reached the listeners (the route cache never serves a route older than the tables).
 */
import { describe, expect, it } from 'vitest';
import type { DataVersion, TopicConfig } from '@ns/protocol';
import { RouteInfoManager } from './route-info-manager.js';
import type { RegisterBrokerRequest, RouteInfoManagerOptions } from './types.js';
import { topicConfigs } from '../../test/topic-configs.js';

const T0 = 1_700_000_000_000;

function topics(n: number, queues: number, prefix = 'T'): TopicConfig[] {
  return topicConfigs(n, queues, prefix);
}

function req(dv: DataVersion, configs: TopicConfig[], over: Partial<RegisterBrokerRequest> = {}) {
  return {
    clusterName: 'C',
    brokerName: 'broker-a',
    brokerAddr: '10.0.0.1:10911',
    brokerId: 0,
    haServerAddr: '10.0.0.1:10912',
    topicConfigWrapper: {
      dataVersion: { ...dv },
      topicConfigTable: new Map(configs.map((t) => [t.topicName, t])),
    },
    filterServerList: [],
    connectionId: 1,
    ...over,
  } satisfies RegisterBrokerRequest;
}

function manager(options: RouteInfoManagerOptions = {}) {
  const rim = new RouteInfoManager({ clock: { now: () => T0 } }, options);
  const ops: unknown[] = [];
  rim.tables.recordOpsInto(ops);
  const notified: string[] = [];
  rim.onRouteChanged((changed) => {
    if (changed !== 'all') notified.push(...changed);
  });
  return { rim, ops, notified };
}

/** Runs the steps to the end, calling `between` at every stop; returns the result and stops. */
function runSteps(
  rim: RouteInfoManager,
  request: RegisterBrokerRequest,
  between: () => void = () => undefined,
) {
  const steps = rim.registerBrokerInSteps(request, () => true);
  let stops = 0;
  for (;;) {
    const step = steps.next();
    if (step.done === true) return { result: step.value, stops };
    stops++;
    between();
  }
}

function state(rim: RouteInfoManager, names: readonly string[]) {
  return {
    routes: names.map((t) => rim.pickupTopicRouteData(t)),
    topicList: rim.getAllTopicList(),
    clusters: rim.getAllClusterInfo(),
    brokers: rim.getBrokerLiveViews(T0),
    counts: rim.getCounts(),
    sizes: rim.getIndexSizes(),
  };
}

describe('RouteInfoManager.registerBrokerInSteps', () => {
  const V1 = { counter: 1, timestamp: 1 };
  const V2 = { counter: 2, timestamp: 2 };
  // The sequence: a new broker, the same body, every topic changed, then a body that drops half
  // of them (deleteTopicWithBrokerRegistration) — each run in one go on one manager and in steps
  // on the other.
  const first = topics(3000, 4);
  const changed = topics(3000, 8);
  const half = topics(1500, 8);
  const sequence = [req(V1, first), req(V1, first), req(V2, changed), req(V1, half)];
  const names = first.map((t) => t.topicName);

  it('ends in the state, answers, notifications and ops of registerBroker in one go', () => {
    const whole = manager({ deleteTopicWithBrokerRegistration: true });
    const stepped = manager({ deleteTopicWithBrokerRegistration: true });
    for (const r of sequence) {
      const expected = whole.rim.registerBroker(r);
      const { result, stops } = runSteps(stepped.rim, r);
      expect(result).toEqual(expected);
      // 3,000 topic edits with a stop every 64: many stops; none for the unchanged body.
      if (r !== sequence[1]) expect(stops).toBeGreaterThan(20);
      expect(state(stepped.rim, names)).toEqual(state(whole.rim, names));
    }
    expect(stepped.ops).toEqual(whole.ops);
    expect(new Set(stepped.notified)).toEqual(new Set(whole.notified));
  });

  it('between steps each route is the one before or after, and its change was notified', () => {
    const some = topics(1000, 4);
    const someChanged = topics(1000, 8);
    const someNames = some.map((t) => t.topicName);
    const { rim, notified } = manager();
    rim.registerBroker(req(V1, some));
    const json = (r: RouteInfoManager, t: string) => JSON.stringify(r.pickupTopicRouteData(t));
    const before = new Map(someNames.map((t) => [t, json(rim, t)]));
    const afterRim = manager().rim;
    afterRim.registerBroker(req(V1, some));
    afterRim.registerBroker(req(V2, someChanged));
    const after = new Map(someNames.map((t) => [t, json(afterRim, t)]));
    expect(after.get('T0')).not.toBe(before.get('T0'));
    notified.length = 0;
    let partial = 0;
    runSteps(rim, req(V2, someChanged), () => {
      const seen = new Set(notified);
      let moved = 0;
      for (const t of someNames) {
        const now = json(rim, t);
        if (now === after.get(t)) {
          moved++;
          if (!seen.has(t)) expect.fail(`${t} changed but was not notified before the stop`);
        } else if (now !== before.get(t)) {
          expect.fail(`${t} has a route that is neither the one before nor the one after`);
        }
      }
      if (moved > 0 && moved < someNames.length) partial++;
    });
    expect(partial).toBeGreaterThan(0);
    for (const t of someNames) expect(json(rim, t)).toBe(after.get(t));
  });

  it('a body that does not decode throws before any edit, in steps as in one go', () => {
    const { rim, ops } = manager();
    const bad: RegisterBrokerRequest = {
      ...req(V1, []),
      topicConfigWrapper: null,
      lazyBody: {
        tag: 'x',
        decode: () => {
          throw new Error('bad body');
        },
      },
    };
    expect(() => runSteps(rim, bad)).toThrow('bad body');
    expect(ops).toEqual([]);
    expect(rim.getCounts().brokers).toBe(0);
  });
});

describe('RouteInfoManager bounded removals (maxTopicEdits)', () => {
  const V1 = { counter: 1, timestamp: 1 };
  const many = topics(3000, 4);
  const names = many.map((t) => t.topicName);
  /** broker-a (3,000 topics, connection 1) and broker-b (the same topics, connection 2). */
  function twoBrokers() {
    const m = manager();
    m.rim.registerBroker(req(V1, many, { heartbeatTimeoutMillis: 1000 }));
    m.rim.registerBroker(
      req(V1, many, { brokerName: 'broker-b', brokerAddr: '10.0.0.2:10911', connectionId: 2 }),
    );
    return m;
  }
  /** [what, the first call, what the registry owner calls until nothing is pending] */
  const removals: [
    string,
    (rim: RouteInfoManager, budget: number) => void,
    (rim: RouteInfoManager, budget: number) => void,
  ][] = [
    [
      'connection close',
      (rim, budget) => rim.onConnectionClosed(1, Infinity, budget),
      (rim, budget) => rim.onConnectionClosed(1, Infinity, budget),
    ],
    [
      'expiry',
      // broker-a's timeout is 1 s, broker-b's the default 2 minutes.
      (rim, budget) => rim.scanNotActiveBroker(T0 + 2000, Infinity, budget),
      (rim, budget) => rim.scanNotActiveBroker(T0 + 2000, Infinity, budget),
    ],
    [
      'unregister',
      (rim, budget) =>
        rim.unregisterBroker(
          { clusterName: 'C', brokerName: 'broker-a', brokerAddr: '10.0.0.1:10911', brokerId: 0 },
          { maxTopicEdits: budget },
        ),
      (rim, budget) => rim.removePendingTopics(budget),
    ],
  ];

  for (const [what, remove, again] of removals) {
    it(`${what}: removes a broker's topics in bounded steps, ending as in one go`, () => {
      const whole = twoBrokers();
      const bounded = twoBrokers();
      remove(whole.rim, Infinity);
      expect(whole.rim.hasPendingRemovals()).toBe(false);
      remove(bounded.rim, 500);
      let steps = 1;
      while (bounded.rim.hasPendingRemovals()) {
        // In between, each topic's route is whole: broker-a in its QueueData and its BrokerData
        // (the group goes after its topics), or in neither. The topics go in order.
        for (const topic of [names[0]!, names[2999]!]) {
          const route = bounded.rim.pickupTopicRouteData(topic)!;
          const inGroups = route.brokerDatas.some((b) => b.brokerName === 'broker-a');
          const inQueues = route.queueDatas.some((q) => q.brokerName === 'broker-a');
          expect(inGroups, topic).toBe(inQueues);
          expect(inQueues, topic).toBe(topic === names[2999]);
        }
        again(bounded.rim, 500);
        steps++;
      }
      expect(bounded.rim.getAllClusterInfo().brokerAddrTable.has('broker-a')).toBe(false);
      expect(steps).toBe(6);
      expect(state(bounded.rim, names)).toEqual(state(whole.rim, names));
      expect(bounded.ops).toEqual(whole.ops);
      // Every removal was handed to the listeners (the route cache) by the call that made it.
      const told = bounded.notified.length;
      bounded.rim.tables.flushChanges();
      expect(bounded.notified.length).toBe(told);
      expect(new Set(bounded.notified)).toEqual(new Set(whole.notified));
    });
  }

  it('a write that returns early still hands over what it finished of a bounded removal', () => {
    const m = twoBrokers();
    m.rim.onConnectionClosed(1, Infinity, 100);
    m.notified.length = 0;
    // Refused before any edit of its own (no QueueData given).
    expect(m.rim.registerTopic('X', [])).toBe(false);
    expect(m.rim.hasPendingRemovals()).toBe(false);
    expect(new Set(m.notified).size).toBe(2900);
  });

  it('any other write first finishes what a bounded removal left', () => {
    const m = twoBrokers();
    m.rim.onConnectionClosed(1, Infinity, 100);
    expect(m.rim.hasPendingRemovals()).toBe(true);
    // broker-a comes back at once: its new QueueData must not be taken by the old removal.
    m.rim.registerBroker(req({ counter: 2, timestamp: 2 }, many.slice(0, 10), { connectionId: 3 }));
    expect(m.rim.hasPendingRemovals()).toBe(false);
    expect(
      m.rim
        .pickupTopicRouteData('T0')!
        .queueDatas.map((q) => q.brokerName)
        .sort(),
    ).toEqual(['broker-a', 'broker-b']);
    expect(m.rim.pickupTopicRouteData('T10')!.queueDatas.map((q) => q.brokerName)).toEqual([
      'broker-b',
    ]);
  });
});

describe('RouteInfoManager wipe/add write perm in steps', () => {
  const V1 = { counter: 1, timestamp: 1 };
  const many = topics(3000, 4);
  const names = many.map((t) => t.topicName);
  /** broker-a and broker-b hosting the same 3,000 topics. */
  function twoBrokers() {
    const m = manager();
    m.rim.registerBroker(req(V1, many));
    m.rim.registerBroker(
      req(V1, many, { brokerName: 'broker-b', brokerAddr: '10.0.0.2:10911', connectionId: 2 }),
    );
    m.ops.length = 0;
    m.notified.length = 0;
    return m;
  }
  const permOf = (rim: RouteInfoManager, topic: string, brokerName: string) =>
    rim.pickupTopicRouteData(topic)!.queueDatas.find((q) => q.brokerName === brokerName)!.perm;

  /** [what, the write in one go, the same write in steps] */
  const writes: [
    string,
    (rim: RouteInfoManager) => number,
    (rim: RouteInfoManager, pause: () => boolean) => Generator<void, number, void>,
  ][] = [
    [
      'WIPE_WRITE_PERM_OF_BROKER',
      (rim) => rim.wipeWritePermOfBroker('broker-a'),
      (rim, pause) => rim.wipeWritePermOfBrokerInSteps('broker-a', pause),
    ],
    [
      'ADD_WRITE_PERM_OF_BROKER',
      (rim) => rim.addWritePermOfBroker('broker-a'),
      (rim, pause) => rim.addWritePermOfBrokerInSteps('broker-a', pause),
    ],
  ];

  for (const [what, whole, inSteps] of writes) {
    it(`${what}: ends in the state, count, notifications and ops of the write in one go`, () => {
      const a = twoBrokers();
      const b = twoBrokers();
      if (what.startsWith('ADD')) {
        // Something to add back: broker-a's perm wiped first, on both.
        a.rim.wipeWritePermOfBroker('broker-a');
        b.rim.wipeWritePermOfBroker('broker-a');
        a.ops.length = 0;
        b.ops.length = 0;
        a.notified.length = 0;
        b.notified.length = 0;
      }
      const before = permOf(b.rim, names[0]!, 'broker-a');
      const expected = whole(a.rim);
      const steps = inSteps(b.rim, () => true);
      let stops = 0;
      let partial = 0;
      let step = steps.next();
      while (step.done !== true) {
        stops++;
        // Between steps: each topic's perm is the one before or the one after, broker-b's is
        // untouched, and every topic already rewritten was handed to the listeners.
        const told = new Set(b.notified);
        let done = 0;
        // Every 10th topic (a look at all 3,000 at each of ~47 stops takes seconds).
        const sample = names.filter((_, i) => i % 10 === 0);
        for (const t of sample) {
          const perm = permOf(b.rim, t, 'broker-a');
          if (perm !== before) {
            done++;
            if (!told.has(t)) expect.fail(`${t} rewritten but not notified before the stop`);
          }
          expect(permOf(b.rim, t, 'broker-b')).toBe(6);
        }
        if (done > 0 && done < sample.length) partial++;
        step = steps.next();
      }
      expect(step.value).toBe(expected);
      expect(expected).toBe(3000);
      // 3,000 topics with a stop every 64.
      expect(stops).toBeGreaterThan(40);
      expect(partial).toBeGreaterThan(30);
      expect(state(b.rim, names)).toEqual(state(a.rim, names));
      expect(b.ops).toEqual(a.ops);
      expect(new Set(b.notified)).toEqual(new Set(a.notified));
      expect(new Set(b.notified).size).toBe(3000);
    });
  }

  it('an unknown broker name counts 0 and stops nowhere', () => {
    const m = twoBrokers();
    const steps = m.rim.wipeWritePermOfBrokerInSteps('nobody', () => true);
    const step = steps.next();
    expect(step).toEqual({ done: true, value: 0 });
    expect(m.ops).toEqual([]);
  });
});
