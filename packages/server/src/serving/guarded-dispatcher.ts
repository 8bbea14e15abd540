/**
 * What every request of a serving process passes before its handler runs, reads and forwarded
 * writes alike (so a refused write never reaches the registry owner):
 *
 * 1. access control: the request's class and policy (security/access-policy.ts) against what
 *    the request and its connection prove (signature, address, verified TLS client certificate);
 *    a refusal is answered NO_PERMISSION (16) with a remark saying what is missing;
 * 2. the REGISTER_BROKER body limit (`maxRegisterBodyBytes`): a larger body is answered
 *    SYSTEM_ERROR before anything is done with it (not even handed to the owner), and logged at
 *    most 10 times a second (transport/limit-log.ts);
 * 3. the audit: every admin-write and every refusal is written once to the audit logger, with
 *    the code finally answered.
 *
 * Requests of an open class that is not audited (route reads by default; everything but admin
 * writes with aclEnable=false) go straight to the handlers: no decision object, no cost.
 */
import { createResponse, isOneway, RequestCode, ResponseCode } from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import type { NamesrvConfig } from '../config/index.js';
import type { DispatchResult } from '../handlers/dispatcher.js';
import type { RequestContext } from '../handlers/request-context.js';
import type { Logger } from '../logging.js';
import type { NamesrvMetrics } from '../metrics.js';
import type { AccessControl } from '../security/access-control.js';
import type { AccessDecision } from '../security/access-policy.js';
import { REQUEST_CLASSES, requestClassOf } from '../security/request-classes.js';
import type { RequestClass } from '../security/request-classes.js';
import { LimitLog } from '../transport/limit-log.js';
import { sameFrameHold } from '../transport/types.js';
import type { RequestDispatcher } from '../transport/types.js';

export interface GuardedDispatcherInit {
  readonly inner: { dispatch(request: RemotingCommand, ctx: RequestContext): DispatchResult };
  readonly access: AccessControl;
  readonly config: () => NamesrvConfig;
  readonly metrics: NamesrvMetrics;
  readonly logger: Logger;
  /** Rate-limits the refusal lines (README "Limits"); default: one of its own. */
  readonly limitLog?: LimitLog;
}

export class GuardedDispatcher implements RequestDispatcher {
  private readonly init: GuardedDispatcherInit;
  /** Classes whose requests need neither a check nor an audit. */
  private readonly unguarded: ReadonlySet<RequestClass>;
  private readonly limitLog: LimitLog;

  constructor(init: GuardedDispatcherInit) {
    this.init = init;
    this.limitLog = init.limitLog ?? new LimitLog();
    const policy = init.access.settings.policy;
    this.unguarded = new Set(
      REQUEST_CLASSES.filter((c) => c !== 'admin-write' && policy[c].kind === 'open'),
    );
  }

  dispatch(request: RemotingCommand, ctx: RequestContext): DispatchResult {
    const requestClass = requestClassOf(request.code);
    if (this.unguarded.has(requestClass)) return this.dispatchWithinLimits(request, ctx);
    const access = this.init.access;
    const decision = access.check({
      code: request.code,
      extFields: request.extFields,
      body: request.body,
      remoteAddress: ctx.remoteAddress,
      clientCert: ctx.clientCert ?? null,
    });
    if (!decision.allowed) {
      access.audit(request, decision, null);
      return this.answerHere(request, access.refusal(request, decision));
    }
    const result = this.dispatchWithinLimits(request, ctx);
    if (requestClass !== 'admin-write') return result;
    if (result instanceof Promise) {
      return sameFrameHold(
        result,
        result.then((response) => {
          this.audit(request, decision, response);
          return response;
        }),
      );
    }
    this.audit(request, decision, result);
    return result;
  }

  private audit(
    request: RemotingCommand,
    decision: AccessDecision,
    response: RemotingCommand | null,
  ): void {
    const code = response === null || isOneway(request) ? null : response.code;
    this.init.access.audit(request, decision, code);
  }

  private dispatchWithinLimits(request: RemotingCommand, ctx: RequestContext): DispatchResult {
    if (request.code === RequestCode.REGISTER_BROKER && request.body !== null) {
      const limit = this.init.config().maxRegisterBodyBytes;
      if (request.body.length > limit) {
        this.init.metrics.limitEnforced('register_body');
        // At most 10 lines a second; the next one written says how many were left out.
        const left = this.limitLog.admit('register_body');
        if (left !== null) {
          this.init.logger.warn(
            {
              remote: ctx.remoteAddress,
              connectionId: ctx.connectionId,
              bodyBytes: request.body.length,
              limit,
              ...(left > 0 ? { linesLeftOut: left } : {}),
            },
            'REGISTER_BROKER body over maxRegisterBodyBytes, refused',
          );
        }
        return this.answerHere(
          request,
          createResponse(request, {
            code: ResponseCode.SYSTEM_ERROR,
            remark: `register body of ${request.body.length} bytes exceeds maxRegisterBodyBytes (${limit})`,
          }),
        );
      }
    }
    return this.init.inner.dispatch(request, ctx);
  }

  /** An answer made here, counted like the handlers' (one-way requests get none). */
  private answerHere(request: RemotingCommand, response: RemotingCommand): RemotingCommand | null {
    const oneway = isOneway(request);
    this.init.metrics.observeRequest(request.code, oneway ? null : response.code, 0);
    return oneway ? null : response;
  }
}
