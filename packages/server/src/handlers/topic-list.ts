/**
 * Topic list requests (§2.2): GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206), GET_TOPICS_BY_CLUSTER
 * (224), GET_SYSTEM_TOPIC_LIST_FROM_NS (304), GET_UNIT_TOPIC_LIST (311),
 * GET_HAS_UNIT_SUB_TOPIC_LIST (312), GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST (313).
 */
import {
  decodeGetTopicsByClusterRequestHeader,
  encodeTopicList,
  RequestCode,
  ResponseCode,
} from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import type { RouteReadStore } from './deps.js';
import type { HandlerTable } from './handler.js';
import { systemTopicListLikeJava, topicListOrderLikeJava } from './java-order.js';
import type { JavaLineProfile } from './java-line.js';
import { SLICED_FROM, topicListBodyInSteps } from './list-bodies-in-steps.js';
import { runToEnd } from '../slices/slice-queue.js';
import type { SlicedJob, SliceQueue } from '../slices/slice-queue.js';
import type { SteppedTopicList } from '../route/index.js';

/** The 5.x NamesrvConfig switches gating the list requests (both default true). */
export interface TopicListConfigView {
  enableAllTopicList: boolean;
  enableTopicList: boolean;
}

export interface TopicListHandlerDeps {
  routeInfoManager: RouteReadStore;
  line: JavaLineProfile;
  config(): TopicListConfigView;
  /**
   * Where a list of SLICED_FROM topics or more is ordered and encoded, a slice at a time, so the
   * lookups served by the same event loop are answered in between. Absent: in one go.
   */
  slices?: SliceQueue;
}

/** Encoded list bodies kept at once (the cluster lists are one per cluster name asked for). */
const MAX_CACHED_LISTS = 256;

export function topicListHandlers(deps: TopicListHandlerDeps): HandlerTable {
  const routes = deps.routeInfoManager;
  const { ok, fail } = deps.line.respond;

  /**
   * Encoded list bodies, one Buffer shared by every answer while what the list depends on stands
   * still: each list walks every topic (GET_ALL_TOPIC_LIST of 120,000 topics is 3.7 MB; a unit
   * list costs 7–10 ms at 80,000 topics, a topics-by-cluster list of 8 × 50,000 about 25 ms), and
   * these requests are open to anyone who may read routes — 300 of them in one write held the
   * event loop 2.5 s (review findings).
   * - The whole list and the topics-by-cluster lists depend only on which broker names each topic
   *   has QueueData of (and, for 224, on cluster membership, which is in no route): they are
   *   checked against the tables' stamps of those (topicMembershipStamp, clusterMembershipStamp),
   *   so a re-registration that changed queue numbers or permissions keeps them. Dropping them on
   *   every route change let anyone who alternated such a change with a 224 hold the loop ~40 ms
   *   each time at 50,000 topics × 8 broker names (review finding).
   * - The unit lists depend on a first QueueData's flags: dropped on every route change (the
   *   notification the route body cache uses, see route-cache.ts, which comes before any request
   *   can see the changed tables, on the registry owner and on a serving worker's replica alike).
   * The bodies depend on nothing else: the Java line (the lists' order) is fixed for this handler.
   * Keys: 'all', 'unit', 'unit-sub', 'unit-sub-ununit', and 'cluster:' + the cluster name.
   */
  const bodies = new Map<string, { readonly body: Buffer; readonly stamp: string }>();
  /** Lists being built in slices: a request for the same list at the same stamp waits for it. */
  const building = new Map<string, { readonly stamp: string; readonly body: Promise<Buffer> }>();
  const UNIT_KEYS = ['unit', 'unit-sub', 'unit-sub-ununit'];
  /** Counts route changes: the unit lists' stamp (a list built meanwhile is not kept). */
  let routeChanges = 0;
  routes.onRouteChanged(() => {
    routeChanges++;
    for (const key of UNIT_KEYS) bodies.delete(key);
  });

  /**
   * `stamp()`: the state the list depends on (see `bodies`), read when the request arrives. A
   * large list is built in slices (`deps.slices`): its topics are taken at once (`topics`), or
   * walked in steps too (`walk`), and the body is kept for the stamp of the moment its topics
   * were taken, which is what it shows, however long its encoding took.
   */
  function cachedList(
    request: RemotingCommand,
    key: string,
    topics: () => string[],
    stamp: () => string,
    walk?: SteppedTopicList,
  ): RemotingCommand | Promise<RemotingCommand> {
    const now = stamp();
    const kept = bodies.get(key);
    if (kept !== undefined && kept.stamp === now) return ok(request, kept.body);
    const pending = building.get(key);
    if (pending !== undefined && pending.stamp === now) {
      return pending.body.then((body) => ok(request, body));
    }
    const slices = deps.slices;
    if (slices === undefined || routes.topicCount() < SLICED_FROM) {
      const body = runToEnd(topicListBodyInSteps(deps.line.line, topics()));
      keep(key, now, body);
      return ok(request, body);
    }
    const line = deps.line.line;
    // Taken now when in one go; walked when the job runs (it may then show later writes).
    const taken = walk === undefined ? topics() : null;
    function* build(): SlicedJob<Buffer> {
      let list: string[];
      let shown = now;
      if (taken !== null) {
        list = taken;
      } else {
        list = yield* routes.topicListInSteps(walk!);
        shown = stamp();
      }
      const body = yield* topicListBodyInSteps(line, list);
      keep(key, shown, body);
      return body;
    }
    const body = slices.run(build());
    building.set(key, { stamp: now, body });
    const settled = (): void => {
      if (building.get(key)?.body === body) building.delete(key);
    };
    body.then(settled, settled);
    return body.then((built) => ok(request, built));
  }

  const membership = (): string => String(routes.topicMembershipStamp());
  const unitStamp = (): string => String(routeChanges);

  function keep(key: string, stamp: string, body: Buffer): void {
    // Cluster names come from requests: a bounded set of them is kept.
    if (bodies.size >= MAX_CACHED_LISTS && !bodies.has(key)) bodies.clear();
    bodies.set(key, { body, stamp });
  }

  function listBody(topics: string[]): Buffer {
    return encodeTopicList({ topicList: topicListOrderLikeJava(deps.line.line, topics) });
  }

  function list(request: RemotingCommand, topics: string[]): RemotingCommand {
    return ok(request, listBody(topics));
  }

  function getAllTopicList(request: RemotingCommand): RemotingCommand | Promise<RemotingCommand> {
    if (!deps.config().enableAllTopicList) return disabled(request);
    return cachedList(request, 'all', () => routes.getAllTopicList(), membership);
  }

  /** Java 5.x: a disabled list answers SYSTEM_ERROR with the remark `disable`. */
  function disabled(request: RemotingCommand): RemotingCommand {
    return fail(request, ResponseCode.SYSTEM_ERROR, 'disable');
  }

  /** `topics`: in the order Java adds them to the list (see the route manager's list queries). */

  function getTopicsByCluster(
    request: RemotingCommand,
  ): RemotingCommand | Promise<RemotingCommand> {
    if (!deps.config().enableTopicList) return disabled(request);
    const { cluster } = decodeGetTopicsByClusterRequestHeader(request.extFields);
    // Java reads a missing cluster as null, which no cluster is: an empty list.
    if (cluster === undefined) return list(request, []);
    return cachedList(
      request,
      `cluster:${cluster}`,
      () => routes.getTopicsByCluster(cluster),
      () => `${routes.topicMembershipStamp()}/${routes.clusterMembershipStamp()}`,
      { kind: 'cluster', clusterName: cluster },
    );
  }

  function getSystemTopicList(request: RemotingCommand): RemotingCommand {
    // Not gated in 5.x either. Built from the cluster and broker tables in Java's table order.
    return ok(
      request,
      encodeTopicList(
        systemTopicListLikeJava(deps.line.line, routes.getAllClusterInfo(), (cluster) =>
          routes.clusterNameSetCapacity(cluster),
        ),
      ),
    );
  }

  function getUnitTopicList(request: RemotingCommand): RemotingCommand | Promise<RemotingCommand> {
    if (!deps.config().enableTopicList) return disabled(request);
    return cachedList(request, 'unit', () => routes.getUnitTopics(), unitStamp, { kind: 'unit' });
  }

  function getHasUnitSubTopicList(
    request: RemotingCommand,
  ): RemotingCommand | Promise<RemotingCommand> {
    if (!deps.config().enableTopicList) return disabled(request);
    return cachedList(request, 'unit-sub', () => routes.getHasUnitSubTopicList(), unitStamp, {
      kind: 'unit-sub',
    });
  }

  function getHasUnitSubUnUnitTopicList(
    request: RemotingCommand,
  ): RemotingCommand | Promise<RemotingCommand> {
    if (!deps.config().enableTopicList) return disabled(request);
    return cachedList(
      request,
      'unit-sub-ununit',
      () => routes.getHasUnitSubUnUnitTopicList(),
      unitStamp,
      { kind: 'unit-sub-ununit' },
    );
  }

  return [
    [RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, getAllTopicList],
    [RequestCode.GET_TOPICS_BY_CLUSTER, getTopicsByCluster],
    [RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_NS, getSystemTopicList],
    [RequestCode.GET_UNIT_TOPIC_LIST, getUnitTopicList],
    [RequestCode.GET_HAS_UNIT_SUB_TOPIC_LIST, getHasUnitSubTopicList],
    [RequestCode.GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST, getHasUnitSubUnUnitTopicList],
  ];
}
