/**
 * The narrow read-only view the HTTP admin server needs. The composition root adapts the route
 * table and the KV config to it; the HTTP code never sees RouteInfoManager or KVConfigManager.
 */
import type {
  ClusterInfo,
  DataVersion,
  DigestTopics,
  RouteDigest,
  TopicRouteData,
} from '@ns/protocol';
import type { SlicedJob } from '../slices/slice-queue.js';

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
  /** The broker's MQVersion ordinal from its latest registration frame. */
  readonly brokerVersion?: number | null;
}

/** One configuration key as the console shows it. */
export interface AdminConfigEntry {
  readonly key: string;
  readonly value: string | number | boolean;
  readonly defaultValue: string | number | boolean;
  /** Where the value came from: `default`, `file`, `env`, `cli`, or `remote` (UPDATE_NAMESRV_CONFIG). */
  readonly source: { readonly kind: string; readonly detail: string };
  /** UPDATE_NAMESRV_CONFIG may change it. */
  readonly live: boolean;
  readonly description: string;
}

export interface AdminViews {
  /** Same content as GET_BROKER_CLUSTER_INFO. */
  clusterInfo(): ClusterInfo;
  brokers(): Iterable<AdminBrokerView>;
  topics(): Iterable<string>;
  /** Whether the topic has a route (O(1): the search checks the topics a change named). */
  hasTopic(topic: string): boolean;
  /** Same content as GET_ROUTEINFO_BY_TOPIC; null when the topic has no route. */
  topicRoute(topic: string): TopicRouteData | null;
  /**
   * Subscribes to route changes (RouteInfoManager#onRouteChanged fits): the server keeps a sorted
   * topic list for search and pagination and brings it up to date only after a change.
   */
  onRouteChanged(listener: (topics: ReadonlySet<string> | 'all') => void): () => void;
  /** The ORDER_TOPIC_CONFIG KV value of a topic, null when none. */
  orderTopicConf(topic: string): string | null;
  /** The route digest (what every node should agree on). */
  routeDigest(): RouteDigest | Promise<RouteDigest>;
  /**
   * One broker name's topics behind its digest hash (null when the name is unknown), as sliced
   * work the server runs on its slice queue (tens of ms at 50,000 topics).
   */
  digestTopics(brokerName: string): Promise<SlicedJob<DigestTopics | null>>;
  /** The KV config table, namespace → key → value. */
  kvConfig(): ReadonlyMap<string, ReadonlyMap<string, string | null>>;
  /** Changes whenever the KV table does (KVConfigManager#version): /kv bodies are kept per version. */
  kvVersion(): number;
  /** The effective configuration, in schema order, with each value's source. */
  config(): readonly AdminConfigEntry[];
  /** Default node list of the consistency view (`consistencyNodes`); '' when unset. */
  consistencyNodes(): string;
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
