/**
 * The encoded GET_ROUTEINFO_BY_TOPIC body per (topic, JSON flavour), and with it the whole encoded
 * SUCCESS frame per serialize type (header + body, `prepareFrame`), so that the steady-state route
 * query is one Map lookup plus one Buffer copy with the opaque patched in: no route assembly, no
 * JSON, no header encoding. The frames live in the body's entry, so they are dropped with it.
 *
 * Correctness rests on exact invalidation:
 * - `RouteInfoManager.onRouteChanged` names every topic whose TopicRouteData may have changed
 *   (registration, unregistration, connection close, expiry, perm wipe/add, delete, register topic,
 *   broker address changes); 'all' drops everything;
 * - `orderTopicConf` is part of the body: a change of an ORDER_TOPIC_CONFIG KV entry invalidates
 *   its topic (`invalidateTopic`), and a flip of `orderMessageEnable` drops the whole cache (checked
 *   on every lookup with one boolean compare, so it holds however the config was changed).
 *
 * Only found routes are cached: misses are a single Map miss in the route table anyway, and not
 * caching them keeps the cache bounded by the number of existing topics whatever clients ask for.
 *
 * Every invalidation, whatever its reason, is also announced to `onInvalidated` listeners (the
 * route watch): what may change a route body is decided here once, and nowhere else. An
 * `orderMessageEnable` flip is announced when `setOrderMessageEnable` learns of it (the config
 * update path) or, failing that, at the next lookup.
 */

import { preparedFrameBody } from '@ns/protocol';
import type { PreparedFrame } from '@ns/protocol';
import { backgroundTurns } from '../slices/background-turns.js';
import type { BackgroundSlot } from '../slices/background-turns.js';

/** Builds the encoded body, or null when the topic has no route (TOPIC_NOT_EXIST). */
export type RouteBodyBuilder = (
  topic: string,
  standardJson: boolean,
  orderMessageEnable: boolean,
) => Buffer | null;

/** One cached route: its body and, built on first use per serialize type, the success frame. */
export interface RouteCacheEntry {
  /**
   * The encoded body. Once a frame is prepared (`frameOf`) these are the same bytes inside that
   * frame: the entry then keeps one copy, not two.
   */
  body: Buffer;
  json: PreparedFrame | null;
  rocketmq: PreparedFrame | null;
  /** The cache's generation when it was built (see `unswept`). */
  readonly generation: number;
}

/**
 * The entry's success frame for serialize type `kind`, prepared by `prepare` on first use. The
 * first frame an entry gets takes its body over: `entry.body` becomes the body's bytes inside it,
 * and the buffer the body was encoded into is let go (the memory bench's 40,000 cached routes
 * held 239 MiB outside the heap before, counting the slabs small buffers pin: see prepareFrame).
 */
export function frameOf(
  entry: RouteCacheEntry,
  kind: 'json' | 'rocketmq',
  prepare: () => PreparedFrame,
): PreparedFrame {
  const had = entry[kind];
  if (had !== null) return had;
  const first = entry.json === null && entry.rocketmq === null;
  const frame = prepare();
  entry[kind] = frame;
  if (first) entry.body = preparedFrameBody(frame, entry.body.length);
  return frame;
}

/**
 * Invalidations of at least this many topics are swept in the background (see `unswept`); smaller
 * ones are applied at once. A registration names all its changed topics in one flush, at its end
 * (a new broker of 10,000 topics: 10,000), and deleting 16,384 cached routes from the two maps
 * took 8 ms in one go (absent keys 3 ms; 2-core VM, Node 20): the bound is one background turn's
 * worth (SWEEP_PER_TURN, about 1 ms), so no invalidation holds the loop longer than a sweep turn.
 */
export const LAZY_INVALIDATION_TOPICS = 2048;

/** Entries a background sweep drops per turn of the event loop (about a millisecond). */
const SWEEP_PER_TURN = 2048;

interface Unswept {
  readonly topics: ReadonlySet<string>;
  /** Entries built before this generation are stale for these topics. */
  readonly generation: number;
  readonly rest: Iterator<string>;
}

/** Topics whose route body may have changed, or 'all'. */
export type RouteInvalidationListener = (topics: ReadonlySet<string> | 'all') => void;

export class RouteBodyCache {
  private readonly standard = new Map<string, RouteCacheEntry>();
  private readonly legacy = new Map<string, RouteCacheEntry>();
  private orderMessageEnable: boolean;
  private readonly listeners: RouteInvalidationListener[] = [];
  /** Bumped by every large invalidation; an entry remembers the value it was built under. */
  private generation = 0;
  /**
   * Large invalidations not swept yet. Until its sweep has gone past a topic, a lookup of that
   * topic checks whether its entry predates the invalidation, and rebuilds it if so: never a
   * stale route, and no event-loop turn spends more than SWEEP_PER_TURN deletions on it.
   */
  private unswept: Unswept[] = [];
  private sweepScheduled: BackgroundSlot | null = null;

  constructor(
    private readonly build: RouteBodyBuilder,
    orderMessageEnable: boolean,
  ) {
    this.orderMessageEnable = orderMessageEnable;
  }

  /**
   * The body for `topic`, built on first use. `orderMessageEnable` is the live config value: when
   * it differs from the one the cached bodies were built with, they are all dropped.
   */
  get(topic: string, standardJson: boolean, orderMessageEnable: boolean): Buffer | null {
    return this.entry(topic, standardJson, orderMessageEnable)?.body ?? null;
  }

  /** The cache entry for `topic` (same rules as `get`), or null when the topic has no route. */
  entry(topic: string, standardJson: boolean, orderMessageEnable: boolean): RouteCacheEntry | null {
    if (orderMessageEnable !== this.orderMessageEnable) {
      this.setOrderMessageEnable(orderMessageEnable);
    }
    const map = standardJson ? this.standard : this.legacy;
    const hit = map.get(topic);
    if (hit !== undefined && (this.unswept.length === 0 || !this.isStale(topic, hit))) return hit;
    const body = this.build(topic, standardJson, orderMessageEnable);
    if (body === null) {
      if (hit !== undefined) map.delete(topic);
      return null;
    }
    const entry: RouteCacheEntry = {
      body,
      json: null,
      rocketmq: null,
      generation: this.generation,
    };
    map.set(topic, entry);
    return entry;
  }

  /** Whether a large invalidation not swept yet names `topic` and came after `entry` was built. */
  private isStale(topic: string, entry: RouteCacheEntry): boolean {
    for (const u of this.unswept) {
      if (u.generation > entry.generation && u.topics.has(topic)) return true;
    }
    return false;
  }

  /** Subscribes to invalidations (called synchronously, after the entries were dropped). */
  onInvalidated(listener: RouteInvalidationListener): void {
    this.listeners.push(listener);
  }

  /** The live `orderMessageEnable`: a flip changes every route body (orderTopicConf). */
  setOrderMessageEnable(orderMessageEnable: boolean): void {
    if (orderMessageEnable === this.orderMessageEnable) return;
    this.orderMessageEnable = orderMessageEnable;
    this.clear();
  }

  /** The route-change listener: drops the named topics, or everything for 'all'. */
  readonly invalidate = (topics: ReadonlySet<string> | 'all'): void => {
    if (topics === 'all') {
      this.clear();
      return;
    }
    if (topics.size >= LAZY_INVALIDATION_TOPICS) {
      this.unswept.push({ topics, generation: ++this.generation, rest: topics.values() });
      this.scheduleSweep();
    } else {
      for (const topic of topics) {
        this.standard.delete(topic);
        this.legacy.delete(topic);
      }
    }
    this.announce(topics);
  };

  private scheduleSweep(): void {
    if (this.sweepScheduled !== null) return;
    // Its turn among the thread's other background slices (one per turn of the event loop).
    // Lookups check `unswept` meanwhile, so nothing waits for the sweep.
    this.sweepScheduled = backgroundTurns.request(() => {
      this.sweepScheduled = null;
      this.sweep(SWEEP_PER_TURN);
      if (this.unswept.length > 0) this.scheduleSweep();
    });
  }

  /** Drops up to `budget` entries named by the oldest large invalidations (built before them). */
  private sweep(budget: number): void {
    while (this.unswept.length > 0 && budget > 0) {
      const u = this.unswept[0]!;
      for (let next = u.rest.next(); ; next = u.rest.next()) {
        if (next.done === true) {
          this.unswept.shift();
          break;
        }
        const topic = next.value;
        const a = this.standard.get(topic);
        if (a !== undefined && a.generation < u.generation) this.standard.delete(topic);
        const b = this.legacy.get(topic);
        if (b !== undefined && b.generation < u.generation) this.legacy.delete(topic);
        if (--budget === 0) return;
      }
    }
  }

  /** Whether large invalidations are still being swept (tests). */
  get isSweeping(): boolean {
    return this.unswept.length > 0;
  }

  invalidateTopic(topic: string): void {
    // Deleted now: an entry built later carries the current generation, so no large invalidation
    // still being swept can take it for stale.
    this.standard.delete(topic);
    this.legacy.delete(topic);
    this.announce(new Set([topic]));
  }

  clear(): void {
    this.standard.clear();
    this.legacy.clear();
    this.unswept = [];
    this.sweepScheduled?.cancel();
    this.sweepScheduled = null;
    this.announce('all');
  }

  private announce(topics: ReadonlySet<string> | 'all'): void {
    for (const listener of this.listeners) listener(topics);
  }

  /** Number of cached bodies (both flavours); for tests and the admin page. */
  get size(): number {
    return this.standard.size + this.legacy.size;
  }
}
