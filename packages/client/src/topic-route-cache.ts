/**
 * Cached topic routes and their periodic refresh (Java: MQClientInstance#topicRouteTable and the
 * `updateTopicRouteInfoFromNameServer` task every pollNameServerInterval = 30 s).
 *
 * A topic is "in use" from its first lookup (or `add`) until `forget(topic)`. Each refresh
 * re-queries every topic in use, one after another (as Java does, so a big client does not burst
 * the namesrv), and reports a change only when the normalised route differs (§7.4). A failed
 * refresh keeps the old route, as in Java: a namesrv hiccup must not make producers lose their
 * queues.
 *
 * Routes also arrive pushed (`apply`, from the route watch). A topic the node has no route for
 * (TOPIC_NOT_EXIST, or "gone" from the watch) is reported once through `onGone`; its last route
 * stays cached, as Java keeps it (an empty node right after a restart reports every topic
 * missing), and the next route that arrives for it is reported as a change even if equal.
 */
import type { TopicRouteData } from '@ns/protocol';
import type { Logger } from './logger.js';
import { topicRouteChanged } from './route-compare.js';
import { isTopicNotExist } from './topic-not-exist-error.js';

export type RouteFetcher = (topic: string) => Promise<TopicRouteData>;

export interface TopicRouteCacheHooks {
  readonly onChanged: (
    topic: string,
    route: TopicRouteData,
    previous: TopicRouteData | undefined,
  ) => void;
  readonly onRefreshFailed: (topic: string, err: unknown) => void;
  /** `topic` has no route on the node (first time since it had one, or since it came in use). */
  readonly onGone?: (topic: string, previous: TopicRouteData | undefined) => void;
  /**
   * `topic` left use (before onTopicsChanged). Called at once, so what other parts remember of it
   * (the route watch's version) is gone before the topic can be used again in the same turn.
   */
  readonly onForgotten?: (topic: string) => void;
  /** A topic came in use or was forgotten (the route watch follows the set). */
  readonly onTopicsChanged?: () => void;
}

export class TopicRouteCache {
  readonly #fetch: RouteFetcher;
  readonly #hooks: TopicRouteCacheHooks;
  readonly #log: Logger;
  readonly #routes = new Map<string, TopicRouteData>();
  readonly #inUse = new Set<string>();
  /** One in-flight fetch per topic: concurrent lookups of a cold topic share it. */
  readonly #inflight = new Map<string, Promise<TopicRouteData>>();
  /** Topics in use the node has no route for (their last route, if any, stays cached). */
  readonly #gone = new Set<string>();
  /**
   * Per topic, how many answers the route watch has delivered (see applyWatched): a fetch that
   * started before one of them may carry an older route, and must not replace it.
   */
  readonly #watched = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #intervalMs = 0;
  #refreshing: Promise<void> | undefined;

  constructor(fetch: RouteFetcher, hooks: TopicRouteCacheHooks, logger: Logger) {
    this.#fetch = fetch;
    this.#hooks = hooks;
    this.#log = logger;
  }

  /** Topics refreshed periodically. */
  topics(): string[] {
    return [...this.#inUse];
  }

  cached(topic: string): TopicRouteData | undefined {
    return this.#routes.get(topic);
  }

  /**
   * The cached route, or a fresh one when not cached (or `force`). Marks the topic in use even
   * when the lookup fails (TOPIC_NOT_EXIST now may exist at the next refresh).
   */
  async get(topic: string, force = false): Promise<TopicRouteData> {
    this.add(topic);
    const cached = this.#routes.get(topic);
    if (cached !== undefined && !force) return cached;
    return this.#load(topic);
  }

  /** Marks `topic` in use without fetching it; true when it was not in use. */
  add(topic: string): boolean {
    if (this.#inUse.has(topic)) return false;
    this.#inUse.add(topic);
    this.#hooks.onTopicsChanged?.();
    return true;
  }

  /** Whether `topic` is in use. */
  has(topic: string): boolean {
    return this.#inUse.has(topic);
  }

  /** Stops refreshing `topic` and drops its cached route. */
  forget(topic: string): void {
    const wasInUse = this.#inUse.delete(topic);
    this.#routes.delete(topic);
    this.#gone.delete(topic);
    this.#watched.delete(topic);
    // A fetch still under way belongs to the use that ended: its answer is not applied (see
    // #load), and the topic watched again gets a fetch of its own instead of joining it.
    this.#inflight.delete(topic);
    if (!wasInUse) return;
    this.#hooks.onForgotten?.(topic);
    this.#hooks.onTopicsChanged?.();
  }

  /**
   * A route pushed for a topic in use (route watch): cached and reported like a refreshed one.
   * Ignored for topics not in use.
   */
  apply(topic: string, route: TopicRouteData): void {
    if (!this.#inUse.has(topic)) return;
    const wasGone = this.#gone.delete(topic);
    const previous = this.#routes.get(topic);
    if (wasGone || topicRouteChanged(previous, route)) {
      this.#routes.set(topic, route);
      this.#hooks.onChanged(topic, route, previous);
    }
  }

  /**
   * A route the route watch delivered (it comes with a version newer than any before): applied,
   * and a fetch of the topic already under way, whose answer may be older, is not applied.
   */
  applyWatched(topic: string, route: TopicRouteData): void {
    this.#bumpWatched(topic);
    this.apply(topic, route);
  }

  /** A "gone" the route watch delivered (see applyWatched). */
  markGoneWatched(topic: string): void {
    this.#bumpWatched(topic);
    this.markGone(topic);
  }

  #bumpWatched(topic: string): void {
    if (this.#inUse.has(topic)) this.#watched.set(topic, (this.#watched.get(topic) ?? 0) + 1);
  }

  /** The node has no route for `topic` (TOPIC_NOT_EXIST or a "gone" from the watch). */
  markGone(topic: string): void {
    if (!this.#inUse.has(topic) || this.#gone.has(topic)) return;
    this.#gone.add(topic);
    this.#hooks.onGone?.(topic, this.#routes.get(topic));
  }

  /** Starts the periodic refresh (idempotent; see setInterval to change the period). */
  start(intervalMs: number): void {
    if (this.#timer !== undefined) return;
    this.#intervalMs = intervalMs;
    this.#timer = setInterval(() => {
      // A slow refresh is not stacked on top of itself.
      if (this.#refreshing !== undefined) return;
      this.#refreshing = this.refreshAll().finally(() => {
        this.#refreshing = undefined;
      });
    }, intervalMs);
    // A library timer must not keep the process alive on its own.
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Changes the refresh period of a started cache (the next refresh is one new period away). */
  setInterval(intervalMs: number): void {
    if (this.#timer === undefined || intervalMs === this.#intervalMs) return;
    this.stop();
    this.start(intervalMs);
  }

  /** The current refresh period (0 before start). */
  get intervalMs(): number {
    return this.#intervalMs;
  }

  /** Re-queries every topic in use, sequentially. Never rejects. */
  async refreshAll(): Promise<void> {
    for (const topic of [...this.#inUse]) {
      if (!this.#inUse.has(topic)) continue;
      try {
        await this.#load(topic);
      } catch (err) {
        this.#log.warn({ topic, err }, 'topic route refresh failed; keeping the cached route');
        this.#hooks.onRefreshFailed(topic, err);
      }
    }
  }

  #load(topic: string): Promise<TopicRouteData> {
    const running = this.#inflight.get(topic);
    if (running !== undefined) return running;
    const watchedBefore = this.#watched.get(topic) ?? 0;
    // The route watch delivered this topic during the fetch: its answer is at least as new.
    const overtaken = (): boolean => (this.#watched.get(topic) ?? 0) !== watchedBefore;
    // forget() during the fetch wins, even if the topic was watched again since (its counts
    // started over): do not resurrect the topic, nor apply an answer older than the new use's.
    const current = (): boolean => this.#inflight.get(topic) === promise;
    const promise: Promise<TopicRouteData> = this.#fetch(topic)
      .then(
        (route) => {
          if (!this.#inUse.has(topic) || !current()) return route;
          if (overtaken()) return this.#routes.get(topic) ?? route;
          this.apply(topic, route);
          return this.#routes.get(topic) ?? route;
        },
        (err: unknown) => {
          if (current() && isTopicNotExist(err) && !overtaken()) this.markGone(topic);
          throw err;
        },
      )
      .finally(() => {
        if (current()) this.#inflight.delete(topic);
      });
    this.#inflight.set(topic, promise);
    return promise;
  }
}
