/**
 * Types shared by the route state manager: its dependencies (clock, logger, KV lookup), its
 * options, the inputs of the broker-facing operations and the read-only views it hands out.
 * Body types (`QueueData`, `BrokerData`, `TopicRouteData`, …) come from `@ns/protocol`.
 */
import type {
  DataVersion,
  JavaLine,
  KVTable,
  TopicConfig,
  TopicConfigSerializeWrapper,
} from '@ns/protocol';

/**
 * A registration's TopicConfigSerializeWrapper as the route manager reads it: the table only read
 * (the registry owner hands a view over its rows, registry/topic-rows-table.ts).
 */
export type RegisteredTopicTable = Omit<TopicConfigSerializeWrapper, 'topicConfigTable'> & {
  readonly topicConfigTable: ReadonlyMap<string, TopicConfig>;
};

/** Opaque id the transport gives each TCP connection. The manager never touches sockets. */
export type ConnectionId = number;

/** Time source (ms since the epoch). Tests inject a fake one. */
export interface Clock {
  now(): number;
}

/** A pino-compatible subset: object first, constant message second. */
export interface ManagerLogger {
  /** pino's; when absent every level is taken as enabled. */
  isLevelEnabled?(level: string): boolean;
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Looks up a whole KV namespace (the KV manager's `getKVListByNamespace`). */
export type KVNamespaceLookup = (namespace: string) => KVTable | null;

/**
 * Fired synchronously after a mutation, with every topic whose `TopicRouteData` may have changed.
 * `'all'` is reserved for whole-table events (none today); treat it as "drop every cached route".
 */
export type RouteChangeListener = (topics: ReadonlySet<string> | 'all') => void;

export interface RouteInfoManagerOptions {
  /**
   * The Java NameServer line whose tables are reproduced (config `compatibilityLine`; default
   * 5.x): the topic table's type (hence the topic lists' order) and whether BrokerData always
   * carries `enableActingMaster`.
   */
  javaLine?: JavaLine;
  /**
   * Java NamesrvConfig.notifyMinBrokerIdChanged (5.x, default false): report every change of a
   * broker group's smallest id to the `onMinBrokerIdChanged` listeners.
   */
  notifyMinBrokerIdChanged?: boolean;
  /** Java NamesrvConfig.supportActingMaster (5.x, default false). */
  supportActingMaster?: boolean;
  /** Java NamesrvConfig.deleteTopicWithBrokerRegistration (5.1.4+, default false). */
  deleteTopicWithBrokerRegistration?: boolean;
  /**
   * Broker expiry when the registration carries no `heartbeatTimeoutMillis`.
   * Java: RouteInfoManager.DEFAULT_BROKER_CHANNEL_EXPIRED_TIME = 120 000 ms.
   */
  defaultHeartbeatTimeoutMillis?: number;
  /**
   * The 5.x single-topic guard (§4.2 d): a first registration of a broker id carrying exactly one
   * topic is refused (`registerBroker` returns null → SYSTEM_ERROR `register broker failed`).
   * Default false: we answer like 4.9.7 on the wire, and 4.9 brokers do not expect that error.
   */
  rejectFirstSingleTopicRegistration?: boolean;
}

/**
 * [5.x] A broker group's smallest broker id changed: what Java puts in NOTIFY_MIN_BROKER_ID_CHANGE
 * (905) and the broker addresses it sends it to.
 */
export interface MinBrokerIdChange {
  readonly brokerName: string;
  readonly minBrokerId: number;
  readonly minBrokerAddr: string;
  /** The broker that left the group (unregister, connection closed, expiry); null when one joined. */
  readonly offlineBrokerAddr: string | null;
  /** HA address of the broker whose registration lowered the smallest id; null when one left. */
  readonly haBrokerAddr: string | null;
  /** Whom Java notifies (its `chooseBrokerAddrsToNotify`), in its order. */
  readonly notifyBrokerAddrs: readonly string[];
}

/** Fired synchronously after the mutating call that changed a group's smallest id. */
export type MinBrokerIdChangeListener = (change: MinBrokerIdChange) => void;

/** Identity of one broker process as carried by UNREGISTER_BROKER / QUERY_DATA_VERSION. */
export interface BrokerIdentity {
  clusterName: string;
  brokerAddr: string;
  brokerName: string;
  brokerId: number;
}

/** Everything REGISTER_BROKER hands to `RouteInfoManager.registerBroker`. */
export interface RegisterBrokerRequest extends BrokerIdentity {
  /** null: the request had none (Java keeps null; a slave then gets no HA address). */
  haServerAddr: string | null;
  /** Decoded body; null when the request had none (Java: empty table, DataVersion 0/0). */
  topicConfigWrapper: RegisteredTopicTable | null;
  /** null = the body had no list (filter servers untouched). */
  filterServerList: readonly string[] | null;
  /** Connection the registration arrived on. */
  connectionId: ConnectionId;
  /**
   * When the transport received the registration (ms, the clock's time base); absent = "now".
   * It dates the registration against an UNREGISTER_BROKER of the same broker (see
   * `unregisterBroker`): a registration applied late — queued at the owner, or decoded a second
   * time after a 'resend' — is still older than an unregister that arrived after it.
   */
  receivedAt?: number;
  /** [5.x] header `heartbeatTimeoutMillis`; absent/null → the default. */
  heartbeatTimeoutMillis?: number | null;
  /** [5.x] header `enableActingMaster`; absent/null → "old version broker". */
  enableActingMaster?: boolean | null;
  /** [5.x] ext field `__ZONE_NAME`. */
  zoneName?: string | null;
  /** The frame's `version` (the broker's MQVersion ordinal), shown by the admin views. */
  brokerVersion?: number | null;
  /**
   * A body decoded on demand. When set, `topicConfigWrapper` and `filterServerList` are ignored:
   * if `tag` (a fingerprint of everything the decoded body depends on) equals the tag of this
   * broker's previous registration and no QueueData of its broker name was added or removed since,
   * the registration is applied without decoding (its topics are all already in the table, so
   * the 5.x per-topic rule has nothing to do); otherwise `decode()` is called first.
   */
  lazyBody?: LazyRegisterBody;
}

export interface LazyRegisterBody {
  readonly tag: string;
  decode(): {
    topicConfigWrapper: RegisteredTopicTable | null;
    filterServerList: readonly string[] | null;
  };
  /**
   * Set when the decoded table is the one of the body tagged `tag` except `topics` (changed or
   * added; body order): the manager then edits only those when nothing else touched the broker
   * name's QueueData since that body was applied.
   */
  readonly changedSince?: {
    readonly tag: string;
    readonly topics: readonly string[];
    /** The decoded table's configs of `topics`, in the same order (absent: looked up). */
    readonly configs?: readonly TopicConfig[];
    /** Topics of that body that this one no longer has (never in the decoded table). */
    readonly removed: readonly string[];
  };
}

/** Where an UNREGISTER_BROKER came from, used to recognise a stale one. */
export interface UnregisterContext {
  /** Connection the UNREGISTER_BROKER arrived on (omit for an internal call). */
  connectionId?: ConnectionId;
  /** When the transport received the request (ms); omit when processed at once. */
  receivedAt?: number;
  /**
   * At most this many QueueData removed now (a broker name left empty with tens of thousands of
   * topics); the rest wait for `removePendingTopics` (see `hasPendingRemovals`). Default: all.
   */
  maxTopicEdits?: number;
}

export type UnregisterOutcome =
  /** The live entry and/or the broker address were removed. */
  | 'unregistered'
  /** A newer registration owns this broker address: nothing was touched. */
  | 'ignored-stale'
  /** Nothing matched. */
  | 'not-found';

/** A broker removed by expiry or connection close; the transport closes `connectionId`. */
export interface RemovedBroker {
  clusterName: string;
  brokerAddr: string;
  brokerName: string;
  brokerId: number;
  connectionId: ConnectionId;
  lastUpdateTimestamp: number;
}

export interface QueryDataVersionResult {
  /** True when no live entry exists or the stored DataVersion differs. */
  changed: boolean;
  /** The stored DataVersion (the response body), null for an unknown broker. */
  dataVersion: DataVersion | null;
}

/** One live broker for the admin page. */
export interface BrokerLiveView {
  clusterName: string;
  brokerName: string;
  brokerId: number;
  brokerAddr: string;
  haServerAddr: string | null;
  brokerVersion: number | null;
  connectionId: ConnectionId;
  lastUpdateTimestamp: number;
  /** now − lastUpdateTimestamp. */
  lastUpdateAgeMillis: number;
  heartbeatTimeoutMillis: number;
  dataVersion: DataVersion;
}

export interface RouteCounts {
  clusters: number;
  /** Broker names in the broker table. */
  brokerNames: number;
  /** Live broker processes (live table entries). */
  brokers: number;
  topics: number;
  /** QueueData entries over all topics. */
  queueEntries: number;
}
