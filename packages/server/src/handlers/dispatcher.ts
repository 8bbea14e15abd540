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
 * - `dispatch` never throws.
 */
import {
  createResponse,
  HeaderFieldError,
  isOneway,
  requestCodeName,
  ResponseCode,
} from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import { brokerHandlers } from './broker.js';
import type { Clock, HandlerLogger, KVConfigStore, RequestMetrics, RouteStore } from './deps.js';
import type { Handler } from './handler.js';
import { javaLineProfile } from './java-line.js';
import type { JavaLineProfile } from './java-line.js';
import { kvConfigHandlers } from './kv-config.js';
import { notifyMinBrokerIdChanges } from './min-broker-id-notifier.js';
import type { NotifyBroker } from './min-broker-id-notifier.js';
import { namesrvConfigHandlers } from './namesrv-config.js';
import type { NamesrvConfigHolder } from './namesrv-config.js';
import type { RequestContext } from './request-context.js';
import { RouteBodyCache } from './route-cache.js';
import { routeBodyBuilder, routeHandlers } from './route.js';
import { topicListHandlers } from './topic-list.js';

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
  logger: HandlerLogger;
  clock: Clock;
  /**
   * Sends NOTIFY_MIN_BROKER_ID_CHANGE (905) to a broker address, one-way (the route manager reports
   * the changes only with `notifyMinBrokerIdChanged=true`). Without it nothing is sent.
   */
  notifyBroker?: NotifyBroker;
}

export class Dispatcher {
  private readonly handlers = new Map<number, Handler>();
  private readonly log: HandlerLogger;
  private readonly metrics: RequestMetrics | null;
  private readonly config: NamesrvConfigHolder;
  /** The Java line this dispatcher answers as (`compatibilityLine`, fixed at construction). */
  readonly line: JavaLineProfile;
  /** Exposed for tests and the admin page (size); invalidated by route and KV changes. */
  readonly routeCache: RouteBodyCache;

  constructor(deps: DispatcherDeps) {
    this.log = deps.logger;
    this.metrics = deps.metrics ?? null;
    this.config = deps.config;
    const routes = deps.routeInfoManager;
    const kv = deps.kvConfigManager;
    const config = (): ReturnType<NamesrvConfigHolder['get']> => deps.config.get();
    const line = javaLineProfile(deps.config.get().compatibilityLine);
    this.line = line;

    this.routeCache = new RouteBodyCache(
      routeBodyBuilder(routes, kv),
      deps.config.get().orderMessageEnable,
    );
    routes.onRouteChanged(this.routeCache.invalidate);
    if (deps.notifyBroker !== undefined) {
      notifyMinBrokerIdChanges({
        routeInfoManager: routes,
        send: deps.notifyBroker,
        version: line.version,
        logger: deps.logger,
      });
    }

    const tables = [
      kvConfigHandlers({
        kvConfigManager: kv,
        line,
        onOrderTopicConfChanged: (topic) => {
          this.routeCache.invalidateTopic(topic);
        },
      }),
      brokerHandlers({ routeInfoManager: routes, kvConfigManager: kv, config, line }),
      routeHandlers({
        routeInfoManager: routes,
        line,
        kvConfigManager: kv,
        config,
        clock: deps.clock,
        routeCache: this.routeCache,
      }),
      topicListHandlers({ routeInfoManager: routes, config, line }),
      namesrvConfigHandlers({
        config: deps.config,
        line,
        persistConfig: (text) => {
          deps.persistConfig(text);
        },
        logger: deps.logger,
      }),
    ];
    for (const table of tables) {
      for (const [code, handler] of table) {
        if (this.handlers.has(code)) throw new Error(`two handlers for request code ${code}`);
        this.handlers.set(code, handler);
      }
    }
  }

  /** The codes this dispatcher answers (for tests and the admin page). */
  get supportedCodes(): number[] {
    return [...this.handlers.keys()].sort((a, b) => a - b);
  }

  /**
   * Processes one request. Returns its response, or null when nothing must be sent (one-way
   * requests; unknown codes when `replyToUnknownRequestCode` is false). Never throws.
   */
  dispatch(request: RemotingCommand, ctx: RequestContext): RemotingCommand | null {
    const started = this.metrics === null ? 0 : performance.now();
    const handler = this.handlers.get(request.code);
    let response: RemotingCommand | null;
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
      const sent = response === null || isOneway(request) ? null : response.code;
      try {
        this.metrics.observeRequest(request.code, sent, (performance.now() - started) / 1000);
      } catch (err) {
        this.log.warn({ err, code: request.code }, 'request metrics failed');
      }
    }
    return isOneway(request) ? null : response;
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
      version: this.line.version,
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
      version: this.line.version,
    });
  }
}

function describeError(err: unknown): string {
  if (err instanceof Error) {
    return err.message === '' ? err.name : `${err.name}: ${err.message}`;
  }
  return `unexpected failure: ${String(err)}`;
}
