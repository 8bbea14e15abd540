/**
 * What the handlers need from the rest of the server, as narrow structural interfaces so tests
 * can pass the real managers or small fakes. The composition root (name-server.ts) passes the
 * real `RouteInfoManager`, `KVConfigManager`, config holder, metrics and logger.
 */
import type { KVTable } from '@ns/protocol';
import type { RouteInfoManager, RouteReadModel } from '../route/index.js';
import type { LimitName } from '../transport/types.js';

/** The KV reads (Java `KVConfigManager` names); a serving worker's replica provides them. */
export interface KVReadStore {
  getKVConfig(namespace: string, key: string): string | null;
  /** The namespace as a KVTable, or null when it does not exist (an emptied one still exists). */
  getKVListByNamespace(namespace: string): KVTable | null;
  /** Buckets of Java's HashMap of the namespace (grown, never shrunk): the KVTable key order. */
  namespaceTableCapacity(namespace: string): number;
  /**
   * Changes whenever the namespace may have (its KVTable body is then encoded again); null when
   * the namespace does not exist.
   */
  namespaceStamp(namespace: string): number | null;
  /** The namespace's live entries (null values included), or null when it does not exist. */
  namespaceEntries(namespace: string): ReadonlyMap<string, string | null> | null;
}

/** The KV config manager's request-facing operations, writes included (registry owner). */
export interface KVConfigStore extends KVReadStore {
  putKVConfig(namespace: string, key: string, value: string | null): void;
  deleteKVConfig(namespace: string, key: string): void;
}

/** The route reads; a serving worker answers them from its replica of the tables. */
export type RouteReadStore = RouteReadModel;

/** The route manager's write operations (registry owner only). */
export type RouteWriteStore = Pick<
  RouteInfoManager,
  | 'registerBrokerInSteps'
  | 'unregisterBroker'
  | 'queryDataVersion'
  | 'brokerHeartbeat'
  | 'wipeWritePermOfBrokerInSteps'
  | 'addWritePermOfBrokerInSteps'
  | 'deleteTopic'
  | 'registerTopic'
>;

/** Everything the handlers call on the route manager (the single-process view). */
export type RouteStore = RouteReadStore & RouteWriteStore;

/**
 * Per-request metrics (the `NamesrvMetrics.observeRequest` of metrics.ts); must be cheap, it runs
 * on every request. `responseCode` is null when nothing was sent (one-way, silent unknown code),
 * 'deferred' when the handler answers later (the seconds then cover only the handler's own work).
 */
export interface RequestMetrics {
  observeRequest(
    requestCode: number,
    responseCode: number | null | 'deferred',
    seconds: number,
  ): void;
  /** A resource limit refused a request (e.g. `inflated_register_body`). */
  limitEnforced?(limit: LimitName): void;
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
