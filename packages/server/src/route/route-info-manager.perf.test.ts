/**
 * Hot-path guarantees of registerBroker at scale, as structural properties (no timing: how long
 * these take is measured by `pnpm bench`, scenario "registration", on a quiet node): an unchanged
 * periodic registration of 10 000 topics is not decoded, edits nothing (no op for the replicas,
 * the same frozen QueueData objects) and notifies no one; a changed DataVersion rebuilds only what
 * differs; closing the broker empties every table through the reverse indexes.
 */
import { describe, expect, it } from 'vitest';
import type { DataVersion, QueueData, TopicConfig } from '@ns/protocol';
import { RouteInfoManager } from './route-info-manager.js';
import type { RegisterBrokerRequest } from './types.js';

const N = 10_000;

function registration(dv: DataVersion, perm: number): RegisterBrokerRequest {
  const table = new Map<string, TopicConfig>();
  for (let i = 0; i < N; i++) {
    const topicName = `Topic-${i}`;
    table.set(topicName, {
      topicName,
      readQueueNums: 8,
      writeQueueNums: 8,
      perm,
      topicFilterType: 'SINGLE_TAG',
      topicSysFlag: 0,
      order: false,
    });
  }
  return {
    clusterName: 'C',
    brokerName: 'broker-a',
    brokerAddr: '10.0.0.1:10911',
    brokerId: 0,
    haServerAddr: '10.0.0.1:10912',
    topicConfigWrapper: { dataVersion: dv, topicConfigTable: table },
    filterServerList: [],
    connectionId: 1,
  };
}

function queueDataOf(rim: RouteInfoManager): QueueData[] {
  const out: QueueData[] = [];
  for (let i = 0; i < N; i += 997) out.push(rim.pickupTopicRouteData(`Topic-${i}`)!.queueDatas[0]!);
  return out;
}

describe('RouteInfoManager at 10 000 topics', () => {
  it('an unchanged re-registration is not decoded, edits nothing and fires nothing', () => {
    const rim = new RouteInfoManager({ clock: { now: () => 1 } });
    const ops: unknown[] = [];
    rim.tables.recordOpsInto(ops);
    const fired: number[] = [];
    rim.onRouteChanged((t) => fired.push(t === 'all' ? -1 : t.size));
    let decoded = 0;
    const body = registration({ counter: 1, timestamp: 1 }, 6);
    // What the REGISTER_BROKER handler hands over: the body, decoded only on demand.
    const lazy: RegisterBrokerRequest = {
      ...body,
      topicConfigWrapper: null,
      filterServerList: null,
      lazyBody: {
        tag: 'same-bytes',
        decode() {
          decoded++;
          return { topicConfigWrapper: body.topicConfigWrapper, filterServerList: [] };
        },
      },
    };
    rim.registerBroker(lazy);
    expect(decoded).toBe(1);
    expect(fired).toEqual([N]);
    expect(ops.length).toBeGreaterThan(N);
    const before = queueDataOf(rim);
    ops.length = 0;

    for (let i = 0; i < 20; i++) rim.registerBroker(lazy);
    expect(decoded).toBe(1);
    expect(ops).toEqual([]);
    expect(fired).toEqual([N]);
    queueDataOf(rim).forEach((qd, i) => expect(qd).toBe(before[i]));
    expect(rim.getBrokerLiveViews()).toHaveLength(1);
  });

  it('an unchanged re-registration given as a decoded table edits nothing and fires nothing either', () => {
    const rim = new RouteInfoManager({ clock: { now: () => 1 } });
    const ops: unknown[] = [];
    rim.tables.recordOpsInto(ops);
    const fired: number[] = [];
    rim.onRouteChanged((t) => fired.push(t === 'all' ? -1 : t.size));
    rim.registerBroker(registration({ counter: 1, timestamp: 1 }, 6));
    const before = queueDataOf(rim);
    ops.length = 0;
    const same = registration({ counter: 1, timestamp: 1 }, 6);
    for (let i = 0; i < 20; i++) rim.registerBroker(same);
    expect(ops).toEqual([]);
    expect(fired).toEqual([N]);
    queueDataOf(rim).forEach((qd, i) => expect(qd).toBe(before[i]));
  });

  it('a changed DataVersion with identical topics rebuilds nothing; changed perms rebuild all', () => {
    const rim = new RouteInfoManager({ clock: { now: () => 1 } });
    const fired: number[] = [];
    rim.registerBroker(registration({ counter: 1, timestamp: 1 }, 6));
    rim.onRouteChanged((t) => fired.push(t === 'all' ? -1 : t.size));
    const before = queueDataOf(rim);
    rim.registerBroker(registration({ counter: 2, timestamp: 2 }, 6));
    queueDataOf(rim).forEach((qd, i) => expect(qd).toBe(before[i]));
    expect(fired).toEqual([]);
    rim.registerBroker(registration({ counter: 3, timestamp: 3 }, 4));
    expect(fired).toEqual([N]);
    expect(queueDataOf(rim).every((qd) => qd.perm === 4)).toBe(true);
    expect(rim.getCounts()).toMatchObject({ topics: N, queueEntries: N });
  });

  it('closing the broker removes its 10 000 topics and leaves every index empty', () => {
    const rim = new RouteInfoManager({ clock: { now: () => 1 } });
    rim.registerBroker(registration({ counter: 1, timestamp: 1 }, 6));
    expect(rim.onConnectionClosed(1)).toHaveLength(1);
    expect(rim.getCounts()).toEqual({
      clusters: 0,
      brokerNames: 0,
      brokers: 0,
      topics: 0,
      queueEntries: 0,
    });
    const sizes = rim.getIndexSizes();
    expect(sizes).toEqual(Object.fromEntries(Object.keys(sizes).map((k) => [k, 0])));
  });
});
