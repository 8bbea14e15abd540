/**
 * The narrow read-only view the HTTP admin server needs. The composition root adapts the route
 * table and the KV config to it; the HTTP code never sees RouteInfoManager or KVConfigManager.
 */
import type { ClusterInfo, DataVersion, KVTable, TopicRouteData } from '@ns/protocol';

/** One live broker process. `RouteInfoManager#getBrokerLiveViews()` items fit as they are. */
export interface AdminBrokerView {
  readonly clusterName: string;
  readonly brokerName: string;
  readonly brokerId: number;
  readonly brokerAddr: string;
  readonly haServerAddr?: string | null;
  /** Epoch milliseconds of the last registration or heartbeat. */
  readonly lastUpdateTimestamp: number;
  readonly heartbeatTimeoutMillis?: number;
  readonly dataVersion?: DataVersion;
}

export interface AdminViews {
  /** Same content as GET_BROKER_CLUSTER_INFO. */
  clusterInfo(): ClusterInfo;
  brokers(): Iterable<AdminBrokerView>;
  topics(): Iterable<string>;
  /** Same content as GET_ROUTEINFO_BY_TOPIC; null when the topic has no route. */
  topicRoute(topic: string): TopicRouteData | null;
  /** Every KV config namespace, empty ones included. */
  kvNamespaces(): Iterable<string>;
  /** Same content as GET_KVLIST_BY_NAMESPACE; null when the namespace does not exist. */
  kvNamespace(namespace: string): KVTable | null;
}

/** Where /metrics comes from: `NamesrvMetrics` fits. */
export interface MetricsSource {
  scrape(): Promise<{ contentType: string; body: string }>;
}

/** The subset of a pino logger the HTTP server uses. */
export interface HttpLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}
