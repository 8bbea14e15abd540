/**
 * The encoded GET_ROUTEINFO_BY_TOPIC body per (topic, JSON flavour), so that the steady-state
 * route query is one Map lookup plus the response header encoding: no route assembly, no JSON.
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
 */

/** Builds the encoded body, or null when the topic has no route (TOPIC_NOT_EXIST). */
export type RouteBodyBuilder = (
  topic: string,
  standardJson: boolean,
  orderMessageEnable: boolean,
) => Buffer | null;

export class RouteBodyCache {
  private readonly standard = new Map<string, Buffer>();
  private readonly legacy = new Map<string, Buffer>();
  private orderMessageEnable: boolean;

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
    if (orderMessageEnable !== this.orderMessageEnable) {
      this.clear();
      this.orderMessageEnable = orderMessageEnable;
    }
    const map = standardJson ? this.standard : this.legacy;
    const hit = map.get(topic);
    if (hit !== undefined) return hit;
    const body = this.build(topic, standardJson, orderMessageEnable);
    if (body !== null) map.set(topic, body);
    return body;
  }

  /** The route-change listener: drops the named topics, or everything for 'all'. */
  readonly invalidate = (topics: ReadonlySet<string> | 'all'): void => {
    if (topics === 'all') {
      this.clear();
      return;
    }
    for (const topic of topics) this.invalidateTopic(topic);
  };

  invalidateTopic(topic: string): void {
    this.standard.delete(topic);
    this.legacy.delete(topic);
  }

  clear(): void {
    this.standard.clear();
    this.legacy.clear();
  }

  /** Number of cached bodies (both flavours); for tests and the admin page. */
  get size(): number {
    return this.standard.size + this.legacy.size;
  }
}
