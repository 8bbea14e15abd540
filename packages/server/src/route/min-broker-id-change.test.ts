/**
 * When the route manager reports a change of a broker group's smallest id (Java 5.x
 * `RouteInfoManager.notifyMinBrokerIdChanged`), what it reports, and to whom.
 */
import { describe, expect, it } from 'vitest';
import type { TopicConfig } from '@ns/protocol';
import { RouteInfoManager } from './route-info-manager.js';
import type { MinBrokerIdChange, RegisterBrokerRequest, RouteInfoManagerOptions } from './types.js';

class FakeClock {
  constructor(public t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
}

const TOPIC: TopicConfig = {
  topicName: 'T',
  readQueueNums: 4,
  writeQueueNums: 4,
  perm: 6,
  topicFilterType: 'SINGLE_TAG',
  topicSysFlag: 0,
  order: false,
};

/** Broker `id` of broker-a at 10.0.0.<id+1>:10911, on connection id + 1. */
function member(id: number, over: Partial<RegisterBrokerRequest> = {}): RegisterBrokerRequest {
  return {
    clusterName: 'DefaultCluster',
    brokerName: 'broker-a',
    brokerAddr: `10.0.0.${id + 1}:10911`,
    brokerId: id,
    haServerAddr: `10.0.0.${id + 1}:10912`,
    topicConfigWrapper: {
      dataVersion: { counter: 1, timestamp: 1000 },
      topicConfigTable: new Map([['T', TOPIC]]),
    },
    filterServerList: [],
    connectionId: id + 1,
    enableActingMaster: true,
    ...over,
  };
}

function setup(options: RouteInfoManagerOptions = {}) {
  const clock = new FakeClock();
  const rim = new RouteInfoManager(
    { clock },
    { notifyMinBrokerIdChanged: true, supportActingMaster: true, ...options },
  );
  const changes: MinBrokerIdChange[] = [];
  rim.onMinBrokerIdChanged((c) => changes.push(c));
  return { clock, rim, changes };
}

describe('min broker id changes', () => {
  it('a registration below the smallest id: the other members are told, with its HA address', () => {
    const { rim, changes } = setup();
    rim.registerBroker(member(2));
    rim.registerBroker(member(1));
    expect(changes).toEqual([
      {
        brokerName: 'broker-a',
        minBrokerId: 1,
        minBrokerAddr: '10.0.0.2:10911',
        offlineBrokerAddr: null,
        haBrokerAddr: '10.0.0.2:10912',
        notifyBrokerAddrs: ['10.0.0.3:10911'],
      },
    ]);
    rim.registerBroker(member(0));
    // Everyone but the new smallest, in HashMap<Long> order.
    expect(changes[1]!.notifyBrokerAddrs).toEqual(['10.0.0.2:10911', '10.0.0.3:10911']);
    expect(changes[1]!.minBrokerId).toBe(0);
  });

  it("no report for a group's first member, a higher id, or a periodic re-registration", () => {
    const { rim, changes } = setup();
    rim.registerBroker(member(0));
    rim.registerBroker(member(1));
    rim.registerBroker(member(0));
    rim.registerBroker(member(1));
    expect(changes).toEqual([]);
  });

  it('reports registrations whether or not the broker asked for acting master (as Java)', () => {
    const { rim, changes } = setup();
    rim.registerBroker(member(1, { enableActingMaster: false }));
    rim.registerBroker(member(0, { enableActingMaster: false }));
    expect(changes.map((c) => c.notifyBrokerAddrs)).toEqual([['10.0.0.2:10911']]);
  });

  it('a role switch to a smaller id in a group of one tells that broker itself', () => {
    const { rim, changes } = setup();
    rim.registerBroker(member(1));
    rim.registerBroker(member(1, { brokerId: 0 }));
    expect(changes).toEqual([
      expect.objectContaining({ minBrokerId: 0, notifyBrokerAddrs: ['10.0.0.2:10911'] }),
    ]);
  });

  it.each([
    [
      'unregister',
      (rim: RouteInfoManager) =>
        rim.unregisterBroker(
          {
            clusterName: 'DefaultCluster',
            brokerName: 'broker-a',
            brokerAddr: '10.0.0.1:10911',
            brokerId: 0,
          },
          { connectionId: 1 },
        ),
    ],
    ['connection closed', (rim: RouteInfoManager) => rim.onConnectionClosed(1)],
  ])('the smallest member leaving (%s): every remaining member is told', (_how, leave) => {
    const { rim, changes } = setup();
    rim.registerBroker(member(0));
    rim.registerBroker(member(1));
    rim.registerBroker(member(2));
    leave(rim);
    expect(changes).toEqual([
      {
        brokerName: 'broker-a',
        minBrokerId: 1,
        minBrokerAddr: '10.0.0.2:10911',
        offlineBrokerAddr: '10.0.0.1:10911',
        haBrokerAddr: null,
        notifyBrokerAddrs: ['10.0.0.2:10911', '10.0.0.3:10911'],
      },
    ]);
  });

  it('the smallest member expiring: the same report', () => {
    const { clock, rim, changes } = setup();
    rim.registerBroker(member(0, { heartbeatTimeoutMillis: 10_000 }));
    clock.t += 8000;
    rim.registerBroker(member(1));
    clock.t += 3000;
    expect(rim.scanNotActiveBroker().map((b) => b.brokerId)).toEqual([0]);
    expect(changes).toEqual([
      expect.objectContaining({ minBrokerId: 1, offlineBrokerAddr: '10.0.0.1:10911' }),
    ]);
  });

  it('no report when a higher member leaves, the group empties, or it never asked for acting master', () => {
    const { rim, changes } = setup();
    rim.registerBroker(member(0));
    rim.registerBroker(member(1));
    rim.onConnectionClosed(2); // id 1 left: 0 is still the smallest
    rim.onConnectionClosed(1); // the group is gone
    const plain = setup();
    plain.rim.registerBroker(member(0, { enableActingMaster: false }));
    plain.rim.registerBroker(member(1, { enableActingMaster: false }));
    plain.rim.onConnectionClosed(1);
    expect([...changes, ...plain.changes]).toEqual([]);
  });

  it('nothing is reported without notifyMinBrokerIdChanged', () => {
    const { rim, changes } = setup({ notifyMinBrokerIdChanged: false });
    rim.registerBroker(member(1));
    rim.registerBroker(member(0));
    rim.onConnectionClosed(1);
    expect(changes).toEqual([]);
  });
});
