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

import type { PreparedFrame } from '@ns/protocol';

/** Builds the encoded body, or null when the topic has no route (TOPIC_NOT_EXIST). */
export type RouteBodyBuilder = (
  topic: string,
  standardJson: boolean,
  orderMessageEnable: boolean,
) => Buffer | null;

/** One cached route: its body and, built on first use per serialize type, the success frame. */
export interface RouteCacheEntry {
  readonly body: Buffer;
  json: PreparedFrame | null;
  rocketmq: PreparedFrame | null;
}

/** Topics whose route body may have changed, or 'all'. */
export type RouteInvalidationListener = (topics: ReadonlySet<string> | 'all') => void;

export class RouteBodyCache {
  private readonly standard = new Map<string, RouteCacheEntry>();
  private readonly legacy = new Map<string, RouteCacheEntry>();
  private orderMessageEnable: boolean;
  private readonly listeners: RouteInvalidationListener[] = [];

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
    if (hit !== undefined) return hit;
    const body = this.build(topic, standardJson, orderMessageEnable);
    if (body === null) return null;
    const entry: RouteCacheEntry = { body, json: null, rocketmq: null };
    map.set(topic, entry);
    return entry;
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
    for (const topic of topics) {
      this.standard.delete(topic);
      this.legacy.delete(topic);
    }
    this.announce(topics);
  };

  invalidateTopic(topic: string): void {
    this.standard.delete(topic);
    this.legacy.delete(topic);
    this.announce(new Set([topic]));
  }

  clear(): void {
    this.standard.clear();
    this.legacy.clear();
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
