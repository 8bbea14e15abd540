/**
 * Cached topic routes and their periodic refresh (Java: MQClientInstance#topicRouteTable and the
 * `updateTopicRouteInfoFromNameServer` task every pollNameServerInterval = 30 s).
 *
 * A topic is "in use" from its first lookup until `forget(topic)`. Each refresh re-queries every
 * topic in use, one after another (as Java does, so a big client does not burst the namesrv), and
 * reports a change only when the normalised route differs (§7.4). A failed refresh keeps the old
 * route, as in Java: a namesrv hiccup must not make producers lose their queues.
 */
import type { TopicRouteData } from '@ns/protocol';
import type { Logger } from './logger.js';
import { topicRouteChanged } from './route-compare.js';

export type RouteFetcher = (topic: string) => Promise<TopicRouteData>;

export interface TopicRouteCacheHooks {
  readonly onChanged: (
    topic: string,
    route: TopicRouteData,
    previous: TopicRouteData | undefined,
  ) => void;
  readonly onRefreshFailed: (topic: string, err: unknown) => void;
}

export class TopicRouteCache {
  readonly #fetch: RouteFetcher;
  readonly #hooks: TopicRouteCacheHooks;
  readonly #log: Logger;
  readonly #routes = new Map<string, TopicRouteData>();
  readonly #inUse = new Set<string>();
  /** One in-flight fetch per topic: concurrent lookups of a cold topic share it. */
  readonly #inflight = new Map<string, Promise<TopicRouteData>>();
  #timer: NodeJS.Timeout | undefined;
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
    this.#inUse.add(topic);
    const cached = this.#routes.get(topic);
    if (cached !== undefined && !force) return cached;
    return this.#load(topic);
  }

  /** Stops refreshing `topic` and drops its cached route. */
  forget(topic: string): void {
    this.#inUse.delete(topic);
    this.#routes.delete(topic);
  }

  /** Starts the periodic refresh (idempotent). */
  start(intervalMs: number): void {
    if (this.#timer !== undefined) return;
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
    const promise = this.#fetch(topic)
      .then((route) => {
        // forget() during the fetch wins: do not resurrect the topic.
        if (!this.#inUse.has(topic)) return route;
        const previous = this.#routes.get(topic);
        if (topicRouteChanged(previous, route)) {
          this.#routes.set(topic, route);
          this.#hooks.onChanged(topic, route, previous);
        }
        return this.#routes.get(topic) ?? route;
      })
      .finally(() => {
        this.#inflight.delete(topic);
      });
    this.#inflight.set(topic, promise);
    return promise;
  }
}
