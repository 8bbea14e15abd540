/**
 * The topic table's Java order kept up to date after the writes (DeferredTopicOrder): whenever
 * and however far its upkeep got, a reader sees exactly the table the edits would have made
 * applied at once — same keys, same order, same size — for both Java table kinds.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { JavaHashTable, javaStringHashCode } from '@ns/protocol';
import type { JavaHashTableKind, TopicConfig } from '@ns/protocol';
import { DeferredTopicOrder, SETTLE_PER_TURN } from './deferred-topic-order.js';
import { RouteInfoManager } from './route-info-manager.js';
import { RouteTables } from './route-tables.js';

const clock = { now: (): number => 1_700_000_000_000 };

/** A TopicConfig of 4 queues, perm 6, with `sys` as its topicSysFlag (unit flags). */
function topic(name: string, sys = 0): TopicConfig {
  return {
    topicName: name,
    readQueueNums: 4,
    writeQueueNums: 4,
    perm: 6,
    topicFilterType: 'SINGLE_TAG',
    topicSysFlag: sys,
    order: false,
  };
}

/** Master `broker-<broker>` (even: cluster C0, odd: C1) registers `names` on connection broker+1. */
function register(
  rim: RouteInfoManager,
  broker: number,
  names: readonly string[],
  counter: number,
  sys = 0,
): void {
  rim.registerBroker({
    clusterName: broker % 2 === 0 ? 'C0' : 'C1',
    brokerName: `broker-${broker}`,
    brokerAddr: `10.0.0.${broker}:10911`,
    brokerId: 0,
    haServerAddr: `10.0.0.${broker}:10912`,
    topicConfigWrapper: {
      dataVersion: { counter, timestamp: 1 },
      topicConfigTable: new Map(names.map((t) => [t, topic(t, sys)])),
    },
    filterServerList: [],
    connectionId: broker + 1,
  });
}

/** A scheduler run by hand: `runs` holds the steps started and not finished. */
type Step = (timeUp?: () => boolean) => boolean;

function manualScheduler(): {
  schedule: (step: Step) => void;
  runs: Step[];
  started: () => number;
  /** One step of the oldest run; false when none is pending. */
  stepOnce: () => boolean;
} {
  const runs: Step[] = [];
  let started = 0;
  return {
    runs,
    schedule: (step) => {
      started++;
      runs.push(step);
    },
    started: () => started,
    stepOnce: () => {
      const step = runs[0];
      if (step === undefined) return false;
      if (!step()) runs.shift();
      return true;
    },
  };
}

type Edit = { kind: 'add' | 'delete'; key: number } | { kind: 'read' } | { kind: 'step' };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('add' as const), key: fc.nat(300) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.nat(300) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'read' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'step' as const }) },
);

const table = (kind: JavaHashTableKind, capacity = 16): JavaHashTable<string> =>
  new JavaHashTable<string>(kind, javaStringHashCode, capacity);

describe('DeferredTopicOrder', () => {
  it.each(['HashMap', 'ConcurrentHashMap'] as const)(
    'reads the table the edits make at once, whatever the upkeep did (%s)',
    (kind) => {
      fc.assert(
        fc.property(fc.array(edit, { maxLength: 400 }), (edits) => {
          const eager = table(kind);
          const sched = manualScheduler();
          const deferred = new DeferredTopicOrder(table(kind), sched.schedule);
          for (const e of edits) {
            if (e.kind === 'add') {
              eager.add(`topic-${e.key}`);
              deferred.add(`topic-${e.key}`);
            } else if (e.kind === 'delete') {
              eager.delete(`topic-${e.key}`);
              deferred.delete(`topic-${e.key}`);
            } else if (e.kind === 'step') {
              sched.stepOnce();
            } else {
              expect(deferred.keys()).toEqual(eager.keys());
              expect(deferred.pending).toBe(0);
            }
          }
          expect(deferred.capacity).toBe(eager.capacity);
          expect(deferred.keys()).toEqual(eager.keys());
        }),
        { numRuns: 300 },
      );
    },
  );

  it('replays in steps of SETTLE_PER_TURN, one run at a time, and starts a run only when needed', () => {
    const sched = manualScheduler();
    const eager = table('ConcurrentHashMap', 2048);
    const deferred = new DeferredTopicOrder(table('ConcurrentHashMap', 2048), sched.schedule);
    const n = SETTLE_PER_TURN * 2 + 10;
    for (let i = 0; i < n; i++) {
      eager.add(`t${i}`);
      deferred.add(`t${i}`);
    }
    expect(sched.started()).toBe(1);
    expect(deferred.pending).toBe(n);
    const step = sched.runs[0]!;
    expect(step()).toBe(true);
    expect(deferred.pending).toBe(n - SETTLE_PER_TURN);
    // Edits during a run join it: no second run.
    eager.delete('t0');
    deferred.delete('t0');
    expect(sched.started()).toBe(1);
    expect(step()).toBe(true);
    expect(step()).toBe(false);
    expect(deferred.pending).toBe(0);
    // Nothing left: the next edit starts a new run.
    eager.add('late');
    deferred.add('late');
    expect(sched.started()).toBe(2);
    expect(deferred.keys()).toEqual(eager.keys());
    // The reader settled everything: the pending run ends at its next step.
    expect(sched.runs[1]!()).toBe(false);
  });

  it('a step ends early once its time is up, a few dozen entries later', () => {
    const sched = manualScheduler();
    const deferred = new DeferredTopicOrder(table('HashMap', 1024), sched.schedule);
    for (let i = 0; i < 1000; i++) deferred.add(`t${i}`);
    let asked = 0;
    expect(sched.runs[0]!(() => ++asked >= 2)).toBe(true);
    // The clock is read every 64 entries: up at the second look.
    expect(deferred.pending).toBe(1000 - 128);
    expect(sched.runs[0]!()).toBe(false);
    expect(deferred.pending).toBe(0);
  });

  it('applies edits at once without a scheduler', () => {
    const deferred = new DeferredTopicOrder(table('HashMap'));
    deferred.add('a');
    deferred.add('b');
    deferred.delete('a');
    expect(deferred.pending).toBe(0);
    expect(deferred.keys()).toEqual(['b']);
  });

  it('keeps its log small while edits arrive as fast as they are replayed', () => {
    const sched = manualScheduler();
    const eager = table('ConcurrentHashMap', 2048);
    const deferred = new DeferredTopicOrder(table('ConcurrentHashMap', 2048), sched.schedule);
    const internals = deferred as unknown as { names: string[] };
    let maxLog = 0;
    for (let turn = 0; turn < 200; turn++) {
      // A turn's worth of churn (as many edits as a step replays, the first turn twice as many:
      // the log never drains): the topics of the turn before go, as many new ones come.
      const edits = turn === 0 ? SETTLE_PER_TURN : SETTLE_PER_TURN / 2;
      for (let k = 0; k < edits; k++) {
        if (turn > 0) {
          eager.delete(`t${turn - 1}-${k}`);
          deferred.delete(`t${turn - 1}-${k}`);
        } else {
          eager.add(`backlog-${k}`);
          deferred.add(`backlog-${k}`);
        }
        eager.add(`t${turn}-${k}`);
        deferred.add(`t${turn}-${k}`);
      }
      sched.stepOnce();
      maxLog = Math.max(maxLog, internals.names.length);
    }
    // Without dropping the replayed part, the log would hold every edit ever made (~400,000).
    expect(maxLog).toBeLessThan(20 * SETTLE_PER_TURN);
    expect(deferred.keys()).toEqual(eager.keys());
  });

  it('a step that throws replays nothing twice, and the next edit starts a new run', () => {
    const sched = manualScheduler();
    const inner = table('HashMap');
    const deferred = new DeferredTopicOrder(inner, sched.schedule);
    const add = inner.add.bind(inner);
    let failOn: string | null = 'b';
    inner.add = (key: string): void => {
      if (key === failOn) {
        failOn = null;
        throw new Error('boom');
      }
      add(key);
    };
    deferred.add('a');
    deferred.add('b');
    deferred.add('c');
    expect(() => sched.runs[0]!()).toThrow('boom');
    // 'a' went in before the throw and is not replayed again; 'b' was consumed by the throw.
    expect(deferred.pending).toBe(1);
    deferred.add('d');
    expect(sched.started()).toBe(2);
    expect(deferred.keys()).toEqual(['a', 'c', 'd']);
  });

  it('reset() drops the log with the old table', () => {
    const sched = manualScheduler();
    const deferred = new DeferredTopicOrder(table('HashMap'), sched.schedule);
    deferred.add('gone');
    const loaded = table('HashMap', 64);
    loaded.add('kept');
    deferred.reset(loaded);
    expect(deferred.pending).toBe(0);
    expect(deferred.keys()).toEqual(['kept']);
    expect(deferred.capacity).toBe(64);
    expect(sched.runs[0]!()).toBe(false);
  });
});

describe('owner and replicas with the topic order kept up later, across table growths', () => {
  type Op =
    | {
        kind: 'register';
        broker: number;
        from: number;
        count: number;
        counter: number;
        sys: number;
      }
    | { kind: 'deleteTopic'; topic: number }
    | { kind: 'close'; broker: number }
    | { kind: 'step'; n: number }
    | { kind: 'newReplica' }
    | { kind: 'replicaApply'; r: number }
    | { kind: 'replicaStep'; r: number; n: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('register' as const),
        broker: fc.nat(3),
        from: fc.nat(3000),
        // Registrations of hundreds of topics: the 1,024 / 2,048-bucket tables grow.
        count: fc.integer({ min: 200, max: 1500 }),
        counter: fc.nat(3),
        sys: fc.constantFrom(0, 1, 2, 3),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('deleteTopic' as const), topic: fc.nat(4500) }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('close' as const), broker: fc.nat(3) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('step' as const), n: fc.nat(3) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'newReplica' as const }) },
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constant('replicaApply' as const), r: fc.nat(3) }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('replicaStep' as const),
        r: fc.nat(3),
        n: fc.nat(3),
      }),
    },
  );
  type Lists = Pick<
    RouteTables,
    | 'getAllTopicList'
    | 'getTopicsByCluster'
    | 'getUnitTopics'
    | 'getHasUnitSubTopicList'
    | 'getHasUnitSubUnUnitTopicList'
  >;
  const lists = (t: Lists): Record<string, string[]> => ({
    all: t.getAllTopicList(),
    c0: t.getTopicsByCluster('C0'),
    c1: t.getTopicsByCluster('C1'),
    unit: t.getUnitTopics(),
    unitSub: t.getHasUnitSubTopicList(),
    unitSubNotUnit: t.getHasUnitSubUnUnitTopicList(),
  });

  it.each(['5.x', '4.9'] as const)(
    'list what the eager manager lists, replicas made from a snapshot with edits still logged (%s)',
    (javaLine) => {
      let grew = 0;
      fc.assert(
        fc.property(fc.array(op, { minLength: 1, maxLength: 25 }), fc.nat(4), (ops, readEvery) => {
          const sched = manualScheduler();
          const eager = new RouteInfoManager({ clock }, { javaLine });
          const owner = new RouteInfoManager(
            { clock, scheduleTopicOrder: sched.schedule },
            { javaLine },
          );
          const log: unknown[] = [];
          owner.tables.recordOpsInto(log);
          const replicas: { tables: RouteTables; at: number; sched: typeof sched }[] = [];
          const replicaAt = (r: number): (typeof replicas)[number] | undefined =>
            replicas[r % Math.max(1, replicas.length)];
          ops.forEach((o, i) => {
            if (o.kind === 'register') {
              const names = Array.from({ length: o.count }, (_, k) => `T${o.from + k}`);
              for (const rim of [eager, owner]) register(rim, o.broker, names, o.counter, o.sys);
            } else if (o.kind === 'deleteTopic') {
              eager.deleteTopic(`T${o.topic}`);
              owner.deleteTopic(`T${o.topic}`);
            } else if (o.kind === 'close') {
              for (const rim of [eager, owner]) {
                rim.onConnectionClosed(o.broker + 1);
                while (rim.hasPendingRemovals()) rim.removePendingTopics();
              }
            } else if (o.kind === 'step') {
              for (let k = 0; k < o.n; k++) sched.stepOnce();
            } else if (o.kind === 'newReplica') {
              // The owner's log may hold edits: its snapshot settles them first.
              const rs = manualScheduler();
              const tables = new RouteTables({ javaLine, scheduleTopicOrder: rs.schedule });
              tables.importOps(owner.tables.exportOps());
              replicas.push({ tables, at: log.length, sched: rs });
            } else if (o.kind === 'replicaApply') {
              const r = replicaAt(o.r);
              if (r !== undefined) r.at = r.tables.applyOps(log, r.at, log.length);
            } else {
              const r = replicaAt(o.r);
              for (let k = 0; r !== undefined && k < o.n; k++) r.sched.stepOnce();
            }
            if (readEvery > 0 && i % readEvery === 0) expect(lists(owner)).toEqual(lists(eager));
          });
          const want = lists(eager);
          const eagerOps = eager.tables.exportOps();
          if ((eagerOps[eagerOps.length - 2] as number) > 2048) grew++;
          expect(lists(owner)).toEqual(want);
          expect(owner.tables.exportOps()).toEqual(eagerOps);
          for (const r of replicas) {
            r.at = r.tables.applyOps(log, r.at, log.length);
            expect(lists(r.tables)).toEqual(want);
            // The Java table's size and order as the replica would hand them on.
            expect(r.tables.exportOps().slice(-3)).toEqual(eagerOps.slice(-3));
          }
        }),
        { numRuns: 60 },
      );
      // The sequences must reach tables that grew past their first size.
      expect(grew).toBeGreaterThan(0);
    },
    120_000,
  );
});
