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

/** The 5.x NamesrvConfig switches gating the list requests (both default true). */
export interface TopicListConfigView {
  enableAllTopicList: boolean;
  enableTopicList: boolean;
}

export interface TopicListHandlerDeps {
  routeInfoManager: RouteReadStore;
  line: JavaLineProfile;
  config(): TopicListConfigView;
}

export function topicListHandlers(deps: TopicListHandlerDeps): HandlerTable {
  const routes = deps.routeInfoManager;
  const { ok, fail } = deps.line.respond;

  /** Java 5.x: a disabled list answers SYSTEM_ERROR with the remark `disable`. */
  function disabled(request: RemotingCommand): RemotingCommand {
    return fail(request, ResponseCode.SYSTEM_ERROR, 'disable');
  }

  /** `topics`: in the order Java adds them to the list (see the route manager's list queries). */
  function list(request: RemotingCommand, topics: string[]): RemotingCommand {
    return ok(
      request,
      encodeTopicList({ topicList: topicListOrderLikeJava(deps.line.line, topics) }),
    );
  }

  function getAllTopicList(request: RemotingCommand): RemotingCommand {
    if (!deps.config().enableAllTopicList) return disabled(request);
    return list(request, routes.getAllTopicList());
  }

  function getTopicsByCluster(request: RemotingCommand): RemotingCommand {
    if (!deps.config().enableTopicList) return disabled(request);
    const { cluster } = decodeGetTopicsByClusterRequestHeader(request.extFields);
    // Java reads a missing cluster as null, which no cluster is: an empty list.
    return list(request, cluster === undefined ? [] : routes.getTopicsByCluster(cluster));
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

  function getUnitTopicList(request: RemotingCommand): RemotingCommand {
    if (!deps.config().enableTopicList) return disabled(request);
    return list(request, routes.getUnitTopics());
  }

  function getHasUnitSubTopicList(request: RemotingCommand): RemotingCommand {
    if (!deps.config().enableTopicList) return disabled(request);
    return list(request, routes.getHasUnitSubTopicList());
  }

  function getHasUnitSubUnUnitTopicList(request: RemotingCommand): RemotingCommand {
    if (!deps.config().enableTopicList) return disabled(request);
    return list(request, routes.getHasUnitSubUnUnitTopicList());
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
