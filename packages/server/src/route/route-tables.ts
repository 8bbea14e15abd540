/**
 * RouteTables: the part of the route registry that answers reads (reference §4.1, §4.7, §4.10),
 * as plain Maps with one method per low-level edit.
 *
 * The registry owner's RouteInfoManager holds one and edits it through these methods only; every
 * serving worker holds a replica fed with the same edits, in the same order (route-ops.ts), so the
 * replica's Maps have the owner's insertion orders and every answer is byte-identical. That is why
 * the edits are this small: each one is a deterministic function of its arguments and the current
 * tables, so replaying them needs no business rules, no clock and no liveness.
 *
 * Change tracking: every edit that can alter a TopicRouteData records the topic (a BrokerData change
 * records every topic of that broker name); `flushChanges()` hands the set to the listeners (the
 * route cache, the route watch). Nothing is recorded when a value is rewritten unchanged.
 *
 * Indexes beyond Java's tables: `brokerNameTopics` (broker name → topics having its QueueData) and
 * `brokerNameClusters` (broker name → clusters listing it), so removing a broker name, wiping perms
 * and topics-by-cluster walk one broker's share instead of whole tables.
 */
import {
  JavaHashTable,
  javaConcurrentHashMapTableSize,
  javaHashMapCapacity,
  javaStringHashCode,
  javaStringHashOrder,
  MASTER_ID,
  Perm,
  SYNC_BROKER_MEMBER_TOPIC_PREFIX,
  TopicSysFlag,
} from '@ns/protocol';
import type {
  BrokerData,
  JavaLine,
  BrokerMemberGroup,
  ClusterInfo,
  QueueData,
  TopicList,
  TopicQueueMappingInfo,
  TopicRouteData,
} from '@ns/protocol';
import { liveKey } from './broker-live-info.js';
import { DeferredTopicOrder } from './deferred-topic-order.js';
import type { TopicOrderScheduler } from './deferred-topic-order.js';
import { javaHashMapFirstValue } from './java-first-value.js';
import { QueueDataPool, queueDataEquals } from './queue-data.js';
import { OpCode, ROUTE_OP_WIDTH } from './route-ops.js';
import { QueueDataMap } from './queue-data-map.js';
import { TopicSetUnion } from './topic-set-union.js';
import type { RouteChangeListener } from './types.js';

/** Internal BrokerData: the public shape is built on the way out (copies, optional fields). */
export interface BrokerGroup {
  /** Java: set when the BrokerData is created and never updated. */
  readonly cluster: string;
  readonly brokerName: string;
  readonly brokerAddrs: Map<number, string>;
  enableActingMaster: boolean;
  zoneName: string | null;
}

interface FilterServers {
  readonly brokerName: string;
  readonly servers: readonly string[];
}

/** What the read handlers, the HTTP views and the route watch need; a replica provides it too. */
export interface RouteReadModel {
  pickupTopicRouteData(topic: string): TopicRouteData | null;
  /**
   * Buckets of the Java HashMap holding the topic's QueueData (it never shrinks, so after broker
   * names left it can be larger than the route's size needs); 16 for an unknown topic. The
   * handlers order a route's queueDatas by it (java-order.ts).
   */
  queueDataTableCapacity(topic: string): number;
  /**
   * Buckets of the Java `HashSet` of a cluster's broker names (grown with it, never shrunk); the
   * cluster views (GET_BROKER_CLUSTER_INFO, GET_SYSTEM_TOPIC_LIST_FROM_NS) order names by it.
   */
  clusterNameSetCapacity(cluster: string): number;
  /**
   * Changes whenever a broker name joins or leaves a cluster. Membership is in no route, so no
   * route-change notification says so, but the topics-by-cluster list depends on it (which
   * names, and the order of its set): that list's cached body is checked against this.
   */
  clusterMembershipStamp(): number;
  /**
   * Changes whenever a topic gains or loses a broker name's QueueData (a topic added or removed
   * among them), never for a QueueData whose numbers or flags changed. The topic lists whose
   * content and order depend on nothing else (GET_ALL_TOPIC_LIST_FROM_NAMESERVER, and with the
   * membership stamp GET_TOPICS_BY_CLUSTER) are kept while it stands still: a re-registration
   * changing some queue numbers no longer throws away a list that costs tens of ms to rebuild.
   */
  topicMembershipStamp(): number;
  getAllTopicList(): string[];
  getTopicsByCluster(clusterName: string): string[];
  /**
   * getTopicsByCluster, or one of the unit lists, walked STEP topics at a time (a generator that
   * yields between steps, for a slice queue): the same list as the one-go method gives. A write
   * between two steps that the list could show starts the walk again, so the list is the tables'
   * at one moment; after three such restarts the walk is done in one go.
   */
  topicListInSteps(list: SteppedTopicList): Generator<void, string[], void>;
  /** Topics in the table (cheap). */
  topicCount(): number;
  getSystemTopicList(): TopicList;
  getUnitTopics(): string[];
  getHasUnitSubTopicList(): string[];
  getHasUnitSubUnUnitTopicList(): string[];
  getAllClusterInfo(): ClusterInfo;
  getBrokerMemberGroup(clusterName: string, brokerName: string): BrokerMemberGroup;
  onRouteChanged(listener: RouteChangeListener): () => void;
}

/** The topic lists a walk in steps can make (see RouteReadModel.topicListInSteps). */
export type SteppedTopicList =
  | { readonly kind: 'cluster'; readonly clusterName: string }
  | { readonly kind: 'unit' | 'unit-sub' | 'unit-sub-ununit' };

/** Topics visited between two yields of a walk in steps. */
const WALK_STEP = 2048;
/** Walks torn by a write before one is done in one go. */
const WALK_TRIES = 3;

/** Collects a list while the topics go by in the table's order. */
interface TopicCollector {
  visit(topic: string): void;
  result(): string[];
}

export interface RouteTablesOptions {
  /** Java NamesrvConfig.supportActingMaster: the acting-master rewrite of route lookups. */
  supportActingMaster?: boolean;
  /**
   * The Java NameServer line whose tables are reproduced (config `compatibilityLine`; default
   * 5.x): the topic table's type (hence the topic lists' order) and whether BrokerData always
   * carries `enableActingMaster`.
   */
  javaLine?: JavaLine;
  /** A route-change listener threw (the others still ran); for the log. */
  onListenerError?: (err: unknown) => void;
  /**
   * Keeps the model of the Java topic table's order up to date between turns of the holder's
   * event loop instead of inside each write (see DeferredTopicOrder); absent: inside each write.
   */
  scheduleTopicOrder?: TopicOrderScheduler;
}

export interface RouteTableCounts {
  clusters: number;
  brokerNames: number;
  topics: number;
  queueEntries: number;
}

export class RouteTables implements RouteReadModel {
  /**
   * One Map: a V8 Map grows by rehashing every entry in one go, so the registration that takes it
   * past 131,072 / 262,144 / 524,288 topics holds the loop 4–6 / 13 / 25 ms once (2-core VM). A
   * table split over 64 Maps avoided that but made every registration slower (a new broker of
   * 10,000 topics 22.8 → 34.1 ms rtt, WIPE_WRITE_PERM of 50,000 22.5 → 30.8 ms; `pnpm bench
   * --only=registration --workers=1`, same machine), so it was not kept.
   */
  private readonly topicQueueTable = new Map<string, QueueDataMap<Readonly<QueueData>>>();
  private readonly brokerAddrTable = new Map<string, BrokerGroup>();
  private readonly clusterAddrTable = new Map<string, Set<string>>();
  /**
   * The most broker names each cluster's set has held: Java's per-cluster `HashSet` never
   * shrinks, and the cluster views list the names in its order (clusterNameSetCapacity).
   */
  private readonly clusterSetHighWater = new Map<string, number>();
  /** Counts cluster membership edits (see clusterMembershipStamp). */
  private membershipStamp = 0;
  /** Counts QueueData added or removed (see topicMembershipStamp). */
  private topicStamp = 0;
  /** Counts every change a topic list can show (routes named as changed, memberships). */
  private listEdits = 0;
  /** liveKey(cluster, addr) → the live broker's filter servers, with its broker name. */
  private readonly filterServerTable = new Map<string, FilterServers>();
  private readonly topicQueueMappingInfoTable = new Map<
    string,
    Map<string, TopicQueueMappingInfo>
  >();
  private readonly brokerNameTopics = new Map<string, Set<string>>();
  private readonly brokerNameClusters = new Map<string, Set<string>>();
  /** broker name → topics with a static mapping on it (so a removed name drops its mappings). */
  private readonly brokerNameMappings = new Map<string, Set<string>>();
  private queueEntryCount = 0;
  /** One frozen QueueData per (broker name, numbers), shared by its topics (see QueueDataPool). */
  private readonly queueDataPool = new QueueDataPool();
  /**
   * The topic table's keys as the Java table of `javaLine` holds them (4.9: `new HashMap<>(1024)`;
   * 5.x: `new ConcurrentHashMap<>(1024)`, whose growth reorders chains), updated on every topic
   * added or removed, so the topic lists come out in Java's iteration order at any size. Edits
   * reach it after the write that made them, unless someone reads it first (DeferredTopicOrder).
   */
  private readonly topicOrder: DeferredTopicOrder;
  private readonly javaLine: JavaLine;

  private changedTopics = new Set<string>();
  /** Topic sets of broker names whose group changed since the last flush (see markBrokerName). */
  private changedNames = new Set<ReadonlySet<string>>();
  private readonly listeners = new Set<RouteChangeListener>();
  private readonly supportActingMaster: boolean;
  private readonly onListenerError: (err: unknown) => void;
  /** Where edits are recorded for the replicas (a flat op list), or null when nobody listens. */
  private ops: unknown[] | null = null;

  constructor(options: RouteTablesOptions = {}) {
    this.supportActingMaster = options.supportActingMaster ?? false;
    this.onListenerError = options.onListenerError ?? (() => undefined);
    this.javaLine = options.javaLine ?? '5.x';
    this.topicOrder = new DeferredTopicOrder(
      newTopicOrder(this.javaLine),
      options.scheduleTopicOrder ?? null,
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Change notification and edit recording

  /** Subscribes to route changes; returns the unsubscribe function. */
  onRouteChanged(listener: RouteChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Hands the topics changed since the last flush to the listeners (synchronously). */
  flushChanges(): void {
    if (this.changedTopics.size === 0 && this.changedNames.size === 0) return;
    if (this.listeners.size === 0) {
      this.changedTopics.clear();
      this.changedNames.clear();
      return;
    }
    // Handed over, not copied: a broker name of 50,000 topics leaving marks them all at once, and
    // copying (then clearing) that set was a 10 ms stall of its own.
    const topics: ReadonlySet<string> =
      this.changedNames.size === 0
        ? this.changedTopics
        : new TopicSetUnion([this.changedTopics, ...this.changedNames]);
    this.changedTopics = new Set();
    this.changedNames = new Set();
    for (const listener of this.listeners) {
      try {
        listener(topics);
      } catch (err) {
        // A cache bug must not break the registry, nor skip the other listeners.
        this.onListenerError(err);
      }
    }
  }

  /** Starts appending every edit to `sink` (the owner's op log); null stops. */
  recordOpsInto(sink: unknown[] | null): void {
    this.ops = sink;
  }

  /** Whether edits are being recorded (see recordOpsInto). */
  get recordingOps(): boolean {
    return this.ops !== null;
  }

  private markTopic(topic: string): void {
    this.changedTopics.add(topic);
    this.listEdits++;
  }

  /** The BrokerData of `brokerName` changed: every topic it hosts has a different route. */
  private markBrokerName(brokerName: string): void {
    const topics = this.brokerNameTopics.get(brokerName);
    // The name's own set, not its topics one by one (see TopicSetUnion).
    if (topics !== undefined && topics.size > 0) this.changedNames.add(topics);
    this.listEdits++;
  }

  // ---------------------------------------------------------------------------------------------
  // Edits (each one is replayed verbatim by replicas: keep them deterministic)

  /**
   * Puts a topic's QueueData for a broker name; nothing happens when an equal one is there.
   * Returns 'new-topic' (the topic's first QueueData), 'added', 'updated' or 'same'.
   */
  putQueueData(
    topic: string,
    brokerName: string,
    readQueueNums: number,
    writeQueueNums: number,
    perm: number,
    topicSysFlag: number,
  ): 'added' | 'new-topic' | 'updated' | 'same' {
    let byBroker = this.topicQueueTable.get(topic);
    const isNewTopic = byBroker === undefined;
    if (byBroker === undefined) {
      byBroker = new QueueDataMap(topic);
      this.topicQueueTable.set(topic, byBroker);
      this.topicOrder.add(topic);
    }
    const prev = byBroker.get(brokerName);
    /** The name's topic set is named as changed already, this topic in it (see below). */
    let named = false;
    if (prev !== undefined) {
      // Java 5.x createAndUpdateQueueData: replaced only when it differs.
      if (queueDataEquals(prev, readQueueNums, writeQueueNums, perm, topicSysFlag)) return 'same';
    } else {
      let topics = this.brokerNameTopics.get(brokerName);
      if (topics === undefined) {
        topics = new Set();
        this.brokerNameTopics.set(brokerName, topics);
        // A new broker name: every topic it gets is a changed route. Its own set names them as
        // one part of the change feed (as markBrokerName does), rather than one insert into the
        // change set per topic (a new broker of 10,000 topics: 10,000 inserts fewer).
        this.changedNames.add(topics);
      }
      // The tables' own copy of the name, not the one this registration brought.
      topics.add(byBroker.topic);
      this.queueEntryCount++;
      this.topicStamp++;
      named = this.changedNames.has(topics);
    }
    byBroker.set(
      brokerName,
      this.queueDataPool.get(brokerName, readQueueNums, writeQueueNums, perm, topicSysFlag),
    );
    if (!named) this.markTopic(topic);
    this.ops?.push(
      OpCode.PUT_QUEUE,
      topic,
      brokerName,
      readQueueNums,
      writeQueueNums,
      perm,
      topicSysFlag,
    );
    return prev !== undefined ? 'updated' : isNewTopic ? 'new-topic' : 'added';
  }

  /** Removes a topic's QueueData of a broker name (and the topic once it has none). */
  removeQueueData(topic: string, brokerName: string): boolean {
    const byBroker = this.topicQueueTable.get(topic);
    if (byBroker === undefined || !byBroker.delete(brokerName)) return false;
    this.queueEntryCount--;
    this.topicStamp++;
    const topics = this.brokerNameTopics.get(brokerName);
    if (topics !== undefined) {
      topics.delete(topic);
      if (topics.size === 0) {
        this.brokerNameTopics.delete(brokerName);
        this.queueDataPool.forget(brokerName);
      }
    }
    if (byBroker.size === 0) {
      this.topicQueueTable.delete(topic);
      this.topicOrder.delete(topic);
    }
    this.markTopic(topic);
    this.ops?.push(OpCode.REMOVE_QUEUE, topic, brokerName);
    return true;
  }

  /** Creates an empty broker group (Java: a new BrokerData). */
  createGroup(brokerName: string, cluster: string): BrokerGroup {
    const group: BrokerGroup = {
      cluster,
      brokerName,
      brokerAddrs: new Map(),
      enableActingMaster: false,
      zoneName: null,
    };
    this.brokerAddrTable.set(brokerName, group);
    this.ops?.push(OpCode.CREATE_GROUP, brokerName, cluster);
    return group;
  }

  /** Removes a broker group (its QueueData and cluster membership are separate edits). */
  deleteGroup(brokerName: string): void {
    if (!this.brokerAddrTable.delete(brokerName)) return;
    this.markBrokerName(brokerName);
    // Static-topic mappings of a broker name that no longer exists can never be served again;
    // dropping them keeps the table bounded by the live broker names.
    const mapped = this.brokerNameMappings.get(brokerName);
    if (mapped !== undefined) {
      this.brokerNameMappings.delete(brokerName);
      for (const topic of mapped) {
        const byBroker = this.topicQueueMappingInfoTable.get(topic);
        if (byBroker !== undefined && byBroker.delete(brokerName) && byBroker.size === 0) {
          this.topicQueueMappingInfoTable.delete(topic);
        }
        this.markTopic(topic);
      }
    }
    this.ops?.push(OpCode.DELETE_GROUP, brokerName);
  }

  setGroupFlags(brokerName: string, enableActingMaster: boolean, zoneName: string | null): void {
    const group = this.brokerAddrTable.get(brokerName);
    if (group === undefined) return;
    if (group.enableActingMaster === enableActingMaster && group.zoneName === zoneName) return;
    group.enableActingMaster = enableActingMaster;
    group.zoneName = zoneName;
    this.markBrokerName(brokerName);
    this.ops?.push(OpCode.GROUP_FLAGS, brokerName, enableActingMaster, zoneName);
  }

  setBrokerAddr(brokerName: string, brokerId: number, brokerAddr: string): void {
    const group = this.brokerAddrTable.get(brokerName);
    if (group === undefined || group.brokerAddrs.get(brokerId) === brokerAddr) return;
    group.brokerAddrs.set(brokerId, brokerAddr);
    this.markBrokerName(brokerName);
    this.ops?.push(OpCode.SET_ADDR, brokerName, brokerId, brokerAddr);
  }

  deleteBrokerAddr(brokerName: string, brokerId: number): boolean {
    const group = this.brokerAddrTable.get(brokerName);
    if (group === undefined || !group.brokerAddrs.delete(brokerId)) return false;
    this.markBrokerName(brokerName);
    this.ops?.push(OpCode.DELETE_ADDR, brokerName, brokerId);
    return true;
  }

  addClusterMember(cluster: string, brokerName: string): void {
    let names = this.clusterAddrTable.get(cluster);
    if (names === undefined) {
      names = new Set();
      this.clusterAddrTable.set(cluster, names);
    } else if (names.has(brokerName)) {
      return;
    }
    names.add(brokerName);
    this.membershipStamp++;
    if (names.size > (this.clusterSetHighWater.get(cluster) ?? 0)) {
      this.clusterSetHighWater.set(cluster, names.size);
    }
    let clusters = this.brokerNameClusters.get(brokerName);
    if (clusters === undefined) {
      clusters = new Set();
      this.brokerNameClusters.set(brokerName, clusters);
    }
    clusters.add(cluster);
    this.ops?.push(OpCode.ADD_CLUSTER_MEMBER, cluster, brokerName);
  }

  /** Takes a broker name out of every cluster listing it (an emptied cluster disappears). */
  removeFromAllClusters(brokerName: string): void {
    const clusters = this.brokerNameClusters.get(brokerName);
    if (clusters === undefined) return;
    this.membershipStamp++;
    this.brokerNameClusters.delete(brokerName);
    for (const cluster of clusters) {
      const names = this.clusterAddrTable.get(cluster);
      if (names !== undefined && names.delete(brokerName) && names.size === 0) {
        this.clusterAddrTable.delete(cluster);
        this.clusterSetHighWater.delete(cluster);
      }
    }
    this.ops?.push(OpCode.REMOVE_FROM_CLUSTERS, brokerName);
  }

  /** Replaces a live broker's filter server list (`key` = liveKey(cluster, addr)). */
  setFilterServers(key: string, brokerName: string, servers: readonly string[]): void {
    const current = this.filterServerTable.get(key);
    if (current !== undefined && sameStrings(current.servers, servers)) return;
    this.filterServerTable.set(key, { brokerName, servers: servers.slice() });
    this.markBrokerName(brokerName);
    this.ops?.push(OpCode.SET_FILTERS, key, brokerName, servers.slice());
  }

  deleteFilterServers(key: string, brokerName: string): void {
    if (!this.filterServerTable.delete(key)) return;
    this.markBrokerName(brokerName);
    this.ops?.push(OpCode.DELETE_FILTERS, key, brokerName);
  }

  /** 5.x static topics: the mapping of `topic` on broker name `info.bname`. */
  putMapping(topic: string, info: TopicQueueMappingInfo): void {
    let byBroker = this.topicQueueMappingInfoTable.get(topic);
    if (byBroker === undefined) {
      byBroker = new Map();
      this.topicQueueMappingInfoTable.set(topic, byBroker);
    }
    byBroker.set(info.bname, info);
    let mapped = this.brokerNameMappings.get(info.bname);
    if (mapped === undefined) {
      mapped = new Set();
      this.brokerNameMappings.set(info.bname, mapped);
    }
    mapped.add(topic);
    this.markTopic(topic);
    this.ops?.push(OpCode.PUT_MAPPING, topic, info);
  }

  // ---------------------------------------------------------------------------------------------
  // Lookups for the registry's rules

  group(brokerName: string): Readonly<BrokerGroup> | undefined {
    return this.brokerAddrTable.get(brokerName);
  }

  hasGroup(brokerName: string): boolean {
    return this.brokerAddrTable.has(brokerName);
  }

  queueData(topic: string, brokerName: string): Readonly<QueueData> | undefined {
    return this.topicQueueTable.get(topic)?.get(brokerName);
  }

  /** Topics having a QueueData of `brokerName` (live view: copy before editing while iterating). */
  topicsOf(brokerName: string): ReadonlySet<string> | undefined {
    return this.brokerNameTopics.get(brokerName);
  }

  /** Broker names of a cluster (live view). */
  clusterMembers(cluster: string): ReadonlySet<string> | undefined {
    return this.clusterAddrTable.get(cluster);
  }

  clusterMembershipStamp(): number {
    return this.membershipStamp;
  }

  topicMembershipStamp(): number {
    return this.topicStamp;
  }

  clusterNameSetCapacity(cluster: string): number {
    return javaHashMapCapacity(this.clusterSetHighWater.get(cluster) ?? 0);
  }

  /** Broker names hosting `topic`, in table order (live view). */
  topicBrokers(topic: string): ReadonlyMap<string, Readonly<QueueData>> | undefined {
    return this.topicQueueTable.get(topic);
  }

  hasFilterServers(key: string): boolean {
    return this.filterServerTable.has(key);
  }

  counts(): RouteTableCounts {
    return {
      clusters: this.clusterAddrTable.size,
      brokerNames: this.brokerAddrTable.size,
      topics: this.topicQueueTable.size,
      queueEntries: this.queueEntryCount,
    };
  }

  /** Sizes of the internal indexes (tests check that nothing outlives what it indexes). */
  indexSizes(): Record<
    'brokerNameTopics' | 'brokerNameClusters' | 'brokerNameMappings' | 'mappings' | 'filters',
    number
  > {
    return {
      brokerNameTopics: this.brokerNameTopics.size,
      brokerNameClusters: this.brokerNameClusters.size,
      brokerNameMappings: this.brokerNameMappings.size,
      mappings: this.topicQueueMappingInfoTable.size,
      filters: this.filterServerTable.size,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Reads

  /**
   * §4.7: the route of `topic`, or null (TOPIC_NOT_EXIST) when the topic is unknown or none of its
   * broker names is in the broker table. O(broker names of the topic). QueueData objects are shared
   * (frozen); BrokerData and maps are copies the caller may edit.
   */
  queueDataTableCapacity(topic: string): number {
    return this.topicQueueTable.get(topic)?.javaTableCapacity ?? javaHashMapCapacity(0);
  }

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
          const entry = this.filterServerTable.get(liveKey(group.cluster, addr));
          // Java 5.x also puts null entries; fastjson omits them, so we skip them.
          if (entry !== undefined) filterServerTable.set(addr, entry.servers.slice());
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

  /** Every topic, in the Java topic table's iteration order. */
  getAllTopicList(): string[] {
    return this.topicOrder.keys();
  }

  hasTopic(topic: string): boolean {
    return this.topicQueueTable.has(topic);
  }

  /**
   * Topics having QueueData on any broker name of the cluster, in the order Java adds them: for
   * each broker name of the cluster (its `HashSet` order), the topics hosting it in table order;
   * a topic already added is not repeated. Unknown cluster → [].
   *
   * Java walks the topic table once per broker name; here one walk puts each topic in the group
   * of its first broker name (in that order) — the same list, in time proportional to the
   * topics, not to topics × broker names (2,000 names made one request take 1.8 s).
   */
  getTopicsByCluster(clusterName: string): string[] {
    return walkToEnd(this.topicListInSteps({ kind: 'cluster', clusterName }));
  }

  topicCount(): number {
    return this.topicQueueTable.size;
  }

  *topicListInSteps(list: SteppedTopicList): Generator<void, string[], void> {
    for (let attempt = 0; ; attempt++) {
      const stamp = this.listStamp();
      const collector = this.collectorOf(list);
      const topics = this.topicOrder.keys();
      const inOneGo = attempt >= WALK_TRIES;
      let torn = false;
      for (let i = 0; i < topics.length; i++) {
        collector.visit(topics[i]!);
        if (!inOneGo && i % WALK_STEP === WALK_STEP - 1) {
          yield;
          if (this.listStamp() !== stamp) {
            torn = true;
            break;
          }
        }
      }
      if (!torn) return collector.result();
    }
  }

  /** Changes whenever any topic list may (see listEdits). */
  private listStamp(): number {
    return this.listEdits + this.topicStamp + this.membershipStamp;
  }

  private collectorOf(list: SteppedTopicList): TopicCollector {
    switch (list.kind) {
      case 'cluster':
        return this.clusterCollector(list.clusterName);
      case 'unit':
        return this.firstQueueDataCollector((f) => (f & TopicSysFlag.FLAG_UNIT) !== 0);
      case 'unit-sub':
        return this.firstQueueDataCollector((f) => (f & TopicSysFlag.FLAG_UNIT_SUB) !== 0);
      case 'unit-sub-ununit':
        return this.firstQueueDataCollector(
          (f) => (f & TopicSysFlag.FLAG_UNIT_SUB) !== 0 && (f & TopicSysFlag.FLAG_UNIT) === 0,
        );
    }
  }

  /**
   * Topics having QueueData on any broker name of the cluster, in the order Java adds them: for
   * each broker name of the cluster (its `HashSet` order), the topics hosting it in table order;
   * a topic already added is not repeated. Unknown cluster → [].
   *
   * Java walks the topic table once per broker name; here one walk puts each topic in the group
   * of its first broker name (in that order) — the same list, in time proportional to the
   * topics, not to topics × broker names (2,000 names made one request take 1.8 s).
   */
  private clusterCollector(clusterName: string): TopicCollector {
    const names = this.clusterAddrTable.get(clusterName);
    if (names === undefined) return { visit: () => undefined, result: () => [] };
    const capacity = this.clusterNameSetCapacity(clusterName);
    const rank = new Map<string, number>();
    for (const brokerName of javaStringHashOrder([...names], { capacity })) {
      rank.set(brokerName, rank.size);
    }
    const groups: string[][] = Array.from({ length: rank.size }, () => []);
    return {
      visit: (topic) => {
        let first = -1;
        for (const brokerName of this.topicQueueTable.get(topic)!.keys()) {
          const r = rank.get(brokerName);
          if (r !== undefined && (first === -1 || r < first)) first = r;
        }
        if (first !== -1) groups[first]!.push(topic);
      },
      // Not groups.flat(): V8's flat took 20 ms for one group of 80,000 topics.
      result: () => {
        if (groups.length === 1) return groups[0]!;
        const out: string[] = [];
        for (const group of groups) for (const topic of group) out.push(topic);
        return out;
      },
    };
  }

  // Java walks the topic table and looks at the first QueueData of each topic's HashMap.
  private firstQueueDataCollector(test: (topicSysFlag: number) => boolean): TopicCollector {
    const out: string[] = [];
    return {
      visit: (topic) => {
        const byBroker = this.topicQueueTable.get(topic)!;
        const first = javaHashMapFirstValue(byBroker, byBroker.javaTableCapacity);
        if (first !== undefined && test(first.topicSysFlag)) out.push(topic);
      },
      result: () => out,
    };
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
    return walkToEnd(this.topicListInSteps({ kind: 'unit' }));
  }

  /** GET_HAS_UNIT_SUB_TOPIC_LIST: first QueueData has FLAG_UNIT_SUB. */
  getHasUnitSubTopicList(): string[] {
    return walkToEnd(this.topicListInSteps({ kind: 'unit-sub' }));
  }

  /** GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST: first QueueData has FLAG_UNIT_SUB and not FLAG_UNIT. */
  getHasUnitSubUnUnitTopicList(): string[] {
    return walkToEnd(this.topicListInSteps({ kind: 'unit-sub-ununit' }));
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

  // ---------------------------------------------------------------------------------------------
  // Replication

  /**
   * Applies recorded edits `ops[from..]` until `to` (exclusive) and returns the index reached.
   * Each op is applied with the same method the owner used, so orders and indexes stay identical.
   */
  applyOps(ops: readonly unknown[], from = 0, to = ops.length): number {
    let i = from;
    while (i < to) {
      const code = ops[i] as OpCode;
      switch (code) {
        case OpCode.PUT_QUEUE:
          this.putQueueData(
            ops[i + 1] as string,
            ops[i + 2] as string,
            ops[i + 3] as number,
            ops[i + 4] as number,
            ops[i + 5] as number,
            ops[i + 6] as number,
          );
          i += 7;
          break;
        case OpCode.REMOVE_QUEUE:
          this.removeQueueData(ops[i + 1] as string, ops[i + 2] as string);
          i += 3;
          break;
        case OpCode.CREATE_GROUP:
          this.createGroup(ops[i + 1] as string, ops[i + 2] as string);
          i += 3;
          break;
        case OpCode.DELETE_GROUP:
          this.deleteGroup(ops[i + 1] as string);
          i += 2;
          break;
        case OpCode.GROUP_FLAGS:
          this.setGroupFlags(
            ops[i + 1] as string,
            ops[i + 2] as boolean,
            ops[i + 3] as string | null,
          );
          i += 4;
          break;
        case OpCode.SET_ADDR:
          this.setBrokerAddr(ops[i + 1] as string, ops[i + 2] as number, ops[i + 3] as string);
          i += 4;
          break;
        case OpCode.DELETE_ADDR:
          this.deleteBrokerAddr(ops[i + 1] as string, ops[i + 2] as number);
          i += 3;
          break;
        case OpCode.ADD_CLUSTER_MEMBER:
          this.addClusterMember(ops[i + 1] as string, ops[i + 2] as string);
          i += 3;
          break;
        case OpCode.REMOVE_FROM_CLUSTERS:
          this.removeFromAllClusters(ops[i + 1] as string);
          i += 2;
          break;
        case OpCode.SET_FILTERS:
          this.setFilterServers(
            ops[i + 1] as string,
            ops[i + 2] as string,
            ops[i + 3] as readonly string[],
          );
          i += 4;
          break;
        case OpCode.DELETE_FILTERS:
          this.deleteFilterServers(ops[i + 1] as string, ops[i + 2] as string);
          i += 3;
          break;
        case OpCode.PUT_MAPPING:
          this.putMapping(ops[i + 1] as string, ops[i + 2] as TopicQueueMappingInfo);
          i += 3;
          break;
        case OpCode.ORDER_BROKER_TOPICS:
        case OpCode.ORDER_BROKER_CLUSTERS:
        case OpCode.ORDER_BROKER_MAPPINGS:
        case OpCode.ORDER_TOPIC_TABLE:
        case OpCode.QUEUE_HIGH_WATER:
        case OpCode.CLUSTER_HIGH_WATER:
          throw new Error(`snapshot-only route op ${code} in a live batch at ${i}`);
        default:
          throw new Error(`unknown route op ${String(code)} at ${i}`);
      }
    }
    return i;
  }

  /**
   * The whole state as the edits that rebuild it, in an order that reproduces every Map's and
   * Set's insertion order (so a replica started late answers byte-identically). Clusters are
   * emitted per broker name; their member order is then restored by the cluster entries.
   */
  exportOps(): unknown[] {
    const out: unknown[] = [];
    for (const [name, group] of this.brokerAddrTable) {
      out.push(OpCode.CREATE_GROUP, name, group.cluster);
      if (group.enableActingMaster || group.zoneName !== null) {
        out.push(OpCode.GROUP_FLAGS, name, group.enableActingMaster, group.zoneName);
      }
      for (const [id, addr] of group.brokerAddrs) out.push(OpCode.SET_ADDR, name, id, addr);
    }
    for (const [cluster, names] of this.clusterAddrTable) {
      for (const name of names) out.push(OpCode.ADD_CLUSTER_MEMBER, cluster, name);
      // Only for a set grown past what its size needs (it had more broker names before).
      const highWater = this.clusterSetHighWater.get(cluster) ?? 0;
      if (javaHashMapCapacity(highWater) > javaHashMapCapacity(names.size)) {
        out.push(OpCode.CLUSTER_HIGH_WATER, cluster, highWater);
      }
    }
    for (const [topic, byBroker] of this.topicQueueTable) {
      for (const [name, qd] of byBroker) {
        out.push(
          OpCode.PUT_QUEUE,
          topic,
          name,
          qd.readQueueNums,
          qd.writeQueueNums,
          qd.perm,
          qd.topicSysFlag,
        );
      }
      // Only for a table grown past what its size needs (it had more broker names before).
      if (byBroker.javaTableCapacity > javaHashMapCapacity(byBroker.size)) {
        out.push(OpCode.QUEUE_HIGH_WATER, topic, byBroker.highWater);
      }
    }
    for (const [key, entry] of this.filterServerTable) {
      out.push(OpCode.SET_FILTERS, key, entry.brokerName, entry.servers.slice());
    }
    for (const [topic, byBroker] of this.topicQueueMappingInfoTable) {
      for (const info of byBroker.values()) out.push(OpCode.PUT_MAPPING, topic, info);
    }
    // brokerNameTopics follows topic-table order above; the owner's may differ where a broker
    // name got a topic that already existed. Re-insert each set in the owner's order.
    for (const [name, topics] of this.brokerNameTopics) {
      out.push(OpCode.ORDER_BROKER_TOPICS, name, [...topics]);
    }
    for (const [name, clusters] of this.brokerNameClusters) {
      out.push(OpCode.ORDER_BROKER_CLUSTERS, name, [...clusters]);
    }
    for (const [name, topics] of this.brokerNameMappings) {
      out.push(OpCode.ORDER_BROKER_MAPPINGS, name, [...topics]);
    }
    // The Java table's layout depends on its history (it never shrinks, and a grown
    // ConcurrentHashMap reorders its chains): carry its size and key order as they are.
    out.push(OpCode.ORDER_TOPIC_TABLE, this.topicOrder.capacity, this.topicOrder.keys());
    return out;
  }

  /** Loads `exportOps()` output into empty tables (the ORDER_* entries are only valid here). */
  importOps(ops: readonly unknown[]): void {
    let i = 0;
    const n = ops.length;
    while (i < n) {
      const code = ops[i] as OpCode;
      if (code === OpCode.ORDER_BROKER_TOPICS) {
        const name = ops[i + 1] as string;
        this.brokerNameTopics.set(name, new Set(ops[i + 2] as string[]));
        i += 3;
      } else if (code === OpCode.ORDER_BROKER_CLUSTERS) {
        const name = ops[i + 1] as string;
        this.brokerNameClusters.set(name, new Set(ops[i + 2] as string[]));
        i += 3;
      } else if (code === OpCode.ORDER_BROKER_MAPPINGS) {
        const name = ops[i + 1] as string;
        this.brokerNameMappings.set(name, new Set(ops[i + 2] as string[]));
        i += 3;
      } else if (code === OpCode.CLUSTER_HIGH_WATER) {
        const cluster = ops[i + 1] as string;
        const highWater = ops[i + 2] as number;
        if (highWater > (this.clusterSetHighWater.get(cluster) ?? 0)) {
          this.clusterSetHighWater.set(cluster, highWater);
        }
        i += 3;
      } else if (code === OpCode.QUEUE_HIGH_WATER) {
        this.topicQueueTable.get(ops[i + 1] as string)?.raiseHighWater(ops[i + 2] as number);
        i += 3;
      } else if (code === OpCode.ORDER_TOPIC_TABLE) {
        const table = newTopicOrder(this.javaLine, ops[i + 1] as number);
        for (const topic of ops[i + 2] as string[]) table.add(topic);
        this.topicOrder.reset(table);
        this.topicStamp++;
        i += 3;
      } else {
        i = this.applyOps(ops, i, nextOpEnd(ops, i));
      }
    }
    this.changedTopics.clear();
    this.changedNames.clear();
  }
}

/** The topic table of a Java line (optionally already grown to `capacity`). */
function newTopicOrder(javaLine: JavaLine, capacity?: number): JavaHashTable<string> {
  return javaLine === '4.9'
    ? new JavaHashTable('HashMap', javaStringHashCode, capacity ?? 1024)
    : new JavaHashTable(
        'ConcurrentHashMap',
        javaStringHashCode,
        capacity ?? javaConcurrentHashMapTableSize(1024),
      );
}

/** Index just past the op starting at `i` (for importOps' one-at-a-time replay). */
function nextOpEnd(ops: readonly unknown[], i: number): number {
  return i + ROUTE_OP_WIDTH[ops[i] as OpCode];
}

export function minKey(m: ReadonlyMap<number, unknown>): number {
  let min = Number.POSITIVE_INFINITY;
  for (const k of m.keys()) if (k < min) min = k;
  return min;
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
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

/** A walk in steps run to its end at once (nothing can change the tables in between). */
function walkToEnd<T>(walk: Generator<void, T, void>): T {
  for (;;) {
    const step = walk.next();
    if (step.done === true) return step.value;
  }
}
