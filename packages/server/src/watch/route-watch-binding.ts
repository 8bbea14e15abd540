/**
 * Joins the route watch to a dispatcher. The service holds a watch by returning HELD and answers it
 * later through `reply(connectionId, …)`; here a held watch becomes the promise the dispatcher
 * (and so the connection) waits on, the same way a write waits for the registry owner. One
 * pending answer per connection, as the service holds at most one watch per connection.
 */
import type { RemotingCommand } from '@ns/protocol';
import type { Handler } from '../handlers/handler.js';
import { holdsNoFrame } from '../transport/types.js';
import { RouteWatchService } from './route-watch-service.js';
import { HELD } from './types.js';
import type { RouteWatchDeps } from './types.js';

export class RouteWatchBinding {
  readonly service: RouteWatchService;
  private readonly pending = new Map<number, (response: RemotingCommand | null) => void>();

  constructor(deps: Omit<RouteWatchDeps, 'reply'>) {
    this.service = new RouteWatchService({
      ...deps,
      reply: (connectionId, response) => this.reply(connectionId, response),
    });
  }

  /** The WATCH_TOPIC_ROUTE handler. */
  readonly handle: Handler = (request, ctx) => {
    const answer = this.service.handle(request, ctx);
    if (answer !== HELD) return answer;
    return holdsNoFrame(
      new Promise((resolve) => {
        this.pending.set(ctx.connectionId, resolve);
      }),
    );
  };

  /** The connection closed: its held watch is dropped and its promise settles with nothing. */
  connectionClosed(connectionId: number): void {
    this.service.connectionClosed(connectionId);
    const resolve = this.pending.get(connectionId);
    if (resolve === undefined) return;
    this.pending.delete(connectionId);
    resolve(null);
  }

  /** Answers every held watch (nothing changed) and holds no more; before connections close. */
  close(): void {
    this.service.close();
  }

  private reply(connectionId: number, response: RemotingCommand): boolean {
    const resolve = this.pending.get(connectionId);
    if (resolve === undefined) return false;
    this.pending.delete(connectionId);
    resolve(response);
    return true;
  }
}
