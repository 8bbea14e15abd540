/**
 * The route manager keeps a model of the Java topic table's order beside its own table; whatever
 * happens to the topics, both must hold the same topics.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { javaStringHashOrder } from '@ns/protocol';
import type { TopicConfig } from '@ns/protocol';
import { RouteInfoManager } from './route-info-manager.js';

const clock = { now: () => 1_700_000_000_000 };

function topic(name: string): TopicConfig {
  return {
    topicName: name,
    readQueueNums: 4,
    writeQueueNums: 4,
    perm: 6,
    topicFilterType: 'SINGLE_TAG',
    topicSysFlag: 0,
    order: false,
  };
}

type Op =
  | { kind: 'register'; broker: number; topics: number[]; counter: number }
  | { kind: 'deleteTopic'; topic: number }
  | { kind: 'close'; broker: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('register' as const),
    broker: fc.nat(3),
    topics: fc.array(fc.nat(40), { maxLength: 20 }),
    counter: fc.nat(3),
  }),
  fc.record({ kind: fc.constant('deleteTopic' as const), topic: fc.nat(40) }),
  fc.record({ kind: fc.constant('close' as const), broker: fc.nat(3) }),
);

describe('the Java topic table order model', () => {
  it.each(['5.x', '4.9'] as const)(
    'lists exactly the topics of the table, each once (%s)',
    (javaLine) => {
      fc.assert(
        fc.property(fc.array(op, { minLength: 1, maxLength: 60 }), (ops) => {
          const rim = new RouteInfoManager({ clock }, { javaLine });
          for (const o of ops) {
            if (o.kind === 'register') {
              rim.registerBroker({
                clusterName: 'C',
                brokerName: `broker-${o.broker}`,
                brokerAddr: `10.0.0.${o.broker}:10911`,
                brokerId: 0,
                haServerAddr: `10.0.0.${o.broker}:10912`,
                topicConfigWrapper: {
                  dataVersion: { counter: o.counter, timestamp: 1 },
                  topicConfigTable: new Map(o.topics.map((t) => [`T${t}`, topic(`T${t}`)])),
                },
                filterServerList: [],
                connectionId: o.broker + 1,
              });
            } else if (o.kind === 'deleteTopic') {
              rim.deleteTopic(`T${o.topic}`);
            } else {
              rim.onConnectionClosed(o.broker + 1);
            }
            const listed = rim.getAllTopicList();
            expect(new Set(listed).size).toBe(listed.length);
            expect(listed.length).toBe(rim.getCounts().topics);
            for (const t of listed) expect(rim.pickupTopicRouteData(t), t).not.toBeNull();
          }
        }),
        { numRuns: 100 },
      );
    },
  );

  it('GET_TOPICS_BY_CLUSTER lists what the Java walk per broker name lists', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 60 }), (ops) => {
        const rim = new RouteInfoManager({ clock }, { javaLine: '5.x' });
        for (const o of ops) {
          if (o.kind !== 'register') continue;
          rim.registerBroker({
            // Two clusters, broker names shared by neither.
            clusterName: o.broker % 2 === 0 ? 'C0' : 'C1',
            brokerName: `broker-${o.broker}`,
            brokerAddr: `10.0.0.${o.broker}:10911`,
            brokerId: 0,
            haServerAddr: `10.0.0.${o.broker}:10912`,
            topicConfigWrapper: {
              dataVersion: { counter: o.counter, timestamp: 1 },
              topicConfigTable: new Map(o.topics.map((t) => [`T${t}`, topic(`T${t}`)])),
            },
            filterServerList: [],
            connectionId: o.broker + 1,
          });
        }
        const tables = rim.tables;
        for (const cluster of ['C0', 'C1']) {
          // Java: for each broker name of the cluster's set, every topic of the table hosting it.
          const expected = new Set<string>();
          const members = [...(tables.clusterMembers(cluster) ?? [])];
          const capacity = tables.clusterNameSetCapacity(cluster);
          for (const name of javaStringHashOrder(members, { capacity })) {
            for (const t of tables.getAllTopicList()) {
              if (tables.topicsOf(name)?.has(t) === true) expected.add(t);
            }
          }
          expect(rim.getTopicsByCluster(cluster)).toEqual([...expected]);
        }
      }),
      { numRuns: 200 },
    );
  });
});
