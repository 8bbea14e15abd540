/**
 * The client side of the route watch (WATCH_TOPIC_ROUTE, a nameserver-ts extension): one long-poll
 * at a time on the node the client uses, carrying every topic in use with the route version last
 * received from that node. Answers feed the route cache; changes reach `routeChanged` listeners
 * within milliseconds instead of at the next 30 s poll.
 *
 * Per node, and never more than one watch in flight (a newer request replaces the held one on the
 * node, which answers the old one empty):
 * - a node of unknown support is probed first with `holdMillis=0` and the normal call timeout: a
 *   node that answers REQUEST_CODE_NOT_SUPPORTED (Java 5.x, rocketmq-rust) or nothing (Java 4.9)
 *   is marked refused within one call timeout and the client polls; it is asked again after
 *   `refusedRetryMs`, or at once after the client reconnects to it;
 * - a node that refuses for load (SYSTEM_BUSY: too many watchers) is left alone for a minute, one
 *   that refuses the request (INVALID_PARAMETER: too many topics) for `refusedRetryMs`;
 * - when the connection fails, the next watch goes wherever the client's calls go (failover),
 *   with versions reset: the new node answers every topic at once.
 * The owner polls at its normal pace unless the state is `watching`, and at the slower safety-net
 * pace while it is: a missed change is corrected by the next poll either way.
 */
import {
  decodeWatchTopicRouteResponseBody,
  decodeWatchTopicRouteResponseHeader,
  encodeWatchTopicRouteRequestBody,
  encodeWatchTopicRouteRequestHeader,
  RequestCode,
  ResponseCode,
} from '@ns/protocol';
import type { RemotingCommand, TopicRouteData, WatchTopicRouteResponseBody } from '@ns/protocol';
import { ProtocolViolationError, RemotingTimeoutError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { RemotingRequest } from '../remoting/remoting-client.js';
import { MAX_TIMER_MS } from '../timer-limit.js';
import { WatchSupport } from './watch-support.js';

/** Defaults of `RouteWatchOptions`. */
export const DEFAULT_ROUTE_WATCH_HOLD_MS = 30_000;
export const DEFAULT_ROUTE_WATCH_REFUSED_RETRY_MS = 300_000;
/** A node that answered SYSTEM_BUSY (routeWatchMaxWatchers reached) is asked again after this. */
export const ROUTE_WATCH_BUSY_RETRY_MS = 60_000;
/** Waits after consecutive failures (connect errors, closed connections, error answers). */
const FAILURE_BACKOFF_MS = [0, 100, 250, 500, 1000, 2000, 5000] as const;
/** While polling, how often to look again for a node that may serve the watch. */
const RECHECK_MS = 5_000;
/**
 * A held watch answered empty sooner than this counts as a quick empty answer (a node that does
 * not really hold). Below the shortest hold a node may use (routeWatchMaxHoldMillis >= 100): at
 * 1 s, a node holding 500 ms made this client wait up to 5 s between watches.
 */
const QUICK_EMPTY_MS = 90;
/**
 * More quick answers (within QUICK_EMPTY_MS) than this in PACE_WINDOW_MS, and the watcher waits
 * PACE_MS before its next watch. A node under route churn answers each watch at once, legitimately,
 * tens of times a second at most; one that raises a version (or its epoch) in every answer made
 * 15,000 watches a second. Pacing only delays changes by up to PACE_MS: they gather into the next
 * answer. (Counting quick answers in a row instead paced a healthy node through any long churn.)
 */
const QUICK_ANSWERS_PER_WINDOW = 100;
const PACE_WINDOW_MS = 1_000;
const PACE_MS = 100;

export interface RouteWatchOptions {
  /** How long the node may hold a watch without a change (ms; the node caps it). Default 30 000. */
  readonly holdMs?: number;
  /**
   * Route refresh period while watching (ms). Default 4 × pollNameServerInterval (at most
   * 2^31-1, Node's timer limit, like every interval here).
   */
  readonly safetyPollIntervalMs?: number;
  /** How long a node that refused the watch is left alone (ms). Default 300 000. */
  readonly refusedRetryMs?: number;
}

/**
 * - `off`: nothing to watch (no topic in use) or the client is closed;
 * - `probing`: asking a node of unknown support;
 * - `watching`: the node holds our watch; routes arrive as they change;
 * - `polling`: no watch (the node refused it, or the last attempt failed: `reason`).
 */
export type RouteWatchMode = 'off' | 'probing' | 'watching' | 'polling';

export interface RouteWatchState {
  readonly mode: RouteWatchMode;
  /** The node watched, probed or refusing; undefined when not known. */
  readonly addr: string | undefined;
  /** Why polling; undefined otherwise. */
  readonly reason: string | undefined;
}

/** A watch answer's header and body. */
interface DecodedAnswer {
  readonly epoch: string;
  readonly body: WatchTopicRouteResponseBody;
}

/** Decodes a SUCCESS answer; throws ProtocolViolationError when it is not a watch answer. */
function decodeAnswer(addr: string, response: RemotingCommand): DecodedAnswer {
  try {
    const { epoch } = decodeWatchTopicRouteResponseHeader(response.extFields);
    if (response.body === null) throw new Error('no body');
    return { epoch, body: decodeWatchTopicRouteResponseBody(response.body) };
  } catch (err) {
    throw new ProtocolViolationError(`undecodable route watch answer from ${addr}`, {
      cause: err,
      addr,
    });
  }
}

/** What the watcher needs from its NameServerClient. */
export interface RouteWatcherHost {
  /** Topics in use. */
  topics(): readonly string[];
  /** The node "any node" calls go to now, when it has a healthy connection. */
  currentNode(): string | undefined;
  /**
   * invokeAny: the chosen node, with failover on connect errors. `held`: a watch with a hold on a
   * node known to serve the watch; its timeout means the node is hung, and calls leave it.
   */
  invoke(
    request: RemotingRequest,
    timeoutMs: number,
    held: boolean,
  ): Promise<{ readonly addr: string; readonly response: RemotingCommand }>;
  /** route, gone and stateChanged must not throw (the client isolates its listeners). */
  route(topic: string, route: TopicRouteData): void;
  gone(topic: string): void;
  stateChanged(state: RouteWatchState): void;
  readonly callTimeoutMs: number;
  readonly logger: Logger;
}

/** Versions received from one node under one epoch. */
interface Session {
  readonly addr: string;
  readonly epoch: string;
  readonly versions: Map<string, number>;
}

type Waiting = 'none' | 'backoff' | 'refused' | 'quick';

export class RouteWatcher {
  readonly holdMs: number;
  readonly refusedRetryMs: number;
  readonly #host: RouteWatcherHost;
  readonly #support = new WatchSupport();
  #session: Session | undefined;
  /** Generation of the request whose answer drives the loop; older answers only feed the cache. */
  #gen = 0;
  #inFlight: { readonly gen: number; readonly isProbe: boolean } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #waiting: Waiting = 'none';
  #kick: NodeJS.Immediate | undefined;
  #failures = 0;
  #quickEmpties = 0;
  /** When the latest quick answers came (a ring of QUICK_ANSWERS_PER_WINDOW). */
  readonly #quickAt = new Float64Array(QUICK_ANSWERS_PER_WINDOW).fill(-Infinity);
  #quickNext = 0;
  #isStarted = false;
  #isClosed = false;
  #state: RouteWatchState = { mode: 'off', addr: undefined, reason: undefined };

  constructor(host: RouteWatcherHost, options: { holdMs: number; refusedRetryMs: number }) {
    this.#host = host;
    this.holdMs = options.holdMs;
    this.refusedRetryMs = options.refusedRetryMs;
  }

  get state(): RouteWatchState {
    return this.#state;
  }

  /** Starts watching (idempotent). */
  start(): void {
    if (this.#isStarted || this.#isClosed) return;
    this.#isStarted = true;
    this.#send();
  }

  /** Stops for good; answers still in flight are ignored. */
  close(): void {
    this.#isClosed = true;
    this.#gen++;
    this.#inFlight = undefined;
    this.#clearTimer();
    if (this.#kick !== undefined) clearImmediate(this.#kick);
    this.#kick = undefined;
    this.#setState('off', undefined, undefined);
  }

  /**
   * The topics in use changed: the held watch is replaced by one with the new set (coalesced to
   * one request per turn of the event loop). A probe in flight is left to finish; waits for a
   * refusing node or after failures are kept (polling covers the new topics meanwhile). A wait
   * after quick empty answers is cut short: the state stays `watching`, so nothing polls the new
   * topics at the normal pace, and a new topic set is a reason to ask, not a repeat of the loop
   * the wait guards against.
   */
  topicsChanged(): void {
    if (!this.#isStarted || this.#isClosed || this.#kick !== undefined) return;
    this.#kick = setImmediate(() => {
      this.#kick = undefined;
      if (this.#isClosed) return;
      if (this.#inFlight !== undefined) {
        if (!this.#inFlight.isProbe) this.#send();
      } else if (this.#waiting === 'none' || this.#waiting === 'quick') {
        this.#send();
      }
    });
  }

  /**
   * `topic` left use (its cached route is gone): its version is dropped now, not at the next
   * request. Watched again within the same turn (unwatch then watch), the topic is still in the
   * set when the next request is built, and the old version would tell the node we have a route
   * we no longer have: the node would say nothing about it until the route changes.
   */
  topicForgotten(topic: string): void {
    this.#session?.versions.delete(topic);
  }

  /** The client (re)connected to `addr`: what a refusal taught about it is forgotten. */
  nodeConnected(addr: string): void {
    if (this.#support.refusal(addr) === undefined) return;
    this.#support.forget(addr);
    if (this.#waiting === 'refused' && this.#inFlight === undefined) this.#send();
  }

  /**
   * The client's calls left `addr` (it failed one of them: timeout, closed connection). A watch
   * held there would wait out its hold (30 s) on a node that may be hung: move it now.
   */
  nodeLeft(addr: string): void {
    if (!this.#isStarted || this.#isClosed || this.#inFlight === undefined) return;
    if (this.#inFlight.isProbe || this.#state.addr !== addr) return;
    this.#send();
  }

  #send(): void {
    this.#clearTimer();
    if (this.#isClosed) return;
    const topics = this.#host.topics();
    if (topics.length === 0) {
      // Nothing to watch; topicsChanged() starts again. The answer of a watch still in flight
      // must not drive the loop any more (it turned the state back to `watching`).
      this.#gen++;
      this.#inFlight = undefined;
      this.#setState('off', undefined, undefined);
      return;
    }
    const now = Date.now();
    const node = this.#host.currentNode();
    const support = node === undefined ? 'unknown' : this.#support.support(node, now);
    if (node !== undefined && support === 'refused') {
      const refusal = this.#support.refusal(node)!;
      this.#setState('polling', node, refusal.reason);
      // Look again now and then: calls may have moved to another node meanwhile.
      this.#wait('refused', Math.min(refusal.until - now, RECHECK_MS));
      return;
    }
    const isProbe = support !== 'supported';
    const holdMs = isProbe ? 0 : this.holdMs;
    const session = this.#session?.addr === node ? this.#session : undefined;
    const versions = new Map<string, number>();
    for (const topic of topics) versions.set(topic, session?.versions.get(topic) ?? 0);
    // A topic no longer in use leaves no version behind: watched again later, it must be asked
    // for from 0 (its route was forgotten), not from the version it had. (topicForgotten drops
    // it at once; this covers a host that only reports the changed set.)
    if (session !== undefined) {
      for (const topic of session.versions.keys()) {
        if (!versions.has(topic)) session.versions.delete(topic);
      }
    }
    const gen = ++this.#gen;
    this.#inFlight = { gen, isProbe };
    if (isProbe) this.#setState('probing', node, undefined);
    const sentAt = now;
    const request: RemotingRequest = {
      code: RequestCode.WATCH_TOPIC_ROUTE,
      extFields: encodeWatchTopicRouteRequestHeader({
        holdMillis: holdMs,
        ...(session === undefined ? {} : { epoch: session.epoch }),
      }),
      body: encodeWatchTopicRouteRequestBody({ topics: versions }),
    };
    // Each is within Node's timer limit, their sum need not be (a node caps the hold far below).
    const timeoutMs = Math.min(holdMs + this.#host.callTimeoutMs, MAX_TIMER_MS);
    this.#host.invoke(request, timeoutMs, !isProbe).then(
      ({ addr, response }) => {
        this.#onAnswer(gen, addr, response, holdMs, sentAt);
      },
      (err: unknown) => {
        this.#onFailure(gen, err, isProbe, timeoutMs);
      },
    );
  }

  #onAnswer(
    gen: number,
    addr: string,
    response: RemotingCommand,
    holdMs: number,
    sentAt: number,
  ): void {
    if (this.#isClosed) return;
    const isCurrent = gen === this.#gen;
    if (response.code === ResponseCode.SUCCESS) {
      // A replaced request's answer still carries valid routes, but only for the node and epoch
      // the versions belong to.
      if (!isCurrent && this.#session?.addr !== addr) return;
      let answer: DecodedAnswer;
      try {
        answer = decodeAnswer(addr, response);
      } catch (err) {
        // A node whose code 30000 answers something else does not speak the watch.
        if (isCurrent) {
          this.#inFlight = undefined;
          const why =
            err instanceof Error
              ? err.cause instanceof Error
                ? err.cause.message
                : err.message
              : String(err);
          this.#refused(addr, Date.now() + this.refusedRetryMs, `undecodable answer: ${why}`);
        }
        return;
      }
      // Applied outside the try above: only the answer itself can make the node look refusing.
      const changed = this.#apply(addr, answer);
      if (!isCurrent) return;
      this.#inFlight = undefined;
      this.#support.markSupported(addr);
      // Only an answer to a held watch proves the watch works: a probe's success must not reset
      // the backoff (a node that closed every held watch got ~230 reconnects a second).
      if (holdMs > 0) this.#failures = 0;
      this.#setState('watching', addr, undefined);
      const answeredAt = Date.now();
      const isQuick = holdMs > 0 && answeredAt - sentAt < QUICK_EMPTY_MS;
      this.#quickEmpties = isQuick && changed === 0 ? this.#quickEmpties + 1 : 0;
      let tooFast = false;
      if (isQuick) {
        // The oldest of the ring: the QUICK_ANSWERS_PER_WINDOW-th quick answer before this one.
        tooFast = answeredAt - this.#quickAt[this.#quickNext]! < PACE_WINDOW_MS;
        this.#quickAt[this.#quickNext] = answeredAt;
        this.#quickNext = (this.#quickNext + 1) % QUICK_ANSWERS_PER_WINDOW;
      }
      // A node that keeps answering held watches at once (shutting down, misbehaving) must not
      // get a request loop: the first quick empty answer is retried at once, later ones back off.
      if (this.#quickEmpties > 1) {
        this.#wait('quick', FAILURE_BACKOFF_MS[Math.min(this.#quickEmpties, 6)]!);
      } else if (tooFast) {
        this.#wait('quick', PACE_MS);
      } else {
        this.#send();
      }
      return;
    }
    if (!isCurrent) return;
    this.#inFlight = undefined;
    const remark = response.remark ?? '';
    const now = Date.now();
    switch (response.code) {
      case ResponseCode.REQUEST_CODE_NOT_SUPPORTED:
        this.#refused(addr, now + this.refusedRetryMs, 'REQUEST_CODE_NOT_SUPPORTED (code 3)');
        return;
      case ResponseCode.SYSTEM_BUSY:
        this.#refused(addr, now + ROUTE_WATCH_BUSY_RETRY_MS, `SYSTEM_BUSY: ${remark}`);
        return;
      case ResponseCode.INVALID_PARAMETER:
        this.#refused(addr, now + this.refusedRetryMs, `INVALID_PARAMETER: ${remark}`);
        return;
      default:
        this.#failed(addr, `response code ${response.code}: ${remark}`);
    }
  }

  #onFailure(gen: number, err: unknown, isProbe: boolean, timeoutMs: number): void {
    if (this.#isClosed || gen !== this.#gen) return;
    this.#inFlight = undefined;
    const addr = (err as { addr?: unknown }).addr;
    const node = typeof addr === 'string' ? addr : undefined;
    if (
      err instanceof RemotingTimeoutError &&
      (isProbe || this.#support.support(err.addr, Date.now()) !== 'supported')
    ) {
      // Java 4.9 does not answer unknown request codes at all.
      this.#refused(
        err.addr,
        Date.now() + this.refusedRetryMs,
        `no answer to the watch within ${timeoutMs} ms`,
      );
      return;
    }
    this.#failed(node, err instanceof Error ? err.message : String(err));
  }

  /**
   * Applies a decoded answer to the cache; returns the number of topics it advanced. Not the
   * number it carried: a node repeating versions already held, or naming topics never asked for,
   * would look like progress and get asked again at once, thousands of times a second.
   */
  #apply(addr: string, { epoch, body }: DecodedAnswer): number {
    let session = this.#session;
    if (session === undefined || session.addr !== addr || session.epoch !== epoch) {
      // Another node or a restarted one: versions start over (it answered every topic).
      session = { addr, epoch, versions: new Map() };
      this.#session = session;
    }
    const versions = session.versions;
    let applied = 0;
    // An answer to a watch made before a topic left use may still carry it: not recorded (see
    // #send), nor applied.
    const inUse = new Set(this.#host.topics());
    for (const { topic, version, route } of body.routes) {
      if (!inUse.has(topic)) continue;
      if (version <= (versions.get(topic) ?? 0)) continue;
      versions.set(topic, version);
      applied++;
      this.#host.route(topic, route);
    }
    for (const { topic, version } of body.gone) {
      if (!inUse.has(topic)) continue;
      if (version <= (versions.get(topic) ?? 0)) continue;
      versions.set(topic, version);
      applied++;
      this.#host.gone(topic);
    }
    return applied;
  }

  #refused(addr: string, until: number, reason: string): void {
    this.#support.markRefused(addr, until, reason);
    this.#host.logger.info({ addr, reason }, 'route watch not available on this node; polling');
    this.#setState('polling', addr, reason);
    this.#wait('refused', Math.min(until - Date.now(), RECHECK_MS));
  }

  #failed(addr: string | undefined, reason: string): void {
    const delay = FAILURE_BACKOFF_MS[Math.min(this.#failures, FAILURE_BACKOFF_MS.length - 1)]!;
    this.#failures++;
    this.#host.logger.debug({ addr, reason, retryInMs: delay }, 'route watch failed');
    this.#setState('polling', addr, reason);
    this.#wait('backoff', delay);
  }

  #wait(why: Waiting, ms: number): void {
    this.#clearTimer();
    this.#waiting = why;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#waiting = 'none';
        this.#send();
      },
      Math.max(0, ms),
    );
    // A library timer must not keep the process alive on its own.
    this.#timer.unref();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#waiting = 'none';
  }

  #setState(mode: RouteWatchMode, addr: string | undefined, reason: string | undefined): void {
    const s = this.#state;
    if (s.mode === mode && s.addr === addr && s.reason === reason) return;
    this.#state = { mode, addr, reason };
    this.#host.stateChanged(this.#state);
  }
}
