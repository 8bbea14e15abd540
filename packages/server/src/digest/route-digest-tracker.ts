/**
 * Keeps the node's route digest (see @ns/protocol's route-digest.ts) up to date cheaply.
 *
 * The expensive part is the per-broker-name topic summary (50,000 topics × several broker
 * names: about 0.2 s to build from scratch). It is maintained incrementally: the route table's
 * change listener hands over the set of topics whose route may have changed (nothing is done then
 * but keeping a reference to that set); only those topics are looked at again. Each topic's last
 * seen QueueData objects (frozen, shared with the route table, so remembering them costs one array
 * of references per topic) let the old contribution be XORed out of its broker names' hashes
 * before the new one is XORed in. The broker-level part (clusters, addresses, live brokers and
 * their DataVersions) is rebuilt on every call: brokers are few, and a DataVersion change is not a
 * route change, so no event would announce it.
 *
 * Cost of digest(): O(broker processes + topics changed and not yet looked at).
 *
 * The looking-again does not wait for digest(): once a digest has been asked for, it runs after
 * each change in the background, in slices of SLICE_MILLIS (1 ms), so that neither a /metrics
 * scrape after a registration of 50,000 topics nor a full rebuild holds the event loop (issue
 * 11). `settled()` resolves once the background has looked at every change made before the call.
 */
import type { DigestTopics, QueueData, RouteDigest } from '@ns/protocol';
import { ROUTE_DIGEST_FORMAT } from '@ns/protocol';
import type { RouteInfoManager } from '../route/index.js';
import { ShardedMap } from '../collections/sharded-map.js';
import { backgroundTurns } from '../slices/background-turns.js';
import type { BackgroundSlot } from '../slices/background-turns.js';
import { runToEnd } from '../slices/slice-queue.js';
import { sortInSteps } from '../slices/sort-in-steps.js';
import { hex8, textHash, topicQueueHash, topicSeed } from './digest-hash.js';

/** The route table operations the tracker reads; RouteInfoManager fits. */
export type DigestRouteSource = Pick<
  RouteInfoManager,
  | 'onRouteChanged'
  | 'getAllTopicList'
  | 'getQueueDatas'
  | 'getAllClusterInfo'
  | 'getBrokerLiveViews'
>;

interface GroupTopics {
  count: number;
  hash: number;
}

/**
 * Pending change sets beyond this many topics (and beyond twice the table) are dropped for one
 * full rebuild, so a node nobody asks for digests does not accumulate references forever.
 */
const MIN_PENDING_LIMIT = 100_000;

/**
 * Longest stretch of background catch-up before the event loop gets a turn. Short: during a large
 * registration it shares each turn with the registration's own slice (2 ms, registry-owner.ts).
 */
const SLICE_MILLIS = 1;
/** Topics looked at between two looks at the clock. */
const CLOCK_EVERY = 64;

/**
 * Longest the background catch-up waits for the registry's writes (`deferWhile`) before it runs
 * anyway. Until then each write that the registry owner works through in slices (a new broker of
 * 10,000 topics: 50–70 ms) keeps every turn of the event loop for itself, rather than sharing them
 * with the digest's slices (about 1 µs per topic: 8–10 ms of that registration's round trip).
 */
export const MAX_DEFER_MILLIS = 50;
/** How often a deferred catch-up looks again (a timer: an immediate would spin the loop). */
const DEFER_POLL_MILLIS = 1;

export interface RouteDigestTrackerOptions {
  /**
   * `onError`: the background catch-up threw (a bug); the tracker then starts over with a full
   * rebuild rather than take the process down.
   */
  onError?: (err: unknown) => void;
  /**
   * While true (the registry owner has writes in progress), a catch-up that has not started yet
   * waits — at most MAX_DEFER_MILLIS; once started it runs to the end. digest() never waits.
   */
  deferWhile?: () => boolean;
  /** The clock of that wait, in ms (default performance.now; tests stand it still). */
  now?: () => number;
}

export class RouteDigestTracker {
  private readonly source: DigestRouteSource;
  private readonly unsubscribe: () => void;
  /**
   * topic → the QueueData last folded into the group hashes: the object itself for a topic of one
   * broker name (most topics; an array each was 30-odd bytes more for every GC to copy while a
   * broker of 50,000 new topics registers), an array for more. Sharded: one Map of 50,000-odd
   * topics held the loop 17.5 ms growing within one slice (collections/sharded-map.ts).
   */
  private readonly folded = new ShardedMap<Folded>();
  /** Counts refolds: `topicsOf` answers stay valid while it stands still. */
  private generation = 0;
  /** topicsOf answers of `topicsGeneration`, by broker name (a few: the cluster's names). */
  private readonly topicsCache = new Map<string, DigestTopics>();
  private topicsGeneration = -1;
  private readonly groups = new Map<string, GroupTopics>();
  private pending: ReadonlySet<string>[] = [];
  private pendingSize = 0;
  private rebuildAll = true;
  /**
   * The catch-up in progress: the topics taken from `pending` (or the whole table, for a rebuild),
   * `looked` at so far; changes arriving meanwhile wait in `pending` for the next round.
   */
  private round: { topics: Iterator<string>; looked: number; upTo: number } | null = null;
  /** Change notifications received; the last one whose topics have all been looked at. */
  private changes = 0;
  private doneUpTo = 0;
  /** The next slice of the catch-up, waiting for its turn (slices/background-turns.ts). */
  private scheduled: BackgroundSlot | null = null;
  /** The timer of a catch-up put off for the writes (see `deferWhile`). */
  private deferTimer: NodeJS.Timeout | null = null;
  /** When the pending catch-up was first put off for the writes (null: not put off). */
  private deferredSince: number | null = null;
  private readonly deferWhile: () => boolean;
  private readonly now: () => number;
  private readonly waiters = new Set<{ readonly upTo: number; readonly wake: () => void }>();
  private closed = false;
  private readonly onError: (err: unknown) => void;

  constructor(source: DigestRouteSource, options: RouteDigestTrackerOptions = {}) {
    this.source = source;
    this.onError = options.onError ?? (() => undefined);
    this.deferWhile = options.deferWhile ?? (() => false);
    this.now = options.now ?? (() => performance.now());
    this.unsubscribe = source.onRouteChanged((topics) => {
      this.changes++;
      if (this.rebuildAll) return;
      if (topics === 'all') {
        this.dropPending();
        return;
      }
      this.pending.push(topics);
      this.pendingSize += topics.size;
      if (this.pendingSize > Math.max(MIN_PENDING_LIMIT, 2 * this.folded.size)) this.dropPending();
      this.schedule();
    });
  }

  /** Stops listening to the route table (and the background catch-up). */
  close(): void {
    this.closed = true;
    this.unsubscribe();
    this.unschedule();
    this.wakeWaiters(Infinity);
  }

  /**
   * Resolves once the background catch-up has looked at every change made before this call (at
   * once when there is none; later changes are not waited for), or after `maxWaitMillis`: then
   * digest() does the rest itself.
   */
  settled(maxWaitMillis = 1000): Promise<void> {
    if (this.closed || !this.behind()) return Promise.resolve();
    const upTo = this.changes;
    if (!this.rebuildAll && this.doneUpTo >= upTo) return Promise.resolve();
    this.schedule();
    return new Promise((resolve) => {
      const waiter = {
        upTo,
        wake: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        resolve();
      }, maxWaitMillis);
      this.waiters.add(waiter);
    });
  }

  /** The node's digest now. */
  digest(): RouteDigest {
    this.catchUp();
    const info = this.source.getAllClusterInfo();
    const clusters = [...info.clusterAddrTable]
      .map(([clusterName, names]) => ({ clusterName, brokerNames: [...names].sort(cmp) }))
      .sort((a, b) => cmp(a.clusterName, b.clusterName));
    const brokerGroups = [...info.brokerAddrTable.values()]
      .map((bd) => {
        const brokerAddrs: Record<string, string> = {};
        for (const id of [...bd.brokerAddrs.keys()].sort((a, b) => a - b)) {
          // defineProperty: a broker id can never be __proto__, but keep data as data anyway.
          Object.defineProperty(brokerAddrs, String(id), {
            value: bd.brokerAddrs.get(id),
            enumerable: true,
          });
        }
        const topics = this.groups.get(bd.brokerName);
        return {
          brokerName: bd.brokerName,
          cluster: bd.cluster,
          brokerAddrs,
          topicCount: topics?.count ?? 0,
          topicsHash: hex8(topics?.hash ?? 0),
        };
      })
      .sort((a, b) => cmp(a.brokerName, b.brokerName));
    const brokers = [...this.source.getBrokerLiveViews()]
      .map((b) => ({
        clusterName: b.clusterName,
        brokerName: b.brokerName,
        brokerId: b.brokerId,
        brokerAddr: b.brokerAddr,
        dataVersion: { counter: b.dataVersion.counter, timestamp: b.dataVersion.timestamp },
      }))
      .sort(
        (a, b) =>
          cmp(a.clusterName, b.clusterName) ||
          cmp(a.brokerName, b.brokerName) ||
          a.brokerId - b.brokerId ||
          cmp(a.brokerAddr, b.brokerAddr),
      );
    const topicCount = this.folded.size;
    const digest = hex8(textHash(JSON.stringify([topicCount, clusters, brokerGroups, brokers])));
    return { format: ROUTE_DIGEST_FORMAT, digest, topicCount, clusters, brokerGroups, brokers };
  }

  /** The digest as one unsigned 32-bit number (the Prometheus gauge). */
  digestValue(): number {
    return Number.parseInt(this.digest().digest, 16);
  }

  /**
   * The topics of one broker name with their queue settings; null for an unknown name. Built by
   * a walk of every topic (15 ms at 80,000), so answers are kept until a topic changes: the view
   * asked in a loop cost a node a core and its lookups a p99 of 250 ms (review finding).
   */
  topicsOf(brokerName: string): DigestTopics | null {
    return runToEnd(this.topicsOfInSteps(brokerName));
  }

  /**
   * topicsOf as sliced work (slices/slice-queue.ts): the walk and the sort of a broker name's
   * 50,000 topics held the loop 24–52 ms per answer (review finding). Between two steps the
   * background catch-up may refold topics: a walk that saw the generation change starts again, and
   * the last of BUILD_TRIES is done in one go, so an answer is always one state of the table.
   */
  *topicsOfInSteps(brokerName: string): Generator<void, DigestTopics | null, void> {
    for (let tries = 1; ; tries++) {
      this.catchUp();
      // A group without topics comes and goes without any refold: asked every time.
      if (
        !this.groups.has(brokerName) &&
        !this.source.getAllClusterInfo().brokerAddrTable.has(brokerName)
      ) {
        return null;
      }
      if (this.topicsGeneration !== this.generation) {
        this.topicsCache.clear();
        this.topicsGeneration = this.generation;
      }
      const cached = this.topicsCache.get(brokerName);
      if (cached !== undefined) return cached;
      const generation = this.generation;
      const built =
        tries < BUILD_TRIES
          ? yield* this.buildTopicsOf(brokerName)
          : runToEnd(this.buildTopicsOf(brokerName));
      if (this.generation !== generation) continue;
      if (this.topicsCache.size >= TOPICS_CACHE_MAX) this.topicsCache.clear();
      this.topicsCache.set(brokerName, built);
      return built;
    }
  }

  private *buildTopicsOf(brokerName: string): Generator<void, DigestTopics, void> {
    const topics: DigestTopics['topics'][number][] = [];
    let walked = 0;
    for (const [topic, folded] of this.folded) {
      if (++walked % BUILD_STEP === 0) yield;
      for (const qd of queueDatasOf(folded)) {
        if (qd.brokerName !== brokerName) continue;
        topics.push({
          topic,
          readQueueNums: qd.readQueueNums,
          writeQueueNums: qd.writeQueueNums,
          perm: qd.perm,
          topicSysFlag: qd.topicSysFlag,
        });
      }
    }
    const sorted = yield* sortInSteps(topics, (a, b) => cmp(a.topic, b.topic));
    return { format: ROUTE_DIGEST_FORMAT, brokerName, topics: sorted };
  }

  private dropPending(): void {
    this.pending = [];
    this.pendingSize = 0;
    this.round = null;
    this.rebuildAll = true;
  }

  private behind(): boolean {
    return this.rebuildAll || this.round !== null || this.pending.length > 0;
  }

  private unschedule(): void {
    this.scheduled?.cancel();
    if (this.deferTimer !== null) clearTimeout(this.deferTimer);
    this.scheduled = null;
    this.deferTimer = null;
  }

  private schedule(): void {
    if (this.scheduled !== null || this.deferTimer !== null || this.closed) return;
    if (this.round === null && this.deferWhile()) {
      // Not started yet and the registry is writing: let the write have the loop, a while.
      const now = this.now();
      this.deferredSince ??= now;
      if (now - this.deferredSince < MAX_DEFER_MILLIS) {
        this.deferTimer = setTimeout(() => {
          this.deferTimer = null;
          this.schedule();
        }, DEFER_POLL_MILLIS);
        return;
      }
    }
    // Its turn among the thread's other background slices: one per turn of the event loop.
    this.scheduled = backgroundTurns.request(() => {
      this.scheduled = null;
      this.deferredSince = null;
      const deadline = performance.now() + SLICE_MILLIS;
      let done: boolean;
      try {
        done = this.catchUp(() => performance.now() >= deadline);
      } catch (err) {
        this.onError(err);
        this.dropPending();
        this.wakeWaiters(Infinity);
        return;
      }
      if (!done) this.schedule();
    });
  }

  /** Wakes the settled() callers whose changes have all been looked at (`upTo` or before). */
  private wakeWaiters(upTo: number): void {
    for (const waiter of this.waiters) {
      if (waiter.upTo > upTo) continue;
      this.waiters.delete(waiter);
      waiter.wake();
    }
  }

  /**
   * Looks again at every changed topic (every topic, for a rebuild) until `stop()` says so (asked
   * every CLOCK_EVERY topics; never, by default). True once nothing is left.
   */
  private catchUp(stop: () => boolean = () => false): boolean {
    for (;;) {
      if (this.round === null) {
        if (this.rebuildAll) {
          this.rebuildAll = false;
          this.pending = [];
          this.pendingSize = 0;
          this.folded.clear();
          this.groups.clear();
          this.generation++;
          const topics = this.source.getAllTopicList();
          this.round = { topics: topics.values(), looked: 0, upTo: this.changes };
        } else if (this.pending.length > 0) {
          const batches = this.pending;
          this.pending = [];
          this.pendingSize = 0;
          // The sets as they came, walked in the slices, not copied first: a broker name of
          // 50,000 topics changing made one set that large, and merging the batches into a new
          // set was a stall of its own. A topic in several batches (or parts of one, see
          // TopicSetUnion) is looked at once for each: refold reads the topic's current state,
          // so doing it again changes nothing. A part may be a broker name's live topic set:
          // a topic added to it since is looked at too (harmless); one removed since was named
          // by its removal.
          this.round = { topics: eachTopicOf(batches), looked: 0, upTo: this.changes };
        } else {
          return true;
        }
      }
      const round = this.round;
      for (let next = round.topics.next(); next.done !== true; next = round.topics.next()) {
        this.refold(next.value);
        if (++round.looked % CLOCK_EVERY === 0 && stop()) return false;
      }
      this.round = null;
      this.doneUpTo = round.upTo;
      if (this.waiters.size > 0) this.wakeWaiters(round.upTo);
    }
  }

  /** Replaces the topic's contribution to its broker names' hashes by its current one. */
  private refold(topic: string): void {
    const old = this.folded.get(topic);
    const byBroker = this.source.getQueueDatas(topic);
    // A topic's part of the digest is its QueueData alone, and the route table keeps a QueueData
    // object while its values stand (the same pooled object for the same values). A change of a
    // broker name's addresses (a slave joining or leaving, a master failing over) names every
    // topic of the name as a changed route, but changes none of them here: 10,000 topics of
    // hashing out and in again (about 10 ms of slices) for nothing, on every such event.
    if (old !== undefined && byBroker !== undefined && sameFolded(old, byBroker)) return;
    this.generation++;
    const seed = topicSeed(topic);
    if (old !== undefined) {
      if (isOne(old)) this.fold(seed, old, -1);
      else for (const qd of old) this.fold(seed, qd, -1);
    }
    if (byBroker === undefined || byBroker.size === 0) {
      this.folded.delete(topic);
      return;
    }
    if (byBroker.size === 1) {
      const qd = byBroker.values().next().value!;
      this.fold(seed, qd, 1);
      this.folded.set(topic, qd);
      return;
    }
    const now = [...byBroker.values()];
    for (const qd of now) this.fold(seed, qd, 1);
    this.folded.set(topic, now);
  }

  private fold(seed: number, qd: Readonly<QueueData>, delta: 1 | -1): void {
    let g = this.groups.get(qd.brokerName);
    if (g === undefined) {
      g = { count: 0, hash: 0 };
      this.groups.set(qd.brokerName, g);
    }
    g.hash = (g.hash ^ topicQueueHash(seed, qd)) >>> 0;
    g.count += delta;
    if (g.count === 0) this.groups.delete(qd.brokerName);
  }
}

/** Broker names whose topicsOf answers are kept at once (more: the kept ones are dropped). */
const TOPICS_CACHE_MAX = 256;
/** Topics walked between two yields of topicsOfInSteps. */
const BUILD_STEP = 2048;
/** Walks topicsOfInSteps makes in steps before one in a go (see there). */
const BUILD_TRIES = 3;

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** What `folded` keeps of a topic: its one QueueData, or all of them. */
type Folded = Readonly<QueueData> | readonly Readonly<QueueData>[];

function isOne(folded: Folded): folded is Readonly<QueueData> {
  return !Array.isArray(folded);
}

/** `byBroker` holds exactly the QueueData objects folded, in the same order. */
function sameFolded(folded: Folded, byBroker: ReadonlyMap<string, Readonly<QueueData>>): boolean {
  if (isOne(folded)) return byBroker.size === 1 && byBroker.values().next().value === folded;
  if (byBroker.size !== folded.length) return false;
  let i = 0;
  for (const qd of byBroker.values()) if (qd !== folded[i++]) return false;
  return true;
}

function queueDatasOf(folded: Folded): readonly Readonly<QueueData>[] {
  return isOne(folded) ? [folded] : folded;
}

function* eachTopicOf(batches: readonly ReadonlySet<string>[]): Generator<string, void, void> {
  for (const batch of batches) yield* batch;
}
