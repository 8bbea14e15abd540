/**
 * Which handlers run where. A request is either a read, answered by whichever serving worker
 * received it from its copy of the tables, or a write, which changes state and therefore runs in
 * the registry owner, one at a time, in arrival order:
 *
 * - reads: routes (105), cluster info (106), topic lists (206, 224, 304, 311–313), KV reads (101,
 *   219), GET_NAMESRV_CONFIG (319), GET_BROKER_MEMBER_GROUP (901);
 * - writes: `WRITE_REQUEST_CODES` — registrations, unregistrations, heartbeats and
 *   QUERY_DATA_VERSION (they refresh liveness), perms, topic and KV writes, config updates.
 *
 * `createDispatcher` puts both on one dispatcher over the same managers: the single-process view
 * that the handler tests and the fixture replays use.
 */
import { ORDER_TOPIC_CONFIG_NAMESPACE, RequestCode } from '@ns/protocol';
import type { ConfigKey, NamesrvConfig } from '../config/index.js';
import { brokerHandlers, brokerReadHandlers } from './broker.js';
import type {
  Clock,
  HandlerLogger,
  KVConfigStore,
  KVReadStore,
  RequestMetrics,
  RouteReadStore,
  RouteStore,
  RouteWriteStore,
} from './deps.js';
import { Dispatcher } from './dispatcher.js';
import { javaLineProfile } from './java-line.js';
import { notifyMinBrokerIdChanges } from './min-broker-id-notifier.js';
import type { NotifyBroker } from './min-broker-id-notifier.js';
import type { RouteInfoManager } from '../route/index.js';
import type { JavaLineProfile } from './java-line.js';
import type { HandlerTable } from './handler.js';
import { kvConfigReadHandlers, kvConfigWriteHandlers } from './kv-config.js';
import { SliceQueue } from '../slices/slice-queue.js';
import { namesrvConfigHandlers, namesrvConfigReadHandlers } from './namesrv-config.js';
import type { NamesrvConfigHolder } from './namesrv-config.js';
import { RouteBodyCache } from './route-cache.js';
import { routeBodyBuilder, routeHandlers, routeWriteHandlers } from './route.js';
import { topicListHandlers } from './topic-list.js';
import { createRouteWatch } from '../watch/index.js';
import type { RouteWatchBinding, RouteWatchMetrics } from '../watch/index.js';

/** The request codes that change state: forwarded to (and run by) the registry owner. */
export const WRITE_REQUEST_CODES: ReadonlySet<number> = new Set([
  RequestCode.PUT_KV_CONFIG,
  RequestCode.DELETE_KV_CONFIG,
  RequestCode.REGISTER_BROKER,
  RequestCode.UNREGISTER_BROKER,
  RequestCode.WIPE_WRITE_PERM_OF_BROKER,
  RequestCode.ADD_WRITE_PERM_OF_BROKER,
  RequestCode.DELETE_TOPIC_IN_NAMESRV,
  RequestCode.REGISTER_TOPIC_IN_NAMESRV,
  RequestCode.UPDATE_NAMESRV_CONFIG,
  RequestCode.QUERY_DATA_VERSION,
  RequestCode.BROKER_HEARTBEAT,
]);

/** A KV store whose changes can be heard (the route cache embeds ORDER_TOPIC_CONFIG entries). */
export interface ObservableKVReadStore extends KVReadStore {
  onChanged(listener: (namespace: string, key: string) => void): () => void;
}

export interface ReadHandlerDeps {
  routeInfoManager: RouteReadStore;
  kvConfigManager: KVReadStore;
  config: () => NamesrvConfig;
  clock: Clock;
  /** When the node started (see RouteHandlerDeps.startedAt). */
  startedAt: number;
  routeCache: RouteBodyCache;
  /** The Java line answered as (`compatibilityLine`, fixed at start). */
  line: JavaLineProfile;
}

export function readHandlerTables(deps: ReadHandlerDeps): HandlerTable[] {
  // The large list bodies (topic lists, KV namespaces) are built here a slice at a time, one
  // list at a time, so that lookups on this event loop are answered in between. Its jobs are
  // finite and short, so it needs no closing: a node stopping lets them end.
  const slices = new SliceQueue();
  return [
    routeHandlers(deps),
    topicListHandlers({
      routeInfoManager: deps.routeInfoManager,
      config: deps.config,
      line: deps.line,
      slices,
    }),
    kvConfigReadHandlers({ ...deps, slices }),
    namesrvConfigReadHandlers(deps),
    brokerReadHandlers(deps),
  ];
}

export interface WriteHandlerDeps {
  routeInfoManager: RouteWriteStore;
  kvConfigManager: KVConfigStore;
  /** The live NamesrvConfig and how to change it (UPDATE_NAMESRV_CONFIG). */
  config: NamesrvConfigHolder;
  /** Writes UPDATE_NAMESRV_CONFIG's result to `configStorePath`; a throw → SYSTEM_ERROR. */
  persistConfig: (config: NamesrvConfig, changed: readonly ConfigKey[]) => void;
  logger: HandlerLogger;
  line: JavaLineProfile;
}

export function writeHandlerTables(deps: WriteHandlerDeps): HandlerTable[] {
  const config = (): NamesrvConfig => deps.config.get();
  return [
    brokerHandlers({
      routeInfoManager: deps.routeInfoManager,
      kvConfigManager: deps.kvConfigManager,
      config,
      line: deps.line,
    }),
    routeWriteHandlers(deps),
    kvConfigWriteHandlers(deps),
    namesrvConfigHandlers({
      config: deps.config,
      persistConfig: (next, changed) => {
        deps.persistConfig(next, changed);
      },
      logger: deps.logger,
      line: deps.line,
    }),
  ];
}

/**
 * The encoded-route cache of one serving side, invalidated by every route change of `routes` and
 * every ORDER_TOPIC_CONFIG change of `kv` (routes embed it as `orderTopicConf`).
 */
export function createRouteCache(
  routes: RouteReadStore,
  kv: ObservableKVReadStore,
  config: () => NamesrvConfig,
): RouteBodyCache {
  const cache = new RouteBodyCache(
    routeBodyBuilder(routes, kv, () => config().compatibilityLine),
    config().orderMessageEnable,
  );
  routes.onRouteChanged(cache.invalidate);
  kv.onChanged((namespace, key) => {
    if (namespace === ORDER_TOPIC_CONFIG_NAMESPACE) cache.invalidateTopic(key);
  });
  return cache;
}

export interface DispatcherDeps {
  routeInfoManager: RouteStore & Partial<Pick<RouteInfoManager, 'onMinBrokerIdChanged'>>;
  kvConfigManager: KVConfigStore & ObservableKVReadStore;
  config: NamesrvConfigHolder;
  persistConfig: (config: NamesrvConfig, changed: readonly ConfigKey[]) => void;
  metrics?: RequestMetrics;
  logger: HandlerLogger;
  clock: Clock;
  /** Also serve WATCH_TOPIC_ROUTE (when routeWatchEnable): held watches answer later. */
  routeWatch?: boolean;
  /**
   * Sends NOTIFY_MIN_BROKER_ID_CHANGE (905) to a broker address, one-way, for the route manager's
   * min-broker-id changes (reported with `notifyMinBrokerIdChanged=true`). Without it none is sent.
   */
  notifyBroker?: NotifyBroker;
  routeWatchMetrics?: RouteWatchMetrics;
}

/** A dispatcher that answers reads and runs writes, with its route cache. */
export interface LocalDispatcher extends Dispatcher {
  readonly routeCache: RouteBodyCache;
  readonly line: JavaLineProfile;
  readonly routeWatch: RouteWatchBinding | null;
}

/** Every handler over the same managers (single-process view: tests, replays). */
export function createDispatcher(deps: DispatcherDeps): LocalDispatcher {
  const config = (): NamesrvConfig => deps.config.get();
  const line = javaLineProfile(config().compatibilityLine);
  const onMinBrokerIdChanged = deps.routeInfoManager.onMinBrokerIdChanged;
  if (deps.notifyBroker !== undefined && onMinBrokerIdChanged !== undefined) {
    notifyMinBrokerIdChanges({
      routeInfoManager: { onMinBrokerIdChanged: onMinBrokerIdChanged.bind(deps.routeInfoManager) },
      send: deps.notifyBroker,
      version: line.version,
      logger: deps.logger,
    });
  }
  const routeCache = createRouteCache(deps.routeInfoManager, deps.kvConfigManager, config);
  const routeWatch =
    deps.routeWatch === true
      ? createRouteWatch({
          routeCache,
          config,
          clock: deps.clock,
          startedAt: deps.clock.now(),
          servingProcesses: 1,
          metrics: deps.routeWatchMetrics,
          logger: deps.logger,
        })
      : null;
  // Every route body embeds orderTopicConf only when this is on: a flip changes every route.
  const configHolder: NamesrvConfigHolder = {
    get: () => deps.config.get(),
    set: (next) => {
      deps.config.set(next);
      routeCache.setOrderMessageEnable(next.orderMessageEnable);
    },
  };
  const dispatcher = new Dispatcher({
    handlers: [
      ...readHandlerTables({
        routeInfoManager: deps.routeInfoManager,
        kvConfigManager: deps.kvConfigManager,
        config,
        clock: deps.clock,
        startedAt: deps.clock.now(),
        routeCache,
        line,
      }),
      ...writeHandlerTables({ ...deps, config: configHolder, line }),
      routeWatch === null ? [] : [[RequestCode.WATCH_TOPIC_ROUTE, routeWatch.handle]],
    ],
    replyToUnknownRequestCode: () => config().replyToUnknownRequestCode,
    metrics: deps.metrics,
    logger: deps.logger,
    responseVersion: line.version,
  });
  return Object.assign(dispatcher, { routeCache, routeWatch, line });
}
