/**
 * NameServerClient: "ask any name server" on top of an address provider, the selector and the
 * remoting client, plus the topic route cache (reference §7.3, §7.4).
 *
 * Node choice follows Java 4.9: stick to the chosen node while its connection is up; when it is
 * not, move to the next index, and when a connect fails try the following one within the same
 * call, up to the list length. Timeouts and mid-call closes are not retried here (the request may
 * have been processed); they surface as retriable errors and the next call moves on. One
 * exception: a read (READ_REQUEST_CODES) whose connection closed before anything at all arrived
 * on it also tries the following node, since a node at its connection limit accepts and closes
 * at once, which is a failed connect in all but name. When the list changes and the node in use
 * left it, the choice is dropped and its connection closed at once (apache/rocketmq#2042).
 *
 * Routes of topics in use are polled every `pollNameServerInterval` like Java, and, where the node
 * supports it (nameserver-ts), followed with the route watch (watch/route-watcher.ts): changes
 * arrive within milliseconds and polling slows to a safety net. Nodes without the watch (Java)
 * are detected within one call timeout and simply polled.
 */
import { EventEmitter } from 'node:events';
import type { RemotingCommand, TopicRouteData } from '@ns/protocol';
import {
  decodeTopicRouteData,
  encodeGetRouteInfoRequestHeader,
  RequestCode,
  ResponseCode,
  WATCH_TOPIC_MAX_LENGTH,
} from '@ns/protocol';
import type { NameServerAddressProvider } from './address/name-server-address-provider.js';
import type { ResolveNameServerAddressOptions } from './address/resolve-address-provider.js';
import { resolveNameServerAddressProvider } from './address/resolve-address-provider.js';
import { emitToEach } from './emit-to-each.js';
import {
  InvalidOptionError,
  NoNameServerError,
  ProtocolViolationError,
  RemotingClosedError,
  RemotingConnectError,
  RemotingTimeoutError,
} from './errors.js';
import type { Logger } from './logger.js';
import { NOOP_LOGGER } from './logger.js';
import { expectSuccess } from './remoting/expect-success.js';
import type {
  InvokeOptions,
  RemotingClientOptions,
  RemotingRequest,
} from './remoting/remoting-client.js';
import { RemotingClient } from './remoting/remoting-client.js';
import type { AclCredentials } from './remoting/acl-signer.js';
import type { ClientTlsOptions } from './remoting/tls-options.js';
import { NameServerSelector } from './selector/name-server-selector.js';
import { checkTimerLimit, MAX_TIMER_MS } from './timer-limit.js';
import { isTopicNotExist, TopicNotExistError } from './topic-not-exist-error.js';
import { TopicRouteCache } from './topic-route-cache.js';
import {
  DEFAULT_ROUTE_WATCH_HOLD_MS,
  DEFAULT_ROUTE_WATCH_REFUSED_RETRY_MS,
  RouteWatcher,
} from './watch/route-watcher.js';
import type { RouteWatchOptions, RouteWatchState } from './watch/route-watcher.js';

/**
 * Requests that only read the node's tables: sending one again to another node cannot do harm.
 * QUERY_DATA_VERSION (it refreshes a broker's liveness) and the route watch (the watcher moves
 * itself) are not among them.
 */
const READ_REQUEST_CODES: ReadonlySet<number> = new Set([
  RequestCode.GET_KV_CONFIG,
  RequestCode.GET_ROUTEINFO_BY_TOPIC,
  RequestCode.GET_BROKER_CLUSTER_INFO,
  RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER,
  RequestCode.GET_KVLIST_BY_NAMESPACE,
  RequestCode.GET_TOPICS_BY_CLUSTER,
  RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_NS,
  RequestCode.GET_UNIT_TOPIC_LIST,
  RequestCode.GET_HAS_UNIT_SUB_TOPIC_LIST,
  RequestCode.GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST,
  RequestCode.GET_NAMESRV_CONFIG,
  RequestCode.GET_BROKER_MEMBER_GROUP,
]);

/** Java: pollNameServerInterval = 30 000 ms. */
export const DEFAULT_POLL_NAME_SERVER_INTERVAL_MS = 30_000;

export interface NameServerClientOptions extends Omit<ResolveNameServerAddressOptions, 'logger'> {
  /** A remoting client to share (not closed by `close()`); default: one of our own. */
  readonly remoting?: RemotingClient;
  /** Options for the remoting client we create when `remoting` is not given. */
  readonly remotingOptions?: Omit<RemotingClientOptions, 'logger'>;
  /** Sign every request with this ACL 1.0 account (shortcut for remotingOptions.credentials). */
  readonly credentials?: AclCredentials;
  /** TLS to the nodes (shortcut for remotingOptions.tls; see tls-options.ts for the defaults). */
  readonly tls?: ClientTlsOptions | boolean;
  /** A selector to use (e.g. seeded, for tests); default: a random-seeded one. */
  readonly selector?: NameServerSelector;
  /**
   * Per-call timeout (ms), for the whole call: waiting for the address list and every node tried
   * share it. Java mqClientApiTimeout: 3 000.
   */
  readonly timeoutMs?: number;
  /** Route refresh period for topics in use (ms). Java: 30 000. */
  readonly pollNameServerInterval?: number;
  /**
   * Follow the routes of topics in use with the route watch where the node supports it (default
   * true); false polls only, like Java. See RouteWatchOptions for the knobs.
   */
  readonly routeWatch?: boolean | RouteWatchOptions;
  /** Environment for NAMESRV_ADDR (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
}

/**
 * A listener that throws is logged (`error`) and affects neither the other listeners nor the
 * client: lookups, the refresh and the route watch go on.
 */
export interface NameServerClientEvents {
  /**
   * The route of `topic` changed (or was loaded for the first time: `previous` undefined; or came
   * back after `routeGone`). Emitted by lookups, the periodic refresh and the route watch.
   */
  routeChanged: [topic: string, route: TopicRouteData, previous: TopicRouteData | undefined];
  /**
   * The node has no route for `topic` in use (deleted, its brokers gone, or never created);
   * emitted once until a route arrives again. Its last route stays cached, as Java keeps it.
   */
  routeGone: [topic: string, previous: TopicRouteData | undefined];
  /** A periodic refresh of `topic` failed; the cached route is kept. */
  routeRefreshFailed: [topic: string, error: unknown];
  /** The route watch started, stopped or moved (see RouteWatchState). */
  routeWatchStateChanged: [state: RouteWatchState];
  /** The name server list changed. */
  addressesChanged: [addresses: readonly string[], previous: readonly string[]];
}

/** A response together with the node that gave it. */
export interface AddressedResponse {
  readonly addr: string;
  readonly response: RemotingCommand;
}

export interface NameServerCallOptions {
  /** Send to this node instead of the selected one. */
  readonly addr?: string;
  /**
   * Bound on the whole call (default: the client's `timeoutMs`): the wait for the address list
   * and each node tried get what is left of it, so dead nodes cannot make it longer.
   */
  readonly timeoutMs?: number;
}

export class NameServerClient extends EventEmitter<NameServerClientEvents> {
  readonly remoting: RemotingClient;
  readonly timeoutMs: number;
  readonly pollNameServerInterval: number;
  /** Refresh period while the route watch is active (the safety net); 0 when the watch is off. */
  readonly safetyPollIntervalMs: number;
  readonly #provider: NameServerAddressProvider;
  readonly #selector: NameServerSelector;
  readonly #ownsRemoting: boolean;
  readonly #ownsProvider: boolean;
  readonly #log: Logger;
  readonly #routes: TopicRouteCache;
  readonly #watcher: RouteWatcher | undefined;
  #unsubscribe: (() => void) | undefined;
  #offConnect: (() => void) | undefined;
  #started: Promise<void> | undefined;
  /** `start()` has settled (the address list is loaded, or its source gave up). */
  #startDone = false;
  #closed = false;
  /**
   * Failures already reported through routeRefreshFailed, per topic: watch()'s first fetch and a
   * periodic refresh that starts while it is under way share one fetch, and both saw its
   * rejection (each failure was reported twice).
   */
  readonly #reportedFailures = new WeakMap<object, Set<string>>();

  constructor(options: NameServerClientOptions = {}) {
    super();
    this.#log = options.logger ?? NOOP_LOGGER;
    const {
      remoting,
      remotingOptions,
      credentials,
      tls,
      selector,
      timeoutMs,
      pollNameServerInterval,
      routeWatch,
      env,
      ...rest
    } = options;
    this.timeoutMs = checkMs('timeoutMs', timeoutMs, 3_000);
    this.pollNameServerInterval = checkMs(
      'pollNameServerInterval',
      pollNameServerInterval,
      DEFAULT_POLL_NAME_SERVER_INTERVAL_MS,
    );
    const watchOptions: RouteWatchOptions | undefined =
      routeWatch === false ? undefined : routeWatch === true ? {} : (routeWatch ?? {});
    this.safetyPollIntervalMs =
      watchOptions === undefined
        ? 0
        : checkMs(
            'routeWatch.safetyPollIntervalMs',
            watchOptions.safetyPollIntervalMs,
            // A long poll interval must not make the default past Node's timer limit.
            Math.min(4 * this.pollNameServerInterval, MAX_TIMER_MS),
          );
    this.#provider = resolveNameServerAddressProvider(
      { ...rest, logger: this.#log.child({ component: 'address' }) },
      env ?? process.env,
    );
    this.#selector = selector ?? new NameServerSelector();
    this.#ownsRemoting = remoting === undefined;
    // A provider object the caller gave may be shared (a broker agent's): closed by its owner.
    this.#ownsProvider = typeof rest.addressProvider !== 'object';
    this.remoting =
      remoting ??
      new RemotingClient({
        ...remotingOptions,
        ...(credentials === undefined ? {} : { credentials }),
        ...(tls === undefined ? {} : { tls }),
        logger: this.#log.child({ component: 'remoting' }),
      });
    this.#routes = new TopicRouteCache(
      (topic) => this.#fetchRoute(topic),
      {
        onChanged: (topic, route, previous) => {
          this.#notify('routeChanged', topic, route, previous);
        },
        onRefreshFailed: (topic, err) => {
          this.#reportRefreshFailed(topic, err);
        },
        onGone: (topic, previous) => {
          this.#notify('routeGone', topic, previous);
        },
        onForgotten: (topic) => {
          this.#watcher?.topicForgotten(topic);
        },
        onTopicsChanged: () => {
          this.#watcher?.topicsChanged();
        },
      },
      this.#log,
    );
    this.#watcher = watchOptions === undefined ? undefined : this.#createWatcher(watchOptions);
  }

  #createWatcher(options: RouteWatchOptions): RouteWatcher {
    const holdMs = checkMs('routeWatch.holdMs', options.holdMs, DEFAULT_ROUTE_WATCH_HOLD_MS);
    const refusedRetryMs = checkMs(
      'routeWatch.refusedRetryMs',
      options.refusedRetryMs,
      DEFAULT_ROUTE_WATCH_REFUSED_RETRY_MS,
    );
    return new RouteWatcher(
      {
        // A node refuses a whole watch naming a longer topic than any RocketMQ makes: such a
        // topic is left to polling (the safety poll while watching), the others are watched.
        topics: () => this.#routes.topics().filter((t) => t.length <= WATCH_TOPIC_MAX_LENGTH),
        currentNode: () => {
          const chosen = this.#selector.chosen;
          return chosen !== undefined && this.remoting.isConnected(chosen) ? chosen : undefined;
        },
        // A node that does not know the watch (Java 4.9 answers nothing to an unknown code) is
        // no reason to leave it: the watcher copes with a refused watch itself.
        // A held watch that times out on a node that serves the watch: the node is hung, and
        // calls leave it like any timed-out call (a probe's timeout only says "no watch here").
        invoke: (request, timeoutMs, held) => this.#invokeAny(request, { timeoutMs }, held),
        route: (topic, route) => {
          this.#routes.applyWatched(topic, route);
        },
        gone: (topic) => {
          this.#routes.markGoneWatched(topic);
        },
        stateChanged: (state) => {
          // Polling is the safety net while the watch works, and the mechanism otherwise.
          this.#routes.setInterval(
            state.mode === 'watching' ? this.safetyPollIntervalMs : this.pollNameServerInterval,
          );
          this.#notify('routeWatchStateChanged', state);
        },
        callTimeoutMs: this.timeoutMs,
        logger: this.#log.child({ component: 'route-watch' }),
      },
      { holdMs, refusedRetryMs },
    );
  }

  /** The current name server list in selection order (shuffled on change, like Java). */
  get addresses(): readonly string[] {
    return this.#selector.addresses;
  }

  /** The current name server list in the order its source gives it. */
  get configuredAddresses(): readonly string[] {
    return this.#provider.current();
  }

  /** The node "any node" calls currently stick to, if one is chosen. */
  get chosenAddress(): string | undefined {
    return this.#selector.chosen;
  }

  /**
   * Loads the address list and starts the route refresh. Called implicitly by the first request;
   * idempotent once it succeeded. A start that failed (the address provider's start() rejected)
   * is tried again by the next call.
   */
  start(): Promise<void> {
    this.#started ??= this.#start().then(
      () => {
        this.#startDone = true;
      },
      (err: unknown) => {
        // Forget a failed start so that the next call tries again: kept, it left the client with
        // no list and not following its provider for good (a config center down for a moment).
        this.#started = undefined;
        throw err;
      },
    );
    return this.#started;
  }

  /**
   * start(), waiting for it at most `timeoutMs`: NoNameServerError when the address source has
   * not answered by then (the start goes on). What every call does before sending.
   */
  async startWithin(timeoutMs: number): Promise<void> {
    if (!this.#startDone) await this.#startWithin(checkMs('timeoutMs', timeoutMs, this.timeoutMs));
  }

  /**
   * Waits for `start()` at most `timeoutMs` (a call's own timeout): an address source that never
   * answers (a user function that hangs, an address service that accepts and says nothing) held
   * every call for ever, whatever its timeout (review finding). The start goes on meanwhile.
   */
  async #startWithin(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<true>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    });
    try {
      if (await Promise.race([this.start().then(() => false), expired])) {
        throw new NoNameServerError(
          `no name server address is known yet: the ${this.#provider.kind} address source has not answered within ${timeoutMs} ms`,
        );
      }
    } finally {
      clearTimeout(timer);
    }
  }

  async #start(): Promise<void> {
    await this.#provider.start();
    // close() while the list was loading (an address service being slow) has stopped what it
    // found running; nothing may start after it.
    if (this.#closed) return;
    // The initial list is not a change: load it without an event, and follow changes from here
    // (the next poll of a provider comes from a timer, so none can fall in between).
    this.#selector.update(this.#provider.current());
    this.#unsubscribe = this.#provider.onChange((addresses, previous) => {
      this.#applyAddresses(addresses, previous);
    });
    this.#routes.start(this.pollNameServerInterval);
    const watcher = this.#watcher;
    if (watcher !== undefined) {
      const onConnect = (addr: string): void => {
        watcher.nodeConnected(addr);
      };
      this.remoting.on('connect', onConnect);
      this.#offConnect = () => this.remoting.off('connect', onConnect);
      watcher.start();
    }
  }

  #applyAddresses(addresses: readonly string[], previous: readonly string[]): void {
    if (!this.#selector.update(addresses)) return;
    const gone = previous.filter((addr) => !addresses.includes(addr));
    // Java 5.x closes the channel of a removed namesrv; in-flight calls on it fail retriably.
    for (const addr of gone) this.remoting.closeConnection(addr);
    this.#notify('addressesChanged', addresses, previous);
  }

  /**
   * Sends `request` to the chosen node (or `options.addr`) with failover on connect errors (and,
   * for reads, on a connection closed before anything arrived on it), and returns the raw
   * response with the node that answered. Does not interpret the response code. `timeoutMs`
   * bounds the whole call: out of it, the last node's error (or RemotingTimeoutError) is thrown.
   */
  invokeAny(
    request: RemotingRequest,
    options: NameServerCallOptions = {},
  ): Promise<AddressedResponse> {
    const before = this.#selector.chosen;
    const call = this.#invokeAny(request, options, true);
    if (before === undefined || this.#watcher === undefined) return call;
    // Calls left the node they were using: the route watch follows them at once (a watch held
    // on a hung node otherwise waits out its whole hold there).
    const follow = (): void => {
      if (this.#selector.chosen !== before) this.#watcher?.nodeLeft(before);
    };
    call.then(follow, follow);
    return call;
  }

  /**
   * invokeAny; `leaveOnTimeout` false keeps the chosen node when the call times out (only a
   * connect error or a closed connection moves the next call on).
   */
  async #invokeAny(
    request: RemotingRequest,
    options: NameServerCallOptions,
    leaveOnTimeout: boolean,
  ): Promise<AddressedResponse> {
    if (this.#closed) throw new RemotingClosedError('*', 'name server client is closed');
    const timeoutMs = checkMs('timeoutMs', options.timeoutMs, this.timeoutMs);
    // The timeout bounds the whole call: waiting for the address list and every node tried share
    // it, so a list of dead nodes cannot stretch a call to a timeout per node.
    const deadline = Date.now() + timeoutMs;
    if (!this.#startDone) await this.#startWithin(timeoutMs);
    if (options.addr !== undefined) {
      const left = deadline - Date.now();
      if (left <= 0) throw outOfTime(options.addr, timeoutMs);
      const response = await this.remoting.invoke(options.addr, request, { timeoutMs: left });
      return { addr: options.addr, response };
    }
    if (this.#selector.addresses.length === 0) throw new NoNameServerError();
    let lastError: RemotingConnectError | RemotingClosedError | undefined;
    // Healthy = a connection that is open or still being opened (so concurrent first calls
    // share one node instead of each advancing the index).
    const isHealthy = (addr: string): boolean => this.remoting.hasConnection(addr);
    /** Whether a node before this one was tried in this call (only then is time "left over"). */
    let earlierTried = false;
    for (const addr of this.#selector.attempts(isHealthy)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        // Out of time: loading the list took it all, or the last node failed at the very end.
        if (lastError !== undefined) throw lastError;
        throw outOfTime(addr, timeoutMs);
      }
      const invokeOptions: InvokeOptions = { timeoutMs: left };
      try {
        const response = await this.remoting.invoke(addr, request, invokeOptions);
        return { addr, response };
      } catch (err) {
        // A request that cannot be sent at all is the caller's fault, not the node's.
        if (err instanceof InvalidOptionError) throw err;
        // A node given only what an earlier one left of the call's time, that ran out of it, has
        // not failed: it stays chosen for the next call. (Review finding: a node failing late in
        // every call made the healthy one behind it time out, be dropped, and never be used.)
        const starved =
          earlierTried &&
          left < timeoutMs &&
          (err instanceof RemotingTimeoutError || Date.now() >= deadline);
        if (!starved && (leaveOnTimeout || !(err instanceof RemotingTimeoutError))) {
          this.#selector.reportFailure(addr);
        }
        earlierTried = true;
        if (err instanceof RemotingConnectError || isUnansweredRead(request, err)) {
          // No time left for another node: this one's failure is the answer.
          if (deadline <= Date.now()) throw err;
          this.#log.debug({ addr, err }, 'name server unreachable, trying the next one');
          lastError = err;
          continue;
        }
        throw err;
      }
    }
    throw lastError ?? new NoNameServerError();
  }

  /** Like invokeAny, but a non-success response code throws ResponseError. */
  async invokeAnyOk(
    request: RemotingRequest,
    options: NameServerCallOptions = {},
  ): Promise<AddressedResponse> {
    const result = await this.invokeAny(request, options);
    expectSuccess(result.response, request.code, result.addr);
    return result;
  }

  /**
   * The route of `topic`: from the cache, or fetched (then cached and refreshed every
   * `pollNameServerInterval` until `forgetTopic`). Throws TopicNotExistError when the name server
   * has no route (an expected answer), other NsClientErrors otherwise.
   */
  getTopicRouteData(
    topic: string,
    options: { readonly forceRefresh?: boolean } = {},
  ): Promise<TopicRouteData> {
    return this.#routes.get(topic, options.forceRefresh ?? false);
  }

  /** One route query, bypassing the cache (admin use; `addr` picks a node). */
  async queryTopicRouteData(
    topic: string,
    options: NameServerCallOptions = {},
  ): Promise<TopicRouteData> {
    return this.#queryRoute(topic, options);
  }

  /** The cached route, without any I/O. */
  cachedTopicRouteData(topic: string): TopicRouteData | undefined {
    return this.#routes.cached(topic);
  }

  /** Topics whose routes are refreshed periodically. */
  topicsInUse(): string[] {
    return this.#routes.topics();
  }

  /** Stops refreshing `topic` and drops its cached route. */
  forgetTopic(topic: string): void {
    this.#routes.forget(topic);
  }

  /**
   * Follows `topics` without asking for their routes now: each becomes a topic in use, its route
   * arrives through `routeChanged` (or `routeGone` when the node has none), and changes follow
   * through the route watch (or polling where the node has no watch). Undo with `unwatch`.
   */
  watch(topics: string | Iterable<string>): void {
    if (this.#closed) throw new RemotingClosedError('*', 'name server client is closed');
    const added: string[] = [];
    for (const topic of typeof topics === 'string' ? [topics] : topics) {
      if (typeof topic !== 'string' || topic === '') {
        throw new InvalidOptionError('topics', `watch: a topic must be a non-empty string`);
      }
      if (this.#routes.add(topic)) added.push(topic);
    }
    this.start().catch((err: unknown) => {
      this.#log.warn({ err }, 'name server client failed to start');
    });
    // With the watch active the node answers new topics at once; otherwise fetch them now.
    if (this.#watcher?.state.mode === 'watching') return;
    for (const topic of added) {
      this.#routes.get(topic).catch((err: unknown) => {
        // TOPIC_NOT_EXIST was reported as routeGone by the cache.
        if (!isTopicNotExist(err)) this.#reportRefreshFailed(topic, err);
      });
    }
  }

  /** Stops following `topics` (forgetTopic for each). */
  unwatch(topics: string | Iterable<string>): void {
    for (const topic of typeof topics === 'string' ? [topics] : topics) this.forgetTopic(topic);
  }

  /** Where the route watch stands: `off` when disabled or nothing is in use. */
  get routeWatchState(): RouteWatchState {
    return this.#watcher?.state ?? { mode: 'off', addr: undefined, reason: undefined };
  }

  /** Refreshes every topic in use now (what the periodic task does). Never rejects. */
  refreshTopicRoutes(): Promise<void> {
    return this.#routes.refreshAll();
  }

  /**
   * Stops the refresh; closes the address provider and the remoting client if they are ours (not
   * ones the caller gave).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#watcher?.close();
    this.#offConnect?.();
    this.#routes.stop();
    this.#unsubscribe?.();
    if (this.#ownsProvider) await this.#provider.close();
    if (this.#ownsRemoting) await this.remoting.close();
  }

  /**
   * Emits `event` to each listener on its own. Events come from the route cache, the periodic
   * refresh and the route watch: a listener that throws must neither stop the other listeners
   * nor break what emitted it (a lookup would reject, the watch would take the error for an
   * undecodable answer and stop for minutes). Logged like the address list's listener errors.
   */
  /** routeRefreshFailed, once per failed fetch of `topic` (see #reportedFailures). */
  #reportRefreshFailed(topic: string, err: unknown): void {
    if (typeof err === 'object' && err !== null) {
      const topics = this.#reportedFailures.get(err) ?? new Set<string>();
      if (topics.has(topic)) return;
      topics.add(topic);
      this.#reportedFailures.set(err, topics);
    }
    this.#notify('routeRefreshFailed', topic, err);
  }

  #notify<K extends keyof NameServerClientEvents>(
    event: K,
    ...args: NameServerClientEvents[K]
  ): void {
    emitToEach(this, event, args, (err) => {
      this.#log.error({ err, event }, 'name server client listener threw');
    });
  }

  #fetchRoute(topic: string): Promise<TopicRouteData> {
    return this.#queryRoute(topic, {});
  }

  async #queryRoute(topic: string, options: NameServerCallOptions): Promise<TopicRouteData> {
    const code = RequestCode.GET_ROUTEINFO_BY_TOPIC;
    const { addr, response } = await this.invokeAny(
      { code, extFields: encodeGetRouteInfoRequestHeader({ topic }) },
      options,
    );
    if (response.code === ResponseCode.TOPIC_NOT_EXIST) {
      throw new TopicNotExistError(topic, response.remark ?? undefined, addr);
    }
    expectSuccess(response, code, addr);
    if (response.body === null) {
      throw new ProtocolViolationError(`route of ${topic} from ${addr} has no body`, { addr });
    }
    try {
      return decodeTopicRouteData(response.body);
    } catch (err) {
      throw new ProtocolViolationError(`undecodable route of ${topic} from ${addr}`, {
        cause: err,
        addr,
      });
    }
  }
}

/** A call whose whole timeout ran out before it could send (to `addr`, the node it was at). */
function outOfTime(addr: string, timeoutMs: number): RemotingTimeoutError {
  return new RemotingTimeoutError(
    addr,
    timeoutMs,
    `no answer within ${timeoutMs} ms: the time went on loading the address list or on other nodes`,
  );
}

/** A read whose connection closed with nothing received on it: safe to send to the next node. */
function isUnansweredRead(request: RemotingRequest, err: unknown): err is RemotingClosedError {
  return (
    err instanceof RemotingClosedError &&
    err.nothingReceived &&
    READ_REQUEST_CODES.has(request.code)
  );
}

/** An option that feeds a timer: a positive integer up to Node's timer limit. */
function checkMs(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidOptionError(name, `${name}: expected a positive integer (ms), got ${value}`);
  }
  return checkTimerLimit(name, value);
}
