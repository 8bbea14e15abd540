/**
 * What the handlers need from the rest of the server, as narrow structural interfaces so tests
 * can pass the real managers or small fakes. The composition root (name-server.ts) passes the
 * real `RouteInfoManager`, `KVConfigManager`, config holder, metrics and logger.
 */
import type { KVTable } from '@ns/protocol';
import type { RouteInfoManager } from '../route/index.js';

/** The KV config manager's request-facing operations (Java `KVConfigManager` names). */
export interface KVConfigStore {
  putKVConfig(namespace: string, key: string, value: string | null): void;
  getKVConfig(namespace: string, key: string): string | null;
  deleteKVConfig(namespace: string, key: string): void;
  /** The namespace as a KVTable, or null when it does not exist (an emptied one still exists). */
  getKVListByNamespace(namespace: string): KVTable | null;
}

/** The route manager operations the handlers call. */
export type RouteStore = Pick<
  RouteInfoManager,
  | 'registerBroker'
  | 'unregisterBroker'
  | 'queryDataVersion'
  | 'brokerHeartbeat'
  | 'pickupTopicRouteData'
  | 'wipeWritePermOfBroker'
  | 'addWritePermOfBroker'
  | 'deleteTopic'
  | 'registerTopic'
  | 'getAllTopicList'
  | 'getTopicsByCluster'
  | 'getSystemTopicList'
  | 'getUnitTopics'
  | 'getHasUnitSubTopicList'
  | 'getHasUnitSubUnUnitTopicList'
  | 'getAllClusterInfo'
  | 'getBrokerMemberGroup'
  | 'onRouteChanged'
  | 'onMinBrokerIdChanged'
>;

/**
 * Per-request metrics (the `NamesrvMetrics.observeRequest` of metrics.ts); must be cheap, it runs
 * on every request. `responseCode` is null when nothing was sent (one-way, silent unknown code).
 */
export interface RequestMetrics {
  observeRequest(requestCode: number, responseCode: number | null, seconds: number): void;
}

/** A pino-compatible subset: object first, constant message second. */
export interface HandlerLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface Clock {
  now(): number;
}
