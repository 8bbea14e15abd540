/** The shape every request handler has; see dispatcher.ts for how they are called. */
import type { RemotingCommand } from '@ns/protocol';
import type { RequestContext } from './request-context.js';

/**
 * What a handler returns when it answers later (a long poll such as WATCH_TOPIC_ROUTE): nothing is
 * written now, and whoever holds the request later sends exactly one response for it through the
 * transport's `reply(connectionId, response)` (same opaque and serialize type as the request), or
 * none if the connection closed first. Never returned for one-way requests.
 */
export const DEFERRED: unique symbol = Symbol('deferred response');
export type Deferred = typeof DEFERRED;

/**
 * Handles one request and returns its response (or DEFERRED). Expected failures are a response
 * code plus a remark; a throw means an unexpected failure (the dispatcher turns it into
 * SYSTEM_ERROR).
 */
export type Handler = (request: RemotingCommand, ctx: RequestContext) => RemotingCommand | Deferred;

/** request code → handler, as Java's `switch (request.getCode())`. */
export type HandlerTable = ReadonlyArray<readonly [code: number, handler: Handler]>;
