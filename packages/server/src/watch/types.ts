/**
 * What the route watch needs from the rest of the server, as narrow interfaces: a route-change
 * feed (the route cache's invalidations), the encoded route body per topic and flavour (the route
 * cache), a way to answer a held request later (the transport's `reply`), connection-closed
 * events, and its limits. Nothing else: the module runs the same in a single-process node and in
 * each serving worker of a multi-process one.
 */
import type { RemotingCommand } from '@ns/protocol';

/**
 * What the watch handler returns for a watch it holds: nothing is sent now, and exactly one
 * answer goes out later through `RouteWatchDeps.reply` (or none if the connection closed first).
 * RouteWatchBinding turns it into the promise the dispatcher waits on.
 */
export const HELD: unique symbol = Symbol('held watch');
export type Held = typeof HELD;

/** Read per request, so the live keys take effect at once. */
export interface RouteWatchLimits {
  /** Most watches held at once (routeWatchMaxWatchers); more are answered SYSTEM_BUSY. */
  readonly maxWatchers: number;
  /** Most topics in one watch (routeWatchMaxTopics); more are answered INVALID_PARAMETER. */
  readonly maxTopics: number;
  /**
   * Most topics over all held watches, a topic counted once per watch (this process's share of
   * routeWatchMaxHeldTopics); a watch that would pass it is answered SYSTEM_BUSY.
   */
  readonly maxHeldTopics: number;
  /** Longest hold (routeWatchMaxHoldMillis); a request asking for more gets this. */
  readonly maxHoldMillis: number;
  /**
   * The transport closes connections idle this long (0 = never): holds are kept under half of it,
   * so a held watch never gets its connection closed under it.
   */
  readonly idleTimeoutMillis: number;
}

/** Why a held or new watch was answered (the `reason` label of the responses counter). */
export type WatchResponseReason =
  /** Newer routes (or hold 0) when the request arrived. */
  | 'immediate'
  /** A route change woke it. */
  | 'changed'
  /** The hold time passed without a change. */
  | 'timeout'
  /** A newer watch on the same connection replaced it. */
  | 'superseded'
  /** The node is shutting down. */
  | 'shutdown';

export type WatchRejectReason =
  'max_watchers' | 'max_topics' | 'max_held_topics' | 'bad_request' | 'not_ready';

export interface RouteWatchMetrics {
  /** `count` watches answered for `reason`. */
  watchResponded(reason: WatchResponseReason, count: number): void;
  /**
   * Seconds from a route change reaching the module to the woken watcher's response being handed
   * to its connection (`reply`); the socket write comes after.
   */
  watchWakeup(seconds: number): void;
  watchRejected(reason: WatchRejectReason): void;
}

export interface RouteWatchLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface RouteWatchDeps {
  /**
   * The encoded GET_ROUTEINFO_BY_TOPIC body of `topic` (standard or legacy JSON), or null when
   * the topic has no route. The route cache: each body is encoded once per flavour and change.
   */
  routeBody(topic: string, standardJson: boolean): Buffer | null;
  /** Sends a response to a held request (the transport); false when the connection is gone. */
  reply(connectionId: number, response: RemotingCommand): boolean;
  limits(): RouteWatchLimits;
  /** False while the node refuses route queries (needWaitForService); watches are refused too. */
  isServing(): boolean;
  metrics?: RouteWatchMetrics;
  logger: RouteWatchLogger;
  /** Monotonic milliseconds, for the wakeup latency; default performance.now. */
  now?: () => number;
  /** The version epoch; default a random one (tests pass a fixed one). */
  epoch?: string;
  /** Most per-topic version entries; default ROUTE_VERSIONS_MAX_ENTRIES (tests: a small one). */
  maxVersionEntries?: number;
  /**
   * True while a write is being applied in slices here (a registration, a broker's removal, a
   * replica's batch): the wakeup waits for its end, at most MAX_WAKE_DEFER_MILLIS, so one write
   * wakes each watch once, with all it changed. Absent: wakeups on the next turn.
   */
  deferWakeWhile?: () => boolean;
}
