/**
 * RouteInfoManager: the NameServer's route registry (reference §4), as a pure class.
 *
 * No sockets, timers or files: time comes from an injected Clock, connections are opaque ids, the
 * KV store is a lookup function. It runs in the registry owner only, single-threaded, so Java's
 * read/write lock has no counterpart and every operation is atomic — except a registration run in
 * steps (`registerBrokerInSteps`): its caller lets reads in between the steps and holds back every
 * other write until the last one (see that method).
 *
 * The tables every read needs live in `tables` (RouteTables), edited only through its small edit
 * methods, which serving workers replay on their replicas. What only the owner needs stays here:
 * liveness (`brokerLiveTable`), the connection index and the unchanged-body bookkeeping.
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
 * Every public mutating call flushes the route changes it made to the listeners before returning.
 */
import { dataVersionEquals, MASTER_ID, ORDER_TOPIC_CONFIG_NAMESPACE, Perm } from '@ns/protocol';
import type {
  BrokerMemberGroup,
  ClusterInfo,
  DataVersion,
  JavaLine,
  QueueData,
  RegisterBrokerResult,
  TopicConfig,
  TopicList,
  TopicRouteData,
} from '@ns/protocol';
import { liveKey } from './broker-live-info.js';
import type { TopicOrderScheduler } from './deferred-topic-order.js';
import type { BrokerLiveInfo } from './broker-live-info.js';
import { emptyDataVersion, stampedDataVersion } from './data-version.js';
import { minBrokerIdChangeOnJoin, minBrokerIdChangeOnLeave } from './min-broker-id-change.js';
import { minKey, RouteTables } from './route-tables.js';
import type { RouteReadModel, SteppedTopicList } from './route-tables.js';
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

/** connectionId of a broker whose connection the node lost (a dead serving worker). */
const LOST_CONNECTION: ConnectionId = -1;

/** Java: RouteInfoManager.DEFAULT_BROKER_CHANNEL_EXPIRED_TIME. */
export const DEFAULT_BROKER_CHANNEL_EXPIRED_TIME = 120_000;

/**
 * Removals logged one line each per call (connection close, expiry scan); past that, one summary
 * line. A peer that registers 40,000 broker names and disconnects must not make the node write
 * 40,000 lines (and spend most of the removal writing them).
 */
const LOGGED_REMOVALS = 8;

/** How many topic edits a write run in steps makes between two questions to `pause`. */
const PAUSE_CHECK_EVERY = 64;

const NOOP = (): void => undefined;
const NEVER = (): boolean => false;
const NOOP_LOGGER: ManagerLogger = { debug: NOOP, info: NOOP, warn: NOOP, error: NOOP };
const READ_WRITE = Perm.READ | Perm.WRITE;

/** The value of a write run in steps without stopping (the in-one-go methods). */
function runToEnd<T>(steps: Generator<void, T, void>): T {
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

export interface RouteInfoManagerDeps {
  clock: Clock;
  logger?: ManagerLogger;
  /**
   * For the ORDER_TOPIC_CONFIG KVTable of a registration's result: called only when the result's
   * `kvTable` is read (a copy of the namespace is O(namespace)), never by the registration itself.
   */
  kvLookup?: KVNamespaceLookup;
  /** A live broker (liveKey) left the table: whatever is kept per broker can go. */
  onLiveBrokerRemoved?: (key: string) => void;
  /**
   * Runs the upkeep of the topic table's Java order between turns of the event loop (see
   * DeferredTopicOrder); absent: inside each write.
   */
  scheduleTopicOrder?: TopicOrderScheduler;
}

export class RouteInfoManager implements RouteReadModel {
  /** The tables reads are answered from (and that replicas copy). */
  readonly tables: RouteTables;
  private readonly brokerLiveTable = new Map<string, BrokerLiveInfo>();
  private readonly connectionBrokers = new Map<ConnectionId, Set<string>>();
  /**
   * UNREGISTER_BROKERs ignored because their broker was still bound to another connection, by
   * that connection: if the node then finds that connection lost (its serving worker died before
   * the owner heard of it), the unregister was the broker's own, from its new connection, and is
   * applied then. Dropped with the connection's close or loss.
   */
  private readonly unregistersHeldFor = new Map<
    ConnectionId,
    Map<string, { identity: BrokerIdentity; receivedAt: number | undefined }>
  >();
  /**
   * brokerName → a stamp renewed (from `topicStampCounter`) whenever a QueueData of that broker
   * name is added, changed or removed, by anyone; dropped with the broker name's group. The
   * counter never goes back, so a stamp is never reused. A live entry remembers the stamp its
   * registration left: equal stamps mean the broker name's QueueData are exactly what that
   * registration made them.
   */
  private readonly brokerTopicStamps = new Map<string, number>();
  private topicStampCounter = 0;
  /**
   * QueueData of departing broker names still to remove, in order. A connection close or expiry
   * scan given `maxTopicEdits` stops there (a broker hosting 50,000 topics would otherwise hold
   * the event loop for tens of ms); the registry owner calls again, between turns of the event
   * loop, until none is left, holding back every other write meanwhile.
   *
   * A group that its last member leaves goes after its topics (`dropIds`: the ids still to
   * delete then), so reads in between see each topic's route either as it was (the group and the
   * topic's QueueData both there) or without the broker name, as a serving worker's replica does
   * while it replays the same removal. Deleting the address first changed the BrokerData of every
   * topic of the name at once: 50,000 topics marked changed, and every route-change listener
   * walking them, in one turn.
   *
   * `wipeWrite`: not a removal but the 5.x acting-master rule — a group left without its master
   * loses write permission on each of these topics (`removeBrokerMember`), in the same bounded
   * steps and in order with the removals queued around it.
   */
  private readonly leftovers: {
    brokerName: string;
    topics: string[];
    at: number;
    dropIds?: readonly number[];
    wipeWrite?: true;
  }[] = [];
  /** QueueData removals the current call may still make (Infinity unless bounded). */
  private topicEditBudget = Infinity;
  /** Per-registration counters for the summary log line. */
  private newTopicCount = 0;
  private updatedTopicCount = 0;
  private debugTopics = false;

  private readonly clock: Clock;
  private readonly log: ManagerLogger;
  private readonly kvLookup: KVNamespaceLookup | null;
  private readonly onLiveBrokerRemoved: (key: string) => void;
  private readonly supportActingMaster: boolean;
  /** DataVersion equality follows it: 4.9 compares timestamp and counter, 5.x stateVersion too. */
  private readonly javaLine: JavaLine;
  /**
   * Java 5.x: a prime slave's registration applies its topics, and a group left without master
   * loses write permission, whether or not supportActingMaster is set (only the route's acting
   * master view needs it). 4.9 has neither; on that line they come with supportActingMaster.
   */
  private readonly primeSlaveRules: boolean;
  private readonly notifyMinBrokerIdChanged: boolean;
  private readonly minBrokerIdChanges: MinBrokerIdChange[] = [];
  private readonly minBrokerIdListeners = new Set<MinBrokerIdChangeListener>();
  private deleteTopicWithBrokerRegistration: boolean;
  private readonly defaultHeartbeatTimeoutMillis: number;
  private readonly rejectFirstSingleTopicRegistration: boolean;

  constructor(deps: RouteInfoManagerDeps, options: RouteInfoManagerOptions = {}) {
    this.clock = deps.clock;
    this.log = deps.logger ?? NOOP_LOGGER;
    this.kvLookup = deps.kvLookup ?? null;
    this.onLiveBrokerRemoved = deps.onLiveBrokerRemoved ?? NOOP;
    this.supportActingMaster = options.supportActingMaster ?? false;
    this.notifyMinBrokerIdChanged = options.notifyMinBrokerIdChanged ?? false;
    const javaLine = options.javaLine ?? '5.x';
    this.javaLine = javaLine;
    this.primeSlaveRules = javaLine === '5.x' || this.supportActingMaster;
    this.deleteTopicWithBrokerRegistration = options.deleteTopicWithBrokerRegistration ?? false;
    this.rejectFirstSingleTopicRegistration = options.rejectFirstSingleTopicRegistration ?? false;
    const timeout = options.defaultHeartbeatTimeoutMillis ?? DEFAULT_BROKER_CHANNEL_EXPIRED_TIME;
    if (!Number.isSafeInteger(timeout) || timeout <= 0) {
      throw new RangeError(
        `defaultHeartbeatTimeoutMillis must be a positive integer, got ${timeout}`,
      );
    }
    this.defaultHeartbeatTimeoutMillis = timeout;
    this.tables = new RouteTables({
      supportActingMaster: this.supportActingMaster,
      javaLine,
      onListenerError: (err) => {
        this.log.error({ err }, 'route change listener threw');
      },
      ...(deps.scheduleTopicOrder === undefined
        ? {}
        : { scheduleTopicOrder: deps.scheduleTopicOrder }),
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Change notification

  /** Subscribes to route changes; returns the unsubscribe function. */
  onRouteChanged(listener: RouteChangeListener): () => void {
    return this.tables.onRouteChanged(listener);
  }

  /**
   * [5.x] Subscribes to changes of a broker group's smallest id (only reported with the option
   * `notifyMinBrokerIdChanged`); returns the unsubscribe function.
   */
  onMinBrokerIdChanged(listener: MinBrokerIdChangeListener): () => void {
    this.minBrokerIdListeners.add(listener);
    return () => this.minBrokerIdListeners.delete(listener);
  }

  /** After every mutating call: route changes to their listeners, then min-broker-id changes. */
  private flushChanges(): void {
    this.tables.flushChanges();
    if (this.minBrokerIdChanges.length === 0) return;
    for (const change of this.minBrokerIdChanges.splice(0)) {
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
  // Table edits with the owner's bookkeeping

  private putQueueData(
    topic: string,
    brokerName: string,
    readQueueNums: number,
    writeQueueNums: number,
    perm: number,
    topicSysFlag: number,
  ): void {
    const outcome = this.tables.putQueueData(
      topic,
      brokerName,
      readQueueNums,
      writeQueueNums,
      perm,
      topicSysFlag,
    );
    if (outcome === 'same') return;
    this.renewTopicStamp(brokerName);
    if (outcome === 'updated') {
      this.updatedTopicCount++;
      return;
    }
    if (outcome === 'new-topic') {
      this.newTopicCount++;
      if (this.debugTopics) this.log.debug({ topic, brokerName }, 'new topic registered');
    }
  }

  private removeQueueData(topic: string, brokerName: string): void {
    if (this.tables.removeQueueData(topic, brokerName)) this.renewTopicStamp(brokerName);
  }

  /** Clears the write bit of a topic's QueueData of `brokerName`, if it has one. */
  private wipeWriteOf(topic: string, brokerName: string): void {
    const qd = this.tables.queueData(topic, brokerName);
    if (qd === undefined || (qd.perm & Perm.WRITE) === 0) return;
    this.tables.putQueueData(
      topic,
      brokerName,
      qd.readQueueNums,
      qd.writeQueueNums,
      qd.perm & ~Perm.WRITE,
      qd.topicSysFlag,
    );
    this.renewTopicStamp(brokerName);
  }

  private renewTopicStamp(brokerName: string): void {
    this.brokerTopicStamps.set(brokerName, ++this.topicStampCounter);
  }

  /** Works through `leftovers` within `topicEditBudget`; true once none is left. */
  private removeLeftovers(): boolean {
    while (this.leftovers.length > 0) {
      const left = this.leftovers[0]!;
      while (left.at < left.topics.length) {
        if (this.topicEditBudget <= 0) return false;
        this.topicEditBudget--;
        const topic = left.topics[left.at++]!;
        if (left.wipeWrite === true) this.wipeWriteOf(topic, left.brokerName);
        else this.removeQueueData(topic, left.brokerName);
      }
      this.leftovers.shift();
      if (left.dropIds !== undefined) this.dropGroupMembers(left.brokerName, left.dropIds);
      // Removing QueueData renewed the name's stamp; a name without group keeps none.
      if (this.tables.group(left.brokerName) === undefined) {
        this.brokerTopicStamps.delete(left.brokerName);
      }
    }
    return true;
  }

  /**
   * Every mutating call but the bounded removals first finishes what they left (and notifies it:
   * the call may return before its own edits, and so before its own flush).
   */
  private finishLeftovers(): void {
    if (this.leftovers.length === 0) return;
    this.topicEditBudget = Infinity;
    this.removeLeftovers();
    this.flushChanges();
  }

  /**
   * Whether a bounded connection close or expiry scan (`maxTopicEdits`) left QueueData of removed
   * broker names to remove: the caller calls again (or `removePendingTopics`) until false.
   */
  hasPendingRemovals(): boolean {
    return this.leftovers.length > 0;
  }

  /** Removes up to `maxTopicEdits` of the QueueData left by bounded removals; see above. */
  removePendingTopics(maxTopicEdits = Infinity): void {
    this.topicEditBudget = maxTopicEdits;
    try {
      this.removeLeftovers();
    } finally {
      this.topicEditBudget = Infinity;
      this.flushChanges();
    }
  }

  /**
   * Rewrites the perm of every QueueData of `brokerName`; returns how many there are. Asks
   * `pause()` every PAUSE_CHECK_EVERY topics and, on true, hands the changes so far to the
   * listeners and yields (see wipeWritePermOfBrokerInSteps).
   */
  private *rewritePerm(
    brokerName: string,
    perm: (old: number) => number,
    pause: () => boolean,
  ): Generator<void, number, void> {
    const topics = this.tables.topicsOf(brokerName);
    if (topics === undefined) return 0;
    let edits = 0;
    // The broker name's live topic set: nothing else edits the tables until the last step (the
    // caller holds the write queue), and a perm edit adds or removes no topic of the name.
    for (const topic of topics) {
      if (++edits === PAUSE_CHECK_EVERY) {
        edits = 0;
        if (pause()) {
          this.flushChanges();
          yield;
        }
      }
      const qd = this.tables.queueData(topic, brokerName)!;
      const next = perm(qd.perm);
      if (next !== qd.perm) {
        this.tables.putQueueData(
          topic,
          brokerName,
          qd.readQueueNums,
          qd.writeQueueNums,
          next,
          qd.topicSysFlag,
        );
        this.renewTopicStamp(brokerName);
      }
    }
    return topics.size;
  }

  /**
   * Deletes ids `ids` of a group (the last members it has, once its topics are gone: see
   * removeBrokerMember) and the group with them: out of every cluster, its stamp forgotten.
   */
  private dropGroupMembers(brokerName: string, ids: readonly number[]): void {
    for (const id of ids) this.tables.deleteBrokerAddr(brokerName, id);
    const group = this.tables.group(brokerName);
    if (group === undefined || group.brokerAddrs.size > 0) return;
    this.tables.deleteGroup(brokerName);
    // Java removes the name from the request's cluster (4.9 unregister) or the first cluster
    // holding it (channel destroy); a broker name registered under two cluster names would then
    // leak in the other one, so we clear it everywhere (through an index: O(its clusters)).
    this.tables.removeFromAllClusters(brokerName);
    this.brokerTopicStamps.delete(brokerName);
    this.log.debug({ brokerName }, 'broker name removed');
  }

  private removeLiveEntry(live: BrokerLiveInfo): void {
    this.forgetHeld(live.connectionId, live.key);
    this.brokerLiveTable.delete(live.key);
    const keys = this.connectionBrokers.get(live.connectionId);
    if (keys !== undefined) {
      keys.delete(live.key);
      if (keys.size === 0) this.connectionBrokers.delete(live.connectionId);
    }
    this.tables.deleteFilterServers(live.key, live.brokerName);
    this.onLiveBrokerRemoved(live.key);
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
    const group = this.tables.group(brokerName);
    if (group === undefined) return false;
    const minBefore = minKey(group.brokerAddrs);
    const ids: number[] = [];
    if (brokerId !== null) {
      if (group.brokerAddrs.get(brokerId) === brokerAddr) ids.push(brokerId);
    } else {
      for (const [id, addr] of group.brokerAddrs) if (addr === brokerAddr) ids.push(id);
    }
    if (ids.length === 0) return false;
    // Every caller logs the removal itself (one line per broker, or a summary for thousands).
    this.log.debug({ brokerName, brokerAddr }, 'broker address removed');
    if (ids.length === group.brokerAddrs.size) {
      // The group empties: its topics go first, the group after them (see `leftovers`).
      const topics = this.tables.topicsOf(brokerName);
      if (topics === undefined) {
        this.dropGroupMembers(brokerName, ids);
      } else {
        this.leftovers.push({ brokerName, topics: [...topics], at: 0, dropIds: ids });
        this.removeLeftovers();
      }
      return true;
    }
    for (const id of ids) this.tables.deleteBrokerAddr(brokerName, id);
    if (this.primeSlaveRules && group.enableActingMaster && !group.brokerAddrs.has(MASTER_ID)) {
      // Java 5.x unregister: a reduced group left without master loses write permission, topic
      // by topic within the call's budget like a removal (a group of 50,000 topics took 40-50 ms
      // in one go); the registry owner finishes it in slices before it answers.
      const topics = this.tables.topicsOf(brokerName);
      if (topics !== undefined && topics.size > 0) {
        this.leftovers.push({ brokerName, topics: [...topics], at: 0, wipeWrite: true });
        this.removeLeftovers();
      }
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
    return runToEnd(this.registerBrokerInSteps(req, NEVER));
  }

  /**
   * `registerBroker` as a generator that can stop between topic edits, so the event loop of the
   * process holding the tables is never held for a whole body of 50,000 topics (issue 11): every
   * PAUSE_CHECK_EVERY topic edits it asks `pause()`; on true it hands the changes so far to the
   * listeners (route cache, route watch, digest) and yields. Its value is registerBroker's result.
   *
   * The caller must run it to the end, and nothing else may edit this manager meanwhile (the
   * registry owner holds its write queue). Reads in between see the registration partly applied,
   * as a serving worker's replica does while it replays the write's ops: broker-level edits (the
   * group, its addresses) come with the first step, then each topic's QueueData goes from the one
   * before the registration to the one after it; the broker's liveness, its filter servers and
   * the unchanged-body bookkeeping come with the last step.
   */
  *registerBrokerInSteps(
    req: RegisterBrokerRequest,
    pause: () => boolean,
  ): Generator<void, RegisterBrokerResult | null, void> {
    this.finishLeftovers();
    this.newTopicCount = 0;
    this.updatedTopicCount = 0;
    this.debugTopics = this.log.isLevelEnabled?.('debug') ?? true;
    try {
      const lazy = req.lazyBody;
      if (lazy === undefined) return yield* this.doRegisterBroker(req, null, null, null, pause);
      const live = this.unchangedBodyLive(req, lazy.tag);
      if (live !== null) {
        return yield* this.doRegisterBroker(req, lazy.tag, live.dataVersion, null, pause);
      }
      // Decoding may throw (BodyDecodeError): nothing has been edited yet.
      const body = lazy.decode();
      // A body that differs from the one this broker registered last in a few topics, with the
      // broker name's QueueData exactly that body's and untouched since: only those topics can
      // need an edit.
      const since = lazy.changedSince;
      const onlyTopics =
        since !== undefined && this.unchangedBodyLive(req, since.tag)?.bodyExact === true
          ? since
          : null;
      return yield* this.doRegisterBroker(
        {
          ...req,
          topicConfigWrapper: body.topicConfigWrapper,
          filterServerList: body.filterServerList,
        },
        lazy.tag,
        null,
        onlyTopics,
        pause,
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
    const group = this.tables.group(req.brokerName);
    if (group === undefined || group.brokerAddrs.get(req.brokerId) !== req.brokerAddr) return null;
    return live;
  }

  /**
   * `bodyTag`: the lazy body's tag (null without one). `unchangedVersion`: set when the body is
   * the unchanged one of `unchangedBodyLive`; its topics and filter servers are then skipped.
   * `onlyTopics`: set when every other topic of the body is already applied exactly as the body
   * says and nothing else is hosted (see registerBroker); the topic rules then look at these
   * alone, in this order, and at `removed` for what the body no longer has.
   */
  private *doRegisterBroker(
    req: RegisterBrokerRequest,
    bodyTag: string | null,
    unchangedVersion: DataVersion | null,
    onlyTopics: {
      readonly topics: readonly string[];
      readonly configs?: readonly TopicConfig[];
      readonly removed: readonly string[];
    } | null,
    pause: () => boolean,
  ): Generator<void, RegisterBrokerResult | null, void> {
    const { clusterName, brokerAddr, brokerName, brokerId, connectionId } = req;
    const tables = this.tables;
    const now = this.clock.now();
    const unchanged = unchangedVersion !== null;
    const wrapper = unchanged ? null : req.topicConfigWrapper;
    const sentVersion = unchangedVersion ?? wrapper?.dataVersion ?? emptyDataVersion();
    const dataVersion = stampedDataVersion(sentVersion, now);
    const topicTable = wrapper?.topicConfigTable ?? null;
    let topicsApplied = false;
    let appliedExactly = false;
    /** A key of the table names another topic than its value (see `bodyTag` below). */
    let renamedKeys = false;
    const key = liveKey(clusterName, brokerAddr);
    let group = tables.group(brokerName);

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

    // Older than the registration the broker's entry holds, and from another connection: a
    // request of a connection the broker has since left (it re-registered on a new one). Applied,
    // it would bind the broker to that dead connection, whose close then removes it; with serving
    // workers the owner can get it after the fresh one (two channels). Java applies it (its window
    // is narrower); it is ignored before any edit, like the stateVersion conflict below.
    const current = this.brokerLiveTable.get(key);
    if (
      current !== undefined &&
      current.connectionId !== connectionId &&
      req.receivedAt !== undefined &&
      req.receivedAt < current.registeredAt
    ) {
      this.log.info(
        { clusterName, brokerName, brokerId, brokerAddr, connectionId },
        'registration older than the broker’s latest, from another connection: ignored',
      );
      return this.registered(null, null);
    }

    // 1. cluster membership (not part of any route).
    tables.addClusterMember(clusterName, brokerName);

    // 2. broker group.
    let registerFirst = false;
    if (group === undefined) {
      group = tables.createGroup(brokerName, clusterName);
      registerFirst = true;
    }
    // 5.x a: acting-master flag and zone come with every registration.
    const isOldVersionBroker = req.enableActingMaster == null;
    tables.setGroupFlags(brokerName, req.enableActingMaster === true, req.zoneName ?? null);

    // Java 5.x: the registration lowers the group's smallest id (an empty group counts as 0).
    const minIdLowered = group.brokerAddrs.size > 0 && brokerId < minKey(group.brokerAddrs);

    // 3. Role switch: one address owns one id, so the new id replaces the old one.
    for (const [id, addr] of [...group.brokerAddrs]) {
      if (addr === brokerAddr && id !== brokerId) tables.deleteBrokerAddr(brokerName, id);
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
        return this.registered(null, null);
      }
    }

    // 4. id → address ("same id, new address" simply overwrites).
    if (oldAddr !== brokerAddr) {
      tables.setBrokerAddr(brokerName, brokerId, brokerAddr);
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
        live === undefined || !dataVersionEquals(live.dataVersion, dataVersion, this.javaLine);
      const applyAll = registerFirst || versionChanged;
      const mappings = wrapper?.topicQueueMappingInfoMap;
      const ruleG =
        this.deleteTopicWithBrokerRegistration && (mappings === undefined || mappings.size === 0);
      // Exact: a later delta's shortcut (only its topics, and the ones it removed) does what the
      // whole body would. Not when rule g was due but skipped for the static mappings: the topics
      // the broker dropped meanwhile stay hosted, and the whole body would remove them later.
      appliedExactly = applyAll && isMaster && (ruleG || !this.deleteTopicWithBrokerRegistration);
      // The delta shortcut holds for a master only (a prime slave's perms depend on the group).
      const only = isMaster ? onlyTopics : null;
      if (ruleG) {
        // 5.x g: topics this broker name hosts here but no longer reports.
        const hosted = only !== null ? only.removed : tables.topicsOf(brokerName);
        if (hosted !== undefined) {
          // A table read through a view (the registry owner's rows) builds its name index in
          // steps first, rather than in one go at the first `has`. The shortcut needs none: the
          // topics a body no longer has are, by definition, not in its table.
          if (only === null && hasPrepare(topicTable)) yield* topicTable.prepareInSteps(pause);
          let edits = 0;
          for (const topic of [...hosted]) {
            if (++edits === PAUSE_CHECK_EVERY) {
              edits = 0;
              if (pause()) {
                this.flushChanges();
                yield;
              }
            }
            if (only !== null || !topicTable.has(topic)) this.removeQueueData(topic, brokerName);
          }
        }
      }
      // Java 5.x wipes PERM_WRITE of a prime slave's topics when it asked for acting master: it
      // cannot take writes (without acting master they keep the broker's perm, as in Java).
      const permMask = isPrimeSlave && group.enableActingMaster ? ~Perm.WRITE : -1;
      let edits = 0;
      // The whole table with its keys (rule g's view of it), or the changed topics alone.
      const items: Iterable<readonly [string | null, TopicConfig]> =
        only === null
          ? topicTable.entries()
          : keyless(only.configs ?? pick(topicTable, only.topics));
      for (const [key, tc] of items) {
        if (key !== null && key !== tc.topicName) renamedKeys = true;
        if (++edits === PAUSE_CHECK_EVERY) {
          edits = 0;
          if (pause()) {
            this.flushChanges();
            yield;
          }
        }
        const topic = tc.topicName;
        // 5.x f: without apply-all only a topic missing here (e.g. deleted by an admin) is
        // re-added — self-healing.
        if (!applyAll && tables.queueData(topic, brokerName) !== undefined) continue;
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
        for (const [topic, info] of mappings) tables.putMapping(topic, info);
      }
    }

    // 6. liveness (updated in place: no allocation on a periodic registration).
    const timeout = req.heartbeatTimeoutMillis ?? this.defaultHeartbeatTimeoutMillis;
    // Dated by its arrival, not by when it got here: an unregister that arrived after it is newer.
    const registeredAt = Math.min(now, req.receivedAt ?? now);
    if (live === undefined) {
      this.brokerLiveTable.set(key, {
        key,
        clusterName,
        brokerAddr,
        brokerName,
        brokerId,
        lastUpdateTimestamp: now,
        registeredAt,
        heartbeatTimeoutMillis: timeout,
        dataVersion,
        connectionId,
        haServerAddr: req.haServerAddr,
        brokerVersion: req.brokerVersion ?? null,
        bodyTag: null,
        bodyTopicStamp: 0,
        bodyDeleteFlag: false,
        bodyExact: false,
      });
      this.addConnectionKey(connectionId, key);
      this.log.info({ clusterName, brokerName, brokerId, brokerAddr }, 'new broker registered');
    } else {
      if (live.connectionId !== connectionId) {
        this.forgetHeld(live.connectionId, key);
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
      live.registeredAt = registeredAt;
      live.heartbeatTimeoutMillis = timeout;
      live.dataVersion = dataVersion;
      live.haServerAddr = req.haServerAddr;
      live.brokerVersion = req.brokerVersion ?? null;
    }
    if (!unchanged) {
      const entry = this.brokerLiveTable.get(key)!;
      // Never "unchanged" next time when a key names another topic than its value and rule g is
      // on: rule g then removes the value's topic (not a key) and rule f puts it back, so applying
      // the same bytes again is not a no-op (Java applies every registration). Nor when the body
      // has no timestamp: Java stamps it anew, so the same bytes are a changed version each time.
      entry.bodyTag =
        topicsApplied &&
        sentVersion.unstamped !== true &&
        !(renamedKeys && this.deleteTopicWithBrokerRegistration)
          ? bodyTag
          : null;
      entry.bodyTopicStamp = this.brokerTopicStamps.get(brokerName) ?? 0;
      entry.bodyDeleteFlag = this.deleteTopicWithBrokerRegistration;
      entry.bodyExact = appliedExactly;
    }

    // 7. filter servers: a non-null list replaces, an empty one removes (an unchanged body's list
    // is the one stored by the registration that had it: only a removed live entry drops it).
    const filters = unchanged ? null : req.filterServerList;
    if (filters !== null) {
      if (filters.length === 0) tables.deleteFilterServers(key, brokerName);
      else tables.setFilterServers(key, brokerName, filters);
    }

    // 8. a slave learns its live master's address and HA address.
    let masterAddr: string | null = null;
    let haServerAddr: string | null = null;
    if (!isMaster) {
      const addr = group.brokerAddrs.get(MASTER_ID);
      if (addr !== undefined) {
        const masterLive = this.brokerLiveTable.get(liveKey(clusterName, addr));
        if (masterLive !== undefined) {
          masterAddr = addr;
          haServerAddr = masterLive.haServerAddr;
        }
      }
    }
    const result = this.registered(masterAddr, haServerAddr);
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

  /**
   * A registration's result. Its `kvTable` (Java: the ORDER_TOPIC_CONFIG namespace, copied into
   * every result) is looked up when first read, not here: the lookup copies the whole namespace,
   * which anyone may grow with PUT_KV_CONFIG, and the node's REGISTER_BROKER handler never reads
   * it (it sends a body it keeps per namespace stamp). Copied on every registration, it cost the
   * registry owner 45 ms per registration at 100,000 entries (315 ms at 300,000) for nothing.
   * Read, it is the namespace as it is then (kept from the first read on).
   */
  private registered(masterAddr: string | null, haServerAddr: string | null): RegisterBrokerResult {
    const lookup = this.kvLookup;
    if (lookup === null) return { masterAddr, haServerAddr, kvTable: null };
    let kvTable: RegisterBrokerResult['kvTable'] | undefined;
    return {
      masterAddr,
      haServerAddr,
      get kvTable(): RegisterBrokerResult['kvTable'] {
        if (kvTable === undefined) kvTable = lookup(ORDER_TOPIC_CONFIG_NAMESPACE);
        return kvTable;
      },
      set kvTable(table: RegisterBrokerResult['kvTable']) {
        kvTable = table;
      },
    };
  }

  /**
   * UNREGISTER_BROKER (§4.4, 4.9: synchronous, by id). Ignored as stale when the live entry of
   * (clusterName, brokerAddr) was registered on another connection than `ctx.connectionId`, after
   * `ctx.receivedAt`, or under another brokerName/brokerId: the broker registered again since.
   */
  unregisterBroker(identity: BrokerIdentity, ctx: UnregisterContext = {}): UnregisterOutcome {
    this.finishLeftovers();
    this.topicEditBudget = ctx.maxTopicEdits ?? Infinity;
    try {
      const { clusterName, brokerAddr, brokerName, brokerId } = identity;
      const live = this.brokerLiveTable.get(liveKey(clusterName, brokerAddr));
      if (live !== undefined) {
        // A broker whose connection the node lost (dead serving worker) unregisters from a new one.
        const otherConnection =
          ctx.connectionId !== undefined &&
          live.connectionId !== ctx.connectionId &&
          live.connectionId !== LOST_CONNECTION;
        const newer = ctx.receivedAt !== undefined && live.registeredAt > ctx.receivedAt;
        // The address re-registered under another id/name since (role switch): removing its live
        // entry would leave the new member in the broker table with nothing to expire it.
        const otherIdentity = live.brokerId !== brokerId || live.brokerName !== brokerName;
        if (otherConnection && !newer && !otherIdentity) {
          let held = this.unregistersHeldFor.get(live.connectionId);
          if (held === undefined) {
            held = new Map();
            this.unregistersHeldFor.set(live.connectionId, held);
          }
          held.set(live.key, { identity, receivedAt: ctx.receivedAt });
          // Not ignored yet: applied if that connection turns out lost (its worker died).
          this.log.info(
            {
              clusterName,
              brokerName,
              brokerId,
              brokerAddr,
              connectionId: ctx.connectionId,
              boundConnectionId: live.connectionId,
            },
            'unregister from another connection held: applied if the connection the broker registered on is lost, dropped when the broker shows itself alive there',
          );
          return 'ignored-stale';
        }
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
      this.topicEditBudget = Infinity;
      this.flushChanges();
    }
  }

  /**
   * Connection close / exception / idle (§4.5): removes every broker whose latest registration
   * came over this connection (by address, as 5.x). Returns them; unknown connections → [].
   *
   * `maxBrokers` bounds the work of one call: one connection may carry tens of thousands of broker
   * names, so the registry owner removes them in slices and answers reads in between;
   * `isConnectionInUse` tells whether any are left. `maxTopicEdits` bounds the QueueData removed
   * (see `leftovers`); `hasPendingRemovals` tells whether some are left.
   */
  onConnectionClosed(
    connectionId: ConnectionId,
    maxBrokers = Infinity,
    maxTopicEdits = Infinity,
  ): RemovedBroker[] {
    this.topicEditBudget = maxTopicEdits;
    const removed: RemovedBroker[] = [];
    try {
      if (!this.removeLeftovers()) return removed;
      this.unregistersHeldFor.delete(connectionId);
      const keys = this.connectionBrokers.get(connectionId);
      if (keys === undefined) return removed;
      let visited = 0;
      // Removing a broker deletes its key from `keys` (and the set once empty): a Set iterator
      // goes on past deleted entries.
      for (const key of keys) {
        if (visited++ >= maxBrokers || this.leftovers.length > 0) return removed;
        const live = this.brokerLiveTable.get(key);
        if (live === undefined || live.connectionId !== connectionId) {
          keys.delete(key);
          continue;
        }
        if (removed.length < LOGGED_REMOVALS) {
          this.log.info(
            {
              clusterName: live.clusterName,
              brokerName: live.brokerName,
              brokerId: live.brokerId,
              brokerAddr: live.brokerAddr,
              connectionId,
            },
            "broker's connection closed, removing it",
          );
        }
        removed.push(this.dropLiveBroker(live));
      }
      this.connectionBrokers.delete(connectionId);
      return removed;
    } finally {
      this.topicEditBudget = Infinity;
      if (removed.length > LOGGED_REMOVALS) {
        this.log.info(
          { connectionId, brokers: removed.length - LOGGED_REMOVALS },
          'more brokers removed with their connection (not listed one by one)',
        );
      }
      this.flushChanges();
    }
  }

  /**
   * The node itself lost a connection (the serving worker that held it died): the brokers whose
   * latest registration came over it did not go away, so they are not removed. They are detached
   * from it (no later close matches them) and expire by `heartbeatTimeoutMillis` unless they
   * register again over a new connection, as a broker whose link died silently would.
   * Returns how many brokers were detached.
   */
  onConnectionLost(connectionId: ConnectionId): number {
    const { detached, unregisters } = this.takeLostConnection(connectionId);
    let left = detached;
    for (const u of unregisters) {
      if (this.unregisterBroker(u.identity, u.ctx) !== 'unregistered') left++;
    }
    return left;
  }

  /**
   * onConnectionLost without applying the UNREGISTER_BROKERs held for the connection: they are
   * returned, for the registry owner to apply one by one with its pace (a broker name of 20,000
   * topics, removed in one call, holds the owner and every replica for tens of ms).
   */
  takeLostConnection(connectionId: ConnectionId): {
    detached: number;
    unregisters: { identity: BrokerIdentity; ctx: UnregisterContext }[];
  } {
    const unregisters: { identity: BrokerIdentity; ctx: UnregisterContext }[] = [];
    const held = this.unregistersHeldFor.get(connectionId);
    this.unregistersHeldFor.delete(connectionId);
    const keys = this.connectionBrokers.get(connectionId);
    if (keys === undefined) return { detached: 0, unregisters };
    let detached = 0;
    for (const key of [...keys]) {
      const live = this.brokerLiveTable.get(key);
      if (live === undefined || live.connectionId !== connectionId) continue;
      live.connectionId = LOST_CONNECTION;
      const unregister = held?.get(key);
      if (unregister !== undefined) {
        // Its UNREGISTER came over a new connection before the node knew this one was lost.
        unregisters.push({
          identity: unregister.identity,
          ctx: unregister.receivedAt === undefined ? {} : { receivedAt: unregister.receivedAt },
        });
        continue;
      }
      detached++;
    }
    this.connectionBrokers.delete(connectionId);
    if (detached > 0) {
      this.log.warn(
        { connectionId, brokers: detached },
        'connection lost with a serving worker; its brokers stay until they register again or time out',
      );
    }
    return { detached, unregisters };
  }

  /** Drops an UNREGISTER_BROKER held for `key` under `connectionId` (see unregistersHeldFor). */
  private forgetHeld(connectionId: ConnectionId, key: string): void {
    const held = this.unregistersHeldFor.get(connectionId);
    if (held === undefined) return;
    held.delete(key);
    if (held.size === 0) this.unregistersHeldFor.delete(connectionId);
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
   * them so the transport can close their connections. At most `maxBrokers` per call (the
   * registry owner expires thousands in slices): fewer returned, with no `hasPendingRemovals`,
   * means none is left. `maxTopicEdits` as for onConnectionClosed.
   */
  scanNotActiveBroker(
    now: number = this.clock.now(),
    maxBrokers = Infinity,
    maxTopicEdits = Infinity,
  ): RemovedBroker[] {
    this.topicEditBudget = maxTopicEdits;
    const dropped: RemovedBroker[] = [];
    try {
      if (!this.removeLeftovers()) return dropped;
      const expired: BrokerLiveInfo[] = [];
      for (const live of this.brokerLiveTable.values()) {
        if (live.lastUpdateTimestamp + live.heartbeatTimeoutMillis < now) {
          expired.push(live);
          if (expired.length >= maxBrokers) break;
        }
      }
      for (const [i, live] of expired.entries()) {
        // The budget ran out inside the previous broker: the rest wait for the next call.
        if (this.leftovers.length > 0) break;
        if (i < LOGGED_REMOVALS) {
          this.log.warn(
            {
              clusterName: live.clusterName,
              brokerName: live.brokerName,
              brokerId: live.brokerId,
              brokerAddr: live.brokerAddr,
              connectionId: live.connectionId,
              heartbeatTimeoutMillis: live.heartbeatTimeoutMillis,
            },
            'broker expired: nothing from it within heartbeatTimeoutMillis, its routes removed (check the broker process and its network path to this node)',
          );
        }
        dropped.push(this.dropLiveBroker(live));
      }
      return dropped;
    } finally {
      this.topicEditBudget = Infinity;
      if (dropped.length > LOGGED_REMOVALS) {
        this.log.warn(
          { brokers: dropped.length - LOGGED_REMOVALS },
          'more brokers expired (not listed one by one)',
        );
      }
      this.flushChanges();
    }
  }

  /** `deleteTopicWithBrokerRegistration` is live-updatable (UPDATE_NAMESRV_CONFIG). */
  setDeleteTopicWithBrokerRegistration(enabled: boolean): void {
    this.deleteTopicWithBrokerRegistration = enabled;
  }

  /**
   * Whether a live broker's latest registration used this connection. The transport asks this
   * before closing the connection of an expired broker: one client connection may carry several
   * brokers (our broker agent multiplexes), and closing it would drop the healthy ones too.
   */
  isConnectionInUse(connectionId: ConnectionId): boolean {
    return this.connectionBrokers.has(connectionId);
  }

  /** BROKER_HEARTBEAT (5.x): refreshes the live entry if it exists. */
  brokerHeartbeat(clusterName: string, brokerAddr: string, connectionId?: ConnectionId): boolean {
    const live = this.brokerLiveTable.get(liveKey(clusterName, brokerAddr));
    if (live === undefined) return false;
    live.lastUpdateTimestamp = this.clock.now();
    this.rebindLost(live, connectionId);
    return true;
  }

  /**
   * A broker detached by a lost connection (dead serving worker) that keeps itself alive with
   * heartbeats or QUERY_DATA_VERSION (it has nothing new to register) is bound to the connection
   * they come over: its close then removes it, as it would have before the loss.
   */
  private rebindLost(
    live: BrokerLiveInfo,
    connectionId: ConnectionId | undefined,
    mayBind = true,
  ): void {
    // The broker bound to this connection is alive on it: an UNREGISTER held for it came from
    // someone else (an old process of the same address), not from this broker.
    if (connectionId !== undefined && live.connectionId === connectionId) {
      this.forgetHeld(connectionId, live.key);
    }
    if (!mayBind || connectionId === undefined || live.connectionId !== LOST_CONNECTION) return;
    live.connectionId = connectionId;
    this.addConnectionKey(connectionId, live.key);
  }

  /**
   * QUERY_DATA_VERSION: `changed` = unknown broker or different DataVersion. 5.x: always refreshes
   * liveness (4.9 only when unchanged); it is the heartbeat of 5.x brokers in compatible mode.
   */
  queryDataVersion(
    identity: Pick<BrokerIdentity, 'clusterName' | 'brokerAddr'>,
    /** null: the request had no body (5.x reads it as null: "changed"). */
    dataVersion: DataVersion | null,
    connectionId?: ConnectionId,
  ): QueryDataVersionResult {
    const live = this.brokerLiveTable.get(liveKey(identity.clusterName, identity.brokerAddr));
    if (live === undefined) return { changed: true, dataVersion: null };
    const now = this.clock.now();
    live.lastUpdateTimestamp = now;
    const changed =
      dataVersion === null ||
      !dataVersionEquals(live.dataVersion, stampedDataVersion(dataVersion, now), this.javaLine);
    // Only the broker itself, with nothing new to register, knows its DataVersion: a query that
    // differs (an operator's tool, NameServerAdmin.queryDataVersion) must not bind a detached
    // broker to its short-lived connection, whose close would then remove the broker. A broker
    // whose version changed registers next, and that binds it.
    this.rebindLost(live, connectionId, !changed);
    return { changed, dataVersion: { ...live.dataVersion } };
  }

  // ---------------------------------------------------------------------------------------------
  // Admin writes

  /**
   * The topic's QueueData by broker name, read-only and live (the route digest reads it; it must
   * not be kept across mutations, the QueueData objects themselves are frozen and may be).
   */
  getQueueDatas(topic: string): ReadonlyMap<string, Readonly<QueueData>> | undefined {
    return this.tables.topicBrokers(topic);
  }

  /** WIPE_WRITE_PERM_OF_BROKER: clears PERM_WRITE; returns the number of topics of the broker. */
  wipeWritePermOfBroker(brokerName: string): number {
    return runToEnd(this.wipeWritePermOfBrokerInSteps(brokerName, NEVER));
  }

  /**
   * `wipeWritePermOfBroker` in steps, like registerBrokerInSteps (same contract: run it to the
   * end, nothing else edits meanwhile): an operator wiping a broker name of 50,000 topics before
   * taking it down held the event loop of the process holding the tables for 40-60 ms (2-core
   * machine). Between steps each topic's QueueData is the one before or the one after.
   */
  *wipeWritePermOfBrokerInSteps(
    brokerName: string,
    pause: () => boolean,
  ): Generator<void, number, void> {
    this.finishLeftovers();
    try {
      return yield* this.rewritePerm(brokerName, (p) => p & ~Perm.WRITE, pause);
    } finally {
      this.flushChanges();
    }
  }

  /** ADD_WRITE_PERM_OF_BROKER: Java sets perm to exactly READ|WRITE (6), dropping other bits. */
  addWritePermOfBroker(brokerName: string): number {
    return runToEnd(this.addWritePermOfBrokerInSteps(brokerName, NEVER));
  }

  /** `addWritePermOfBroker` in steps (see wipeWritePermOfBrokerInSteps). */
  *addWritePermOfBrokerInSteps(
    brokerName: string,
    pause: () => boolean,
  ): Generator<void, number, void> {
    this.finishLeftovers();
    try {
      return yield* this.rewritePerm(brokerName, () => READ_WRITE, pause);
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
    this.finishLeftovers();
    try {
      const byBroker = this.tables.topicBrokers(topic);
      if (byBroker === undefined) return;
      if (clusterName != null && clusterName !== '') {
        const names = this.tables.clusterMembers(clusterName);
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
    this.finishLeftovers();
    if (queueDatas.length === 0) return false;
    for (const qd of queueDatas) {
      if (!this.tables.hasGroup(qd.brokerName)) {
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
  // Reads (answered by the tables; here for the handlers, the HTTP views and the tests)

  pickupTopicRouteData(topic: string): TopicRouteData | null {
    return this.tables.pickupTopicRouteData(topic);
  }

  queueDataTableCapacity(topic: string): number {
    return this.tables.queueDataTableCapacity(topic);
  }

  clusterNameSetCapacity(cluster: string): number {
    return this.tables.clusterNameSetCapacity(cluster);
  }

  clusterMembershipStamp(): number {
    return this.tables.clusterMembershipStamp();
  }

  topicMembershipStamp(): number {
    return this.tables.topicMembershipStamp();
  }

  getAllTopicList(): string[] {
    return this.tables.getAllTopicList();
  }

  /** Whether the topic has QueueData on any broker name (it is in getAllTopicList). */
  hasTopic(topic: string): boolean {
    return this.tables.hasTopic(topic);
  }

  getTopicsByCluster(clusterName: string): string[] {
    return this.tables.getTopicsByCluster(clusterName);
  }

  topicListInSteps(list: SteppedTopicList): Generator<void, string[], void> {
    return this.tables.topicListInSteps(list);
  }

  topicCount(): number {
    return this.tables.topicCount();
  }

  getSystemTopicList(): TopicList {
    return this.tables.getSystemTopicList();
  }

  getUnitTopics(): string[] {
    return this.tables.getUnitTopics();
  }

  getHasUnitSubTopicList(): string[] {
    return this.tables.getHasUnitSubTopicList();
  }

  getHasUnitSubUnUnitTopicList(): string[] {
    return this.tables.getHasUnitSubUnUnitTopicList();
  }

  getAllClusterInfo(): ClusterInfo {
    return this.tables.getAllClusterInfo();
  }

  getBrokerMemberGroup(clusterName: string, brokerName: string): BrokerMemberGroup {
    return this.tables.getBrokerMemberGroup(clusterName, brokerName);
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
        brokerVersion: live.brokerVersion,
        connectionId: live.connectionId,
        lastUpdateTimestamp: live.lastUpdateTimestamp,
        lastUpdateAgeMillis: now - live.lastUpdateTimestamp,
        heartbeatTimeoutMillis: live.heartbeatTimeoutMillis,
        dataVersion: { ...live.dataVersion },
      });
    }
    return out;
  }

  getCounts(): RouteCounts {
    const t = this.tables.counts();
    return {
      clusters: t.clusters,
      brokerNames: t.brokerNames,
      brokers: this.brokerLiveTable.size,
      topics: t.topics,
      queueEntries: t.queueEntries,
    };
  }

  /** Sizes of every table and index that can grow (tests check that nothing leaks). */
  getIndexSizes(): Record<string, number> {
    return {
      ...this.tables.indexSizes(),
      brokerLive: this.brokerLiveTable.size,
      connectionBrokers: this.connectionBrokers.size,
      brokerTopicStamps: this.brokerTopicStamps.size,
    };
  }
}

/** A table that can build its name index in steps (registry/topic-rows-table.ts). */
interface PreparedLookups {
  prepareInSteps(pause: () => boolean): Generator<void, void, void>;
}

function hasPrepare(table: object): table is PreparedLookups {
  return typeof (table as Partial<PreparedLookups>).prepareInSteps === 'function';
}

/** `configs` as table items without their keys (the delta shortcut's changed topics). */
function* keyless(configs: Iterable<TopicConfig>): Iterable<readonly [null, TopicConfig]> {
  for (const tc of configs) yield [null, tc];
}

/** The entries of `table` for `keys` that it has, in the order of `keys`. */
function* pick<V>(table: ReadonlyMap<string, V>, keys: readonly string[]): Iterable<V> {
  for (const key of keys) {
    const value = table.get(key);
    if (value !== undefined) yield value;
  }
}
