/** The shape every request handler has; see dispatcher.ts for how they are called. */
import type { RemotingCommand } from '@ns/protocol';
import type { RequestContext } from './request-context.js';

/**
 * Handles one request and returns its response. Expected failures are a response code plus a
 * remark; a throw means an unexpected failure (the dispatcher turns it into SYSTEM_ERROR).
 */
export type Handler = (request: RemotingCommand, ctx: RequestContext) => RemotingCommand;

/** request code → handler, as Java's `switch (request.getCode())`. */
export type HandlerTable = ReadonlyArray<readonly [code: number, handler: Handler]>;
