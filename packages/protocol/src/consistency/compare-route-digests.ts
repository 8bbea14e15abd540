/**
 * Compares the route digests of several NameServer nodes and says where they differ, broker by
 * broker: which node lacks a broker name or a live broker, whose addresses, cluster or DataVersion
 * differ, and whose topic set differs. Topic-level detail (which topics, with which queue
 * settings) needs each node's topic list of that broker name: `explainTopicDifference` adds it.
 *
 * Used by `nsadmin checkNodes` and by the node's console; pure.
 */
import type {
  DigestDataVersion,
  DigestTopicQueue,
  DigestTopics,
  RouteDigest,
} from './route-digest.js';

export interface NodeDigest {
  /** How the caller names the node (its address as given). */
  readonly node: string;
  readonly digest: RouteDigest;
}

type Nodes = readonly string[];

export interface BrokerNameMissing {
  readonly kind: 'brokerName-missing';
  readonly brokerName: string;
  /** As seen on the first node that has it. */
  readonly cluster: string;
  readonly brokerAddrs: Readonly<Record<string, string>>;
  readonly presentOn: Nodes;
  readonly missingOn: Nodes;
}

export interface ClusterDiffers {
  readonly kind: 'cluster-differs';
  readonly brokerName: string;
  /** `cluster`: the group's cluster; `memberOf`: clusters listing the broker name. */
  readonly values: readonly {
    readonly node: string;
    readonly cluster: string;
    readonly memberOf: readonly string[];
  }[];
}

export interface AddressesDiffer {
  readonly kind: 'addresses-differ';
  readonly brokerName: string;
  readonly values: readonly {
    readonly node: string;
    readonly brokerAddrs: Readonly<Record<string, string>>;
  }[];
}

export interface BrokerMissing {
  readonly kind: 'broker-missing';
  readonly brokerName: string;
  readonly clusterName: string;
  readonly brokerId: number;
  readonly brokerAddr: string;
  readonly presentOn: Nodes;
  readonly missingOn: Nodes;
}

export interface DataVersionDiffers {
  readonly kind: 'dataVersion-differs';
  readonly brokerName: string;
  readonly clusterName: string;
  readonly brokerId: number;
  readonly brokerAddr: string;
  readonly values: readonly { readonly node: string; readonly dataVersion: DigestDataVersion }[];
}

/** One topic whose queue settings differ; `queue` null = the node lacks the topic. */
export interface TopicDifference {
  readonly topic: string;
  readonly values: readonly {
    readonly node: string;
    readonly queue: Omit<DigestTopicQueue, 'topic'> | null;
  }[];
}

export interface TopicsDiffer {
  readonly kind: 'topics-differ';
  readonly brokerName: string;
  readonly values: readonly {
    readonly node: string;
    readonly topicCount: number;
    readonly topicsHash: string;
  }[];
  /** Filled by explainTopicDifference; null until then. */
  readonly topics: readonly TopicDifference[] | null;
  /** Differing topics left out of `topics` by its limit. */
  readonly moreTopics: number;
  /**
   * Why `topics` is null after a check: `unreadable` (a node's topic list could not be read),
   * `limit` (more differing broker names than a check explains) or `deadline` (the check ran out
   * of time). Absent while `topics` is filled, or before a check tried.
   */
  readonly unexplained?: 'unreadable' | 'limit' | 'deadline';
}

export type RouteDifference =
  | BrokerNameMissing
  | ClusterDiffers
  | AddressesDiffer
  | BrokerMissing
  | DataVersionDiffers
  | TopicsDiffer;

export interface ConsistencyReport {
  /** Every node has the same digest. */
  readonly agree: boolean;
  readonly nodes: readonly {
    readonly node: string;
    readonly digest: string;
    readonly topicCount: number;
    readonly brokerNames: number;
    readonly brokers: number;
  }[];
  /** Sorted by broker name, then kind; empty when `agree`; at most MAX_REPORTED_DIFFERENCES. */
  readonly differences: readonly RouteDifference[];
  /** Differences left out of `differences` by MAX_REPORTED_DIFFERENCES. */
  readonly moreDifferences: number;
}

/**
 * Differences a report lists. The digests come from whoever answers: a node claiming 100,000
 * broker names nobody else has would otherwise make a report (with every node named in every
 * difference) larger than a string can be, and the node answering /consistency fail on it.
 */
export const MAX_REPORTED_DIFFERENCES = 1_000;

const KIND_ORDER: Readonly<Record<RouteDifference['kind'], number>> = {
  'brokerName-missing': 0,
  'cluster-differs': 1,
  'addresses-differ': 2,
  'broker-missing': 3,
  'dataVersion-differs': 4,
  'topics-differ': 5,
};

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function addrsKey(addrs: Readonly<Record<string, string>>): string {
  return Object.keys(addrs)
    .sort((a, b) => Number(a) - Number(b))
    .map((id) => `${id}=${addrs[id]}`)
    .join(',');
}

/** True when all values are the same under `key`. */
function allSame<T>(values: readonly T[], key: (v: T) => string): boolean {
  if (values.length < 2) return true;
  const first = key(values[0]!);
  return values.every((v) => key(v) === first);
}

/** Compares every node with every other; `nodes` must not be empty. */
export function compareRouteDigests(nodes: readonly NodeDigest[]): ConsistencyReport {
  const summary = nodes.map(({ node, digest }) => ({
    node,
    digest: digest.digest,
    topicCount: digest.topicCount,
    brokerNames: digest.brokerGroups.length,
    brokers: digest.brokers.length,
  }));
  if (allSame(nodes, (n) => n.digest.digest)) {
    return { agree: true, nodes: summary, differences: [], moreDifferences: 0 };
  }
  const differences: RouteDifference[] = [];
  const all = nodes.map((n) => n.node);

  // Index every node's view.
  const groupsByNode = nodes.map(
    (n) => new Map(n.digest.brokerGroups.map((g) => [g.brokerName, g])),
  );
  const memberOfByNode = nodes.map((n) => {
    const m = new Map<string, string[]>();
    for (const c of n.digest.clusters) {
      for (const b of c.brokerNames) {
        const list = m.get(b);
        if (list === undefined) m.set(b, [c.clusterName]);
        else list.push(c.clusterName);
      }
    }
    for (const list of m.values()) list.sort(cmp);
    return m;
  });
  // Each node's live brokers by broker name, read once: looking them up by scanning every node's
  // list per broker name made a check of N broker names O(N²) (100,000 names: minutes).
  const liveByNode = nodes.map((n) => {
    const m = new Map<string, Live[]>();
    for (const b of n.digest.brokers) {
      const list = m.get(b.brokerName);
      if (list === undefined) m.set(b.brokerName, [b]);
      else list.push(b);
    }
    return m;
  });
  const brokerNames = new Set<string>();
  for (const groups of groupsByNode) for (const name of groups.keys()) brokerNames.add(name);
  for (const live of liveByNode) for (const name of live.keys()) brokerNames.add(name);

  for (const brokerName of brokerNames) {
    const present: number[] = [];
    for (let i = 0; i < nodes.length; i++) if (groupsByNode[i]!.has(brokerName)) present.push(i);
    // Finer differences are compared among the nodes that have the broker name at all; when
    // none has its group (a live entry without a group), among every node.
    const among = present.length > 0 ? present : nodes.map((_, i) => i);
    if (present.length > 0 && present.length < nodes.length) {
      const first = groupsByNode[present[0]!]!.get(brokerName)!;
      differences.push({
        kind: 'brokerName-missing',
        brokerName,
        cluster: first.cluster,
        brokerAddrs: first.brokerAddrs,
        presentOn: present.map((i) => all[i]!),
        missingOn: all.filter((_, i) => !present.includes(i)),
      });
    }
    if (present.length > 1) {
      const groups = present.map((i) => ({
        node: all[i]!,
        group: groupsByNode[i]!.get(brokerName)!,
        memberOf: memberOfByNode[i]!.get(brokerName) ?? [],
      }));
      if (!allSame(groups, (g) => `${g.group.cluster}|${g.memberOf.join(',')}`)) {
        differences.push({
          kind: 'cluster-differs',
          brokerName,
          values: groups.map((g) => ({
            node: g.node,
            cluster: g.group.cluster,
            memberOf: g.memberOf,
          })),
        });
      }
      if (!allSame(groups, (g) => addrsKey(g.group.brokerAddrs))) {
        differences.push({
          kind: 'addresses-differ',
          brokerName,
          values: groups.map((g) => ({ node: g.node, brokerAddrs: g.group.brokerAddrs })),
        });
      }
      if (!allSame(groups, (g) => `${g.group.topicCount}/${g.group.topicsHash}`)) {
        differences.push({
          kind: 'topics-differ',
          brokerName,
          values: groups.map((g) => ({
            node: g.node,
            topicCount: g.group.topicCount,
            topicsHash: g.group.topicsHash,
          })),
          topics: null,
          moreTopics: 0,
        });
      }
    }
    compareLiveBrokers(nodes, liveByNode, among, brokerName, differences);
  }
  differences.sort(
    (a, b) => cmp(a.brokerName, b.brokerName) || KIND_ORDER[a.kind] - KIND_ORDER[b.kind],
  );
  const more = Math.max(0, differences.length - MAX_REPORTED_DIFFERENCES);
  if (more > 0) differences.length = MAX_REPORTED_DIFFERENCES;
  return { agree: false, nodes: summary, differences, moreDifferences: more };
}

type Live = NodeDigest['digest']['brokers'][number];

function compareLiveBrokers(
  nodes: readonly NodeDigest[],
  liveByNode: readonly ReadonlyMap<string, readonly Live[]>[],
  among: readonly number[],
  brokerName: string,
  out: RouteDifference[],
): void {
  const byKey = new Map<string, { broker: Live; on: Map<number, Live> }>();
  for (const i of among) {
    for (const b of liveByNode[i]!.get(brokerName) ?? []) {
      const key = `${b.clusterName}\u0000${b.brokerAddr}\u0000${b.brokerId}`;
      let entry = byKey.get(key);
      if (entry === undefined) {
        entry = { broker: b, on: new Map() };
        byKey.set(key, entry);
      }
      entry.on.set(i, b);
    }
  }
  const keys = [...byKey.keys()].sort(cmp);
  for (const key of keys) {
    const { broker, on } = byKey.get(key)!;
    const identity = {
      brokerName,
      clusterName: broker.clusterName,
      brokerId: broker.brokerId,
      brokerAddr: broker.brokerAddr,
    };
    if (on.size < among.length) {
      out.push({
        kind: 'broker-missing',
        ...identity,
        presentOn: among.filter((i) => on.has(i)).map((i) => nodes[i]!.node),
        missingOn: among.filter((i) => !on.has(i)).map((i) => nodes[i]!.node),
      });
    }
    const values = [...on].map(([i, b]) => ({ node: nodes[i]!.node, dataVersion: b.dataVersion }));
    if (!allSame(values, (v) => `${v.dataVersion.counter}@${v.dataVersion.timestamp}`)) {
      out.push({ kind: 'dataVersion-differs', ...identity, values });
    }
  }
}

/**
 * Names the topics behind a `topics-differ`: `details` holds the topic list of the broker name
 * from each node of `difference.values`. At most `limit` topics are listed (sorted by name), the
 * rest are counted in `moreTopics`.
 */
export function explainTopicDifference(
  difference: TopicsDiffer,
  details: ReadonlyMap<string, DigestTopics>,
  limit = 100,
): TopicsDiffer {
  const nodes = difference.values.map((v) => v.node);
  const maps = nodes.map((node) => {
    const d = details.get(node);
    return new Map((d?.topics ?? []).map((t) => [t.topic, t]));
  });
  const topics = new Set<string>();
  for (const m of maps) for (const t of m.keys()) topics.add(t);
  const differing: TopicDifference[] = [];
  let more = 0;
  for (const topic of [...topics].sort(cmp)) {
    const values = nodes.map((node, i) => {
      const q = maps[i]!.get(topic);
      return {
        node,
        queue:
          q === undefined
            ? null
            : {
                readQueueNums: q.readQueueNums,
                writeQueueNums: q.writeQueueNums,
                perm: q.perm,
                topicSysFlag: q.topicSysFlag,
              },
      };
    });
    const same = allSame(values, (v) =>
      v.queue === null
        ? '-'
        : `${v.queue.readQueueNums}/${v.queue.writeQueueNums}/${v.queue.perm}/${v.queue.topicSysFlag}`,
    );
    if (same) continue;
    if (differing.length < limit) differing.push({ topic, values });
    else more++;
  }
  return { ...difference, topics: differing, moreTopics: more };
}
