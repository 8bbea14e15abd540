/**
 * Scenario 1, shared by the process suite and the container suite: two clusters of two broker
 * groups (master + slave each) registered to every node, in a different order on each node; then
 * every node must answer identical routes and cluster info, byte for byte and decoded, and each
 * slave's registration must come back with its master's address and HA address.
 */
import { expect } from 'vitest';
import type { RemotingClient } from '@ns/client';
import { ResponseCode } from '@ns/protocol';
import { parseFastjson } from '../fastjson.js';
import { canonicalRoute, getClusterInfoRaw, getRouteRaw } from '../probe.js';
import type { WireClusterInfo, WireTopicRouteData } from '../probe.js';
import { RawBroker } from '../raw-broker.js';
import type { BrokerSpec, RegisterReply } from '../raw-broker.js';
import { uniqueName } from '../scope.js';
import type { TestScope } from '../scope.js';

export interface BrokerGroup {
  readonly clusterName: string;
  readonly brokerName: string;
  readonly master: BrokerSpec;
  readonly slave: BrokerSpec;
}

export interface ClusterPlan {
  readonly clusters: readonly string[];
  readonly groups: readonly BrokerGroup[];
  /** topic → broker names that carry it. */
  readonly topics: ReadonlyMap<string, readonly string[]>;
}

/**
 * Two clusters × two groups. Topics: one per group, one per cluster, one on all four groups.
 * Broker addresses are labels on 127.0.0.1 (nothing listens there; the nodes only store them).
 */
export function planTwoClusters(): ClusterPlan {
  const clusters = [uniqueName('clusterA'), uniqueName('clusterB')];
  const everywhere = uniqueName('topic-all');
  const groups: BrokerGroup[] = [];
  const topics = new Map<string, string[]>([[everywhere, []]]);
  let port = 40_000;
  clusters.forEach((clusterName, c) => {
    const clusterTopic = uniqueName(`topic-c${c}`);
    topics.set(clusterTopic, []);
    for (let g = 0; g < 2; g += 1) {
      const brokerName = uniqueName(`broker-c${c}g${g}`);
      const ownTopic = uniqueName(`topic-c${c}g${g}`);
      topics.set(ownTopic, [brokerName]);
      topics.get(clusterTopic)!.push(brokerName);
      topics.get(everywhere)!.push(brokerName);
      const spec = (brokerId: number): BrokerSpec => {
        port += 10;
        return {
          clusterName,
          brokerName,
          brokerId,
          brokerAddr: `127.0.0.1:${port}`,
          haServerAddr: `127.0.0.1:${port + 1}`,
          topics: [ownTopic, clusterTopic, everywhere],
        };
      };
      groups.push({ clusterName, brokerName, master: spec(0), slave: spec(1) });
    }
  });
  return { clusters, groups, topics };
}

/**
 * Registers every master, then every slave, to every node (nodes in parallel). Masters reach
 * every node in the same order; slaves reach node i rotated by i.
 *
 * Why masters keep one order: the route and cluster info lists follow Java HashMap iteration
 * order, and names that share a hash bucket stay in insertion order (Java 4.9.7
 * RouteInfoManager#pickupTopicRouteData iterates topicQueueTable's HashMap). Two Java nodes that
 * saw masters in different orders can list them differently, so byte equality is only owed for
 * the same master order. Slaves add no topic config (only brokerId 0 does) and their addresses
 * sit under distinct ids, so their order must not matter at all.
 */
export async function registerPlan(
  scope: TestScope,
  plan: ClusterPlan,
  addrs: readonly string[],
): Promise<Map<string, RegisterReply[]>> {
  const masters = plan.groups.map((g) => new RawBroker(scope, g.master));
  const slaves = plan.groups.map((g) => new RawBroker(scope, g.slave));
  const inOrderFor = <T>(items: readonly T[], i: number): T[] => [
    ...items.slice(i % items.length),
    ...items.slice(0, i % items.length),
  ];
  await Promise.all(
    addrs.map(async (addr) => {
      for (const m of masters) await m.registerTo(addr);
    }),
  );
  const replies = new Map<string, RegisterReply[]>();
  await Promise.all(
    addrs.map(async (addr, i) => {
      for (const s of inOrderFor(slaves, i)) {
        const reply = await s.registerTo(addr);
        const list = replies.get(s.spec.brokerName) ?? [];
        list.push(reply);
        replies.set(s.spec.brokerName, list);
      }
    }),
  );
  return replies;
}

function expectedRoute(plan: ClusterPlan, topic: string): WireTopicRouteData {
  const names = [...(plan.topics.get(topic) ?? [])].sort();
  const groups = names.map((n) => plan.groups.find((g) => g.brokerName === n)!);
  return {
    queueDatas: groups.map((g) => ({
      brokerName: g.brokerName,
      readQueueNums: 4,
      writeQueueNums: 4,
      perm: 6,
      topicSysFlag: 0,
    })),
    // The nodes answer as Java 5.x (compatibilityLine default): BrokerData has enableActingMaster.
    brokerDatas: groups.map((g) => ({
      cluster: g.clusterName,
      brokerName: g.brokerName,
      brokerAddrs: { '0': g.master.brokerAddr, '1': g.slave.brokerAddr },
      enableActingMaster: false,
    })),
    filterServerTable: {},
  };
}

/** Where a view is read: a node, or one process of it (see serving-workers.ts readersOf). */
export interface ViewSource {
  readonly label: string;
  readonly client: RemotingClient;
  readonly addr: string;
}

/** Every node answers the same bytes, and the decoded answer is the planned one. */
export async function expectIdenticalViews(
  probe: RemotingClient,
  addrs: readonly string[],
  plan: ClusterPlan,
): Promise<void> {
  await expectIdenticalViewsFrom(
    addrs.map((addr) => ({ label: addr, client: probe, addr })),
    plan,
  );
}

/**
 * Every source answers the same bytes, and the decoded answer is the planned one. With one source
 * per serving worker of each node, that is every process of every node that answers clients.
 */
export async function expectIdenticalViewsFrom(
  sources: readonly ViewSource[],
  plan: ClusterPlan,
): Promise<void> {
  const labelled = (bodies: readonly string[]): string =>
    bodies.map((b, i) => `${sources[i]!.label}: ${b}`).join('\n');
  for (const topic of plan.topics.keys()) {
    const replies = await Promise.all(sources.map((s) => getRouteRaw(s.client, s.addr, topic)));
    for (const [i, r] of replies.entries()) {
      expect(r.code, `route of ${topic} from ${sources[i]!.label}`).toBe(ResponseCode.SUCCESS);
    }
    const bodies = replies.map((r) => r.body?.toString('utf8') ?? '');
    // Same masters in the same order (see registerPlan): the bytes must be equal.
    expect(new Set(bodies).size, `route bodies of ${topic} differ:\n${labelled(bodies)}`).toBe(1);
    const decoded = parseFastjson(bodies[0]!) as WireTopicRouteData;
    expect(canonicalRoute(decoded)).toEqual(expectedRoute(plan, topic));
  }
  const infos = await Promise.all(sources.map((s) => getClusterInfoRaw(s.client, s.addr)));
  for (const [i, r] of infos.entries()) {
    expect(r.code, `cluster info from ${sources[i]!.label}`).toBe(ResponseCode.SUCCESS);
  }
  const infoBodies = infos.map((r) => r.body?.toString('utf8') ?? '');
  expect(new Set(infoBodies).size, `cluster info differs:\n${labelled(infoBodies)}`).toBe(1);
  const info = parseFastjson(infoBodies[0]!) as WireClusterInfo;
  for (const cluster of plan.clusters) {
    const planned = plan.groups.filter((g) => g.clusterName === cluster).map((g) => g.brokerName);
    expect([...(info.clusterAddrTable[cluster] ?? [])].sort()).toEqual([...planned].sort());
  }
  for (const g of plan.groups) {
    expect(info.brokerAddrTable[g.brokerName]).toEqual({
      cluster: g.clusterName,
      brokerName: g.brokerName,
      brokerAddrs: { '0': g.master.brokerAddr, '1': g.slave.brokerAddr },
      enableActingMaster: false,
    });
  }
}

/** Each slave heard its master's address and HA address from every node. */
export function expectSlavesSeeMasters(
  plan: ClusterPlan,
  replies: ReadonlyMap<string, readonly RegisterReply[]>,
  nodeCount: number,
): void {
  for (const g of plan.groups) {
    const got = replies.get(g.brokerName) ?? [];
    expect(got).toHaveLength(nodeCount);
    for (const r of got) {
      expect(r).toEqual({ masterAddr: g.master.brokerAddr, haServerAddr: g.master.haServerAddr });
    }
  }
}
