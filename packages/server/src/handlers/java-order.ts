/**
 * The element order the 4.9.7 NameServer writes for collections it builds in hash tables, so our
 * bodies are byte-equal to Java's (fixtures get-route*, get-all-topic-list, get-topics-by-cluster,
 * get-system-topic-list). The route manager hands out insertion order; the Java processor's
 * collections are:
 * - TopicRouteData.queueDatas: `new ArrayList<>(queueDataMap.values())` of the topic's
 *   `HashMap<brokerName, QueueData>` (default capacity, grown with its size);
 * - TopicRouteData.brokerDatas: one per name of `new HashSet<>(queueDataMap.keySet())`;
 * - TopicList.topicList: a `HashSet<String>` filled while iterating the topic table, a
 *   `HashMap` created with capacity 1024 (so ties inside a set bucket follow the table's order);
 * - GET_SYSTEM_TOPIC_LIST_FROM_NS brokerAddr: the first address of the first BrokerData of the
 *   broker table (`HashMap` created with capacity 128).
 * Re-ordering an already Java-ordered list is a no-op, so this stays correct if the manager ever
 * returns Java order itself.
 */
import {
  javaHashCopyCapacity,
  javaHashMapCapacity,
  javaHashOrderBy,
  javaLongHashOrder,
  javaStringHashCode,
  javaStringHashOrder,
} from '@ns/protocol';
import type { TopicRouteData } from '@ns/protocol';

export function orderRouteLikeJava(route: TopicRouteData): TopicRouteData {
  if (route.queueDatas.length > 1) {
    route.queueDatas = javaHashOrderBy(route.queueDatas, (qd) => javaStringHashCode(qd.brokerName));
  }
  if (route.brokerDatas.length > 1) {
    route.brokerDatas = javaHashOrderBy(
      route.brokerDatas,
      (bd) => javaStringHashCode(bd.brokerName),
      { capacity: javaHashCopyCapacity(route.brokerDatas.length) },
    );
  }
  return route;
}

/** Java RouteInfoManager: `new HashMap<>(1024)` for topicQueueTable, `(128)` for brokerAddrTable. */
const TOPIC_TABLE_CAPACITY = 1024;
const BROKER_TABLE_CAPACITY = 128;

export function orderTopicsLikeJava(topics: readonly string[]): string[] {
  if (topics.length <= 1) return topics.slice();
  const tableOrder = javaStringHashOrder(topics, {
    capacity: javaHashMapCapacity(topics.length, TOPIC_TABLE_CAPACITY),
  });
  return javaStringHashOrder(tableOrder);
}

/** The broker address Java puts in the system topic list, or undefined when no broker has one. */
export function firstBrokerAddrLikeJava(
  brokerAddrTable: ReadonlyMap<string, { brokerAddrs: ReadonlyMap<number, string> }>,
): string | undefined {
  const names = javaStringHashOrder([...brokerAddrTable.keys()], {
    capacity: javaHashMapCapacity(brokerAddrTable.size, BROKER_TABLE_CAPACITY),
  });
  for (const name of names) {
    const addrs = brokerAddrTable.get(name)!.brokerAddrs;
    if (addrs.size === 0) continue;
    const ids = javaLongHashOrder([...addrs.keys()]);
    return addrs.get(ids[0]!);
  }
  return undefined;
}
