/**
 * Route requests (§2.2): the reads GET_ROUTEINFO_BY_TOPIC (105, the hot path) and
 * GET_BROKER_CLUSTER_INFO (106), answered where they arrive; the writes DELETE_TOPIC_IN_NAMESRV
 * (216) and REGISTER_TOPIC_IN_NAMESRV (217, 5.x), run by the registry owner.
 */
import {
  BodyDecodeError,
  decodeDeleteTopicFromNamesrvRequestHeader,
  decodeRegisterTopicRequestHeader,
  decodeTopicRouteData,
  encodeClusterInfo,
  encodeTopicRouteData,
  LEGACY_JSON,
  ORDER_TOPIC_CONFIG_NAMESPACE,
  parseJsonLenient,
  prepareFrame,
  preparedFrameBytes,
  RequestCode,
  ResponseCode,
  SerializeType,
  Version,
  ZONE_MODE_EXT_FIELD,
  ZONE_NAME_EXT_FIELD,
} from '@ns/protocol';
import type { JavaLine, QueueData, RemotingCommand, TopicRouteData } from '@ns/protocol';
import { filterRouteByZone, resolveZoneFilter } from '../route/index.js';
import type { Clock, KVReadStore, RouteReadStore, RouteWriteStore } from './deps.js';
import { isJsonNullLiteral } from './broker.js';
import type { HandlerTable } from './handler.js';
import { isTrue } from './header-fields.js';
import { orderRouteLikeJava } from './java-order.js';
import type { JavaLineProfile } from './java-line.js';
import { frameOf, RouteBodyCache } from './route-cache.js';

/** The NamesrvConfig switches the route handlers read (live values, read per request). */
export interface RouteConfigView {
  orderMessageEnable: boolean;
  needWaitForService: boolean;
  waitSecondsForService: number;
}

export interface RouteHandlerDeps {
  routeInfoManager: RouteReadStore;
  line: JavaLineProfile;
  kvConfigManager: KVReadStore;
  config(): RouteConfigView;
  clock: Clock;
  /**
   * When the node started (Java: when its request processor was made), which needWaitForService
   * counts from: the node's, not this process's (a replaced serving worker does not start over).
   */
  startedAt: number;
  routeCache: RouteBodyCache;
}

/** Builds the encoded route body (§4.7 + the processor's orderTopicConf + §3.4 flavour). */
export function routeBodyBuilder(
  routes: RouteReadStore,
  kv: KVReadStore,
  line: () => JavaLine,
): (topic: string, standardJson: boolean, orderMessageEnable: boolean) => Buffer | null {
  return (topic, standardJson, orderMessageEnable) => {
    const route = pickupWithOrderConf(routes, kv, topic, orderMessageEnable, line());
    return route === null ? null : encodeTopicRouteData(route, { standardJson });
  };
}

function pickupWithOrderConf(
  routes: RouteReadStore,
  kv: KVReadStore,
  topic: string,
  orderMessageEnable: boolean,
  line: JavaLine,
): TopicRouteData | null {
  const route = routes.pickupTopicRouteData(topic);
  if (route === null) return null;
  orderRouteLikeJava(route, line, routes.queueDataTableCapacity(topic));
  if (orderMessageEnable) {
    const conf = kv.getKVConfig(ORDER_TOPIC_CONFIG_NAMESPACE, topic);
    if (conf !== null) route.orderTopicConf = conf;
  }
  return route;
}

export function routeHandlers(deps: RouteHandlerDeps): HandlerTable {
  const routes = deps.routeInfoManager;
  const kv = deps.kvConfigManager;
  const cache = deps.routeCache;
  const line = deps.line;
  const { ok, fail } = line.respond;
  // Java 5.1+: "ready" counts from the creation of the processor, i.e. the node's start.
  const createdAt = deps.startedAt;

  function getRouteInfoByTopic(request: RemotingCommand): RemotingCommand {
    const ext = request.extFields;
    // Read straight from extFields: this is the hot path, no header object is built.
    const topic = ext?.['topic'];
    const config = deps.config();
    if (
      config.needWaitForService &&
      deps.clock.now() - createdAt < config.waitSecondsForService * 1000
    ) {
      return fail(request, ResponseCode.SYSTEM_ERROR, 'name server not ready');
    }
    // Java reads a missing topic as null, which no route has.
    if (topic === undefined) return topicNotExist(request, 'null');
    if (ext !== null && ext[ZONE_MODE_EXT_FIELD] !== undefined) {
      const zone = resolveZoneFilter(ext[ZONE_MODE_EXT_FIELD], ext[ZONE_NAME_EXT_FIELD]);
      if (zone !== null) return zoneRoute(request, topic, zone, config.orderMessageEnable);
    }
    // §3.4: standard JSON for version ≥ V4_9_4 or acceptStandardJsonOnly=true, else legacy.
    const standardJson =
      request.version >= Version.V4_9_4 || isTrue(ext?.['acceptStandardJsonOnly']);
    const entry = cache.entry(topic, standardJson, config.orderMessageEnable);
    if (entry === null) return topicNotExist(request, topic);
    const response = ok(request, entry.body);
    // The whole success frame depends only on (body, serialize type): prepared once per entry,
    // then each answer is one copy with this request's opaque.
    if (request.serializeType === SerializeType.ROCKETMQ) {
      const frame = frameOf(entry, 'rocketmq', () => prepareFrame(response));
      response.encodedFrame = preparedFrameBytes(frame, request.opaque);
    } else if (request.serializeType === SerializeType.JSON) {
      const frame = frameOf(entry, 'json', () => prepareFrame(response));
      response.encodedFrame = preparedFrameBytes(frame, request.opaque);
    }
    // The entry's body may have moved into the frame just prepared: the same bytes, one copy.
    response.body = entry.body;
    return response;
  }

  /** [5.x] ZoneRouteRPCHook: filtered by zone and re-encoded in legacy JSON; never cached. */
  function zoneRoute(
    request: RemotingCommand,
    topic: string,
    zone: string,
    orderMessageEnable: boolean,
  ): RemotingCommand {
    const route = pickupWithOrderConf(routes, kv, topic, orderMessageEnable, line.line);
    if (route === null) return topicNotExist(request, topic);
    return ok(
      request,
      encodeTopicRouteData(filterRouteByZone(route, zone), { standardJson: false }),
    );
  }

  function getBrokerClusterInfo(request: RemotingCommand): RemotingCommand {
    // Always legacy JSON, whatever the client version (fixture get-broker-cluster-info).
    const info = routes.getAllClusterInfo();
    return ok(
      request,
      encodeClusterInfo(info, LEGACY_JSON, line.line, (cluster) =>
        routes.clusterNameSetCapacity(cluster),
      ),
    );
  }

  function topicNotExist(request: RemotingCommand, topic: string): RemotingCommand {
    return fail(
      request,
      ResponseCode.TOPIC_NOT_EXIST,
      `No topic route info in name server for the topic: ${topic}${line.topicNotExistSuffix}`,
    );
  }

  return [
    [RequestCode.GET_ROUTEINFO_BY_TOPIC, getRouteInfoByTopic],
    [RequestCode.GET_BROKER_CLUSTER_INFO, getBrokerClusterInfo],
  ];
}

/** The topic writes (run by the registry owner). */
export function routeWriteHandlers(deps: {
  routeInfoManager: RouteWriteStore;
  line: JavaLineProfile;
}): HandlerTable {
  const routes = deps.routeInfoManager;
  const { ok } = deps.line.respond;

  function deleteTopicInNamesrv(request: RemotingCommand): RemotingCommand {
    const { topic, clusterName } = decodeDeleteTopicFromNamesrvRequestHeader(request.extFields);
    // Java reads a missing topic as null, which no topic is: nothing to delete.
    if (topic === undefined) return ok(request);
    // Java: an empty (or no) cluster name means "the whole topic". Only empty: "  " is the name
    // of a cluster (one that does not exist), so nothing is deleted.
    routes.deleteTopic(topic, clusterName === undefined || clusterName === '' ? null : clusterName);
    return ok(request);
  }

  function registerTopicInNamesrv(request: RemotingCommand): RemotingCommand {
    const { topic } = decodeRegisterTopicRequestHeader(request.extFields);
    // Java decodes the body first: one that does not parse fails (SYSTEM_ERROR), whatever the
    // header holds.
    const queueDatas = request.body === null ? null : registeredQueueDatas(request.body);
    // Java 5.x: ignored (logged by the manager) unless every QueueData's broker is known; a
    // missing topic (null) throws in the manager's ConcurrentHashMap, swallowed: ignored too.
    // Always SUCCESS.
    if (topic !== undefined && queueDatas !== null && queueDatas.length > 0) {
      routes.registerTopic(topic, queueDatas);
    }
    return ok(request);
  }

  return [
    [RequestCode.DELETE_TOPIC_IN_NAMESRV, deleteTopicInNamesrv],
    [RequestCode.REGISTER_TOPIC_IN_NAMESRV, registerTopicInNamesrv],
  ];
}

/**
 * The QueueData of a REGISTER_TOPIC_IN_NAMESRV body, or null where Java registers none although
 * the body parses: the body `null` (fastjson reads a null TopicRouteData), or a QueueData that is
 * null or has no broker name (the manager's lookup of a null name throws; the exception is
 * swallowed and nothing is registered, like a QueueData naming an unknown broker). Throws
 * BodyDecodeError for a body Java cannot parse either.
 */
function registeredQueueDatas(body: Buffer): readonly QueueData[] | null {
  try {
    return decodeTopicRouteData(body).queueDatas;
  } catch (err) {
    if (!(err instanceof BodyDecodeError)) throw err;
    if (isJsonNullLiteral(body)) return null;
    let json: unknown;
    try {
      json = parseJsonLenient(body.toString('utf8'));
    } catch {
      throw err;
    }
    if (!isRecord(json)) throw err;
    const list = json['queueDatas'];
    if (!Array.isArray(list)) throw err;
    let nameless = false;
    const named = list.map((qd: unknown) => {
      if (qd !== null && !(isRecord(qd) && (qd['brokerName'] ?? null) === null)) return qd;
      nameless = true;
      return { ...(isRecord(qd) ? qd : {}), brokerName: '' };
    });
    if (!nameless) throw err;
    // Java's fails only there if the rest of the body decodes: check it with names given.
    decodeTopicRouteData(Buffer.from(JSON.stringify({ ...json, queueDatas: named }), 'utf8'));
    return null;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
