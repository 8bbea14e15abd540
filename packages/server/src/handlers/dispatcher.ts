/**
 * request code → handler, and the one place where generic failures become responses
 * (Java: `NettyRemotingAbstract.processRequestCommand` + `DefaultRequestProcessor`'s switch).
 *
 * Rules (deliberate choices are marked):
 * - unknown code → REQUEST_CODE_NOT_SUPPORTED (3), remark ` request type <code> not supported`
 *   (5.x behaviour, leading space included; 4.9 sends nothing). Config
 *   `replyToUnknownRequestCode=false` restores the 4.9 silence;
 * - `HeaderFieldError` (a missing required or unparsable header field) → SYSTEM_ERROR (1) whose
 *   remark is the codec's message naming the header class and the field, e.g.
 *   `GetRouteInfoRequestHeader: missing required field "topic" (expected a string)`. Java does
 *   not validate (it NPEs later or looks up the topic "null"); we are stricter and say why;
 * - any other throw → SYSTEM_ERROR with the error's message, logged with the request code;
 * - every response mirrors the request's serialize type, including error responses (Java 4.9
 *   sends exception-made SYSTEM_ERRORs as JSON; mirroring is what every client can read);
 * - one-way requests are processed and never answered, not even with an error (null);
 * - a handler that answers later returns DEFERRED (handler.ts): `dispatch` returns null (nothing
 *   to write now) and the request is counted with result `DEFERRED`; its response goes out later
 *   through the transport's `reply(connectionId, response)`;
 * - `dispatch` never throws.
 */
import {
  createResponse,
  HeaderFieldError,
  isOneway,
  RequestCode,
  requestCodeName,
  ResponseCode,
} from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import { brokerHandlers } from './broker.js';
import type { Clock, HandlerLogger, KVConfigStore, RequestMetrics, RouteStore } from './deps.js';
import { DEFERRED } from './handler.js';
import type { Deferred, Handler } from './handler.js';
import { kvConfigHandlers } from './kv-config.js';
import { namesrvConfigHandlers } from './namesrv-config.js';
import type { NamesrvConfigHolder } from './namesrv-config.js';
import type { RequestContext } from './request-context.js';
import { RouteBodyCache } from './route-cache.js';
import { routeBodyBuilder, routeHandlers } from './route.js';
import { topicListHandlers } from './topic-list.js';
import { RouteWatchService } from '../watch/index.js';
import type { RouteWatchMetrics } from '../watch/index.js';
import type { HandlerTable } from './handler.js';

export interface DispatcherDeps {
  routeInfoManager: RouteStore;
  kvConfigManager: KVConfigStore;
  /** The live NamesrvConfig and how to change it (UPDATE_NAMESRV_CONFIG). */
  config: NamesrvConfigHolder;
  /**
   * Writes the properties text UPDATE_NAMESRV_CONFIG produced to `configStorePath` (E1 owns the
   * file). Called after the new config was accepted; a throw becomes SYSTEM_ERROR.
   */
  persistConfig(text: string): void;
  metrics?: RequestMetrics;
  /**
   * Sends a deferred response on a connection (the transport's `reply`). Without it, requests that
   * need one (WATCH_TOPIC_ROUTE) are not served: their code is unknown here.
   */
  reply?: (connectionId: number, response: RemotingCommand) => boolean;
  routeWatchMetrics?: RouteWatchMetrics;
  logger: HandlerLogger;
  clock: Clock;
}

export class Dispatcher {
  private readonly handlers = new Map<number, Handler>();
  private readonly log: HandlerLogger;
  private readonly metrics: RequestMetrics | null;
  private readonly config: NamesrvConfigHolder;
  /** Exposed for tests and the admin page (size); invalidated by route and KV changes. */
  readonly routeCache: RouteBodyCache;
  /** The route watch, fed by every route cache invalidation; null when not served. */
  readonly routeWatch: RouteWatchService | null;

  constructor(deps: DispatcherDeps) {
    this.log = deps.logger;
    this.metrics = deps.metrics ?? null;
    this.config = deps.config;
    const routes = deps.routeInfoManager;
    const kv = deps.kvConfigManager;
    const config = (): ReturnType<NamesrvConfigHolder['get']> => deps.config.get();

    this.routeCache = new RouteBodyCache(
      routeBodyBuilder(routes, kv),
      deps.config.get().orderMessageEnable,
    );
    routes.onRouteChanged(this.routeCache.invalidate);
    this.routeWatch =
      deps.config.get().routeWatchEnable && deps.reply !== undefined
        ? this.createRouteWatch(deps, deps.reply)
        : null;
    if (this.routeWatch !== null) this.routeCache.onInvalidated(this.routeWatch.onRouteChanged);

    const tables: HandlerTable[] = [
      kvConfigHandlers({
        kvConfigManager: kv,
        onOrderTopicConfChanged: (topic) => {
          this.routeCache.invalidateTopic(topic);
        },
      }),
      brokerHandlers({ routeInfoManager: routes, kvConfigManager: kv, config }),
      routeHandlers({
        routeInfoManager: routes,
        kvConfigManager: kv,
        config,
        clock: deps.clock,
        routeCache: this.routeCache,
      }),
      topicListHandlers({ routeInfoManager: routes, config }),
      namesrvConfigHandlers({
        config: {
          get: () => deps.config.get(),
          set: (next) => {
            deps.config.set(next);
            // Every route body embeds orderTopicConf only when this is on: all routes changed.
            this.routeCache.setOrderMessageEnable(next.orderMessageEnable);
          },
        },
        persistConfig: (text) => {
          deps.persistConfig(text);
        },
        logger: deps.logger,
      }),
    ];
    if (this.routeWatch !== null) {
      tables.push([[RequestCode.WATCH_TOPIC_ROUTE, this.routeWatch.handle]]);
    }
    for (const table of tables) {
      for (const [code, handler] of table) {
        if (this.handlers.has(code)) throw new Error(`two handlers for request code ${code}`);
        this.handlers.set(code, handler);
      }
    }
  }

  /** A connection closed: forget what was held for it (route watch). */
  connectionClosed(connectionId: number): void {
    this.routeWatch?.connectionClosed(connectionId);
  }

  /** Shutdown, before the transport stops writing: answers every held request. Idempotent. */
  close(): void {
    this.routeWatch?.close();
  }

  private createRouteWatch(
    deps: DispatcherDeps,
    reply: (connectionId: number, response: RemotingCommand) => boolean,
  ): RouteWatchService {
    const config = deps.config;
    // Java 5.1+: "ready" counts from the creation of the processor (as routeHandlers does).
    const createdAt = deps.clock.now();
    return new RouteWatchService({
      routeBody: (topic, standardJson) =>
        this.routeCache.get(topic, standardJson, config.get().orderMessageEnable),
      reply,
      limits: () => {
        const c = config.get();
        return {
          maxWatchers: c.routeWatchMaxWatchers,
          maxTopics: c.routeWatchMaxTopics,
          maxHoldMillis: c.routeWatchMaxHoldMillis,
          idleTimeoutMillis: c.serverChannelMaxIdleTimeSeconds * 1000,
        };
      },
      isServing: () => {
        const c = config.get();
        return (
          !c.needWaitForService || deps.clock.now() - createdAt >= c.waitSecondsForService * 1000
        );
      },
      ...(deps.routeWatchMetrics === undefined ? {} : { metrics: deps.routeWatchMetrics }),
      logger: deps.logger,
    });
  }

  /** The codes this dispatcher answers (for tests and the admin page). */
  get supportedCodes(): number[] {
    return [...this.handlers.keys()].sort((a, b) => a - b);
  }

  /**
   * Processes one request. Returns its response, or null when nothing must be sent now (one-way
   * requests; unknown codes when `replyToUnknownRequestCode` is false; a deferred response, which
   * its handler sends later through the transport). Never throws.
   */
  dispatch(request: RemotingCommand, ctx: RequestContext): RemotingCommand | null {
    const started = this.metrics === null ? 0 : performance.now();
    const handler = this.handlers.get(request.code);
    let response: RemotingCommand | Deferred | null;
    if (handler === undefined) {
      response = this.unknownCode(request, ctx);
    } else {
      try {
        response = handler(request, ctx);
      } catch (err) {
        response = this.failure(request, ctx, err);
      }
    }
    if (this.metrics !== null) {
      const sent =
        response === DEFERRED
          ? 'deferred'
          : response === null || isOneway(request)
            ? null
            : response.code;
      try {
        this.metrics.observeRequest(request.code, sent, (performance.now() - started) / 1000);
      } catch (err) {
        this.log.warn({ err, code: request.code }, 'request metrics failed');
      }
    }
    return response === DEFERRED || isOneway(request) ? null : response;
  }

  private unknownCode(request: RemotingCommand, ctx: RequestContext): RemotingCommand | null {
    this.log.debug(
      { code: request.code, opaque: request.opaque, connId: ctx.connectionId },
      'request code not supported',
    );
    if (!this.replyToUnknown()) return null;
    return createResponse(request, {
      code: ResponseCode.REQUEST_CODE_NOT_SUPPORTED,
      remark: ` request type ${request.code} not supported`,
    });
  }

  private replyToUnknown(): boolean {
    try {
      return this.config.get().replyToUnknownRequestCode;
    } catch {
      return true;
    }
  }

  private failure(request: RemotingCommand, ctx: RequestContext, err: unknown): RemotingCommand {
    const isHeaderError = err instanceof HeaderFieldError;
    try {
      if (isHeaderError) {
        this.log.debug(
          {
            code: request.code,
            field: err.field,
            remote: ctx.remoteAddress,
            connId: ctx.connectionId,
          },
          'bad request header',
        );
      } else {
        this.log.error(
          {
            err,
            code: request.code,
            request: requestCodeName(request.code),
            opaque: request.opaque,
            remote: ctx.remoteAddress,
            connId: ctx.connectionId,
          },
          'request handler failed',
        );
      }
    } catch {
      // A broken logger must not turn one failed request into a dead connection.
    }
    return createResponse(request, {
      code: ResponseCode.SYSTEM_ERROR,
      remark: isHeaderError ? err.message : describeError(err),
    });
  }
}

function describeError(err: unknown): string {
  if (err instanceof Error) {
    return err.message === '' ? err.name : `${err.name}: ${err.message}`;
  }
  return `unexpected failure: ${String(err)}`;
}
