/** Test helper: agents with unique identities and route checks on in-process NameServers. */
import type { NameServer } from '@ns/server';
import { BrokerAgent } from '@ns/broker-agent';
import type { BrokerAgentOptions, TopicConfigInput } from '@ns/broker-agent';
import { uniq } from './name-server-cluster.js';

const agents: BrokerAgent[] = [];
let nextPort = 30_000;

/** An agent for a fresh broker (unique cluster/broker names and address); stopped by stopAgents. */
export function makeAgent(
  /** null: the options give an addressProvider instead. */
  namesrvAddr: string | readonly string[] | null,
  options: Partial<BrokerAgentOptions> = {},
): BrokerAgent {
  nextPort += 2;
  const agent = new BrokerAgent({
    clusterName: uniq('cluster'),
    brokerName: uniq('broker'),
    brokerAddr: `127.0.0.1:${nextPort}`,
    topics: topics(uniq('topic'), 3),
    ...(namesrvAddr === null ? {} : { namesrvAddr }),
    env: {},
    requestTimeoutMs: 3_000,
    ...options,
  });
  agents.push(agent);
  return agent;
}

export async function stopAgents(): Promise<void> {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
}

export function topics(prefix: string, count: number, queues = 4): TopicConfigInput[] {
  return Array.from({ length: count }, (_, i) => ({
    topicName: `${prefix}-${i}`,
    readQueueNums: queues,
    writeQueueNums: queues,
  }));
}

/** The broker address serving `topic` for `brokerName` on this node, or null. */
export function routeAddr(server: NameServer, topic: string, brokerName: string): string | null {
  const route = server.routeInfoManager.pickupTopicRouteData(topic);
  const bd = route?.brokerDatas.find((b) => b.brokerName === brokerName);
  return bd?.brokerAddrs.get(0) ?? null;
}

export function queueNums(server: NameServer, topic: string, brokerName: string): number | null {
  const route = server.routeInfoManager.pickupTopicRouteData(topic);
  return route?.queueDatas.find((q) => q.brokerName === brokerName)?.writeQueueNums ?? null;
}

export function isLive(server: NameServer, brokerAddr: string): boolean {
  return server.routeInfoManager.getBrokerLiveViews().some((v) => v.brokerAddr === brokerAddr);
}

/** Cluster info on this node lists the broker name under the cluster. */
export function inCluster(server: NameServer, clusterName: string, brokerName: string): boolean {
  const info = server.routeInfoManager.getAllClusterInfo();
  const names = info.clusterAddrTable.get(clusterName);
  return names !== undefined && names.includes(brokerName);
}
