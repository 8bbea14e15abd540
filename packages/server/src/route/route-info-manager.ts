/**
 * RouteInfoManager: the NameServer's route registry (reference §4), as a pure class over Maps.
 *
 * No sockets, timers or files: time comes from an injected Clock, connections are opaque ids, the
 * KV store is a lookup function. Node runs this single-threaded, so Java's read/write lock has no
 * counterpart and every operation is atomic.
 *
 * Semantics: 5.x rules where they are improvements (liveness keyed by (clusterName, brokerAddr),
 * per-broker heartbeat timeouts, per-topic update decision, stateVersion conflicts, acting master,
 * zones), 4.9 rules elsewhere (unregister by id, synchronously). Deliberate deviations, all about
 * never letting stale input wipe fresh state (apache/rocketmq#11043):
 *  - a connection close only removes the brokers whose *latest* registration used that connection;
 *  - an UNREGISTER_BROKER is ignored when the live entry of that address belongs to another
 *    connection or was registered after the request was received;
 *  - unregister removes `brokerId → brokerAddr` only while the id still maps to that address (4.9
 *    removes by id alone, so a late unregister from a moved master removed its successor).
 *
 * Indexes beyond Java's tables:
 *  - `brokerNameTopics` (brokerName → topics having its QueueData) so unregister, close, expiry,
 *    wipe/add perm, topics-by-cluster and change notifications walk one broker's topics instead of
 *    the whole table;
 *  - `connectionBrokers` (connection → live keys registered on it) for O(1) close handling.
 *
 * Route cache support: every change to something a TopicRouteData depends on (its QueueData, the
 * BrokerData of a broker name hosting it, filter servers, static mappings, deletion) records the
 * topic; after each public mutating call the listeners get the set, synchronously. Nothing is
 * recorded when a value is rewritten unchanged, so a periodic re-registration fires nothing.
 */
import {
  JavaHashTable,
  javaConcurrentHashMapTableSize,
  javaStringHashCode,
  javaStringHashOrder,
  MASTER_ID,
  ORDER_TOPIC_CONFIG_NAMESPACE,
  Perm,
  SYNC_BROKER_MEMBER_TOPIC_PREFIX,
  TopicSysFlag,
} from '@ns/protocol';
import type {
  BrokerData,
  JavaLine,
  BrokerMemberGroup,
  ClusterInfo,
  DataVersion,
  QueueData,
  RegisterBrokerResult,
  TopicList,
  TopicQueueMappingInfo,
  TopicRouteData,
} from '@ns/protocol';
import { liveKey } from './broker-live-info.js';
import type { BrokerLiveInfo } from './broker-live-info.js';
import { dataVersionEquals, emptyDataVersion } from './data-version.js';
import { javaHashMapFirstValue } from './java-first-value.js';
import { minBrokerIdChangeOnJoin, minBrokerIdChangeOnLeave } from './min-broker-id-change.js';
import { newQueueData, queueDataEquals } from './queue-data.js';
import type {
  BrokerIdentity,
  BrokerLiveView,
  Clock,
  ConnectionId,
  KVNamespaceLookup,
  ManagerLogger,
  MinBrokerIdChange,
  MinBrokerIdChangeListener,
  QueryDataVersionResult,
  RegisterBrokerRequest,
  RemovedBroker,
  RouteChangeListener,
  RouteCounts,
  RouteInfoManagerOptions,
  UnregisterContext,
  UnregisterOutcome,
} from './types.js';

/** Java: RouteInfoManager.DEFAULT_BROKER_CHANNEL_EXPIRED_TIME. */
export const DEFAULT_BROKER_CHANNEL_EXPIRED_TIME = 120_000;

/** Internal BrokerData: the public shape is built on the way out (copies, optional fields). */
interface BrokerGroup {
  /** Java: set when the BrokerData is created and never updated. */
  readonly cluster: string;
  readonly brokerName: string;
  readonly brokerAddrs: Map<number, string>;
  enableActingMaster: boolean;
  zoneName: string | null;
}

const NOOP = (): void => undefined;
const NOOP_LOGGER: ManagerLogger = { debug: NOOP, info: NOOP, warn: NOOP, error: NOOP };
const READ_WRITE = Perm.READ | Perm.WRITE;

export interface RouteInfoManagerDeps {
  clock: Clock;
  logger?: ManagerLogger;
  /** For the ORDER_TOPIC_CONFIG KVTable returned to registering brokers. */
  kvLookup?: KVNamespaceLookup;
}

export class RouteInfoManager {
  private readonly topicQueueTable = new Map<string, Map<string, Readonly<QueueData>>>();
  private readonly brokerAddrTable = new Map<string, BrokerGroup>();
  private readonly clusterAddrTable = new Map<string, Set<string>>();
  private readonly brokerLiveTable = new Map<string, BrokerLiveInfo>();
  private readonly filterServerTable = new Map<string, readonly string[]>();
  private readonly topicQueueMappingInfoTable = new Map<
    string,
    Map<string, TopicQueueMappingInfo>
  >();
  private readonly brokerNameTopics = new Map<string, Set<string>>();
  /**
   * The topic table's keys as the Java table of `javaLine` holds them (4.9: `new HashMap<>(1024)`;
   * 5.x: `new ConcurrentHashMap<>(1024)`, whose growth reorders chains), updated on every topic
   * added or removed, so the topic lists come out in Java's iteration order at any size.
   */
  private readonly topicOrder: JavaHashTable<string>;
  private readonly connectionBrokers = new Map<ConnectionId, Set<string>>();
  private queueEntryCount = 0;
  /**
   * brokerName → a stamp renewed (from `topicStampCounter`) whenever a QueueData of that broker
   * name is added or removed. Entries are never deleted, so a stamp is never reused.
   */
  private readonly brokerTopicStamps = new Map<string, number>();
  private topicStampCounter = 0;
  /** Per-registration counters for the summary log line. */
  private newTopicCount = 0;
  private updatedTopicCount = 0;
  private debugTopics = false;

  private readonly changedTopics = new Set<string>();
  private readonly listeners = new Set<RouteChangeListener>();
  private readonly minBrokerIdChanges: MinBrokerIdChange[] = [];
  private readonly minBrokerIdListeners = new Set<MinBrokerIdChangeListener>();

  private readonly clock: Clock;
  private readonly log: ManagerLogger;
  private readonly kvLookup: KVNamespaceLookup | null;
  private readonly supportActingMaster: boolean;
  /**
   * Java 5.x: a prime slave's registration applies its topics, and a group left without master
   * loses write permission, whether or not supportActingMaster is set (only the route's acting
   * master view needs it). 4.9 has neither; on that line they come with supportActingMaster.
   */
  private readonly primeSlaveRules: boolean;
  private readonly notifyMinBrokerIdChanged: boolean;
  private readonly javaLine: JavaLine;
  private deleteTopicWithBrokerRegistration: boolean;
  private readonly defaultHeartbeatTimeoutMillis: number;
  private readonly rejectFirstSingleTopicRegistration: boolean;

  constructor(deps: RouteInfoManagerDeps, options: RouteInfoManagerOptions = {}) {
    this.clock = deps.clock;
    this.log = deps.logger ?? NOOP_LOGGER;
    this.kvLookup = deps.kvLookup ?? null;
    this.supportActingMaster = options.supportActingMaster ?? false;
    this.notifyMinBrokerIdChanged = options.notifyMinBrokerIdChanged ?? false;
    this.deleteTopicWithBrokerRegistration = options.deleteTopicWithBrokerRegistration ?? false;
    this.rejectFirstSingleTopicRegistration = options.rejectFirstSingleTopicRegistration ?? false;
    this.javaLine = options.javaLine ?? '5.x';
    this.primeSlaveRules = this.javaLine === '5.x' || this.supportActingMaster;
    this.topicOrder =
      this.javaLine === '4.9'
        ? new JavaHashTable('HashMap', javaStringHashCode, 1024)
        : new JavaHashTable(
            'ConcurrentHashMap',
            javaStringHashCode,
            javaConcurrentHashMapTableSize(1024),
          );
    const timeout = options.defaultHeartbeatTimeoutMillis ?? DEFAULT_BROKER_CHANNEL_EXPIRED_TIME;
    if (!Number.isSafeInteger(timeout) || timeout <= 0) {
      throw new RangeError(
        `defaultHeartbeatTimeoutMillis must be a positive integer, got ${timeout}`,
      );
    }
    this.defaultHeartbeatTimeoutMillis = timeout;
  }

  // ---------------------------------------------------------------------------------------------
  // Change notification

  /** Subscribes to route changes; returns the unsubscribe function. */
  onRouteChanged(listener: RouteChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * [5.x] Subscribes to changes of a broker group's smallest id (only reported with the option
   * `notifyMinBrokerIdChanged`); returns the unsubscribe function.
   */
  onMinBrokerIdChanged(listener: MinBrokerIdChangeListener): () => void {
    this.minBrokerIdListeners.add(listener);
    return () => this.minBrokerIdListeners.delete(listener);
  }

  private markTopic(topic: string): void {
    this.changedTopics.add(topic);
  }

  /** The BrokerData of `brokerName` changed: every topic it hosts has a different route. */
  private markBrokerName(brokerName: string): void {
    const topics = this.brokerNameTopics.get(brokerName);
    if (topics !== undefined) for (const t of topics) this.changedTopics.add(t);
  }

  private flushChanges(): void {
    if (this.minBrokerIdChanges.length > 0) this.flushMinBrokerIdChanges();
    if (this.changedTopics.size === 0) return;
    if (this.listeners.size === 0) {
      this.changedTopics.clear();
      return;
    }
    const topics: ReadonlySet<string> = new Set(this.changedTopics);
    this.changedTopics.clear();
    for (const listener of this.listeners) {
      try {
        listener(topics);
      } catch (err) {
        // A cache bug must not break the registry (or skip the other listeners).
        this.log.error({ err }, 'route change listener threw');
      }
    }
  }

  private flushMinBrokerIdChanges(): void {
    const changes = this.minBrokerIdChanges.splice(0);
    for (const change of changes) {
      for (const listener of this.minBrokerIdListeners) {
        try {
          listener(change);
        } catch (err) {
          this.log.error({ err }, 'min broker id listener threw');
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Low-level table edits (they keep the indexes and record changes)

  private putQueueData(
    topic: string,
    brokerName: string,
    readQueueNums: number,
    writeQueueNums: number,
    perm: number,
    topicSysFlag: number,
  ): void {
    let byBroker = this.topicQueueTable.get(topic);
    if (byBroker === undefined) {
      byBroker = new Map();
      this.topicQueueTable.set(topic, byBroker);
      this.topicOrder.add(topic);
      this.newTopicCount++;
      if (this.debugTopics) this.log.debug({ topic, brokerName }, 'new topic registered');
    }
    const prev = byBroker.get(brokerName);
    if (prev !== undefined) {
      // Java 5.x createAndUpdateQueueData: replaced only when it differs.
      if (queueDataEquals(prev, readQueueNums, writeQueueNums, perm, topicSysFlag)) return;
      this.updatedTopicCount++;
    } else {
      this.brokerTopicStamps.set(brokerName, ++this.topicStampCounter);
      let topics = this.brokerNameTopics.get(brokerName);
      if (topics === undefined) {
        topics = new Set();
        this.brokerNameTopics.set(brokerName, topics);
      }
      topics.add(topic);
      this.queueEntryCount++;
    }
    byBroker.set(
      brokerName,
      newQueueData(brokerName, readQueueNums, writeQueueNums, perm, topicSysFlag),
    );
    this.markTopic(topic);
  }

  private removeQueueData(topic: string, brokerName: string): void {
    const byBroker = this.topicQueueTable.get(topic);
    if (byBroker === undefined || !byBroker.delete(brokerName)) return;
    this.queueEntryCount--;
    this.brokerTopicStamps.set(brokerName, ++this.topicStampCounter);
    const topics = this.brokerNameTopics.get(brokerName);
    if (topics !== undefined) {
      topics.delete(topic);
      if (topics.size === 0) this.brokerNameTopics.delete(brokerName);
    }
    if (byBroker.size === 0) {
      this.topicQueueTable.delete(topic);
      this.topicOrder.delete(topic);
    }
    this.markTopic(topic);
  }

  private removeAllQueueDataOf(brokerName: string): void {
    const topics = this.brokerNameTopics.get(brokerName);
    if (topics === undefined) return;
    // Deleting from a Set while iterating it is safe in JS.
    for (const topic of topics) this.removeQueueData(topic, brokerName);
    this.brokerNameTopics.delete(brokerName);
  }

  /** Rewrites the perm of every QueueData of `brokerName`; returns how many there are. */
  private rewritePerm(brokerName: string, perm: (old: number) => number): number {
    const topics = this.brokerNameTopics.get(brokerName);
    if (topics === undefined) return 0;
    for (const topic of topics) {
      const byBroker = this.topicQueueTable.get(topic)!;
      const qd = byBroker.get(brokerName)!;
      const next = perm(qd.perm);
      if (next !== qd.perm) {
        byBroker.set(
          brokerName,
          newQueueData(brokerName, qd.readQueueNums, qd.writeQueueNums, next, qd.topicSysFlag),
        );
        this.markTopic(topic);
      }
    }
    return topics.size;
  }

  private removeLiveEntry(live: BrokerLiveInfo): void {
    this.brokerLiveTable.delete(live.key);
    const keys = this.connectionBrokers.get(live.connectionId);
    if (keys !== undefined) {
      keys.delete(live.key);
      if (keys.size === 0) this.connectionBrokers.delete(live.connectionId);
    }
    this.removeFilterServers(live.key, live.brokerName);
  }

  private removeFilterServers(key: string, brokerName: string): void {
    if (this.filterServerTable.delete(key)) this.markBrokerName(brokerName);
  }

  /**
   * Removes members of a broker group: by id (only while it still maps to `brokerAddr`) or, with
   * `brokerId` null, every id mapped to `brokerAddr` (5.x unregister / channel destroy).
   * An emptied group takes its broker name out of every cluster and all its QueueData with it.
   */
  private removeBrokerMember(
    brokerName: string,
    brokerAddr: string,
    brokerId: number | null,
  ): boolean {
    const group = this.brokerAddrTable.get(brokerName);
    if (group === undefined) return false;
    const minBefore = minKey(group.brokerAddrs);
    let removed = false;
    if (brokerId !== null) {
      if (group.brokerAddrs.get(brokerId) === brokerAddr)
        removed = group.brokerAddrs.delete(brokerId);
    } else {
      for (const [id, addr] of group.brokerAddrs) {
        if (addr === brokerAddr) removed = group.brokerAddrs.delete(id) || removed;
      }
    }
    if (!removed) return false;
    this.markBrokerName(brokerName);
    this.log.info({ brokerName, brokerAddr }, 'broker address removed');
    if (group.brokerAddrs.size === 0) {
      this.brokerAddrTable.delete(brokerName);
      // Java removes the name from the request's cluster (4.9 unregister) or the first cluster
      // holding it (channel destroy); a broker name registered under two cluster names would then
      // leak in the other one, so we clear it everywhere (clusters are few).
      for (const [cluster, names] of this.clusterAddrTable) {
        if (names.delete(brokerName) && names.size === 0) this.clusterAddrTable.delete(cluster);
      }
      this.removeAllQueueDataOf(brokerName);
      this.log.info({ brokerName }, 'broker name removed');
      return true;
    }
    if (this.primeSlaveRules && group.enableActingMaster && !group.brokerAddrs.has(MASTER_ID)) {
      // Java 5.x unregister: a reduced group left without master loses write permission.
      this.rewritePerm(brokerName, (p) => p & ~Perm.WRITE);
    }
    // Java 5.x notifies a reduced group whose smallest member left, if it asked for acting master.
    if (
      this.notifyMinBrokerIdChanged &&
      group.enableActingMaster &&
      !group.brokerAddrs.has(minBefore)
    ) {
      this.minBrokerIdChanges.push(
        minBrokerIdChangeOnLeave(brokerName, group.brokerAddrs, brokerAddr),
      );
    }
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Broker lifecycle

  /**
   * REGISTER_BROKER (§4.2). Returns the result for the response, or null when the 5.x single-topic
   * guard (if enabled) refused it (the handler answers SYSTEM_ERROR `register broker failed`).
   */
  registerBroker(req: RegisterBrokerRequest): RegisterBrokerResult | null {
    this.newTopicCount = 0;
    this.updatedTopicCount = 0;
    this.debugTopics = this.log.isLevelEnabled?.('debug') ?? true;
    try {
      const lazy = req.lazyBody;
      if (lazy === undefined) return this.doRegisterBroker(req, null, null);
      const live = this.unchangedBodyLive(req, lazy.tag);
      if (live !== null) return this.doRegisterBroker(req, lazy.tag, live.dataVersion);
      // Decoding may throw (BodyDecodeError): nothing has been edited yet.
      const body = lazy.decode();
      return this.doRegisterBroker(
        {
          ...req,
          topicConfigWrapper: body.topicConfigWrapper,
          filterServerList: body.filterServerList,
        },
        lazy.tag,
        null,
      );
    } finally {
      if (this.newTopicCount > 0 || this.updatedTopicCount > 0) {
        this.log.info(
          {
            clusterName: req.clusterName,
            brokerName: req.brokerName,
            brokerAddr: req.brokerAddr,
            newTopics: this.newTopicCount,
            updatedTopics: this.updatedTopicCount,
          },
          'registration changed topics',
        );
      }
      this.flushChanges();
    }
  }

  /**
   * The live entry of a registration whose body is the one this broker registered last (same
   * tag), applied as it is now: same name and id, the id still mapped to this address, no
   * QueueData of the broker name added or removed since, same deleteTopicWithBrokerRegistration.
   * Then every topic of the body already has this broker name's QueueData (rule f adds nothing),
   * the DataVersion equals the live one (no apply-all), rule g has nothing left to remove, static
   * mappings are only applied with apply-all, and the filter server list is the one stored.
   */
  private unchangedBodyLive(req: RegisterBrokerRequest, tag: string): BrokerLiveInfo | null {
    const live = this.brokerLiveTable.get(liveKey(req.clusterName, req.brokerAddr));
    if (
      live === undefined ||
      live.bodyTag !== tag ||
      live.brokerName !== req.brokerName ||
      live.brokerId !== req.brokerId ||
      live.bodyDeleteFlag !== this.deleteTopicWithBrokerRegistration ||
      live.bodyTopicStamp !== (this.brokerTopicStamps.get(req.brokerName) ?? 0)
    ) {
      return null;
    }
    const group = this.brokerAddrTable.get(req.brokerName);
    if (group === undefined || group.brokerAddrs.get(req.brokerId) !== req.brokerAddr) return null;
    return live;
  }

  /**
   * `bodyTag`: the lazy body's tag (null without one). `unchangedVersion`: set when the body is
   * the unchanged one of `unchangedBodyLive`; its topics and filter servers are then skipped.
   */
  private doRegisterBroker(
    req: RegisterBrokerRequest,
    bodyTag: string | null,
    unchangedVersion: DataVersion | null,
  ): RegisterBrokerResult | null {
    const { clusterName, brokerAddr, brokerName, brokerId, connectionId } = req;
    const now = this.clock.now();
    const unchanged = unchangedVersion !== null;
    const wrapper = unchanged ? null : req.topicConfigWrapper;
    const dataVersion = unchangedVersion ?? wrapper?.dataVersion ?? emptyDataVersion();
    const topicTable = wrapper?.topicConfigTable ?? null;
    let topicsApplied = false;
    const key = liveKey(clusterName, brokerAddr);
    let group = this.brokerAddrTable.get(brokerName);

    // 5.x guard d, checked before any edit: Java has already added cluster membership and maybe an
    // empty BrokerData at this point; leaving those behind helps nobody.
    if (
      this.rejectFirstSingleTopicRegistration &&
      topicTable !== null &&
      topicTable.size === 1 &&
      group?.brokerAddrs.has(brokerId) !== true
    ) {
      this.log.warn(
        { clusterName, brokerName, brokerId, brokerAddr },
        'first registration with a single topic refused',
      );
      return null;
    }

    // 1. cluster membership (not part of any route).
    let names = this.clusterAddrTable.get(clusterName);
    if (names === undefined) {
      names = new Set();
      this.clusterAddrTable.set(clusterName, names);
    }
    names.add(brokerName);

    // 2. broker group.
    let registerFirst = false;
    if (group === undefined) {
      group = {
        cluster: clusterName,
        brokerName,
        brokerAddrs: new Map(),
        enableActingMaster: false,
        zoneName: null,
      };
      this.brokerAddrTable.set(brokerName, group);
      registerFirst = true;
    }
    // 5.x a: acting-master flag and zone come with every registration.
    const isOldVersionBroker = req.enableActingMaster == null;
    const enableActingMaster = req.enableActingMaster === true;
    const zoneName = req.zoneName ?? null;
    if (group.enableActingMaster !== enableActingMaster || group.zoneName !== zoneName) {
      group.enableActingMaster = enableActingMaster;
      group.zoneName = zoneName;
      this.markBrokerName(brokerName);
    }

    // Java 5.x: the registration lowers the group's smallest id (an empty group counts as 0).
    const minIdLowered = group.brokerAddrs.size > 0 && brokerId < minKey(group.brokerAddrs);

    // 3. Role switch: one address owns one id, so the new id replaces the old one.
    for (const [id, addr] of group.brokerAddrs) {
      if (addr === brokerAddr && id !== brokerId) {
        group.brokerAddrs.delete(id);
        this.markBrokerName(brokerName);
      }
    }

    // 5.x c: the id belongs to another live address with a newer stateVersion → ignore this one.
    const oldAddr = group.brokerAddrs.get(brokerId);
    if (oldAddr !== undefined && oldAddr !== brokerAddr) {
      const oldLive = this.brokerLiveTable.get(liveKey(clusterName, oldAddr));
      if (
        oldLive !== undefined &&
        (oldLive.dataVersion.stateVersion ?? 0) > (dataVersion.stateVersion ?? 0)
      ) {
        this.log.warn(
          { clusterName, brokerName, brokerId, oldAddr, brokerAddr },
          'registration conflicts with a newer broker of the same id, ignored',
        );
        const rejected = this.brokerLiveTable.get(key);
        if (rejected !== undefined) this.removeLiveEntry(rejected);
        return { masterAddr: null, haServerAddr: null, kvTable: this.orderTopicConfig() };
      }
    }

    // 4. id → address ("same id, new address" simply overwrites).
    if (oldAddr !== brokerAddr) {
      group.brokerAddrs.set(brokerId, brokerAddr);
      this.markBrokerName(brokerName);
      if (oldAddr === undefined || oldAddr === '') registerFirst = true;
    }

    // 5. topics: masters, and (5.x, see primeSlaveRules) the prime slave: a 5.x broker with the
    // smallest id of a group that has no master.
    const live = this.brokerLiveTable.get(key);
    const isMaster = brokerId === MASTER_ID;
    const isPrimeSlave =
      !isMaster &&
      !isOldVersionBroker &&
      this.primeSlaveRules &&
      brokerId === minKey(group.brokerAddrs);
    if (topicTable !== null && (isMaster || isPrimeSlave)) {
      topicsApplied = true;
      const versionChanged =
        live === undefined || !dataVersionEquals(live.dataVersion, dataVersion);
      const applyAll = registerFirst || versionChanged;
      const mappings = wrapper?.topicQueueMappingInfoMap;
      if (
        this.deleteTopicWithBrokerRegistration &&
        (mappings === undefined || mappings.size === 0)
      ) {
        // 5.x g: topics this broker name hosts here but no longer reports.
        const hosted = this.brokerNameTopics.get(brokerName);
        if (hosted !== undefined) {
          for (const topic of hosted) {
            if (!topicTable.has(topic)) this.removeQueueData(topic, brokerName);
          }
        }
      }
      // Java 5.x wipes PERM_WRITE of a prime slave's topics when it asked for acting master: it
      // cannot take writes (without acting master they keep the broker's perm, as in Java).
      const permMask = isPrimeSlave && group.enableActingMaster ? ~Perm.WRITE : -1;
      for (const tc of topicTable.values()) {
        const topic = tc.topicName;
        if (!applyAll) {
          // 5.x f: a topic missing here (e.g. deleted by an admin) is re-added — self-healing.
          const byBroker = this.topicQueueTable.get(topic);
          if (byBroker !== undefined && byBroker.has(brokerName)) continue;
        }
        this.putQueueData(
          topic,
          brokerName,
          tc.readQueueNums,
          tc.writeQueueNums,
          tc.perm & permMask,
          tc.topicSysFlag,
        );
      }
      if (applyAll && mappings !== undefined) {
        // 5.x h: static topics.
        for (const [topic, info] of mappings) {
          let byBroker = this.topicQueueMappingInfoTable.get(topic);
          if (byBroker === undefined) {
            byBroker = new Map();
            this.topicQueueMappingInfoTable.set(topic, byBroker);
          }
          byBroker.set(info.bname, info);
          this.markTopic(topic);
        }
      }
    }

    // 6. liveness (updated in place: no allocation on a periodic registration).
    const timeout = req.heartbeatTimeoutMillis ?? this.defaultHeartbeatTimeoutMillis;
    if (live === undefined) {
      this.brokerLiveTable.set(key, {
        key,
        clusterName,
        brokerAddr,
        brokerName,
        brokerId,
        lastUpdateTimestamp: now,
        registeredAt: now,
        heartbeatTimeoutMillis: timeout,
        dataVersion,
        connectionId,
        haServerAddr: req.haServerAddr,
        bodyTag: null,
        bodyTopicStamp: 0,
        bodyDeleteFlag: false,
      });
      this.addConnectionKey(connectionId, key);
      this.log.info({ clusterName, brokerName, brokerId, brokerAddr }, 'new broker registered');
    } else {
      if (live.connectionId !== connectionId) {
        const keys = this.connectionBrokers.get(live.connectionId);
        if (keys !== undefined) {
          keys.delete(key);
          if (keys.size === 0) this.connectionBrokers.delete(live.connectionId);
        }
        live.connectionId = connectionId;
        this.addConnectionKey(connectionId, key);
      }
      live.brokerName = brokerName;
      live.brokerId = brokerId;
      live.lastUpdateTimestamp = now;
      live.registeredAt = now;
      live.heartbeatTimeoutMillis = timeout;
      live.dataVersion = dataVersion;
      live.haServerAddr = req.haServerAddr;
    }
    if (!unchanged) {
      const entry = this.brokerLiveTable.get(key)!;
      entry.bodyTag = topicsApplied ? bodyTag : null;
      entry.bodyTopicStamp = this.brokerTopicStamps.get(brokerName) ?? 0;
      entry.bodyDeleteFlag = this.deleteTopicWithBrokerRegistration;
    }

    // 7. filter servers: a non-null list replaces, an empty one removes (an unchanged body's list
    // is the one stored by the registration that had it: only a removed live entry drops it).
    const filters = unchanged ? null : req.filterServerList;
    if (filters !== null) {
      if (filters.length === 0) {
        this.removeFilterServers(key, brokerName);
      } else if (!sameStrings(this.filterServerTable.get(key), filters)) {
        this.filterServerTable.set(key, filters.slice());
        this.markBrokerName(brokerName);
      }
    }

    // 8. a slave learns its live master's address and HA address.
    const result: RegisterBrokerResult = {
      masterAddr: null,
      haServerAddr: null,
      kvTable: this.orderTopicConfig(),
    };
    if (!isMaster) {
      const masterAddr = group.brokerAddrs.get(MASTER_ID);
      if (masterAddr !== undefined) {
        const masterLive = this.brokerLiveTable.get(liveKey(clusterName, masterAddr));
        if (masterLive !== undefined) {
          result.masterAddr = masterAddr;
          result.haServerAddr = masterLive.haServerAddr;
        }
      }
    }
    if (minIdLowered && this.notifyMinBrokerIdChanged) {
      this.minBrokerIdChanges.push(
        minBrokerIdChangeOnJoin(brokerName, group.brokerAddrs, req.haServerAddr),
      );
    }
    return result;
  }

  private addConnectionKey(connectionId: ConnectionId, key: string): void {
    let keys = this.connectionBrokers.get(connectionId);
    if (keys === undefined) {
      keys = new Set();
      this.connectionBrokers.set(connectionId, keys);
    }
    keys.add(key);
  }

  private orderTopicConfig(): RegisterBrokerResult['kvTable'] {
    return this.kvLookup === null ? null : this.kvLookup(ORDER_TOPIC_CONFIG_NAMESPACE);
  }

  /**
   * UNREGISTER_BROKER (§4.4, 4.9: synchronous, by id). Ignored as stale when the live entry of
   * (clusterName, brokerAddr) was registered on another connection than `ctx.connectionId`, after
   * `ctx.receivedAt`, or under another brokerName/brokerId: the broker registered again since.
   */
  unregisterBroker(identity: BrokerIdentity, ctx: UnregisterContext = {}): UnregisterOutcome {
    try {
      const { clusterName, brokerAddr, brokerName, brokerId } = identity;
      const live = this.brokerLiveTable.get(liveKey(clusterName, brokerAddr));
      if (live !== undefined) {
        const otherConnection =
          ctx.connectionId !== undefined && live.connectionId !== ctx.connectionId;
        const newer = ctx.receivedAt !== undefined && live.registeredAt > ctx.receivedAt;
        // The address re-registered under another id/name since (role switch): removing its live
        // entry would leave the new member in the broker table with nothing to expire it.
        const otherIdentity = live.brokerId !== brokerId || live.brokerName !== brokerName;
        if (otherConnection || newer || otherIdentity) {
          this.log.warn(
            { clusterName, brokerName, brokerId, brokerAddr, connectionId: ctx.connectionId },
            'stale unregister ignored: the broker registered again since',
          );
          return 'ignored-stale';
        }
        this.removeLiveEntry(live);
      }
      const removed = this.removeBrokerMember(brokerName, brokerAddr, brokerId);
      if (live === undefined && !removed) return 'not-found';
      this.log.info({ clusterName, brokerName, brokerId, brokerAddr }, 'broker unregistered');
      return 'unregistered';
    } finally {
      this.flushChanges();
    }
  }

  /**
   * Connection close / exception / idle (§4.5): removes every broker whose latest registration
   * came over this connection (by address, as 5.x). Returns them; unknown connections → [].
   */
  onConnectionClosed(connectionId: ConnectionId): RemovedBroker[] {
    const keys = this.connectionBrokers.get(connectionId);
    if (keys === undefined) return [];
    try {
      const removed: RemovedBroker[] = [];
      for (const key of [...keys]) {
        const live = this.brokerLiveTable.get(key);
        if (live === undefined || live.connectionId !== connectionId) continue;
        this.log.info(
          { clusterName: live.clusterName, brokerAddr: live.brokerAddr, connectionId },
          "broker's connection closed, removing it",
        );
        removed.push(this.dropLiveBroker(live));
      }
      this.connectionBrokers.delete(connectionId);
      return removed;
    } finally {
      this.flushChanges();
    }
  }

  private dropLiveBroker(live: BrokerLiveInfo): RemovedBroker {
    this.removeLiveEntry(live);
    this.removeBrokerMember(live.brokerName, live.brokerAddr, null);
    return {
      clusterName: live.clusterName,
      brokerAddr: live.brokerAddr,
      brokerName: live.brokerName,
      brokerId: live.brokerId,
      connectionId: live.connectionId,
      lastUpdateTimestamp: live.lastUpdateTimestamp,
    };
  }

  /**
   * §4.6: removes brokers with `lastUpdateTimestamp + heartbeatTimeoutMillis < now` and returns
   * them so the transport can close their connections.
   */
  scanNotActiveBroker(now: number = this.clock.now()): RemovedBroker[] {
    let expired: BrokerLiveInfo[] | null = null;
    for (const live of this.brokerLiveTable.values()) {
      if (live.lastUpdateTimestamp + live.heartbeatTimeoutMillis < now) (expired ??= []).push(live);
    }
    if (expired === null) return [];
    try {
      return expired.map((live) => {
        this.log.warn(
          {
            clusterName: live.clusterName,
            brokerAddr: live.brokerAddr,
            heartbeatTimeoutMillis: live.heartbeatTimeoutMillis,
          },
          'broker expired',
        );
        return this.dropLiveBroker(live);
      });
    } finally {
      this.flushChanges();
    }
  }

  /**
   * Whether a live broker's latest registration used this connection. The transport asks this
   * before closing the connection of an expired broker: one client connection may carry several
   * brokers (our broker agent multiplexes), and closing it would drop the healthy ones too.
   */
  /** `deleteTopicWithBrokerRegistration` is live-updatable (UPDATE_NAMESRV_CONFIG). */
  setDeleteTopicWithBrokerRegistration(enabled: boolean): void {
    this.deleteTopicWithBrokerRegistration = enabled;
  }

  isConnectionInUse(connectionId: ConnectionId): boolean {
    return this.connectionBrokers.has(connectionId);
  }

  /** BROKER_HEARTBEAT (5.x): refreshes the live entry if it exists. */
  brokerHeartbeat(clusterName: string, brokerAddr: string): boolean {
    const live = this.brokerLiveTable.get(liveKey(clusterName, brokerAddr));
    if (live === undefined) return false;
    live.lastUpdateTimestamp = this.clock.now();
    return true;
  }

  /**
   * QUERY_DATA_VERSION: `changed` = unknown broker or different DataVersion. 5.x: always refreshes
   * liveness (4.9 only when unchanged); it is the heartbeat of 5.x brokers in compatible mode.
   */
  queryDataVersion(
    identity: Pick<BrokerIdentity, 'clusterName' | 'brokerAddr'>,
    dataVersion: DataVersion,
  ): QueryDataVersionResult {
    const live = this.brokerLiveTable.get(liveKey(identity.clusterName, identity.brokerAddr));
    if (live === undefined) return { changed: true, dataVersion: null };
    live.lastUpdateTimestamp = this.clock.now();
    return {
      changed: !dataVersionEquals(live.dataVersion, dataVersion),
      dataVersion: { ...live.dataVersion },
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Routes

  /**
   * §4.7: the route of `topic`, or null (TOPIC_NOT_EXIST) when the topic is unknown or none of its
   * broker names is in the broker table. O(broker names of the topic). QueueData objects are shared
   * (frozen); BrokerData and maps are copies the caller may edit.
   */
  pickupTopicRouteData(topic: string): TopicRouteData | null {
    const byBroker = this.topicQueueTable.get(topic);
    if (byBroker === undefined) return null;
    const queueDatas: QueueData[] = [];
    const brokerDatas: BrokerData[] = [];
    const filterServerTable = new Map<string, string[]>();
    const hasFilters = this.filterServerTable.size !== 0;
    for (const [brokerName, qd] of byBroker) {
      queueDatas.push(qd);
      const group = this.brokerAddrTable.get(brokerName);
      if (group === undefined) continue;
      brokerDatas.push(this.toBrokerData(group));
      if (hasFilters) {
        for (const addr of group.brokerAddrs.values()) {
          const servers = this.filterServerTable.get(liveKey(group.cluster, addr));
          // Java 5.x also puts null entries; fastjson omits them, so we skip them.
          if (servers !== undefined) filterServerTable.set(addr, servers.slice());
        }
      }
    }
    if (brokerDatas.length === 0) return null;
    const route: TopicRouteData = { queueDatas, brokerDatas, filterServerTable };
    const mapping = this.topicQueueMappingInfoTable.get(topic);
    if (mapping !== undefined) route.topicQueueMappingByBroker = new Map(mapping);
    if (this.supportActingMaster && !topic.startsWith(SYNC_BROKER_MEMBER_TOPIC_PREFIX)) {
      applyActingMaster(route);
    }
    return route;
  }

  /** WIPE_WRITE_PERM_OF_BROKER: clears PERM_WRITE; returns the number of topics of the broker. */
  wipeWritePermOfBroker(brokerName: string): number {
    try {
      return this.rewritePerm(brokerName, (p) => p & ~Perm.WRITE);
    } finally {
      this.flushChanges();
    }
  }

  /** ADD_WRITE_PERM_OF_BROKER: Java sets perm to exactly READ|WRITE (6), dropping other bits. */
  addWritePermOfBroker(brokerName: string): number {
    try {
      return this.rewritePerm(brokerName, () => READ_WRITE);
    } finally {
      this.flushChanges();
    }
  }

  /**
   * DELETE_TOPIC_IN_NAMESRV: without cluster drops the topic; with a non-empty cluster drops only
   * the QueueData of that cluster's broker names (unknown cluster: no-op). The static mapping table
   * is left alone (Java does too).
   */
  deleteTopic(topic: string, clusterName?: string | null): void {
    try {
      const byBroker = this.topicQueueTable.get(topic);
      if (byBroker === undefined) return;
      if (clusterName != null && clusterName !== '') {
        const names = this.clusterAddrTable.get(clusterName);
        if (names === undefined) return;
        for (const brokerName of names) this.removeQueueData(topic, brokerName);
        return;
      }
      for (const brokerName of [...byBroker.keys()]) this.removeQueueData(topic, brokerName);
    } finally {
      this.flushChanges();
    }
  }

  /**
   * REGISTER_TOPIC_IN_NAMESRV (5.x, 217): every QueueData's broker name must be known, otherwise
   * nothing is applied (Java's existing-topic branch applies a prefix first; the reference says the
   * whole request is ignored, which we do). Returns whether it was applied.
   */
  registerTopic(topic: string, queueDatas: readonly QueueData[]): boolean {
    if (queueDatas.length === 0) return false;
    for (const qd of queueDatas) {
      if (!this.brokerAddrTable.has(qd.brokerName)) {
        this.log.warn(
          { topic, brokerName: qd.brokerName },
          'register topic names an unknown broker, ignored',
        );
        return false;
      }
    }
    try {
      for (const qd of queueDatas) {
        this.putQueueData(
          topic,
          qd.brokerName,
          qd.readQueueNums,
          qd.writeQueueNums,
          qd.perm,
          qd.topicSysFlag,
        );
      }
      return true;
    } finally {
      this.flushChanges();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // List queries. Topic lists come in the order Java adds them to its TopicList (the handler
  // reproduces the set it adds them to); the other tables in insertion order (the encoders apply
  // Java hash order).

  /** Every topic, in the Java topic table's iteration order. */
  getAllTopicList(): string[] {
    return this.topicOrder.keys();
  }

  /**
   * Topics having QueueData on any broker name of the cluster, in the order Java adds them: for
   * each broker name of the cluster (its `HashSet` order), the topics hosting it in table order;
   * a topic already added is not repeated. Unknown cluster → [].
   */
  getTopicsByCluster(clusterName: string): string[] {
    const names = this.clusterAddrTable.get(clusterName);
    if (names === undefined) return [];
    const tableOrder = this.topicOrder.keys();
    const topics = new Set<string>();
    for (const brokerName of javaStringHashOrder([...names])) {
      const hosted = this.brokerNameTopics.get(brokerName);
      if (hosted === undefined) continue;
      for (const t of tableOrder) if (hosted.has(t)) topics.add(t);
    }
    return [...topics];
  }

  /** Cluster names + broker names, and one address of the first broker group found. */
  getSystemTopicList(): TopicList {
    const topics = new Set<string>();
    for (const [cluster, names] of this.clusterAddrTable) {
      topics.add(cluster);
      for (const n of names) topics.add(n);
    }
    const list: TopicList = { topicList: [...topics] };
    for (const group of this.brokerAddrTable.values()) {
      const first = group.brokerAddrs.values().next();
      if (first.done !== true) {
        list.brokerAddr = first.value;
        break;
      }
    }
    return list;
  }

  /** GET_UNIT_TOPIC_LIST: first QueueData has FLAG_UNIT. */
  getUnitTopics(): string[] {
    return this.topicsWhereFirstQueueData((f) => (f & TopicSysFlag.FLAG_UNIT) !== 0);
  }

  /** GET_HAS_UNIT_SUB_TOPIC_LIST: first QueueData has FLAG_UNIT_SUB. */
  getHasUnitSubTopicList(): string[] {
    return this.topicsWhereFirstQueueData((f) => (f & TopicSysFlag.FLAG_UNIT_SUB) !== 0);
  }

  /** GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST: first QueueData has FLAG_UNIT_SUB and not FLAG_UNIT. */
  getHasUnitSubUnUnitTopicList(): string[] {
    return this.topicsWhereFirstQueueData(
      (f) => (f & TopicSysFlag.FLAG_UNIT_SUB) !== 0 && (f & TopicSysFlag.FLAG_UNIT) === 0,
    );
  }

  // Java walks the topic table and looks at the first QueueData of each topic's HashMap.
  private topicsWhereFirstQueueData(test: (topicSysFlag: number) => boolean): string[] {
    const out: string[] = [];
    for (const topic of this.topicOrder.keys()) {
      const first = javaHashMapFirstValue(this.topicQueueTable.get(topic)!);
      if (first !== undefined && test(first.topicSysFlag)) out.push(topic);
    }
    return out;
  }

  /** GET_BROKER_CLUSTER_INFO (copies). */
  getAllClusterInfo(): ClusterInfo {
    const brokerAddrTable = new Map<string, BrokerData>();
    for (const [name, group] of this.brokerAddrTable)
      brokerAddrTable.set(name, this.toBrokerData(group));
    const clusterAddrTable = new Map<string, string[]>();
    for (const [cluster, names] of this.clusterAddrTable) clusterAddrTable.set(cluster, [...names]);
    return { brokerAddrTable, clusterAddrTable };
  }

  /** GET_BROKER_MEMBER_GROUP (5.x): `clusterName` is echoed only; unknown name → empty map. */
  getBrokerMemberGroup(clusterName: string, brokerName: string): BrokerMemberGroup {
    const group = this.brokerAddrTable.get(brokerName);
    return {
      cluster: clusterName,
      brokerName,
      brokerAddrs: group === undefined ? new Map<number, string>() : new Map(group.brokerAddrs),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Admin views

  /** Live brokers for the admin page. */
  getBrokerLiveViews(now: number = this.clock.now()): BrokerLiveView[] {
    const out: BrokerLiveView[] = [];
    for (const live of this.brokerLiveTable.values()) {
      out.push({
        clusterName: live.clusterName,
        brokerName: live.brokerName,
        brokerId: live.brokerId,
        brokerAddr: live.brokerAddr,
        haServerAddr: live.haServerAddr,
        connectionId: live.connectionId,
        lastUpdateTimestamp: live.lastUpdateTimestamp,
        lastUpdateAgeMillis: now - live.lastUpdateTimestamp,
        heartbeatTimeoutMillis: live.heartbeatTimeoutMillis,
        dataVersion: { ...live.dataVersion },
      });
    }
    return out;
  }

  /**
   * The public BrokerData of a group (a copy). 5.x's BrokerData has a `boolean enableActingMaster`
   * (always in its JSON); 4.9's has no such field, so it is set only when true there (4.9.7
   * bytes stay equal for every broker that does not ask for acting master).
   */
  private toBrokerData(group: BrokerGroup): BrokerData {
    const bd: BrokerData = {
      cluster: group.cluster,
      brokerName: group.brokerName,
      brokerAddrs: new Map(group.brokerAddrs),
    };
    if (this.javaLine === '5.x' || group.enableActingMaster) {
      bd.enableActingMaster = group.enableActingMaster;
    }
    if (group.zoneName !== null) bd.zoneName = group.zoneName;
    return bd;
  }

  getCounts(): RouteCounts {
    return {
      clusters: this.clusterAddrTable.size,
      brokerNames: this.brokerAddrTable.size,
      brokers: this.brokerLiveTable.size,
      topics: this.topicQueueTable.size,
      queueEntries: this.queueEntryCount,
    };
  }
}

function minKey(m: ReadonlyMap<number, unknown>): number {
  let min = Number.POSITIVE_INFINITY;
  for (const k of m.keys()) if (k < min) min = k;
  return min;
}

function sameStrings(a: readonly string[] | undefined, b: readonly string[]): boolean {
  if (a === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Java 5.x pickupTopicRouteData acting-master rewrite: a group that has members but no master,
 * has enableActingMaster and whose QueueData is not writable shows its smallest-id member as id 0,
 * so clients read from it (and take locks there) as if it were the master.
 */
function applyActingMaster(route: TopicRouteData): void {
  for (const bd of route.brokerDatas) {
    const addrs = bd.brokerAddrs;
    if (addrs.size === 0 || addrs.has(MASTER_ID) || bd.enableActingMaster !== true) continue;
    const qd = route.queueDatas.find((q) => q.brokerName === bd.brokerName);
    if (qd === undefined || (qd.perm & Perm.WRITE) !== 0) continue;
    const minId = minKey(addrs);
    const actingAddr = addrs.get(minId)!;
    addrs.delete(minId);
    addrs.set(MASTER_ID, actingAddr);
  }
}
