/**
 * Asks one node directly (no node selection, no retries) what it holds: the raw response and the
 * decoded body, so tests can compare nodes both structurally and byte for byte. Built on the
 * SDK's RemotingClient, the one client transport of the project.
 */
import { RemotingClient } from '@ns/client';
import type { RemotingCommand } from '@ns/protocol';
import { RequestCode, ResponseCode } from '@ns/protocol';
import { parseFastjson } from './fastjson.js';
import type { TestScope } from './scope.js';

/** A route body as decoded JSON (brokerAddrs keys are strings here). */
export interface WireQueueData {
  brokerName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicSysFlag: number;
}
export interface WireBrokerData {
  cluster: string;
  brokerName: string;
  brokerAddrs: Record<string, string>;
  /** Java 5.x BrokerData (compatibilityLine=5.x); absent from a 4.9 node's. */
  enableActingMaster?: boolean;
}
export interface WireTopicRouteData {
  orderTopicConf?: string;
  queueDatas: WireQueueData[];
  brokerDatas: WireBrokerData[];
  filterServerTable: Record<string, string[]>;
}
export interface WireClusterInfo {
  brokerAddrTable: Record<string, WireBrokerData>;
  clusterAddrTable: Record<string, string[]>;
}

export interface RawReply {
  readonly code: number;
  readonly remark: string | null;
  readonly extFields: Readonly<Record<string, string>> | null;
  readonly body: Buffer | null;
}

function raw(cmd: RemotingCommand): RawReply {
  return { code: cmd.code, remark: cmd.remark, extFields: cmd.extFields, body: cmd.body };
}

/** A RemotingClient closed at test cleanup. Short timeouts: every node is local. */
export function createProbe(scope: TestScope, timeoutMs = 2_000): RemotingClient {
  const client = new RemotingClient({ requestTimeoutMs: timeoutMs, connectTimeoutMs: timeoutMs });
  scope.defer('close probe client', () => client.close());
  return client;
}

export async function getRouteRaw(
  client: RemotingClient,
  addr: string,
  topic: string,
): Promise<RawReply> {
  return raw(
    await client.invoke(addr, { code: RequestCode.GET_ROUTEINFO_BY_TOPIC, extFields: { topic } }),
  );
}

/** The decoded route, or null for TOPIC_NOT_EXIST; any other code throws. */
export async function getRoute(
  client: RemotingClient,
  addr: string,
  topic: string,
): Promise<WireTopicRouteData | null> {
  const reply = await getRouteRaw(client, addr, topic);
  if (reply.code === ResponseCode.TOPIC_NOT_EXIST) return null;
  if (reply.code !== ResponseCode.SUCCESS || reply.body === null) {
    throw new Error(`route of ${topic} from ${addr}: code ${reply.code} ${reply.remark ?? ''}`);
  }
  return parseFastjson(reply.body.toString('utf8')) as WireTopicRouteData;
}

export async function getClusterInfoRaw(client: RemotingClient, addr: string): Promise<RawReply> {
  return raw(await client.invoke(addr, { code: RequestCode.GET_BROKER_CLUSTER_INFO }));
}

export async function getClusterInfo(
  client: RemotingClient,
  addr: string,
): Promise<WireClusterInfo> {
  const reply = await getClusterInfoRaw(client, addr);
  if (reply.code !== ResponseCode.SUCCESS || reply.body === null) {
    throw new Error(`cluster info from ${addr}: code ${reply.code} ${reply.remark ?? ''}`);
  }
  return parseFastjson(reply.body.toString('utf8')) as WireClusterInfo;
}

/** The value, or null for QUERY_NOT_FOUND. */
export async function getKvConfig(
  client: RemotingClient,
  addr: string,
  namespace: string,
  key: string,
): Promise<string | null> {
  const reply = await client.invoke(addr, {
    code: RequestCode.GET_KV_CONFIG,
    extFields: { namespace, key },
  });
  if (reply.code === ResponseCode.QUERY_NOT_FOUND) return null;
  if (reply.code !== ResponseCode.SUCCESS) {
    throw new Error(
      `kv ${namespace}/${key} from ${addr}: code ${reply.code} ${reply.remark ?? ''}`,
    );
  }
  return reply.extFields?.['value'] ?? null;
}

/** Broker names in a route, sorted. */
export function routeBrokerNames(route: WireTopicRouteData | null): string[] {
  return (route?.brokerDatas ?? []).map((b) => b.brokerName).sort();
}

/**
 * A route with its lists sorted by broker name. Nodes that saw brokers in different orders may
 * list them in different orders (Java HashMap buckets keep insertion order), so comparisons
 * across such nodes use this form.
 */
export function canonicalRoute(route: WireTopicRouteData | null): WireTopicRouteData | null {
  if (route === null) return null;
  const byName = (a: { brokerName: string }, b: { brokerName: string }) =>
    a.brokerName.localeCompare(b.brokerName);
  return {
    ...route,
    queueDatas: [...route.queueDatas].sort(byName),
    brokerDatas: [...route.brokerDatas].sort(byName),
  };
}

/** Cluster info with each cluster's broker-name list sorted (see canonicalRoute). */
export function canonicalClusterInfo(info: WireClusterInfo): WireClusterInfo {
  const clusters: Record<string, string[]> = {};
  for (const [name, brokers] of Object.entries(info.clusterAddrTable)) {
    clusters[name] = [...brokers].sort();
  }
  return { brokerAddrTable: info.brokerAddrTable, clusterAddrTable: clusters };
}
