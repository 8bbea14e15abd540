/**
 * request code → handler, and the one place where generic failures become responses
 * (Java: `NettyRemotingAbstract.processRequestCommand` + `DefaultRequestProcessor`'s switch).
 *
 * Which handlers a dispatcher has is the caller's choice (handler-sets.ts): a serving worker
 * answers the reads itself and forwards the writes; the registry owner runs the writes; tests and
 * the replay use one dispatcher with everything.
 *
 * Rules (deliberate choices are marked):
 * - unknown code → REQUEST_CODE_NOT_SUPPORTED (3), remark ` request type <code> not supported`
 *   (5.x behaviour, leading space included; 4.9 sends nothing). Config
 *   `replyToUnknownRequestCode=false` restores the 4.9 silence;
 * - `HeaderFieldError` (a missing required or unparsable header field) → SYSTEM_ERROR (1) whose
 *   remark is the codec's message naming the header class and the field, e.g.
 *   `GetRouteInfoRequestHeader: missing required field "topic" (expected a string)`. Java does
 *   not validate (it NPEs later or looks up the topic "null"); we are stricter and say why;
 * - any other throw or rejection → SYSTEM_ERROR with the error's message, logged with the code;
 * - every response mirrors the request's serialize type, including error responses (Java 4.9
 *   sends exception-made SYSTEM_ERRORs as JSON; mirroring is what every client can read);
 * - one-way requests are processed and never answered, not even with an error (null);
 * - `dispatch` never throws, and a promise it returns never rejects.
 */
import {
  BodyDecodeError,
  InflatedBodyTooLargeError,
  createResponse,
  HeaderFieldError,
  isOneway,
  requestCodeName,
  RequestCode,
  ResponseCode,
} from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import { LimitLog } from '../transport/limit-log.js';
import { sameFrameHold } from '../transport/types.js';
import type { HandlerLogger, RequestMetrics } from './deps.js';
import type { Handler, HandlerTable } from './handler.js';
import type { RequestContext } from './request-context.js';

/** A response now, a response later, or nothing to send (null). */
export type DispatchResult = RemotingCommand | null | Promise<RemotingCommand | null>;

export interface DispatcherInit {
  handlers: readonly HandlerTable[];
  /** Live `replyToUnknownRequestCode`. */
  replyToUnknownRequestCode: () => boolean;
  metrics?: RequestMetrics | undefined;
  logger: HandlerLogger;
  /** The `version` its own error responses carry (the Java line's: 407 for 4.9, 479 for 5.x). */
  responseVersion: number;
  /**
   * Rate-limits the lines about enforced limits (README "Limits": at most 10 a second per
   * limit); default: one of its own. A process has one dispatcher that refuses for a limit.
   */
  limitLog?: LimitLog | undefined;
}

export class Dispatcher {
  private readonly handlers = new Map<number, Handler>();
  private readonly log: HandlerLogger;
  private readonly metrics: RequestMetrics | null;
  private readonly replyToUnknownRequestCode: () => boolean;
  private readonly responseVersion: number;
  private readonly limitLog: LimitLog;

  constructor(init: DispatcherInit) {
    this.responseVersion = init.responseVersion;
    this.limitLog = init.limitLog ?? new LimitLog();
    this.log = init.logger;
    this.metrics = init.metrics ?? null;
    this.replyToUnknownRequestCode = init.replyToUnknownRequestCode;
    for (const table of init.handlers) {
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
   * Processes one request. Returns its response (or a promise of it), or null when nothing must
   * be sent (one-way requests; unknown codes when `replyToUnknownRequestCode` is false).
   */
  dispatch(request: RemotingCommand, ctx: RequestContext): DispatchResult {
    const started = this.metrics === null ? 0 : performance.now();
    const handler = this.handlers.get(request.code);
    let response: RemotingCommand | null | Promise<RemotingCommand | null>;
    if (handler === undefined) {
      response = this.unknownCode(request, ctx);
    } else {
      try {
        response = handler(request, ctx);
      } catch (err) {
        response = this.failure(request, ctx, err);
      }
    }
    if (response instanceof Promise) {
      // A held route watch waits for a change, up to routeWatchMaxHoldMillis: its handling time
      // is until it was held. Counted with the wait, every client's watch landed in the
      // histogram's +Inf bucket and the console's latency p99 read 1 s (review finding).
      const handled =
        request.code === RequestCode.WATCH_TOPIC_ROUTE && this.metrics !== null
          ? performance.now()
          : null;
      return sameFrameHold(
        response,
        response.then(
          (r) => this.finish(request, r, started, handled),
          (err: unknown) => this.finish(request, this.failure(request, ctx, err), started, handled),
        ),
      );
    }
    return this.finish(request, response, started);
  }

  private finish(
    request: RemotingCommand,
    response: RemotingCommand | null,
    started: number,
    handled: number | null = null,
  ): RemotingCommand | null {
    if (this.metrics !== null) {
      const sent = response === null || isOneway(request) ? null : response.code;
      const ended = handled ?? performance.now();
      try {
        this.metrics.observeRequest(request.code, sent, (ended - started) / 1000);
      } catch (err) {
        this.log.warn({ err, code: request.code }, 'request metrics failed');
      }
    }
    return isOneway(request) ? null : response;
  }

  private unknownCode(request: RemotingCommand, ctx: RequestContext): RemotingCommand | null {
    this.log.debug(
      { code: request.code, opaque: request.opaque, connectionId: ctx.connectionId },
      'request code not supported',
    );
    if (!this.replyToUnknown()) return null;
    return createResponse(request, {
      code: ResponseCode.REQUEST_CODE_NOT_SUPPORTED,
      remark: ` request type ${request.code} not supported`,
      version: this.responseVersion,
    });
  }

  private replyToUnknown(): boolean {
    try {
      return this.replyToUnknownRequestCode();
    } catch {
      return true;
    }
  }

  private failure(request: RemotingCommand, ctx: RequestContext, err: unknown): RemotingCommand {
    // Bad input from a peer is the peer's problem: one line at debug/warn, no stack, so a client
    // sending garbage cannot flood the log. Anything else is ours: error with the stack.
    const isHeaderError = err instanceof HeaderFieldError;
    try {
      if (isHeaderError) {
        this.log.debug(
          {
            code: request.code,
            field: err.field,
            remote: ctx.remoteAddress,
            connectionId: ctx.connectionId,
          },
          'bad request header',
        );
      } else if (err instanceof InflatedBodyTooLargeError) {
        this.metrics?.limitEnforced?.('inflated_register_body');
        // Counted every time; logged at most 10 times a second (the next line says how many
        // were left out), so a flood of bombs cannot flood the log.
        const left = this.limitLog.admit('inflated_register_body');
        if (left !== null) {
          this.log.warn(
            {
              code: request.code,
              reason: err.message,
              limit: err.limit,
              remote: ctx.remoteAddress,
              connectionId: ctx.connectionId,
              ...(left > 0 ? { linesLeftOut: left } : {}),
            },
            'request body inflates past its limit, refused',
          );
        }
      } else if (err instanceof BodyDecodeError) {
        this.log.debug(
          {
            code: request.code,
            reason: err.message,
            remote: ctx.remoteAddress,
            connectionId: ctx.connectionId,
          },
          'undecodable request body',
        );
      } else {
        this.log.error(
          {
            err,
            code: request.code,
            request: requestCodeName(request.code),
            opaque: request.opaque,
            remote: ctx.remoteAddress,
            connectionId: ctx.connectionId,
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
      version: this.responseVersion,
    });
  }
}

function describeError(err: unknown): string {
  if (err instanceof Error) {
    return err.message === '' ? err.name : `${err.name}: ${err.message}`;
  }
  return `unexpected failure: ${String(err)}`;
}
