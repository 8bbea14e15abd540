import { describe, expect, it } from 'vitest';
import { javaStringHashCode } from '@ns/protocol';
import type { DataVersion, TopicConfig, TopicConfigSerializeWrapper } from '@ns/protocol';
import { RouteInfoManager } from './route-info-manager.js';
import { RouteTables } from './route-tables.js';
import type { RegisterBrokerRequest, RouteInfoManagerOptions } from './types.js';

class FakeClock {
  constructor(public t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

function topic(name: string, over: Partial<TopicConfig> = {}): TopicConfig {
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

function wrapper(
  dv: DataVersion,
  topics: TopicConfig[],
  extra: Partial<TopicConfigSerializeWrapper> = {},
): TopicConfigSerializeWrapper {
  return {
    dataVersion: { ...dv },
    topicConfigTable: new Map(topics.map((t) => [t.topicName, t])),
    ...extra,
  };
}

const V1: DataVersion = { counter: 1, timestamp: 1000 };
const V2: DataVersion = { counter: 2, timestamp: 2000 };

function req(over: Partial<RegisterBrokerRequest> = {}): RegisterBrokerRequest {
  return {
    clusterName: 'DefaultCluster',
    brokerName: 'broker-a',
    brokerAddr: '10.0.0.1:10911',
    brokerId: 0,
    haServerAddr: '10.0.0.1:10912',
    topicConfigWrapper: wrapper(V1, [topic('TopicA'), topic('TopicB')]),
    filterServerList: [],
    connectionId: 1,
    ...over,
  };
}

const SLAVE = {
  brokerId: 1,
  brokerAddr: '10.0.0.2:10911',
  haServerAddr: '10.0.0.2:10912',
  connectionId: 2,
};

function setup(options: RouteInfoManagerOptions = {}) {
  const clock = new FakeClock();
  const kv = new Map<string, Map<string, string>>();
  const rim = new RouteInfoManager(
    {
      clock,
      kvLookup: (ns) => {
        const t = kv.get(ns);
        return t === undefined ? null : { table: new Map(t) };
      },
    },
    options,
  );
  const events: (string[] | 'all')[] = [];
  rim.onRouteChanged((topics) => events.push(topics === 'all' ? 'all' : [...topics].sort()));
  return { clock, kv, rim, events };
}

describe('RouteInfoManager.registerBroker', () => {
  it('registers a master: routes, cluster info, empty result', () => {
    const { rim } = setup();
    const result = rim.registerBroker(req());
    expect(result).toEqual({ masterAddr: null, haServerAddr: null, kvTable: null });
    const route = rim.pickupTopicRouteData('TopicA');
    expect(route).not.toBeNull();
    expect(route!.queueDatas).toEqual([
      { brokerName: 'broker-a', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 },
    ]);
    // 5.x BrokerData always has enableActingMaster; 4.9's only when set (no such field there).
    expect(route!.brokerDatas).toEqual([
      {
        cluster: 'DefaultCluster',
        brokerName: 'broker-a',
        brokerAddrs: new Map([[0, '10.0.0.1:10911']]),
        enableActingMaster: false,
      },
    ]);
    const old = setup({ javaLine: '4.9' }).rim;
    old.registerBroker(req());
    expect(old.pickupTopicRouteData('TopicA')!.brokerDatas[0]).not.toHaveProperty(
      'enableActingMaster',
    );
    expect(route!.filterServerTable.size).toBe(0);
    const info = rim.getAllClusterInfo();
    expect(info.clusterAddrTable).toEqual(new Map([['DefaultCluster', ['broker-a']]]));
    expect([...info.brokerAddrTable.keys()]).toEqual(['broker-a']);
    expect(rim.pickupTopicRouteData('Missing')).toBeNull();
  });

  it('a slave never creates routes and learns its master only once the master is live', () => {
    const { rim } = setup();
    const first = rim.registerBroker(
      req({ ...SLAVE, topicConfigWrapper: wrapper(V1, [topic('SlaveOnly'), topic('TopicA')]) }),
    );
    expect(first).toEqual({ masterAddr: null, haServerAddr: null, kvTable: null });
    expect(rim.getAllTopicList()).toEqual([]);
    // The group exists (with the slave only) but no topic route does.
    expect(rim.getBrokerMemberGroup('DefaultCluster', 'broker-a').brokerAddrs).toEqual(
      new Map([[1, '10.0.0.2:10911']]),
    );

    rim.registerBroker(req());
    const again = rim.registerBroker(req({ ...SLAVE }));
    expect(again).toEqual({
      masterAddr: '10.0.0.1:10911',
      haServerAddr: '10.0.0.1:10912',
      kvTable: null,
    });
    expect(rim.getAllTopicList().sort()).toEqual(['TopicA', 'TopicB']);
    expect(rim.pickupTopicRouteData('TopicA')!.brokerDatas[0]!.brokerAddrs).toEqual(
      new Map([
        [1, '10.0.0.2:10911'],
        [0, '10.0.0.1:10911'],
      ]),
    );
  });

  it('a slave whose master is registered but expired gets no master info', () => {
    const { rim, clock } = setup();
    rim.registerBroker(req());
    clock.advance(100_000);
    rim.registerBroker(req({ ...SLAVE }));
    clock.advance(30_000);
    rim.scanNotActiveBroker(); // master expired (130 s), slave alive (30 s)
    expect(rim.registerBroker(req({ ...SLAVE }))!.masterAddr).toBeNull();
  });

  it('a slave learns its master only from a live entry of its own cluster name (5.x keys liveness by cluster and address)', () => {
    const { rim } = setup();
    rim.registerBroker(req());
    // Same broker name, another cluster name: the group has a master address, but no live
    // entry (OtherCluster, master address) exists, so nothing is reported.
    const other = rim.registerBroker(req({ ...SLAVE, clusterName: 'OtherCluster' }))!;
    expect(other.masterAddr).toBeNull();
    expect(other.haServerAddr).toBeNull();
    const same = rim.registerBroker(req({ ...SLAVE, brokerId: 2, brokerAddr: 's2:1' }))!;
    expect(same.masterAddr).toBe('10.0.0.1:10911');
    expect(same.haServerAddr).toBe('10.0.0.1:10912');
  });

  it('returns the ORDER_TOPIC_CONFIG namespace as the KV table', () => {
    const { rim, kv } = setup();
    kv.set('ORDER_TOPIC_CONFIG', new Map([['TopicA', 'broker-a:4']]));
    kv.set('OTHER', new Map([['x', 'y']]));
    expect(rim.registerBroker(req())!.kvTable).toEqual({
      table: new Map([['TopicA', 'broker-a:4']]),
    });
  });

  it('looks ORDER_TOPIC_CONFIG up only when the result is read, not on every registration', () => {
    // The lookup copies the whole namespace (anyone may grow it with PUT_KV_CONFIG) and the node's
    // REGISTER_BROKER handler sends a body of its own: a registration must not pay for the copy.
    let lookups = 0;
    const table = new Map([['TopicA', 'broker-a:4']]);
    const rim = new RouteInfoManager(
      {
        clock: new FakeClock(),
        kvLookup: (ns) => {
          lookups++;
          return ns === 'ORDER_TOPIC_CONFIG' ? { table: new Map(table) } : null;
        },
      },
      {},
    );
    const results = [];
    for (let i = 0; i < 5; i++) results.push(rim.registerBroker(req())!);
    results.push(rim.registerBroker(req({ ...SLAVE }))!);
    expect(lookups).toBe(0);
    expect(results[5]!.masterAddr).toBe('10.0.0.1:10911');
    // Read, it is the namespace, looked up once per result however often it is read.
    expect(results[0]!.kvTable).toEqual({ table: new Map([['TopicA', 'broker-a:4']]) });
    expect(results[0]!.kvTable).toEqual({ table: new Map([['TopicA', 'broker-a:4']]) });
    expect(lookups).toBe(1);
    expect(results[5]).toEqual({
      masterAddr: '10.0.0.1:10911',
      haServerAddr: '10.0.0.1:10912',
      kvTable: { table: new Map([['TopicA', 'broker-a:4']]) },
    });
    expect(lookups).toBe(2);
  });

  it('role switch: the same address with a new id replaces the old id', () => {
    const { rim } = setup();
    rim.registerBroker(req());
    rim.registerBroker(req({ ...SLAVE }));
    // The master goes away, the slave is promoted at the same address as id 0.
    rim.unregisterBroker({
      clusterName: 'DefaultCluster',
      brokerName: 'broker-a',
      brokerAddr: '10.0.0.1:10911',
      brokerId: 0,
    });
    rim.registerBroker(req({ ...SLAVE, brokerId: 0 }));
    expect(rim.getBrokerMemberGroup('DefaultCluster', 'broker-a').brokerAddrs).toEqual(
      new Map([[0, '10.0.0.2:10911']]),
    );
  });

  it('same id with a new address overwrites the old address', () => {
    const { rim } = setup();
    rim.registerBroker(req());
    rim.registerBroker(req({ brokerAddr: '10.0.0.9:10911', connectionId: 9 }));
    expect(rim.pickupTopicRouteData('TopicA')!.brokerDatas[0]!.brokerAddrs).toEqual(
      new Map([[0, '10.0.0.9:10911']]),
    );
    // The old address's live entry lingers until it expires or its connection closes (Java too).
    expect(rim.getCounts().brokers).toBe(2);
    expect(rim.onConnectionClosed(1).map((b) => b.brokerAddr)).toEqual(['10.0.0.1:10911']);
    expect(rim.pickupTopicRouteData('TopicA')!.brokerDatas[0]!.brokerAddrs).toEqual(
      new Map([[0, '10.0.0.9:10911']]),
    );
  });

  it('applies topic changes only when the DataVersion changes, topics are never removed', () => {
    const { rim } = setup();
    rim.registerBroker(req());
    // Same DataVersion, different content: Java trusts the version, nothing is applied.
    rim.registerBroker(req({ topicConfigWrapper: wrapper(V1, [topic('TopicA', { perm: 4 })]) }));
    expect(rim.pickupTopicRouteData('TopicA')!.queueDatas[0]!.perm).toBe(6);
    rim.registerBroker(req({ topicConfigWrapper: wrapper(V2, [topic('TopicA', { perm: 4 })]) }));
    expect(rim.pickupTopicRouteData('TopicA')!.queueDatas[0]!.perm).toBe(4);
    expect(rim.pickupTopicRouteData('TopicB')).not.toBeNull();
  });

  it('registers without a body: empty topic table, DataVersion 0/0', () => {
    const { rim } = setup();
    rim.registerBroker(req({ topicConfigWrapper: null, filterServerList: null }));
    expect(rim.getAllTopicList()).toEqual([]);
    expect(
      rim.queryDataVersion(
        { clusterName: 'DefaultCluster', brokerAddr: '10.0.0.1:10911' },
        { counter: 0, timestamp: 0 },
      ),
    ).toEqual({ changed: false, dataVersion: { counter: 0, timestamp: 0 } });
  });

  it('a body without a timestamp is stamped with the clock: a changed version every time, as Java', () => {
    // Java: `new DataVersion()` takes the receiver's clock, so a broker that sends no timestamp
    // (or no DataVersion at all) never registers "the same version" twice.
    const { rim, clock } = setup();
    const UNSTAMPED: DataVersion = { counter: 0, timestamp: 0, unstamped: true };
    const id = { clusterName: 'DefaultCluster', brokerAddr: '10.0.0.1:10911' };
    rim.registerBroker(req({ topicConfigWrapper: wrapper(UNSTAMPED, [topic('TopicA')]) }));
    const first = clock.t;
    expect(rim.queryDataVersion(id, V1).dataVersion).toEqual({ counter: 0, timestamp: first });
    clock.advance(30_000);
    rim.registerBroker(
      req({
        topicConfigWrapper: wrapper(UNSTAMPED, [topic('TopicA', { perm: 4 }), topic('TopicC')]),
      }),
    );
    expect(rim.pickupTopicRouteData('TopicA')!.queueDatas[0]!.perm).toBe(4);
    expect(rim.pickupTopicRouteData('TopicC')).not.toBeNull();
    const stored = rim.queryDataVersion(id, V1).dataVersion;
    expect(stored).toEqual({ counter: 0, timestamp: clock.t });
    // A query without a timestamp is stamped too: never equal to one stored earlier.
    clock.advance(1);
    expect(rim.queryDataVersion(id, UNSTAMPED).changed).toBe(true);
    expect(rim.queryDataVersion(id, stored).changed).toBe(false);
  });

  it.each([
    ['4.9', false],
    ['5.x', true],
  ] as const)(
    'on the %s line a DataVersion differing only in stateVersion is changed: %s',
    (javaLine, changed) => {
      // Java 4.9's DataVersion has no stateVersion (equals: timestamp and counter); 5.x compares it.
      const { rim } = setup({ javaLine });
      const id = { clusterName: 'DefaultCluster', brokerAddr: '10.0.0.1:10911' };
      rim.registerBroker(
        req({ topicConfigWrapper: wrapper({ ...V1, stateVersion: 1 }, [topic('TopicA')]) }),
      );
      expect(rim.queryDataVersion(id, { ...V1, stateVersion: 2 }).changed).toBe(changed);
      // A registration's topics are applied only for a changed version.
      rim.registerBroker(
        req({
          topicConfigWrapper: wrapper({ ...V1, stateVersion: 2 }, [topic('TopicA', { perm: 4 })]),
        }),
      );
      expect(rim.pickupTopicRouteData('TopicA')!.queueDatas[0]!.perm).toBe(changed ? 4 : 6);
    },
  );

  it('keeps brokers of two clusters that reuse one address apart (5.x liveness key)', () => {
    const { rim } = setup();
    rim.registerBroker(req());
    rim.registerBroker(req({ clusterName: 'Other', brokerName: 'broker-x', connectionId: 5 }));
    expect(rim.getCounts()).toMatchObject({ clusters: 2, brokers: 2, brokerNames: 2 });
    rim.onConnectionClosed(5);
    expect(rim.getCounts()).toMatchObject({ clusters: 1, brokers: 1, brokerNames: 1 });
    expect(rim.pickupTopicRouteData('TopicA')!.brokerDatas[0]!.brokerName).toBe('broker-a');
  });

  it('5.x stateVersion conflict: an older process for an id owned by a live newer one is ignored', () => {
    const { rim } = setup();
    rim.registerBroker(
      req({ topicConfigWrapper: wrapper({ ...V1, stateVersion: 5 }, [topic('TopicA')]) }),
    );
    const result = rim.registerBroker(
      req({
        brokerAddr: '10.0.0.7:10911',
        connectionId: 7,
        topicConfigWrapper: wrapper({ ...V2, stateVersion: 3 }, [topic('TopicA'), topic('Zombie')]),
      }),
    );
    expect(result).toEqual({ masterAddr: null, haServerAddr: null, kvTable: null });
    expect(rim.getBrokerMemberGroup('c', 'broker-a').brokerAddrs).toEqual(
      new Map([[0, '10.0.0.1:10911']]),
    );
    expect(rim.getAllTopicList()).toEqual(['TopicA']);
    expect(rim.getCounts().brokers).toBe(1);
    expect(rim.onConnectionClosed(7)).toEqual([]);
  });

  it('5.x stateVersion conflict: the refused address loses the live entry it had (reference §4.2 c)', () => {
    const { rim } = setup();
    rim.registerBroker(
      req({ topicConfigWrapper: wrapper({ ...V1, stateVersion: 5 }, [topic('TopicA')]) }),
    );
    // The other address was live as a slave first.
    const other = { brokerAddr: '10.0.0.7:10911', connectionId: 7 };
    rim.registerBroker(
      req({
        ...other,
        brokerId: 1,
        topicConfigWrapper: wrapper({ ...V1, stateVersion: 3 }, [topic('TopicA')]),
      }),
    );
    expect(rim.getCounts().brokers).toBe(2);
    // It claims the master id with an older stateVersion: refused, and its live entry removed.
    rim.registerBroker(
      req({
        ...other,
        topicConfigWrapper: wrapper({ ...V2, stateVersion: 3 }, [topic('TopicA')]),
      }),
    );
    expect(rim.getBrokerLiveViews().map((b) => b.brokerAddr)).toEqual(['10.0.0.1:10911']);
    expect(rim.isConnectionInUse(7)).toBe(false);
    expect(rim.getBrokerMemberGroup('c', 'broker-a').brokerAddrs).toEqual(
      new Map([[0, '10.0.0.1:10911']]),
    );
  });

  it("a re-registration replaces the heartbeat timeout, and a slave learns its master's new HA address", () => {
    const { rim, clock } = setup();
    rim.registerBroker(req({ heartbeatTimeoutMillis: 10_000 }));
    rim.registerBroker(req({ ...SLAVE, heartbeatTimeoutMillis: 60_000 }));
    // The master now asks for 60 s and moved its HA port.
    rim.registerBroker(req({ heartbeatTimeoutMillis: 60_000, haServerAddr: '10.0.0.1:20912' }));
    expect(rim.registerBroker(req({ ...SLAVE, heartbeatTimeoutMillis: 60_000 }))).toMatchObject({
      masterAddr: '10.0.0.1:10911',
      haServerAddr: '10.0.0.1:20912',
    });
    clock.advance(30_000);
    expect(rim.scanNotActiveBroker()).toEqual([]);
    clock.advance(30_001);
    expect(
      rim
        .scanNotActiveBroker()
        .map((b) => b.brokerId)
        .sort(),
    ).toEqual([0, 1]);
  });

  it('single-topic guard is off by default and refuses a first one-topic registration when on', () => {
    const one = wrapper(V1, [topic('Only')]);
    const off = setup();
    expect(off.rim.registerBroker(req({ topicConfigWrapper: one }))).not.toBeNull();
    expect(off.rim.getAllTopicList()).toEqual(['Only']);

    const on = setup({ rejectFirstSingleTopicRegistration: true });
    expect(on.rim.registerBroker(req({ topicConfigWrapper: one }))).toBeNull();
    // Unlike Java, nothing is left behind.
    expect(on.rim.getCounts()).toEqual({
      clusters: 0,
      brokerNames: 0,
      brokers: 0,
      topics: 0,
      queueEntries: 0,
    });
    on.rim.registerBroker(req());
    // Once the id is known, incremental single-topic registrations are accepted.
    expect(
      on.rim.registerBroker(req({ topicConfigWrapper: wrapper(V2, [topic('Only')]) })),
    ).not.toBeNull();
    expect(on.rim.getAllTopicList()).toContain('Only');
  });

  it('deleteTopicWithBrokerRegistration removes topics the broker stopped reporting', () => {
    const { rim } = setup({ deleteTopicWithBrokerRegistration: true });
    rim.registerBroker(req());
    rim.registerBroker(req({ brokerName: 'broker-b', brokerAddr: 'b:1', connectionId: 3 }));
    rim.registerBroker(req({ topicConfigWrapper: wrapper(V1, [topic('TopicA')]) }));
    expect(rim.pickupTopicRouteData('TopicB')!.queueDatas.map((q) => q.brokerName)).toEqual([
      'broker-b',
    ]);
    const off = setup();
    off.rim.registerBroker(req());
    off.rim.registerBroker(req({ topicConfigWrapper: wrapper(V2, [topic('TopicA')]) }));
    expect(off.rim.getAllTopicList().sort()).toEqual(['TopicA', 'TopicB']);
  });

  it('stores filter servers and shows them in routes; an empty list removes them', () => {
    const { rim } = setup();
    rim.registerBroker(req({ filterServerList: ['10.0.0.1:40000'] }));
    expect(rim.pickupTopicRouteData('TopicA')!.filterServerTable).toEqual(
      new Map([['10.0.0.1:10911', ['10.0.0.1:40000']]]),
    );
    rim.registerBroker(req({ filterServerList: null }));
    expect(rim.pickupTopicRouteData('TopicA')!.filterServerTable.size).toBe(1);
    // Another list replaces the stored one (not only an empty list changes it).
    rim.registerBroker(req({ filterServerList: ['10.0.0.1:40001', '10.0.0.1:40002'] }));
    expect(rim.pickupTopicRouteData('TopicA')!.filterServerTable).toEqual(
      new Map([['10.0.0.1:10911', ['10.0.0.1:40001', '10.0.0.1:40002']]]),
    );
    rim.registerBroker(req({ filterServerList: [] }));
    expect(rim.pickupTopicRouteData('TopicA')!.filterServerTable.size).toBe(0);
  });

  it('deleteTopicWithBrokerRegistration leaves the topics alone while the body carries static topic mappings (5.x g)', () => {
    const { rim } = setup({ deleteTopicWithBrokerRegistration: true });
    const info = {
      topic: 'TopicA',
      scope: '__global__',
      totalQueues: 4,
      bname: 'broker-a',
      epoch: 1,
      dirty: false,
    };
    rim.registerBroker(req({ topicConfigWrapper: wrapper(V1, [topic('TopicA'), topic('Old')]) }));
    rim.registerBroker(
      req({
        topicConfigWrapper: wrapper(V2, [topic('TopicA')], {
          topicQueueMappingInfoMap: new Map([['TopicA', info]]),
        }),
      }),
    );
    expect(rim.pickupTopicRouteData('Old')).not.toBeNull();
    // Without mappings, rule g applies again.
    rim.registerBroker(
      req({ topicConfigWrapper: wrapper({ counter: 3, timestamp: 3000 }, [topic('TopicA')]) }),
    );
    expect(rim.pickupTopicRouteData('Old')).toBeNull();
  });

  it('keeps static topic mappings from the registration', () => {
    const { rim } = setup();
    const info = {
      topic: 'TopicA',
      scope: '__global__',
      totalQueues: 4,
      bname: 'broker-a',
      epoch: 1,
      dirty: false,
    };
    rim.registerBroker(
      req({
        topicConfigWrapper: wrapper(V1, [topic('TopicA')], {
          topicQueueMappingInfoMap: new Map([['TopicA', info]]),
        }),
      }),
    );
    expect(rim.pickupTopicRouteData('TopicA')!.topicQueueMappingByBroker).toEqual(
      new Map([['broker-a', info]]),
    );
  });

  it('a broker name that leaves takes its static mappings with it, and an emptied mapping table is gone from the route', () => {
    const { rim } = setup();
    const info = {
      topic: 'TopicA',
      scope: '__global__',
      totalQueues: 4,
      bname: 'broker-b',
      epoch: 1,
      dirty: false,
    };
    rim.registerBroker(req());
    rim.registerBroker(
      req({
        brokerName: 'broker-b',
        brokerAddr: '10.0.0.3:10911',
        connectionId: 3,
        topicConfigWrapper: wrapper(V1, [topic('TopicA')], {
          topicQueueMappingInfoMap: new Map([['TopicA', info]]),
        }),
      }),
    );
    expect(rim.pickupTopicRouteData('TopicA')!.topicQueueMappingByBroker).toEqual(
      new Map([['broker-b', info]]),
    );
    rim.onConnectionClosed(3); // broker-b gone; TopicA stays on broker-a
    const route = rim.pickupTopicRouteData('TopicA')!;
    expect(route.queueDatas.map((qd) => qd.brokerName)).toEqual(['broker-a']);
    // No mapping left: the route has no (empty) topicQueueMappingByBroker, as before any mapping.
    expect(route).not.toHaveProperty('topicQueueMappingByBroker');
    expect(rim.getIndexSizes()).toMatchObject({ mappings: 0, brokerNameMappings: 0 });
  });
});

describe('RouteInfoManager liveness', () => {
  it('expires a broker after its heartbeat timeout and reports its connection', () => {
    const { rim, clock } = setup();
    rim.registerBroker(req());
    rim.registerBroker(
      req({
        brokerName: 'broker-b',
        brokerAddr: 'b:1',
        connectionId: 3,
        heartbeatTimeoutMillis: 10_000,
      }),
    );
    clock.advance(10_000);
    expect(rim.scanNotActiveBroker()).toEqual([]); // not strictly older yet (Java uses <)
    clock.advance(1);
    const expired = rim.scanNotActiveBroker();
    expect(expired).toEqual([
      {
        clusterName: 'DefaultCluster',
        brokerAddr: 'b:1',
        brokerName: 'broker-b',
        brokerId: 0,
        connectionId: 3,
        lastUpdateTimestamp: clock.t - 10_001,
      },
    ]);
    // broker-b's topics lost their QueueData for broker-b; broker-a still serves them.
    expect(rim.pickupTopicRouteData('TopicA')!.queueDatas.map((q) => q.brokerName)).toEqual([
      'broker-a',
    ]);
    clock.advance(110_000);
    expect(rim.scanNotActiveBroker().map((b) => b.brokerName)).toEqual(['broker-a']);
    expect(rim.getCounts()).toEqual({
      clusters: 0,
      brokerNames: 0,
      brokers: 0,
      topics: 0,
      queueEntries: 0,
    });
  });

  it('refreshes liveness by registration, BROKER_HEARTBEAT and QUERY_DATA_VERSION (always)', () => {
    const { rim, clock } = setup();
    rim.registerBroker(req());
    const id = { clusterName: 'DefaultCluster', brokerAddr: '10.0.0.1:10911' };
    clock.advance(100_000);
    expect(rim.brokerHeartbeat(id.clusterName, id.brokerAddr)).toBe(true);
    expect(rim.brokerHeartbeat('OtherCluster', id.brokerAddr)).toBe(false);
    clock.advance(100_000);
    // A changed DataVersion still refreshes (5.x).
    expect(rim.queryDataVersion(id, V2)).toEqual({ changed: true, dataVersion: V1 });
    clock.advance(100_000);
    expect(rim.scanNotActiveBroker()).toEqual([]);
    expect(rim.queryDataVersion(id, V1)).toEqual({ changed: false, dataVersion: V1 });
    expect(rim.queryDataVersion({ ...id, brokerAddr: 'x:1' }, V1)).toEqual({
      changed: true,
      dataVersion: null,
    });
    clock.advance(120_001);
    expect(rim.scanNotActiveBroker()).toHaveLength(1);
  });

  it('an expiry scan removes at most maxBrokers brokers per call; fewer returned means none is left', () => {
    const { rim, clock } = setup();
    for (let i = 0; i < 5; i++) {
      rim.registerBroker(
        req({ brokerName: `b${i}`, brokerAddr: `10.0.1.${i}:10911`, connectionId: 10 + i }),
      );
    }
    clock.advance(120_001);
    const now = clock.now();
    expect(rim.scanNotActiveBroker(now, 2)).toHaveLength(2);
    expect(rim.scanNotActiveBroker(now, 2)).toHaveLength(2);
    expect(rim.scanNotActiveBroker(now, 2)).toHaveLength(1);
    expect(rim.getCounts().brokers).toBe(0);
  });

  it('an expiry scan whose topic budget runs out inside one broker leaves the other expired brokers for the next call', () => {
    const { rim, clock } = setup();
    const topics = Array.from({ length: 10 }, (_, i) => topic(`T${i}`));
    rim.registerBroker(req({ topicConfigWrapper: wrapper(V1, topics) }));
    rim.registerBroker(
      req({
        brokerName: 'broker-b',
        brokerAddr: '10.0.0.3:10911',
        connectionId: 3,
        topicConfigWrapper: wrapper(
          V1,
          topics.map((t) => topic(`B${t.topicName}`)),
        ),
      }),
    );
    clock.advance(120_001);
    const now = clock.now();
    // 4 topic edits per call: broker-a's 10 topics take three calls, broker-b waits for them
    // (the third call finishes them and goes on with broker-b).
    const perCall: string[][] = [];
    do {
      perCall.push(rim.scanNotActiveBroker(now, Infinity, 4).map((b) => b.brokerName));
    } while (rim.hasPendingRemovals() || perCall.at(-1)!.length > 0);
    expect(perCall.slice(0, 3)).toEqual([['broker-a'], [], ['broker-b']]);
    expect(perCall.flat()).toEqual(['broker-a', 'broker-b']);
    expect(rim.getCounts()).toMatchObject({ brokers: 0, topics: 0, brokerNames: 0 });
  });

  it('reports live brokers with their age for the admin page', () => {
    const { rim, clock } = setup();
    rim.registerBroker(req({ heartbeatTimeoutMillis: 30_000 }));
    clock.advance(1234);
    expect(rim.getBrokerLiveViews()).toEqual([
      {
        clusterName: 'DefaultCluster',
        brokerName: 'broker-a',
        brokerId: 0,
        brokerAddr: '10.0.0.1:10911',
        haServerAddr: '10.0.0.1:10912',
        brokerVersion: null,
        connectionId: 1,
        lastUpdateTimestamp: clock.t - 1234,
        lastUpdateAgeMillis: 1234,
        heartbeatTimeoutMillis: 30_000,
        dataVersion: V1,
      },
    ]);
    expect(rim.getCounts()).toEqual({
      clusters: 1,
      brokerNames: 1,
      brokers: 1,
      topics: 2,
      queueEntries: 2,
    });
  });
});

describe('RouteInfoManager connection close and unregister', () => {
  it('removes a broker at once when the connection it registered on closes', () => {
    const { rim } = setup();
    rim.registerBroker(req());
    rim.registerBroker(req({ ...SLAVE }));
    expect(rim.onConnectionClosed(42)).toEqual([]); // a client connection: nothing
    const removed = rim.onConnectionClosed(2);
    expect(removed.map((b) => [b.brokerAddr, b.brokerId])).toEqual([['10.0.0.2:10911', 1]]);
    // Slave gone, master keeps the topics.
    expect(rim.pickupTopicRouteData('TopicA')!.brokerDatas[0]!.brokerAddrs).toEqual(
      new Map([[0, '10.0.0.1:10911']]),
    );
    rim.onConnectionClosed(1);
    expect(rim.getAllTopicList()).toEqual([]);
    expect(rim.getAllClusterInfo().clusterAddrTable.size).toBe(0);
  });

  it('tells the transport whether a connection still carries live brokers', () => {
    const { rim, clock } = setup();
    rim.registerBroker(req({ connectionId: 8, heartbeatTimeoutMillis: 1000 }));
    rim.registerBroker(req({ brokerName: 'broker-b', brokerAddr: 'b:1', connectionId: 8 }));
    expect(rim.isConnectionInUse(8)).toBe(true);
    expect(rim.isConnectionInUse(9)).toBe(false);
    clock.advance(1001);
    expect(rim.scanNotActiveBroker().map((b) => b.connectionId)).toEqual([8]);
    // broker-b still lives on connection 8: the transport must not close it.
    expect(rim.isConnectionInUse(8)).toBe(true);
    rim.registerBroker(req({ brokerName: 'broker-b', brokerAddr: 'b:1', connectionId: 10 }));
    expect(rim.isConnectionInUse(8)).toBe(false);
  });

  it('removes every broker registered over one shared connection', () => {
    const { rim } = setup();
    rim.registerBroker(req({ connectionId: 8 }));
    rim.registerBroker(req({ brokerName: 'broker-b', brokerAddr: 'b:1', connectionId: 8 }));
    expect(rim.onConnectionClosed(8)).toHaveLength(2);
    expect(rim.getCounts().brokerNames).toBe(0);
  });

  it('an old connection closing after a restart on a new connection removes nothing', () => {
    const { rim } = setup();
    rim.registerBroker(req({ connectionId: 1 }));
    // Restart: same address, new connection, re-registration.
    rim.registerBroker(
      req({ connectionId: 2, topicConfigWrapper: wrapper(V2, [topic('TopicA')]) }),
    );
    expect(rim.onConnectionClosed(1)).toEqual([]);
    expect(rim.pickupTopicRouteData('TopicA')).not.toBeNull();
    expect(rim.getBrokerLiveViews()[0]!.connectionId).toBe(2);
    expect(rim.onConnectionClosed(2)).toHaveLength(1);
    expect(rim.pickupTopicRouteData('TopicA')).toBeNull();
  });

  it('a connection the node lost itself (its serving worker died) detaches its brokers without removing them', () => {
    const { rim, clock } = setup();
    const identity = {
      clusterName: 'DefaultCluster',
      brokerName: 'broker-a',
      brokerAddr: '10.0.0.1:10911',
      brokerId: 0,
    };
    rim.registerBroker(req({ connectionId: 1, heartbeatTimeoutMillis: 10_000 }));
    rim.registerBroker(req({ ...SLAVE, heartbeatTimeoutMillis: 10_000 }));
    expect(rim.onConnectionLost(7)).toBe(0); // a client connection: nothing
    expect(rim.onConnectionLost(1)).toBe(1);
    expect(rim.isConnectionInUse(1)).toBe(false);
    expect(rim.onConnectionClosed(1)).toEqual([]); // nothing is bound to it any more
    expect(rim.pickupTopicRouteData('TopicA')!.brokerDatas[0]!.brokerAddrs.size).toBe(2);

    // It registers again over a new connection: bound to that one, closed with it.
    rim.registerBroker(req({ connectionId: 3, heartbeatTimeoutMillis: 10_000 }));
    expect(rim.isConnectionInUse(3)).toBe(true);
    expect(rim.getBrokerLiveViews().find((b) => b.brokerId === 0)!.connectionId).toBe(3);
    expect(rim.onConnectionClosed(3).map((b) => b.brokerId)).toEqual([0]);

    // The slave's connection is lost too: it stays until its heartbeat timeout, then expires,
    // unless it unregisters first (from a new connection: not taken for a stale one).
    expect(rim.onConnectionLost(2)).toBe(1);
    clock.advance(10_001);
    expect(rim.scanNotActiveBroker().map((b) => b.brokerId)).toEqual([1]);
    rim.registerBroker(req({ connectionId: 4 }));
    expect(rim.onConnectionLost(4)).toBe(1);
    clock.advance(5);
    expect(rim.unregisterBroker(identity, { connectionId: 5, receivedAt: clock.now() })).toBe(
      'unregistered',
    );
    expect(rim.getAllTopicList()).toEqual([]);
  });

  it('an UNREGISTER_BROKER from a new connection that beat the news of the lost one is applied with the loss', () => {
    const { rim, clock } = setup();
    const identity = {
      clusterName: 'DefaultCluster',
      brokerName: 'broker-a',
      brokerAddr: '10.0.0.1:10911',
      brokerId: 0,
    };
    rim.registerBroker(req({ connectionId: 1, heartbeatTimeoutMillis: 120_000 }));
    clock.advance(5);
    // Its worker died; the broker reconnected (3) and unregistered before the owner heard of it.
    expect(rim.unregisterBroker(identity, { connectionId: 3, receivedAt: clock.now() })).toBe(
      'ignored-stale',
    );
    // Nothing left detached: its one broker left with the unregister.
    expect(rim.onConnectionLost(1)).toBe(0);
    expect(rim.pickupTopicRouteData('TopicA')).toBeNull();
    expect(rim.getBrokerLiveViews()).toEqual([]);
  });

  it('an UNREGISTER_BROKER held for a connection is not applied with its loss when the broker registered on it again after that unregister', () => {
    const { rim, clock } = setup();
    const identity = {
      clusterName: 'DefaultCluster',
      brokerName: 'broker-a',
      brokerAddr: '10.0.0.1:10911',
      brokerId: 0,
    };
    rim.registerBroker(req({ connectionId: 1, receivedAt: clock.now() }));
    clock.advance(5);
    expect(rim.unregisterBroker(identity, { connectionId: 3, receivedAt: clock.now() })).toBe(
      'ignored-stale',
    );
    clock.advance(5);
    // The process on connection 1 registers again after that unregister: it is alive there.
    rim.registerBroker(req({ connectionId: 1, receivedAt: clock.now() }));
    // Its worker dies: the held unregister is older than that registration, so it is dropped and
    // the broker stays (detached) until it registers again or times out.
    expect(rim.onConnectionLost(1)).toBe(1);
    expect(rim.pickupTopicRouteData('TopicA')).not.toBeNull();
    expect(rim.getBrokerLiveViews().map((b) => b.brokerAddr)).toEqual(['10.0.0.1:10911']);
  });

  it('an UNREGISTER_BROKER naming another broker name at a live address is stale (the address re-registered under a new name)', () => {
    const { rim } = setup();
    rim.registerBroker(req({ connectionId: 1, brokerName: 'broker-b' }));
    const oldName = {
      clusterName: 'DefaultCluster',
      brokerName: 'broker-a',
      brokerAddr: '10.0.0.1:10911',
      brokerId: 0,
    };
    expect(rim.unregisterBroker(oldName, { connectionId: 1 })).toBe('ignored-stale');
    expect(rim.getBrokerLiveViews().map((b) => b.brokerName)).toEqual(['broker-b']);
    expect(rim.pickupTopicRouteData('TopicA')?.brokerDatas.map((b) => b.brokerName)).toEqual([
      'broker-b',
    ]);
  });

  it('a held UNREGISTER_BROKER is forgotten once the broker shows itself alive on its connection, or leaves', () => {
    const { rim, clock } = setup();
    const identity = {
      clusterName: 'DefaultCluster',
      brokerName: 'broker-a',
      brokerAddr: '10.0.0.1:10911',
      brokerId: 0,
    };
    // The old process (1) unregisters after the new one (5) registered: stale, held under 5.
    rim.registerBroker(req({ connectionId: 1, receivedAt: clock.now() }));
    clock.advance(1000);
    rim.registerBroker(req({ connectionId: 5, receivedAt: clock.now() }));
    clock.advance(10);
    expect(rim.unregisterBroker(identity, { connectionId: 1, receivedAt: clock.now() })).toBe(
      'ignored-stale',
    );
    rim.onConnectionClosed(1);
    // The new process heartbeats on 5: the held unregister was not its own.
    rim.queryDataVersion({ clusterName: 'DefaultCluster', brokerAddr: '10.0.0.1:10911' }, null, 5);
    expect(rim.onConnectionLost(5)).toBe(1); // detached, not removed
    expect(rim.pickupTopicRouteData('TopicA')).not.toBeNull();

    // Held entries go with their broker: many brokers held for and then gone leave nothing.
    for (let i = 0; i < 50; i++) {
      const who = { ...identity, brokerName: `b${i}`, brokerAddr: `10.1.0.${i}:10911` };
      rim.registerBroker(req({ ...who, connectionId: 7 }));
      rim.unregisterBroker(who, { connectionId: 8 });
      rim.unregisterBroker(who, { connectionId: 7 });
    }
    const held = (rim as unknown as { unregistersHeldFor: Map<number, Map<string, unknown>> })
      .unregistersHeldFor;
    expect(held.size).toBe(0);
  });

  it('a detached broker that only heartbeats (QUERY_DATA_VERSION, BROKER_HEARTBEAT) is bound to that connection', () => {
    const { rim } = setup();
    rim.registerBroker(req({ connectionId: 1, heartbeatTimeoutMillis: 120_000 }));
    rim.registerBroker(req({ ...SLAVE, heartbeatTimeoutMillis: 120_000 }));
    rim.onConnectionLost(1);
    rim.onConnectionLost(2);
    const master = { clusterName: 'DefaultCluster', brokerAddr: '10.0.0.1:10911' };
    // Someone else's query (a version the broker does not have: an operator's tool) binds nothing.
    const { dataVersion } = rim.queryDataVersion(master, null, 4);
    expect(rim.onConnectionClosed(4)).toEqual([]);
    // The broker itself, with nothing new (its own version): bound.
    expect(rim.queryDataVersion(master, dataVersion, 5).changed).toBe(false);
    rim.brokerHeartbeat('DefaultCluster', SLAVE.brokerAddr, 6);
    expect(rim.onConnectionClosed(5).map((b) => b.brokerId)).toEqual([0]);
    expect(rim.onConnectionClosed(6).map((b) => b.brokerId)).toEqual([1]);
  });

  it('a late UNREGISTER_BROKER from the old process does not wipe the fresh registration', () => {
    const { rim, clock } = setup();
    const identity = {
      clusterName: 'DefaultCluster',
      brokerName: 'broker-a',
      brokerAddr: '10.0.0.1:10911',
      brokerId: 0,
    };
    rim.registerBroker(req({ connectionId: 1 }));
    const oldReceivedAt = clock.now();
    clock.advance(5);
    rim.registerBroker(req({ connectionId: 2 }));
    // Arrives on the old connection.
    expect(rim.unregisterBroker(identity, { connectionId: 1 })).toBe('ignored-stale');
    // Received (queued) before the re-registration, processed after it.
    expect(rim.unregisterBroker(identity, { receivedAt: oldReceivedAt })).toBe('ignored-stale');
    expect(rim.pickupTopicRouteData('TopicA')).not.toBeNull();
    expect(rim.getCounts().brokers).toBe(1);
    // The real unregister from the live process works.
    expect(rim.unregisterBroker(identity, { connectionId: 2, receivedAt: clock.now() })).toBe(
      'unregistered',
    );
    expect(rim.pickupTopicRouteData('TopicA')).toBeNull();
    expect(rim.unregisterBroker(identity, { connectionId: 2 })).toBe('not-found');
  });

  it('a registration from the old connection, received before the fresh one on a new connection, is ignored', () => {
    // Serving workers: the broker's timed-out registration on its old connection (worker 1)
    // reaches the owner after its fresh one on a new connection (worker 2). Applied, it bound the
    // broker to the old connection, whose close then removed the broker.
    const { rim, clock } = setup();
    const oldReceivedAt = clock.now();
    clock.advance(5);
    rim.registerBroker(req({ connectionId: 2, receivedAt: clock.now() }));
    clock.advance(5);
    expect(
      rim.registerBroker(
        req({
          connectionId: 1,
          receivedAt: oldReceivedAt,
          topicConfigWrapper: wrapper(V2, [topic('TopicA', { perm: 4 }), topic('Stale')]),
        }),
      ),
    ).toMatchObject({ masterAddr: null, haServerAddr: null });
    expect(rim.pickupTopicRouteData('Stale')).toBeNull();
    expect(rim.pickupTopicRouteData('TopicA')!.queueDatas[0]!.perm).toBe(6);
    rim.onConnectionClosed(1);
    expect(rim.getCounts().brokers).toBe(1);
    expect(rim.pickupTopicRouteData('TopicA')).not.toBeNull();
    // The same connection's later registrations, and newer ones from another, still apply.
    rim.registerBroker(req({ connectionId: 2, receivedAt: oldReceivedAt }));
    rim.registerBroker(
      req({
        connectionId: 3,
        receivedAt: clock.now(),
        topicConfigWrapper: wrapper(V2, [topic('TopicA', { perm: 4 })]),
      }),
    );
    expect(rim.pickupTopicRouteData('TopicA')!.queueDatas[0]!.perm).toBe(4);
    rim.onConnectionClosed(2);
    expect(rim.getCounts().brokers).toBe(1);
    rim.onConnectionClosed(3);
    expect(rim.getCounts().brokers).toBe(0);
  });

  it('a registration is dated by its arrival: an unregister that arrived after it wins, however late it was applied', () => {
    const { rim, clock } = setup();
    const identity = {
      clusterName: 'DefaultCluster',
      brokerName: 'broker-a',
      brokerAddr: '10.0.0.1:10911',
      brokerId: 0,
    };
    // Received at t, applied at t + 50 (queued at the owner, or decoded again after a 'resend');
    // the unregister of the same connection arrived at t + 5, before it was applied.
    const registrationReceived = clock.now();
    clock.advance(50);
    rim.registerBroker(req({ connectionId: 1, receivedAt: registrationReceived }));
    expect(
      rim.unregisterBroker(identity, { connectionId: 1, receivedAt: registrationReceived + 5 }),
    ).toBe('unregistered');
    expect(rim.pickupTopicRouteData('TopicA')).toBeNull();
    // A receivedAt ahead of the owner's clock (another process's clock) counts as "now".
    rim.registerBroker(req({ connectionId: 1, receivedAt: clock.now() + 1000 }));
    expect(rim.unregisterBroker(identity, { connectionId: 1, receivedAt: clock.now() })).toBe(
      'unregistered',
    );
  });

  it('a late unregister with the id the address had before a role switch is ignored', () => {
    const { rim, clock } = setup();
    rim.registerBroker(req());
    rim.registerBroker(req({ ...SLAVE }));
    rim.onConnectionClosed(1); // master gone
    rim.registerBroker(req({ ...SLAVE, brokerId: 0 })); // slave promoted, same connection
    const stale = {
      clusterName: 'DefaultCluster',
      brokerName: 'broker-a',
      brokerAddr: SLAVE.brokerAddr,
      brokerId: 1,
    };
    expect(rim.unregisterBroker(stale, { connectionId: 2 })).toBe('ignored-stale');
    expect(rim.pickupTopicRouteData('TopicA')!.brokerDatas[0]!.brokerAddrs).toEqual(
      new Map([[0, SLAVE.brokerAddr]]),
    );
    // The promoted master is still tracked, so it still expires.
    clock.advance(120_001);
    expect(rim.scanNotActiveBroker()).toHaveLength(1);
    expect(rim.getAllTopicList()).toEqual([]);
  });

  it('a late unregister of a moved master (same id, old address) keeps the new address', () => {
    const { rim } = setup();
    rim.registerBroker(req({ connectionId: 1 }));
    rim.registerBroker(req({ brokerAddr: '10.0.0.9:10911', connectionId: 9 }));
    expect(
      rim.unregisterBroker(
        {
          clusterName: 'DefaultCluster',
          brokerName: 'broker-a',
          brokerAddr: '10.0.0.1:10911',
          brokerId: 0,
        },
        { connectionId: 1 },
      ),
    ).toBe('unregistered');
    expect(rim.pickupTopicRouteData('TopicA')!.brokerDatas[0]!.brokerAddrs).toEqual(
      new Map([[0, '10.0.0.9:10911']]),
    );
  });

  it('unregistering the slave keeps the topics; the master goes with its topics', () => {
    const { rim } = setup();
    rim.registerBroker(req());
    rim.registerBroker(req({ ...SLAVE }));
    const base = { clusterName: 'DefaultCluster', brokerName: 'broker-a' };
    expect(rim.unregisterBroker({ ...base, ...SLAVE }, { connectionId: 2 })).toBe('unregistered');
    expect(rim.pickupTopicRouteData('TopicA')!.brokerDatas[0]!.brokerAddrs.size).toBe(1);
    // 4.9: unregistering the master while a slave remains keeps the topics (no master address).
    rim.registerBroker(req({ ...SLAVE }));
    rim.unregisterBroker({ ...base, brokerAddr: '10.0.0.1:10911', brokerId: 0 });
    const route = rim.pickupTopicRouteData('TopicA')!;
    expect(route.brokerDatas[0]!.brokerAddrs).toEqual(new Map([[1, '10.0.0.2:10911']]));
    expect(route.queueDatas[0]!.perm).toBe(6);
  });
});

describe('RouteInfoManager write permission, delete, register topic', () => {
  it('wipe clears the write bit, add sets perm to exactly 6; counts topics', () => {
    const { rim } = setup();
    rim.registerBroker(
      req({ topicConfigWrapper: wrapper(V1, [topic('TopicA'), topic('TBW102', { perm: 7 })]) }),
    );
    expect(rim.wipeWritePermOfBroker('broker-a')).toBe(2);
    expect(rim.pickupTopicRouteData('TopicA')!.queueDatas[0]!.perm).toBe(4);
    expect(rim.pickupTopicRouteData('TBW102')!.queueDatas[0]!.perm).toBe(5);
    expect(rim.wipeWritePermOfBroker('unknown')).toBe(0);
    expect(rim.addWritePermOfBroker('broker-a')).toBe(2);
    expect(rim.pickupTopicRouteData('TBW102')!.queueDatas[0]!.perm).toBe(6);
    // The broker's next registration with a changed version restores its own perm.
    rim.registerBroker(
      req({ topicConfigWrapper: wrapper(V2, [topic('TopicA'), topic('TBW102', { perm: 7 })]) }),
    );
    expect(rim.pickupTopicRouteData('TBW102')!.queueDatas[0]!.perm).toBe(7);
  });

  it('a deleted topic re-appears at the next (even unchanged) registration of its master', () => {
    const { rim } = setup();
    rim.registerBroker(req());
    rim.deleteTopic('TopicA');
    expect(rim.pickupTopicRouteData('TopicA')).toBeNull();
    expect(rim.getAllTopicList()).toEqual(['TopicB']);
    rim.registerBroker(req()); // same DataVersion
    expect(rim.pickupTopicRouteData('TopicA')!.queueDatas).toHaveLength(1);
  });

  it('delete with a cluster drops only that cluster’s brokers; unknown cluster is a no-op', () => {
    const { rim } = setup();
    rim.registerBroker(req());
    rim.registerBroker(
      req({ clusterName: 'C2', brokerName: 'broker-z', brokerAddr: 'z:1', connectionId: 4 }),
    );
    rim.deleteTopic('TopicA', 'Nope');
    expect(rim.pickupTopicRouteData('TopicA')!.queueDatas).toHaveLength(2);
    rim.deleteTopic('TopicA', 'C2');
    expect(rim.pickupTopicRouteData('TopicA')!.queueDatas.map((q) => q.brokerName)).toEqual([
      'broker-a',
    ]);
    rim.deleteTopic('TopicA', 'DefaultCluster');
    expect(rim.getAllTopicList()).toEqual(['TopicB']);
    rim.deleteTopic('TopicB', '');
    expect(rim.getAllTopicList()).toEqual([]);
    expect(rim.getCounts().queueEntries).toBe(0);
  });

  it('registerTopic (217) needs every broker name to exist', () => {
    const { rim } = setup();
    rim.registerBroker(req());
    const qd = {
      brokerName: 'broker-a',
      readQueueNums: 8,
      writeQueueNums: 8,
      perm: 6,
      topicSysFlag: 0,
    };
    expect(rim.registerTopic('New', [qd, { ...qd, brokerName: 'ghost' }])).toBe(false);
    expect(rim.getAllTopicList()).not.toContain('New');
    expect(rim.registerTopic('New', [])).toBe(false);
    expect(rim.registerTopic('New', [qd])).toBe(true);
    expect(rim.pickupTopicRouteData('New')!.queueDatas).toEqual([qd]);
    expect(rim.registerTopic('TopicA', [{ ...qd, readQueueNums: 2 }])).toBe(true);
    expect(rim.pickupTopicRouteData('TopicA')!.queueDatas[0]!.readQueueNums).toBe(2);
  });
});

describe('RouteInfoManager acting master (5.x)', () => {
  function actingSetup(supportActingMaster: boolean, javaLine: '5.x' | '4.9' = '5.x') {
    const s = setup({ supportActingMaster, javaLine });
    s.rim.registerBroker(req({ enableActingMaster: true }));
    s.rim.registerBroker(req({ ...SLAVE, enableActingMaster: true }));
    s.rim.registerBroker(
      req({ ...SLAVE, brokerId: 2, brokerAddr: 's2:1', connectionId: 6, enableActingMaster: true }),
    );
    return s;
  }

  it('without a master, the prime slave updates routes with write cleared and acts as master', () => {
    const { rim } = actingSetup(true);
    rim.onConnectionClosed(1); // master dies
    let route = rim.pickupTopicRouteData('TopicA')!;
    // Reduced group without master: write permission wiped at once.
    expect(route.queueDatas[0]!.perm).toBe(4);
    expect(route.brokerDatas[0]!.enableActingMaster).toBe(true);
    expect(route.brokerDatas[0]!.brokerAddrs).toEqual(
      new Map([
        [2, 's2:1'],
        [0, '10.0.0.2:10911'],
      ]),
    );
    // The prime slave (smallest id) registers a new topic: accepted without write permission.
    rim.registerBroker(
      req({
        ...SLAVE,
        enableActingMaster: true,
        topicConfigWrapper: wrapper(V2, [topic('TopicA'), topic('TopicC')]),
      }),
    );
    expect(rim.pickupTopicRouteData('TopicC')!.queueDatas[0]!.perm).toBe(4);
    // The other slave is not prime: its topics are ignored.
    rim.registerBroker(
      req({
        ...SLAVE,
        brokerId: 2,
        brokerAddr: 's2:1',
        connectionId: 6,
        enableActingMaster: true,
        topicConfigWrapper: wrapper(V2, [topic('TopicD')]),
      }),
    );
    expect(rim.pickupTopicRouteData('TopicD')).toBeNull();
    // Sync-broker-member topics are never rewritten.
    rim.registerBroker(
      req({
        ...SLAVE,
        enableActingMaster: true,
        topicConfigWrapper: wrapper({ counter: 3, timestamp: 3 }, [
          topic('rmq_sys_SYNC_BROKER_MEMBER_broker-a'),
        ]),
      }),
    );
    route = rim.pickupTopicRouteData('rmq_sys_SYNC_BROKER_MEMBER_broker-a')!;
    expect(route.brokerDatas[0]!.brokerAddrs.has(0)).toBe(false);
  });

  it("a reduced group's write wipe is bounded like a removal: in steps, each topic before or after, the end as in one go", () => {
    const topics = Array.from({ length: 1000 }, (_, i) => topic(`Wide-${i}`));
    const many = { topicConfigWrapper: wrapper(V1, topics), enableActingMaster: true };
    const build = () => {
      const s = setup({ supportActingMaster: true });
      s.rim.registerBroker(req(many));
      s.rim.registerBroker(req({ ...SLAVE, ...many }));
      return s;
    };
    const perms = (rim: RouteInfoManager) =>
      topics.map((t) => rim.pickupTopicRouteData(t.topicName)!.queueDatas[0]!.perm);

    const oneGo = build();
    oneGo.rim.onConnectionClosed(1);
    expect(new Set(perms(oneGo.rim))).toEqual(new Set([4]));

    const stepped = build();
    stepped.events.length = 0;
    // The master's connection closes; 100 topic edits per call, as the registry owner's slices.
    stepped.rim.onConnectionClosed(1, Infinity, 100);
    let calls = 1;
    while (stepped.rim.hasPendingRemovals()) {
      const now = perms(stepped.rim);
      // In between, each topic is as before (6) or as after (4), wiped in body order.
      expect(now.every((p) => p === 4 || p === 6)).toBe(true);
      expect(now.indexOf(6)).toBeGreaterThan(0);
      expect(now.slice(now.indexOf(6)).every((p) => p === 6)).toBe(true);
      stepped.rim.removePendingTopics(100);
      calls++;
    }
    expect(calls).toBeGreaterThanOrEqual(10);
    expect(perms(stepped.rim)).toEqual(perms(oneGo.rim));
    expect(stepped.rim.pickupTopicRouteData('Wide-0')).toEqual(
      oneGo.rim.pickupTopicRouteData('Wide-0'),
    );
    // Every wiped topic was handed to the listeners.
    expect(new Set(stepped.events.flatMap((e) => (e === 'all' ? [] : e)))).toEqual(
      new Set(topics.map((t) => t.topicName)),
    );
  });

  it('5.x without supportActingMaster: the prime slave still updates routes, write cleared, but no acting view', () => {
    // Java 5.3.3 applies prime-slave topics and wipes the write bit of a master-less group
    // whatever supportActingMaster says; only pickupTopicRouteData's rewrite depends on it.
    const { rim } = actingSetup(false);
    rim.onConnectionClosed(1);
    const route = rim.pickupTopicRouteData('TopicA')!;
    expect(route.queueDatas[0]!.perm).toBe(4);
    expect(route.brokerDatas[0]!.brokerAddrs.has(0)).toBe(false);
    rim.registerBroker(
      req({
        ...SLAVE,
        enableActingMaster: true,
        topicConfigWrapper: wrapper(V2, [topic('TopicC')]),
      }),
    );
    expect(rim.pickupTopicRouteData('TopicC')!.queueDatas[0]!.perm).toBe(4);
  });

  it('5.x: a prime slave that did not ask for acting master registers its topics as they are', () => {
    const { rim } = setup();
    rim.registerBroker(
      req({
        ...SLAVE,
        enableActingMaster: false,
        topicConfigWrapper: wrapper(V1, [topic('TopicC')]),
      }),
    );
    expect(rim.pickupTopicRouteData('TopicC')!.queueDatas[0]!.perm).toBe(6);
  });

  it('4.9 without supportActingMaster: none of it', () => {
    const { rim } = actingSetup(false, '4.9');
    rim.onConnectionClosed(1);
    const route = rim.pickupTopicRouteData('TopicA')!;
    expect(route.queueDatas[0]!.perm).toBe(6);
    expect(route.brokerDatas[0]!.brokerAddrs.has(0)).toBe(false);
    rim.registerBroker(
      req({
        ...SLAVE,
        enableActingMaster: true,
        topicConfigWrapper: wrapper(V2, [topic('TopicC')]),
      }),
    );
    expect(rim.pickupTopicRouteData('TopicC')).toBeNull();
  });

  it('a slave leaving a group that keeps its master leaves the write permission alone', () => {
    const { rim } = actingSetup(true);
    rim.onConnectionClosed(2); // slave 1 goes, the master stays
    const route = rim.pickupTopicRouteData('TopicA')!;
    expect(route.queueDatas[0]!.perm).toBe(6);
    expect(route.brokerDatas[0]!.brokerAddrs).toEqual(
      new Map([
        [0, '10.0.0.1:10911'],
        [2, 's2:1'],
      ]),
    );
  });

  it('the acting view shows the smallest id as master, whatever order the slaves registered in', () => {
    const { rim } = setup({ supportActingMaster: true });
    rim.registerBroker(req({ enableActingMaster: true }));
    // The slave with id 2 registers before the one with id 1.
    rim.registerBroker(
      req({ ...SLAVE, brokerId: 2, brokerAddr: 's2:1', connectionId: 6, enableActingMaster: true }),
    );
    rim.registerBroker(req({ ...SLAVE, enableActingMaster: true }));
    rim.onConnectionClosed(1); // master dies
    expect(rim.pickupTopicRouteData('TopicA')!.brokerDatas[0]!.brokerAddrs).toEqual(
      new Map([
        [0, '10.0.0.2:10911'],
        [2, 's2:1'],
      ]),
    );
  });

  it('no acting view while the master-less group is writable again, or when it did not ask for acting master', () => {
    const { rim } = actingSetup(true);
    rim.onConnectionClosed(1); // master dies: write wiped, acting view
    expect(rim.pickupTopicRouteData('TopicA')!.brokerDatas[0]!.brokerAddrs.has(0)).toBe(true);
    // Java rewrites only a group whose QueueData is not writable.
    expect(rim.addWritePermOfBroker('broker-a')).toBe(2);
    expect(rim.pickupTopicRouteData('TopicA')!.brokerDatas[0]!.brokerAddrs).toEqual(
      new Map([
        [1, '10.0.0.2:10911'],
        [2, 's2:1'],
      ]),
    );

    // A group without enableActingMaster, master-less and not writable: shown as it is.
    const plain = setup({ supportActingMaster: true }).rim;
    plain.registerBroker(req({ enableActingMaster: false }));
    plain.registerBroker(req({ ...SLAVE, enableActingMaster: false }));
    plain.onConnectionClosed(1);
    plain.wipeWritePermOfBroker('broker-a');
    const route = plain.pickupTopicRouteData('TopicA')!;
    expect(route.queueDatas[0]!.perm).toBe(4);
    expect(route.brokerDatas[0]!.brokerAddrs).toEqual(new Map([[1, '10.0.0.2:10911']]));
  });

  it('old-version brokers (no enableActingMaster header) are never prime slaves', () => {
    const { rim } = setup({ supportActingMaster: true });
    rim.registerBroker(req({ ...SLAVE, topicConfigWrapper: wrapper(V1, [topic('TopicC')]) }));
    expect(rim.pickupTopicRouteData('TopicC')).toBeNull();
  });
});

describe('RouteInfoManager change notifications', () => {
  it('fires the new topics on first registration and nothing on an unchanged re-registration', () => {
    const { rim, events } = setup();
    rim.registerBroker(req());
    expect(events).toEqual([['TopicA', 'TopicB']]);
    events.length = 0;
    rim.registerBroker(req());
    rim.registerBroker(
      req({ topicConfigWrapper: wrapper(V1, [topic('TopicA'), topic('TopicB')]) }),
    );
    rim.brokerHeartbeat('DefaultCluster', '10.0.0.1:10911');
    rim.queryDataVersion({ clusterName: 'DefaultCluster', brokerAddr: '10.0.0.1:10911' }, V2);
    rim.scanNotActiveBroker();
    rim.onConnectionClosed(99);
    rim.deleteTopic('Unknown');
    expect(events).toEqual([]);
    // A new name's topics were named by the name's own set: later topics of the name are not
    // named with the old ones again.
    rim.registerBroker(
      req({ topicConfigWrapper: wrapper(V2, [topic('TopicA'), topic('TopicB'), topic('TopicC')]) }),
    );
    expect(events).toEqual([['TopicC']]);
  });

  it('a changed DataVersion fires only the topics whose QueueData changed', () => {
    const { rim, events } = setup();
    rim.registerBroker(req());
    events.length = 0;
    rim.registerBroker(
      req({
        topicConfigWrapper: wrapper(V2, [topic('TopicA'), topic('TopicB', { readQueueNums: 8 })]),
      }),
    );
    expect(events).toEqual([['TopicB']]);
  });

  it('BrokerData changes fire every topic of that broker name only', () => {
    const { rim, events } = setup();
    rim.registerBroker(req());
    rim.registerBroker(
      req({
        brokerName: 'broker-b',
        brokerAddr: 'b:1',
        connectionId: 3,
        topicConfigWrapper: wrapper(V1, [topic('TopicB'), topic('OnlyB')]),
      }),
    );
    events.length = 0;
    rim.registerBroker(req({ ...SLAVE })); // slave joins broker-a
    expect(events).toEqual([['TopicA', 'TopicB']]);
    events.length = 0;
    rim.registerBroker(req({ ...SLAVE })); // unchanged
    expect(events).toEqual([]);
    rim.registerBroker(req({ ...SLAVE, zoneName: 'z1' })); // zone is in BrokerData
    expect(events).toEqual([['TopicA', 'TopicB']]);
    events.length = 0;
    rim.registerBroker(req({ filterServerList: ['f:1'] }));
    rim.registerBroker(req({ filterServerList: ['f:1'] }));
    expect(events).toEqual([['TopicA', 'TopicB']]);
    events.length = 0;
    rim.onConnectionClosed(2);
    expect(events).toEqual([['TopicA', 'TopicB']]);
    events.length = 0;
    rim.onConnectionClosed(3); // broker-b gone: TopicB keeps broker-a, OnlyB disappears
    expect(events).toEqual([['OnlyB', 'TopicB']]);
  });

  it('fires for perm changes, deletes, registerTopic, re-appearance and expiry', () => {
    const { rim, events, clock } = setup();
    rim.registerBroker(req());
    events.length = 0;
    rim.wipeWritePermOfBroker('broker-a');
    expect(events).toEqual([['TopicA', 'TopicB']]);
    events.length = 0;
    rim.wipeWritePermOfBroker('broker-a'); // already wiped: no change
    expect(events).toEqual([]);
    rim.addWritePermOfBroker('broker-a');
    expect(events).toEqual([['TopicA', 'TopicB']]);
    events.length = 0;
    rim.deleteTopic('TopicA');
    expect(events).toEqual([['TopicA']]);
    events.length = 0;
    rim.registerBroker(req());
    expect(events).toEqual([['TopicA']]);
    events.length = 0;
    rim.registerTopic('TopicA', [
      { brokerName: 'broker-a', readQueueNums: 1, writeQueueNums: 1, perm: 6, topicSysFlag: 0 },
    ]);
    expect(events).toEqual([['TopicA']]);
    events.length = 0;
    clock.advance(120_001);
    rim.scanNotActiveBroker();
    expect(events).toEqual([['TopicA', 'TopicB']]);
  });

  it('unsubscribes, and a throwing listener does not break the manager or other listeners', () => {
    const { rim } = setup();
    const seen: number[] = [];
    rim.onRouteChanged(() => {
      throw new Error('boom');
    });
    const off = rim.onRouteChanged(() => seen.push(1));
    rim.registerBroker(req());
    off();
    rim.deleteTopic('TopicA');
    expect(seen).toEqual([1]);
    expect(rim.getAllTopicList()).toEqual(['TopicB']);
  });
});

describe('RouteInfoManager list queries', () => {
  function multi() {
    const s = setup();
    s.rim.registerBroker(
      req({
        topicConfigWrapper: wrapper(V1, [
          topic('Plain'),
          topic('Unit', { topicSysFlag: 1 }),
          topic('UnitSub', { topicSysFlag: 2 }),
          topic('Both', { topicSysFlag: 3 }),
        ]),
      }),
    );
    s.rim.registerBroker(
      req({
        clusterName: 'C2',
        brokerName: 'broker-z',
        brokerAddr: 'z:1',
        connectionId: 4,
        topicConfigWrapper: wrapper(V1, [topic('Plain'), topic('OnlyZ')]),
      }),
    );
    return s;
  }

  it('lists all topics, topics by cluster and system topics', () => {
    const { rim } = multi();
    // Java topic table order: buckets of String.hashCode (Both, OnlyZ, Plain, Unit, UnitSub all
    // fall in distinct buckets of 2048), whatever the insertion order.
    expect(rim.getAllTopicList()).toEqual(['OnlyZ', 'Plain', 'Unit', 'Both', 'UnitSub']);
    expect(rim.getTopicsByCluster('C2')).toEqual(['OnlyZ', 'Plain']);
    expect(rim.getTopicsByCluster('Nope')).toEqual([]);
    expect(rim.getSystemTopicList()).toEqual({
      topicList: ['DefaultCluster', 'broker-a', 'C2', 'broker-z'],
      brokerAddr: '10.0.0.1:10911',
    });
    expect(setup().rim.getSystemTopicList()).toEqual({ topicList: [] });
  });

  it('lists unit, unit-sub and unit-sub-ununit topics', () => {
    const { rim } = multi();
    expect(rim.getUnitTopics()).toEqual(['Unit', 'Both']);
    expect(rim.getHasUnitSubTopicList()).toEqual(['Both', 'UnitSub']);
    expect(rim.getHasUnitSubUnUnitTopicList()).toEqual(['UnitSub']);
  });

  it('keeps the Java topic table order across growth (5.x reverses chain prefixes, 4.9 does not)', () => {
    // A, B, C share a bucket of 2048; A and B stay together at 4096, C moves to the upper half.
    const bucket = (name: string, n: number) => {
      const h = javaStringHashCode(name);
      return (h ^ (h >>> 16)) & (n - 1);
    };
    const byBucket = new Map<number, string[]>();
    let trio: string[] | undefined;
    for (let i = 0; trio === undefined; i++) {
      const name = `G${i}`;
      const list = byBucket.get(bucket(name, 2048)) ?? [];
      byBucket.set(bucket(name, 2048), [...list, name]);
      const low = list.filter((n) => (bucket(n, 4096) & 2048) === 0);
      const high = list.filter((n) => (bucket(n, 4096) & 2048) !== 0);
      if (low.length >= 2 && high.length >= 1) trio = [low[0]!, low[1]!, high[0]!];
    }
    const [a, b, c] = trio as [string, string, string];
    // 1540 more topics: both tables grow to 4096 buckets (5.x at 1536 keys, 4.9 past 1536).
    const filler = Array.from({ length: 1540 }, (_, i) => `Filler${i}`);
    for (const [line, expected] of [
      ['5.x', [b, a]],
      ['4.9', [a, b]],
    ] as const) {
      const { rim } = setup({ javaLine: line });
      rim.registerBroker(
        req({
          topicConfigWrapper: wrapper(
            V1,
            [a, b, c, ...filler].map((n) => topic(n)),
          ),
        }),
      );
      const all = rim.getAllTopicList();
      expect(all).toHaveLength(1543);
      expect(
        all.filter((t) => t === a || t === b),
        line,
      ).toEqual(expected);
    }
  });

  it('unit lists look at the first QueueData in Java HashMap order', () => {
    const { rim } = setup();
    // broker-a registers first, but Java iterates broker-b (bucket 8) before broker-a (11).
    rim.registerBroker(
      req({ topicConfigWrapper: wrapper(V1, [topic('Mixed', { topicSysFlag: 0 })]) }),
    );
    rim.registerBroker(
      req({
        brokerName: 'broker-b',
        brokerAddr: 'b:1',
        connectionId: 3,
        topicConfigWrapper: wrapper(V1, [topic('Mixed', { topicSysFlag: 1 })]),
      }),
    );
    expect(rim.getUnitTopics()).toEqual(['Mixed']);
  });

  it('returns cluster info and broker member groups as copies', () => {
    const { rim } = multi();
    const info = rim.getAllClusterInfo();
    expect(info.clusterAddrTable).toEqual(
      new Map([
        ['DefaultCluster', ['broker-a']],
        ['C2', ['broker-z']],
      ]),
    );
    info.brokerAddrTable.get('broker-a')!.brokerAddrs.set(5, 'evil');
    const route = rim.pickupTopicRouteData('Plain')!;
    route.brokerDatas[0]!.brokerAddrs.clear();
    expect(rim.getBrokerMemberGroup('X', 'broker-a')).toEqual({
      cluster: 'X',
      brokerName: 'broker-a',
      brokerAddrs: new Map([[0, '10.0.0.1:10911']]),
    });
    expect(rim.getBrokerMemberGroup('X', 'nope').brokerAddrs.size).toBe(0);
    expect(() => {
      (route.queueDatas[0] as { perm: number }).perm = 0;
    }).toThrow(TypeError);
  });

  it('rejects a non-positive default heartbeat timeout', () => {
    expect(
      () => new RouteInfoManager({ clock: new FakeClock() }, { defaultHeartbeatTimeoutMillis: 0 }),
    ).toThrow(RangeError);
  });
});

describe('registerBroker with a lazy body (unchanged-body fast path)', () => {
  function lazyReq(tag: string, w: TopicConfigSerializeWrapper, calls: { n: number }) {
    return req({
      topicConfigWrapper: null,
      filterServerList: null,
      lazyBody: {
        tag,
        decode: () => {
          calls.n++;
          return { topicConfigWrapper: w, filterServerList: [] };
        },
      },
    });
  }

  it('skips decoding a body equal to the last one and still refreshes liveness', () => {
    const { clock, rim, events } = setup();
    const calls = { n: 0 };
    const w = wrapper(V1, [topic('TopicA'), topic('TopicB')]);
    rim.registerBroker(lazyReq('t1', w, calls));
    expect(calls.n).toBe(1);
    events.length = 0;
    clock.advance(60_000);
    expect(rim.registerBroker(lazyReq('t1', w, calls))).not.toBeNull();
    expect(calls.n).toBe(1);
    expect(events).toEqual([]);
    const live = rim.getBrokerLiveViews()[0]!;
    expect(live.lastUpdateTimestamp).toBe(clock.t);
    expect(rim.pickupTopicRouteData('TopicA')).not.toBeNull();
    // A different tag decodes.
    rim.registerBroker(lazyReq('t2', wrapper(V2, [topic('TopicA'), topic('TopicB')]), calls));
    expect(calls.n).toBe(2);
  });

  it('never skips a resent body without a timestamp: Java stamps it anew each time', () => {
    const { clock, rim } = setup();
    const calls = { n: 0 };
    const w = wrapper({ counter: 0, timestamp: 0, unstamped: true }, [topic('TopicA')]);
    rim.registerBroker(lazyReq('t1', w, calls));
    clock.advance(30_000);
    rim.registerBroker(lazyReq('t1', w, calls));
    expect(calls.n).toBe(2);
    const id = { clusterName: 'DefaultCluster', brokerAddr: '10.0.0.1:10911' };
    expect(rim.queryDataVersion(id, V1).dataVersion).toEqual({ counter: 0, timestamp: clock.t });
  });

  it('decodes again after a topic of the broker was deleted, so it re-appears (5.x f)', () => {
    const { rim } = setup();
    const calls = { n: 0 };
    const w = wrapper(V1, [topic('TopicA'), topic('TopicB')]);
    rim.registerBroker(lazyReq('t1', w, calls));
    rim.deleteTopic('TopicA');
    expect(rim.pickupTopicRouteData('TopicA')).toBeNull();
    rim.registerBroker(lazyReq('t1', w, calls));
    expect(calls.n).toBe(2);
    expect(rim.pickupTopicRouteData('TopicA')).not.toBeNull();
    // Back in sync: the next identical body is skipped again.
    rim.registerBroker(lazyReq('t1', w, calls));
    expect(calls.n).toBe(2);
  });

  it('decodes again after the live entry went away or the broker changed id', () => {
    const { rim } = setup();
    const calls = { n: 0 };
    const w = wrapper(V1, [topic('TopicA')]);
    rim.registerBroker(lazyReq('t1', w, calls));
    rim.onConnectionClosed(1);
    rim.registerBroker(lazyReq('t1', w, calls));
    expect(calls.n).toBe(2);
    expect(rim.pickupTopicRouteData('TopicA')).not.toBeNull();
    rim.registerBroker({ ...lazyReq('t1', w, calls), brokerId: 1 });
    expect(calls.n).toBe(3);
  });

  it('decodes again once deleteTopicWithBrokerRegistration was turned on, so rule g removes what the body no longer has', () => {
    const { rim } = setup();
    const calls = { n: 0 };
    rim.registerBroker(lazyReq('t1', wrapper(V1, [topic('TopicA'), topic('Gone')]), calls));
    // The broker dropped Gone: with the flag off it stays hosted (5.x keeps it).
    const w = wrapper(V2, [topic('TopicA')]);
    rim.registerBroker(lazyReq('t2', w, calls));
    expect(rim.pickupTopicRouteData('Gone')).not.toBeNull();
    rim.setDeleteTopicWithBrokerRegistration(true);
    // The same bytes again: not the unchanged body any more, the flag changed what they do.
    rim.registerBroker(lazyReq('t2', w, calls));
    expect(calls.n).toBe(3);
    expect(rim.pickupTopicRouteData('Gone')).toBeNull();
    expect(rim.pickupTopicRouteData('TopicA')).not.toBeNull();
  });

  it('a decode error leaves the tables untouched', () => {
    const { rim } = setup();
    expect(() =>
      rim.registerBroker(
        req({
          lazyBody: {
            tag: 'bad',
            decode: () => {
              throw new Error('bad body');
            },
          },
        }),
      ),
    ).toThrow('bad body');
    expect(rim.getBrokerLiveViews()).toEqual([]);
    expect(rim.getAllClusterInfo().brokerAddrTable.size).toBe(0);
  });

  it('logs an unregister held for a possibly lost connection at info, a truly stale one at warn', () => {
    const clock = new FakeClock();
    const lines: { level: string; msg: string | undefined }[] = [];
    const mk = (level: string) => (_obj: object, msg?: string) => lines.push({ level, msg });
    const rim = new RouteInfoManager({
      clock,
      logger: {
        isLevelEnabled: () => true,
        debug: mk('debug'),
        info: mk('info'),
        warn: mk('warn'),
        error: mk('error'),
      },
    });
    const identity = {
      clusterName: 'DefaultCluster',
      brokerName: 'broker-a',
      brokerAddr: '10.0.0.1:10911',
      brokerId: 0,
    };
    rim.registerBroker(req({ connectionId: 1, receivedAt: clock.now() }));
    clock.advance(10);
    lines.length = 0;
    expect(rim.unregisterBroker(identity, { connectionId: 2, receivedAt: clock.now() })).toBe(
      'ignored-stale',
    );
    expect(lines.map((l) => l.level)).toEqual(['info']);
    expect(lines[0]!.msg).toMatch(/^unregister from another connection held/);
    // Sent before the broker registered (again): stale, ignored for good.
    lines.length = 0;
    expect(rim.unregisterBroker(identity, { connectionId: 1, receivedAt: clock.now() - 20 })).toBe(
      'ignored-stale',
    );
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'stale unregister ignored: the broker registered again since'],
    ]);
  });

  it('logs one summary line per registration; per-topic lines only at debug', () => {
    const clock = new FakeClock();
    const lines: { level: string; msg: string | undefined; obj: object }[] = [];
    const mk = (level: string) => (obj: object, msg?: string) => lines.push({ level, msg, obj });
    let debug = false;
    const rim = new RouteInfoManager({
      clock,
      logger: {
        isLevelEnabled: (l) => l !== 'debug' || debug,
        debug: mk('debug'),
        info: mk('info'),
        warn: mk('warn'),
        error: mk('error'),
      },
    });
    rim.registerBroker(req());
    expect(lines.filter((l) => l.msg === 'new topic registered')).toEqual([]);
    expect(lines.filter((l) => l.msg === 'registration changed topics')).toEqual([
      expect.objectContaining({
        level: 'info',
        obj: expect.objectContaining({ newTopics: 2, updatedTopics: 0 }),
      }),
    ]);
    debug = true;
    lines.length = 0;
    rim.registerBroker(req({ topicConfigWrapper: wrapper(V2, [topic('TopicC')]) }));
    expect(lines.filter((l) => l.msg === 'new topic registered').map((l) => l.level)).toEqual([
      'debug',
    ]);
  });
});

describe('RouteTables copies (what a serving worker answers from)', () => {
  /** Routes and cluster info of `tables`, for comparing a copy with the owner's tables. */
  function answers(rim: RouteInfoManager, tables: RouteTables) {
    const topics = rim.getAllTopicList();
    return {
      topics: tables.getAllTopicList(),
      routes: topics.map((t) => tables.pickupTopicRouteData(t)),
      clusters: tables.getAllClusterInfo(),
    };
  }

  it('a snapshot (exportOps) and the recorded live edits both give the owner’s answers: zones, filter servers, mappings, acting master', () => {
    const { rim } = setup({ supportActingMaster: true });
    const ops: unknown[] = [];
    rim.tables.recordOpsInto(ops);
    const info = {
      topic: 'TopicA',
      scope: '__global__',
      totalQueues: 4,
      bname: 'broker-a',
      epoch: 1,
      dirty: false,
    };
    // A zone without acting master, filter servers, a static mapping.
    rim.registerBroker(
      req({
        zoneName: 'zone-1',
        enableActingMaster: false,
        filterServerList: ['10.0.0.1:40000'],
        topicConfigWrapper: wrapper(V1, [topic('TopicA'), topic('TopicB')], {
          topicQueueMappingInfoMap: new Map([['TopicA', info]]),
        }),
      }),
    );
    // An acting-master group in another cluster whose master died.
    const b = { clusterName: 'c2', brokerName: 'broker-b', enableActingMaster: true };
    rim.registerBroker(req({ ...b, brokerAddr: 'b0:1', connectionId: 10 }));
    rim.registerBroker(req({ ...b, brokerId: 1, brokerAddr: 'b1:1', connectionId: 11 }));
    rim.onConnectionClosed(10);

    const snapshot = new RouteTables({ supportActingMaster: true });
    snapshot.importOps(rim.tables.exportOps());
    const live = new RouteTables({ supportActingMaster: true });
    live.applyOps(ops);

    const owner = answers(rim, rim.tables);
    const topicA = rim.pickupTopicRouteData('TopicA')!;
    expect(topicA.brokerDatas[0]!.zoneName).toBe('zone-1');
    expect(topicA.filterServerTable.size).toBe(1);
    expect(topicA.topicQueueMappingByBroker?.size).toBe(1);
    expect(owner.routes).toContainEqual(topicA);
    expect(answers(rim, snapshot)).toEqual(owner);
    expect(answers(rim, live)).toEqual(owner);
    expect(snapshot.exportOps()).toEqual(rim.tables.exportOps());
  });
});
