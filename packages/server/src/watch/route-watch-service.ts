/**
 * The route watch (WATCH_TOPIC_ROUTE, 30000): a client names the topics it follows with the route
 * version it holds; the node answers at once with the routes that are newer (and the topics that
 * are gone), or holds the request until one of them changes or the hold time passes, then answers
 * with what changed (possibly nothing). One held watch per connection: a newer one replaces it.
 *
 * Guarantees (per node process, or per serving worker: one RouteVersions each):
 * - versions are per topic and only grow within an epoch; a client that sends back the versions
 *   and epoch of its last answer on the same node never misses a change and never goes back to an
 *   older route than one it was sent;
 * - a change wakes exactly the watches of the changed topics (`HeldWatches` is indexed by topic)
 *   and each changed route is encoded once per flavour for all of them (`WatchResponseBuilder`);
 * - under another epoch (restarted node, other worker) the client's versions count as 0: every
 *   watched topic is answered at once, so it simply gets fresh routes;
 * - the version table is bounded (RouteVersions: past ROUTE_VERSIONS_MAX_ENTRIES changed topics
 *   every topic moves to one new version, same epoch); each watch then gets its topics once more.
 * Not guaranteed: seeing every intermediate route (changes that happen while no watch is held,
 * or several in one tick, arrive as the latest route), or anything across nodes (each node
 * versions independently and learns of broker changes at its own time).
 *
 * Changes are applied to the versions at once and the held watches are woken together on the
 * next turn of the event loop (setImmediate), so several changes made by one request or one
 * connection close leave as one answer per watch, and the route table is consistent when read.
 */
import {
  CURRENT_VERSION,
  decodeWatchTopicRouteRequestBody,
  decodeWatchTopicRouteRequestHeader,
  isOneway,
  ResponseCode,
  routeBodyWantsStandardJson,
  WATCH_TOPIC_MAX_LENGTH,
} from '@ns/protocol';
import type { RemotingCommand, WatchTopicRouteRequestBody } from '@ns/protocol';
import type { RequestContext } from '../handlers/request-context.js';
import { responders } from '../handlers/responses.js';
import { HeldWatches } from './held-watches.js';
import type { HeldWatch } from './held-watches.js';
import { BUMP_ALL_FROM_TOPICS, RouteVersions } from './route-versions.js';
import { HELD } from './types.js';
import type { Held, RouteWatchDeps, RouteWatchLimits, WatchRejectReason } from './types.js';
import { WatchResponseBuilder } from './watch-response-builder.js';
import type { WatchRequestRef } from './watch-response-builder.js';

// Our extension: its responses carry the protocol's current version, as the answers' builder does.
const { ok, fail } = responders(CURRENT_VERSION);

/**
 * Most bytes one topic can take in a request body: its name with every character escaped
 * (`\\uXXXX`), the quotes, a colon, a version up to 2^53, a comma and some whitespace.
 */
const WATCH_REQUEST_BYTES_PER_TOPIC = 6 * WATCH_TOPIC_MAX_LENGTH + 32;

/** Watches answered per turn of the event loop in a wakeup (see answerInChunks). */
export const WAKE_CHUNK = 256;

/**
 * Longest a wakeup waits for the write in progress (`deferWakeWhile`): a write worked through in
 * slices flushes its changes at every slice, and a wakeup between two slices answered a watch
 * with part of what the write changed (the rest then came as a second answer to its next watch).
 */
export const MAX_WAKE_DEFER_MILLIS = 50;
/** How often a deferred wakeup looks again. */
const WAKE_DEFER_POLL_MILLIS = 1;

export interface RouteWatchStats {
  /** Watches held now. */
  readonly held: number;
  /** Distinct topics of the held watches. */
  readonly heldTopics: number;
  /** Topics with a version above the floor. */
  readonly versionedTopics: number;
}

export class RouteWatchService {
  readonly versions: RouteVersions;
  private readonly deps: RouteWatchDeps;
  private readonly now: () => number;
  private readonly held = new HeldWatches();
  /** Changed topics that had held watches, waiting for the next wakeup (insertion order). */
  private pendingTopics = new Set<string>();
  private pendingAll = false;
  /** When the first change of the pending batch arrived. */
  private pendingSince = 0;
  private flushScheduled: NodeJS.Immediate | null = null;
  /** A wakeup waiting for the write in progress (see MAX_WAKE_DEFER_MILLIS). */
  private flushDeferred: NodeJS.Timeout | null = null;
  /**
   * False until the first answer: before it no client can hold a version of this epoch, so
   * changes need not be versioned (a node nobody watches pays nothing).
   */
  private hasAnswered = false;
  private isClosed = false;

  constructor(deps: RouteWatchDeps) {
    this.deps = deps;
    this.now = deps.now ?? (() => performance.now());
    this.versions = new RouteVersions(deps.epoch, deps.maxVersionEntries);
  }

  get epoch(): string {
    return this.versions.epoch;
  }

  stats(): RouteWatchStats {
    return {
      held: this.held.size,
      heldTopics: this.held.topicCount,
      versionedTopics: this.versions.size,
    };
  }

  /** The WATCH_TOPIC_ROUTE handler. */
  readonly handle = (request: RemotingCommand, ctx: RequestContext): RemotingCommand | Held => {
    // A one-way watch can never be answered: nothing to do.
    if (isOneway(request)) return ok(request);
    if (!this.deps.isServing()) {
      return this.reject(request, 'not_ready', ResponseCode.SYSTEM_ERROR, 'name server not ready');
    }
    // A missing or unparsable header field throws HeaderFieldError: the dispatcher answers it.
    const header = decodeWatchTopicRouteRequestHeader(request.extFields);
    if (header.holdMillis !== undefined && header.holdMillis < 0) {
      return this.badRequest(
        request,
        `WatchTopicRouteRequestHeader: field "holdMillis" is ${header.holdMillis}, expected >= 0`,
      );
    }
    if (request.body === null) {
      return this.badRequest(request, 'WATCH_TOPIC_ROUTE: no body, expected {"topics":{…}}');
    }
    // The body is parsed on the event loop that answers lookups: before parsing, bound it by what
    // routeWatchMaxTopics names can take, then by its keys (review finding: a 16 MiB body of
    // 1.5 million names, refused only once parsed, held every lookup on the node for 4 s).
    const maxTopics = this.deps.limits().maxTopics;
    const maxBodyBytes = maxTopics * WATCH_REQUEST_BYTES_PER_TOPIC + 64;
    if (request.body.length > maxBodyBytes) {
      return this.reject(
        request,
        'max_topics',
        ResponseCode.INVALID_PARAMETER,
        `WATCH_TOPIC_ROUTE: a body of ${request.body.length} bytes, more than ${maxBodyBytes} (routeWatchMaxTopics=${maxTopics} names of at most ${WATCH_TOPIC_MAX_LENGTH} characters)`,
      );
    }
    // Every key but "topics" is a topic (other members are keys too: counted against the limit).
    const topicKeys = countObjectKeys(request.body) - 1;
    if (topicKeys > maxTopics) {
      return this.reject(
        request,
        'max_topics',
        ResponseCode.INVALID_PARAMETER,
        `WATCH_TOPIC_ROUTE: ${topicKeys} topics, more than routeWatchMaxTopics=${maxTopics}`,
      );
    }
    let body: WatchTopicRouteRequestBody;
    try {
      body = decodeWatchTopicRouteRequestBody(request.body);
    } catch (err) {
      return this.badRequest(request, err instanceof Error ? err.message : String(err));
    }
    const limits = this.deps.limits();
    const count = body.topics.size;
    if (count === 0) return this.badRequest(request, 'WATCH_TOPIC_ROUTE: no topics to watch');
    if (count > limits.maxTopics) {
      return this.reject(
        request,
        'max_topics',
        ResponseCode.INVALID_PARAMETER,
        `WATCH_TOPIC_ROUTE: ${count} topics, more than routeWatchMaxTopics=${limits.maxTopics}`,
      );
    }
    // A held watch keeps its names: they must be topic names, not megabytes (review finding:
    // 1,000 names of 15,000 characters a watch held 30 MB per connection). Retry and dead-letter
    // topics of long groups pass RocketMQ's 127 (review finding: one such topic got a client's
    // whole watch refused, every topic back to polling).
    for (const topic of body.topics.keys()) {
      if (topic.length > WATCH_TOPIC_MAX_LENGTH) {
        return this.badRequest(
          request,
          `WATCH_TOPIC_ROUTE: a topic name of ${topic.length} characters, more than ${WATCH_TOPIC_MAX_LENGTH} (the longest retry topic name)`,
        );
      }
    }

    const isSameEpoch = header.epoch === this.versions.epoch;
    const topics = new Map<string, number>();
    const changed: string[] = [];
    for (const topic of [...body.topics.keys()].sort()) {
      const held = isSameEpoch ? body.topics.get(topic)! : 0;
      topics.set(topic, held);
      if (this.versions.version(topic) > held) changed.push(topic);
    }
    const ref: WatchRequestRef = {
      connectionId: ctx.connectionId,
      opaque: request.opaque,
      serializeType: request.serializeType,
      standardJson: routeBodyWantsStandardJson(
        request.version,
        header.acceptStandardJsonOnly === true,
      ),
    };

    // One held watch per connection: the client asks again (e.g. with more topics).
    const previous = this.held.ofConnection(ctx.connectionId);
    if (previous !== undefined) {
      this.answer(previous, [], this.builder());
      this.deps.metrics?.watchResponded('superseded', 1);
    }

    const holdMillis = this.holdMillis(header.holdMillis, limits);
    if (changed.length > 0 || holdMillis === 0 || this.isClosed) {
      this.deps.metrics?.watchResponded('immediate', 1);
      return this.builder().response(ref, changed);
    }
    if (this.held.size >= limits.maxWatchers) {
      return this.reject(
        request,
        'max_watchers',
        ResponseCode.SYSTEM_BUSY,
        `WATCH_TOPIC_ROUTE: ${limits.maxWatchers} watches already held by this serving process (its share of routeWatchMaxWatchers); poll instead`,
      );
    }
    if (this.held.topicsHeld + topics.size > limits.maxHeldTopics) {
      return this.reject(
        request,
        'max_held_topics',
        ResponseCode.SYSTEM_BUSY,
        `WATCH_TOPIC_ROUTE: the held watches of this serving process follow ${this.held.topicsHeld} topics, ${topics.size} more would pass its share of routeWatchMaxHeldTopics (${limits.maxHeldTopics}); poll instead`,
      );
    }
    const watch: HeldWatch = { ref, topics, heldAt: this.now(), timer: undefined, isHeld: false };
    watch.timer = setTimeout(() => {
      if (this.answer(watch, [], this.builder())) this.deps.metrics?.watchResponded('timeout', 1);
    }, holdMillis);
    // The listening socket keeps the process alive, not a held watch.
    watch.timer.unref();
    this.held.add(watch);
    // (A client can only hold versions of this epoch after an answer; set anyway, to be robust.)
    this.hasAnswered = true;
    return HELD;
  };

  /**
   * The route-change feed: the topics whose route may have changed, or 'all'. Never throws (it
   * runs inside the route table's and the KV handlers' notification paths).
   */
  readonly onRouteChanged = (topics: ReadonlySet<string> | 'all'): void => {
    try {
      if (!this.hasAnswered) return;
      if (topics === 'all') {
        this.versions.bumpAll();
        this.pendingAll = true;
      } else {
        if (topics.size === 0) return;
        if (topics.size >= BUMP_ALL_FROM_TOPICS) this.versions.bumpAll();
        else this.versions.bump(topics);
        // The held watches to wake: from whichever side is smaller.
        if (topics.size <= this.held.topicCount) {
          for (const topic of topics) {
            if (this.held.hasTopic(topic)) this.pendingTopics.add(topic);
          }
        } else {
          for (const topic of this.held.watchedTopics()) {
            if (topics.has(topic)) this.pendingTopics.add(topic);
          }
        }
        if (this.pendingTopics.size === 0 && !this.pendingAll) return;
      }
      if (this.flushScheduled === null && this.flushDeferred === null && !this.isClosed) {
        this.pendingSince = this.now();
        this.flushScheduled = setImmediate(this.flush);
      }
    } catch (err) {
      this.deps.logger.error({ err }, 'route watch: route change handling failed');
    }
  };

  /** The transport closed a connection: forget its held watch (nothing can be sent on it). */
  connectionClosed(connectionId: number): void {
    const watch = this.held.ofConnection(connectionId);
    if (watch === undefined) return;
    this.held.remove(watch);
    clearTimeout(watch.timer);
  }

  /**
   * Shutdown: answers every held watch with "nothing changed" (so clients move on at once) and
   * holds nothing from now on. Call before the transport stops writing. Idempotent.
   */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.flushScheduled !== null) clearImmediate(this.flushScheduled);
    if (this.flushDeferred !== null) clearTimeout(this.flushDeferred);
    this.flushScheduled = null;
    this.flushDeferred = null;
    // Nothing held: nothing to answer, and no builder either (making one counts as an answer,
    // after which every change is versioned: the shutdown's removal of every topic, for nothing).
    if (this.held.size === 0) return;
    const builder = this.builder();
    let count = 0;
    for (const watch of [...this.held.all()]) if (this.answer(watch, [], builder)) count++;
    if (count > 0) this.deps.metrics?.watchResponded('shutdown', count);
  }

  private readonly flush = (): void => {
    this.flushScheduled = null;
    this.flushDeferred = null;
    if (this.isClosed) return;
    const defer = this.deps.deferWakeWhile;
    if (defer !== undefined && this.now() - this.pendingSince < MAX_WAKE_DEFER_MILLIS) {
      let writing = false;
      try {
        writing = defer();
      } catch (err) {
        this.deps.logger.error({ err }, 'route watch: deferWakeWhile threw');
      }
      if (writing) {
        // Changes arriving meanwhile join the pending set; this one wakeup takes them all.
        this.flushDeferred = setTimeout(this.flush, WAKE_DEFER_POLL_MILLIS);
        return;
      }
    }
    const since = this.pendingSince;
    const isAll = this.pendingAll;
    const topics = this.pendingTopics;
    this.pendingAll = false;
    this.pendingTopics = new Set();
    try {
      this.wake(isAll, topics, since);
    } catch (err) {
      this.deps.logger.error({ err }, 'route watch: wakeup failed');
    }
  };

  private wake(isAll: boolean, topics: ReadonlySet<string>, since: number): void {
    if (this.held.size === 0) return;
    const versions = this.versions;
    // Each woken watch with its changed topics, in one order for all (pending-set order, or the
    // sorted watch order for 'all'), so equal lists share one prepared frame.
    const woken = new Map<HeldWatch, string[]>();
    if (isAll) {
      for (const watch of this.held.all()) {
        const changed: string[] = [];
        for (const [topic, held] of watch.topics) {
          if (versions.version(topic) > held) changed.push(topic);
        }
        if (changed.length > 0) woken.set(watch, changed);
      }
    } else {
      for (const topic of topics) {
        const watches = this.held.ofTopic(topic);
        const version = versions.version(topic);
        for (const watch of watches) {
          if (version <= watch.topics.get(topic)!) continue;
          const changed = woken.get(watch);
          if (changed === undefined) woken.set(watch, [topic]);
          else changed.push(topic);
        }
      }
    }
    if (woken.size === 0) return;
    this.answerInChunks([...woken], this.builder(), since, isAll ? 'all' : topics.size);
  }

  /**
   * Answers woken watches WAKE_CHUNK at a time, one chunk per turn of the event loop: thousands
   * of answers in one go would hold every other request (route lookups) for as long. Watches
   * that closed or were replaced meanwhile are skipped; one changed again meanwhile gets the
   * route of this wave and asks again with its version (answered at once with the newer one).
   */
  private answerInChunks(
    woken: [HeldWatch, string[]][],
    builder: WatchResponseBuilder,
    since: number,
    topics: number | 'all',
  ): void {
    const metrics = this.deps.metrics;
    let next = 0;
    let answered = 0;
    const chunk = (): void => {
      if (this.isClosed) return;
      try {
        const end = Math.min(woken.length, next + WAKE_CHUNK);
        for (; next < end; next++) {
          const [watch, changed] = woken[next]!;
          if (!this.answer(watch, changed, builder)) continue;
          answered++;
          metrics?.watchWakeup((this.now() - since) / 1000);
        }
      } catch (err) {
        this.deps.logger.error({ err }, 'route watch: wakeup failed');
        next = woken.length;
      }
      if (next < woken.length) {
        setImmediate(chunk);
        return;
      }
      metrics?.watchResponded('changed', answered);
      this.deps.logger.debug(
        { woken: answered, topics, bodies: builder.bodiesFetched },
        'route watch: watches woken',
      );
    };
    chunk();
  }

  /** Answers a held watch with `topics`; false when it was no longer held. */
  private answer(
    watch: HeldWatch,
    topics: readonly string[],
    builder: WatchResponseBuilder,
  ): boolean {
    if (!this.held.remove(watch)) return false;
    clearTimeout(watch.timer);
    // False = the connection is gone; its close event forgets nothing more (already removed).
    this.deps.reply(watch.ref.connectionId, builder.response(watch.ref, topics));
    return true;
  }

  private builder(): WatchResponseBuilder {
    this.hasAnswered = true;
    const deps = this.deps;
    return new WatchResponseBuilder(this.versions, (topic, standardJson) =>
      deps.routeBody(topic, standardJson),
    );
  }

  private holdMillis(requested: number | undefined, limits: RouteWatchLimits): number {
    let hold = Math.min(requested ?? limits.maxHoldMillis, limits.maxHoldMillis);
    // A held watch must not outlive the idle timer of its connection.
    if (limits.idleTimeoutMillis > 0)
      hold = Math.min(hold, Math.floor(limits.idleTimeoutMillis / 2));
    return Math.max(0, hold);
  }

  private badRequest(request: RemotingCommand, remark: string): RemotingCommand {
    return this.reject(request, 'bad_request', ResponseCode.INVALID_PARAMETER, remark);
  }

  private reject(
    request: RemotingCommand,
    reason: WatchRejectReason,
    code: number,
    remark: string,
  ): RemotingCommand {
    this.deps.metrics?.watchRejected(reason);
    this.deps.logger.debug({ reason, code, remark }, 'route watch refused');
    return fail(request, code, remark);
  }
}

/**
 * The object keys in JSON text `json` — its colons outside strings — in one pass over the bytes,
 * with nothing built (`JSON.parse` would build every key first).
 */
function countObjectKeys(json: Buffer): number {
  let keys = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i]!;
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x3a) {
      keys++;
    }
  }
  return keys;
}
