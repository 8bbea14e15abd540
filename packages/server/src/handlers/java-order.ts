/**
 * The element order the Java NameServer writes for collections it builds in hash tables, so our
 * bodies are byte-equal to Java's (4.9.7 and 5.3.3 fixtures get-route*, get-all-topic-list*,
 * get-topics-by-cluster, get-system-topic-list). The route manager hands out insertion order (and
 * topic lists in the order Java fills its TopicList); the Java processor's collections are:
 * - TopicRouteData.queueDatas: `new ArrayList<>(queueDataMap.values())` of the topic's
 *   `HashMap<brokerName, QueueData>` (default capacity, grown with its size and never shrunk: the
 *   route tables say how large it is, RouteReadModel.queueDataTableCapacity) — both lines;
 * - TopicRouteData.brokerDatas: one per name of a HashSet of the topic's broker names — 4.9 an
 *   empty one filled by `addAll` (grown as it fills), 5.x `new HashSet<>(keySet)` (sized at once);
 * - TopicList.topicList: 4.9 a `HashSet<String>`; 5.x `ConcurrentHashMap.newKeySet()`, whose
 *   growth reverses parts of its chains, so names sharing a bucket come out in another order;
 * - GET_SYSTEM_TOPIC_LIST_FROM_NS: the cluster table (4.9 `HashMap(32)`, 5.x
 *   `ConcurrentHashMap(32)`) with each cluster's broker-name `HashSet`, and the first address of
 *   the first BrokerData of the broker table (4.9 `HashMap(128)`, 5.x `ConcurrentHashMap(128)`).
 * Re-ordering an already Java-ordered list is a no-op, so this stays correct if the manager ever
 * returns Java order itself.
 */
import {
  CLUSTER_INFO_SHAPES,
  javaHashCopyCapacity,
  javaHashMapCapacity,
  javaHashOrderBy,
  javaHashTableOrder,
  javaLongHashOrder,
  javaStringHashCode,
  javaStringHashOrder,
  LEGACY_JSON,
  stringKeyOrder,
} from '@ns/protocol';
import type { ClusterInfo, JavaLine, TopicList, TopicRouteData } from '@ns/protocol';

export function orderRouteLikeJava(
  route: TopicRouteData,
  line: JavaLine,
  queueDataCapacity = javaHashMapCapacity(route.queueDatas.length),
): TopicRouteData {
  const names = route.queueDatas.length;
  if (names > 1) {
    route.queueDatas = javaHashOrderBy(
      route.queueDatas,
      (qd) => javaStringHashCode(qd.brokerName),
      {
        capacity: queueDataCapacity,
      },
    );
  }
  if (route.brokerDatas.length > 1) {
    // The broker-name set is filled from the QueueData map's key set (4.9.7 `addAll` into an
    // empty `new HashSet<>()`, grown from 16 buckets as names are added; 5.3.3
    // `new HashSet<>(keySet)`, sized for them at once), so names sharing one of its buckets come
    // in that map's iteration order — which is not the insertion order when the map is larger
    // than the set (it once held more names). One set entry per QueueData name; BrokerData only
    // for the names that have a group.
    const rank = new Map<string, number>();
    route.queueDatas.forEach((qd, i) => rank.set(qd.brokerName, i));
    const inMapOrder = route.brokerDatas
      .map((bd, i) => ({ bd, at: rank.get(bd.brokerName) ?? names + i }))
      .sort((a, b) => a.at - b.at)
      .map((e) => e.bd);
    route.brokerDatas = javaHashOrderBy(inMapOrder, (bd) => javaStringHashCode(bd.brokerName), {
      capacity: line === '4.9' ? javaHashMapCapacity(names) : javaHashCopyCapacity(names),
    });
  }
  return route;
}

/** A fresh TopicList of `line` after adding `topics` (distinct) in the given order. */
export function topicListOrderLikeJava(line: JavaLine, topics: readonly string[]): string[] {
  if (topics.length <= 1) return topics.slice();
  return line === '4.9'
    ? javaStringHashOrder(topics)
    : javaHashTableOrder('ConcurrentHashMap', topics, javaStringHashCode);
}

/**
 * GET_SYSTEM_TOPIC_LIST_FROM_NS: every cluster name followed by its broker names, walking the
 * cluster table, and the first address Java finds in the broker table (none when no broker group
 * has an address).
 */
export function systemTopicListLikeJava(
  line: JavaLine,
  info: ClusterInfo,
  nameSetCapacity: (cluster: string) => number = () => javaHashMapCapacity(0),
): TopicList {
  const shapes = CLUSTER_INFO_SHAPES[line];
  const added = new Set<string>();
  const clusters = stringKeyOrder(
    [...info.clusterAddrTable.keys()],
    LEGACY_JSON,
    shapes.clusterAddrTable,
  );
  for (const cluster of clusters) {
    added.add(cluster);
    const names = info.clusterAddrTable.get(cluster)!;
    // The cluster's HashSet: grown with its names, never shrunk.
    const capacity = Math.max(nameSetCapacity(cluster), javaHashMapCapacity(names.length));
    for (const name of javaStringHashOrder(names, { capacity })) added.add(name);
  }
  const list: TopicList = { topicList: topicListOrderLikeJava(line, [...added]) };
  const names = stringKeyOrder(
    [...info.brokerAddrTable.keys()],
    LEGACY_JSON,
    shapes.brokerAddrTable,
  );
  for (const name of names) {
    const addrs = info.brokerAddrTable.get(name)!.brokerAddrs;
    if (addrs.size === 0) continue;
    list.brokerAddr = addrs.get(javaLongHashOrder([...addrs.keys()])[0]!)!;
    break;
  }
  return list;
}
