/** The shape every request handler has; see dispatcher.ts for how they are called. */
import type { RemotingCommand } from '@ns/protocol';
import type { RequestContext } from './request-context.js';

/**
 * Handles one request and returns its response. Expected failures are a response code plus a
 * remark; a throw (or a rejected promise) means an unexpected failure, which the dispatcher turns
 * into SYSTEM_ERROR. Handlers answer synchronously except where the answer is made elsewhere: a
 * serving worker forwarding a write to the registry owner gets a promise (null = send nothing).
 */
export type Handler = (
  request: RemotingCommand,
  ctx: RequestContext,
) => RemotingCommand | Promise<RemotingCommand | null>;

/** request code → handler, as Java's `switch (request.getCode())`. */
export type HandlerTable = ReadonlyArray<readonly [code: number, handler: Handler]>;
