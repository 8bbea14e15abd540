/**
 * Whether a refreshed route differs from the cached one (reference §7.4; Java:
 * TopicRouteData#topicRouteDataChanged via MQClientInstance#topicRouteDataIsChange). Java sorts the
 * queue and broker lists and compares the whole objects; list order and map order on the wire are
 * hash order and mean nothing, so both are normalised here before comparing.
 */
import type { BrokerData, QueueData, TopicRouteData } from '@ns/protocol';

function byBrokerName(a: { brokerName: string }, b: { brokerName: string }): number {
  return a.brokerName < b.brokerName ? -1 : a.brokerName > b.brokerName ? 1 : 0;
}

function queueKey(q: QueueData): unknown[] {
  return [q.brokerName, q.readQueueNums, q.writeQueueNums, q.perm, q.topicSysFlag];
}

function brokerKey(b: BrokerData): unknown[] {
  const addrs = [...b.brokerAddrs.entries()].sort((x, y) => x[0] - y[0]);
  return [b.cluster, b.brokerName, addrs, b.enableActingMaster ?? false, b.zoneName ?? null];
}

/** A canonical text form: equal for routes that Java would consider unchanged. */
export function canonicalTopicRoute(route: TopicRouteData): string {
  const filters = [...route.filterServerTable.entries()]
    .map(([addr, list]) => [addr, [...list].sort()] as const)
    .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  return JSON.stringify([
    route.orderTopicConf ?? null,
    [...route.queueDatas].sort(byBrokerName).map(queueKey),
    [...route.brokerDatas].sort(byBrokerName).map(brokerKey),
    filters,
  ]);
}

/** True when `next` differs from `previous` (undefined previous = first route = changed). */
export function topicRouteChanged(
  previous: TopicRouteData | undefined,
  next: TopicRouteData,
): boolean {
  return previous === undefined || canonicalTopicRoute(previous) !== canonicalTopicRoute(next);
}
