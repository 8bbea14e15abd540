/**
 * Scenario 7: a third-party RocketMQ client, ali-ons 3.12.0, reads routes from our cluster, both
 * from a fixed `nameSrv` list and through our HTTP address service (its `onsAddr`, with and
 * without a unit name). ali-ons speaks an old protocol version (121), parses the header with
 * strict JSON.parse and the body with JSON2, and round-robins per request, so a few lookups touch
 * every node. The topic is registered by our broker agent (master + slave).
 */
import { describe, expect, it } from 'vitest';
import { startAliOns } from '../harness/ali-ons.js';
import type { AliOnsRoute } from '../harness/ali-ons.js';
import { fetchAddressList, startAddressService } from '../harness/address-service.js';
import { startNameServers } from '../harness/name-server.js';
import type { NameServerNode } from '../harness/name-server.js';
import { startInProcessAgent } from '../harness/broker-agent.js';
import type { BrokerSpec } from '../harness/raw-broker.js';
import { uniqueName, useScope } from '../harness/scope.js';
import type { TestScope } from '../harness/scope.js';
import { waitFor } from '../harness/wait-for.js';

interface Fixture {
  nodes: NameServerNode[];
  topic: string;
  master: BrokerSpec;
  slave: BrokerSpec;
}

async function cluster(scope: TestScope): Promise<Fixture> {
  const nodes = await startNameServers(scope, 3, uniqueName('ns'));
  const clusterName = uniqueName('cluster');
  const brokerName = uniqueName('broker');
  const topic = uniqueName('topic');
  const master: BrokerSpec = {
    clusterName,
    brokerName,
    brokerId: 0,
    brokerAddr: '127.0.0.1:30911',
    haServerAddr: '127.0.0.1:30912',
    topics: [topic],
  };
  const slave: BrokerSpec = {
    ...master,
    brokerId: 1,
    brokerAddr: '127.0.0.1:31911',
    haServerAddr: '127.0.0.1:31912',
  };
  // Registered by our broker agent (master first, so the slave's round sees it).
  for (const spec of [master, slave]) {
    const agent = await startInProcessAgent(scope, `agent-${spec.brokerId}`, {
      clusterName: spec.clusterName,
      brokerName: spec.brokerName,
      brokerId: spec.brokerId,
      brokerAddr: spec.brokerAddr,
      haServerAddr: spec.haServerAddr,
      topics: spec.topics.map((t) => ({ topicName: t, readQueueNums: 4, writeQueueNums: 4 })),
      namesrvAddr: nodes.map((n) => n.addr),
      env: {},
    });
    expect(agent.state).toBe('running');
  }
  return { nodes, topic, master, slave };
}

function expectedRoute(f: Fixture): AliOnsRoute {
  return {
    queueDatas: [
      {
        brokerName: f.master.brokerName,
        readQueueNums: 4,
        writeQueueNums: 4,
        perm: 6,
        topicSysFlag: 0,
      },
    ],
    brokerDatas: [
      {
        cluster: f.master.clusterName,
        brokerName: f.master.brokerName,
        brokerAddrs: { '0': f.master.brokerAddr, '1': f.slave.brokerAddr },
      },
    ],
  };
}

/** ali-ons' own view of a route, minus fields it does not use (filterServerTable). */
function routeCore(route: AliOnsRoute): AliOnsRoute {
  return {
    queueDatas: route.queueDatas,
    brokerDatas: route.brokerDatas.map((b) => ({
      cluster: b.cluster,
      brokerName: b.brokerName,
      brokerAddrs: { ...b.brokerAddrs },
    })),
  };
}

describe('ali-ons 3.12.0 against our cluster', () => {
  it('gets the route from a fixed nameSrv list, from every node in turn', async () => {
    const scope = useScope();
    const f = await cluster(scope);
    const { api, logged } = await startAliOns(scope, { nameSrv: f.nodes.map((n) => n.addr) });
    // ali-ons pre-increments its index per request: three calls hit list[1], list[2], list[0].
    for (let i = 0; i < f.nodes.length; i += 1) {
      const route = await api.getDefaultTopicRouteInfoFromNameServer(f.topic, 3_000);
      expect(routeCore(route)).toEqual(expectedRoute(f));
      // The master address is what its producer sends to (brokerAddrs[0]).
      expect(route.brokerDatas[0]?.brokerAddrs[0]).toBe(f.master.brokerAddr);
    }
    // A topic nobody registered: TOPIC_NOT_EXIST (17) surfaces as ali-ons' MQClientException.
    await expect(
      api.getTopicRouteInfoFromNameServer(uniqueName('missing'), 3_000),
    ).rejects.toMatchObject({ name: 'MQClientException', code: 17 });
    expect(logged.filter((l) => !l.includes('not exist'))).toEqual([]);
  });

  it('finds the cluster through our address service (onsAddr), with and without a unit', async () => {
    const scope = useScope();
    const f = await cluster(scope);
    const addrs = f.nodes.map((n) => n.addr);
    const service = await startAddressService(scope, { name: uniqueName('addr'), addrs });

    const plain = await startAliOns(scope, { onsAddr: service.url });
    expect(plain.requestedUrls).toEqual([service.url]);
    expect(plain.api._namesrvAddrList).toEqual(addrs);
    for (let i = 0; i < addrs.length; i += 1) {
      expect(
        routeCore(await plain.api.getDefaultTopicRouteInfoFromNameServer(f.topic, 3_000)),
      ).toEqual(expectedRoute(f));
    }

    // With unitName ali-ons asks `<onsAddr>-<unit>?nofix=1` (Java TopAddressing's rule).
    const unit = await startAliOns(scope, { onsAddr: service.url, unitName: 'unit1' });
    expect(unit.requestedUrls).toEqual([`${service.url}-unit1?nofix=1`]);
    expect(unit.api._namesrvAddrList).toEqual(addrs);
    expect(
      routeCore(await unit.api.getDefaultTopicRouteInfoFromNameServer(f.topic, 3_000)),
    ).toEqual(expectedRoute(f));

    // The list changes: ali-ons re-fetches (it does so when a connection closes) and follows.
    await service.setList([addrs[2]!]);
    await waitFor(async () => (await fetchAddressList(service.url)) === addrs[2], {
      timeout: 5_000,
      what: 'the address service to serve the new list',
    });
    await plain.api.updateNameServerAddressList();
    expect(plain.api._namesrvAddrList).toEqual([addrs[2]]);
    expect(
      routeCore(await plain.api.getDefaultTopicRouteInfoFromNameServer(f.topic, 3_000)),
    ).toEqual(expectedRoute(f));
  });

  it('fails over to the next node when the one it would use is killed', async () => {
    const scope = useScope();
    const f = await cluster(scope);
    const { api } = await startAliOns(scope, { nameSrv: f.nodes.map((n) => n.addr) });
    // Warm a connection to every node, then crash one.
    for (let i = 0; i < f.nodes.length; i += 1) {
      await api.getDefaultTopicRouteInfoFromNameServer(f.topic, 3_000);
    }
    await f.nodes[1]!.process.kill();
    // invokeForNameSrvAtLeastOnce tries up to list-size nodes: no lookup may fail.
    for (let i = 0; i < 2 * f.nodes.length; i += 1) {
      expect(routeCore(await api.getDefaultTopicRouteInfoFromNameServer(f.topic, 3_000))).toEqual(
        expectedRoute(f),
      );
    }
  });
});
