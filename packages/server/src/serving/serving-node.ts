/**
 * The serving side of a node: client connections, frames, and the answers. One per serving
 * process (servingWorkers = 1: the only one, in the owner's process).
 *
 * Reads (routes, cluster info, topic lists, KV and config reads) are answered here from `state`:
 * the registry owner's own tables when it lives in this process, a replica otherwise — the same
 * handlers either way. Writes are forwarded to the registry owner (`registry`), which runs them
 * one at a time and answers once every serving side reflects them.
 */
import type { RemotingCommand } from '@ns/protocol';
import type { NamesrvConfig } from '../config/index.js';
import { Dispatcher } from '../handlers/dispatcher.js';
import { javaLineProfile } from '../handlers/java-line.js';
import type { Handler, HandlerTable } from '../handlers/handler.js';
import {
  createRouteCache,
  readHandlerTables,
  WRITE_REQUEST_CODES,
} from '../handlers/handler-sets.js';
import type { ObservableKVReadStore } from '../handlers/handler-sets.js';
import type { RequestContext } from '../handlers/request-context.js';
import type { RouteBodyCache } from '../handlers/route-cache.js';
import type { Logger } from '../logging.js';
import type { NamesrvMetrics } from '../metrics.js';
import type { Clock, RouteReadModel } from '../route/index.js';
import { ConnectionPool } from '../transport/connection-pool.js';
import type { PoolOptions } from '../transport/connection-pool.js';
import type { ConnectionSink } from '../transport/acceptor.js';
import type { ConnectionId, TransportMetrics } from '../transport/types.js';
import type { Socket } from 'node:net';
import { RequestCode } from '@ns/protocol';
import { createRouteWatch } from '../watch/index.js';
import type { RouteWatchBinding } from '../watch/index.js';
import { RegisterBodyDecoder } from './decode/register-body-decoder.js';
import { RegisterPath } from './register-path.js';
import type { RegisterTarget } from './register-path.js';

/** What the read handlers answer from. */
export interface ServingReadState {
  readonly routes: RouteReadModel;
  readonly kv: ObservableKVReadStore;
  config(): NamesrvConfig;
  /** Hears every config replacement (UPDATE_NAMESRV_CONFIG), wherever it was applied. */
  onConfigChanged(listener: (next: NamesrvConfig) => void): void;
}

/** The registry owner, as a serving side reaches it (in-process, or over IPC). */
export interface RegistryPort extends RegisterTarget {
  /** Runs a write; resolves to its response (null: nothing to send) once every replica has it. */
  execute(request: RemotingCommand, ctx: RequestContext): Promise<RemotingCommand | null>;
  /** A connection of this serving side closed. */
  connectionClosed(id: ConnectionId): void;
}

export interface ServingNodeInit {
  state: ServingReadState;
  registry: RegistryPort;
  /** A logger per component ('transport', 'handlers'), so live level changes reach them. */
  loggerFor(component: string): Logger;
  metrics: NamesrvMetrics;
  clock: Clock;
  transport: PoolOptions;
  /** Names this serving side's body decoder (logs, base numbers): 'main', 'w3'. */
  name: string;
}

/**
 * The most a REGISTER_BROKER body may inflate to.
 * TODO(i12-wire merge): maxInflatedRegisterBodyBytes from the config.
 */
const MAX_INFLATED_REGISTER_BODY_BYTES = 64 * 1024 * 1024;

export class ServingNode implements ConnectionSink {
  readonly pool: ConnectionPool;
  readonly dispatcher: Dispatcher;
  readonly routeCache: RouteBodyCache;
  /** The route watch (WATCH_TOPIC_ROUTE), null when routeWatchEnable is off. */
  readonly routeWatch: RouteWatchBinding | null;
  private readonly decoder: RegisterBodyDecoder;
  private readonly writes: RegisterPath;

  constructor(init: ServingNodeInit) {
    const { state, registry, metrics } = init;
    const line = javaLineProfile(state.config().compatibilityLine);
    this.routeCache = createRouteCache(state.routes, state.kv, () => state.config());
    // Every route body embeds orderTopicConf only when this is on: a flip changes every route.
    state.onConfigChanged((next) => {
      this.routeCache.setOrderMessageEnable(next.orderMessageEnable);
    });
    this.routeWatch = createRouteWatch({
      routeCache: this.routeCache,
      config: () => state.config(),
      clock: init.clock,
      metrics,
      logger: init.loggerFor('watch'),
    });
    const watch = this.routeWatch;
    this.decoder = new RegisterBodyDecoder(init.name, init.loggerFor('handlers'));
    const writes = new RegisterPath(
      registry,
      this.decoder,
      () => MAX_INFLATED_REGISTER_BODY_BYTES,
      (kind) => {
        metrics.registerBodyDecoded(kind);
      },
    );
    this.writes = writes;
    this.dispatcher = new Dispatcher({
      handlers: [
        ...readHandlerTables({
          routeInfoManager: state.routes,
          kvConfigManager: state.kv,
          config: () => state.config(),
          clock: init.clock,
          routeCache: this.routeCache,
          line,
        }),
        forwardedWrites(writes),
        watch === null ? [] : [[RequestCode.WATCH_TOPIC_ROUTE, watch.handle]],
      ],
      replyToUnknownRequestCode: () => state.config().replyToUnknownRequestCode,
      metrics,
      logger: init.loggerFor('handlers'),
      responseVersion: line.version,
    });
    this.pool = new ConnectionPool({
      dispatcher: this.dispatcher,
      logger: init.loggerFor('transport'),
      options: init.transport,
      metrics: transportMetricsOf(metrics),
      onConnectionClosed: (id) => {
        watch?.connectionClosed(id);
        writes.connectionClosed(id, () => {
          registry.connectionClosed(id);
        });
      },
      now: () => init.clock.now(),
    });
  }

  adopt(socket: Socket, id: ConnectionId): void {
    this.pool.adopt(socket, id);
  }

  /** Answers held watches (nothing changed), then drains and closes every connection. */
  async close(graceMillis: number): Promise<void> {
    if (this.routeWatch !== null) {
      this.routeWatch.close();
      // The answers are written when their promises settle: let that happen before the
      // connections stop taking responses.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await this.pool.close(graceMillis);
    await this.decoder.close();
  }
}

/** Every write code → "run it at the registry owner" (REGISTER_BROKER: its body decoded here). */
function forwardedWrites(writes: RegisterPath): HandlerTable {
  const forward: Handler = (request, ctx) => writes.write(request, ctx);
  const register: Handler = (request, ctx) => writes.register(request, ctx);
  return [...WRITE_REQUEST_CODES].map(
    (code) => [code, code === RequestCode.REGISTER_BROKER ? register : forward] as const,
  );
}

export function transportMetricsOf(m: NamesrvMetrics): TransportMetrics {
  return {
    connectionOpened: () => {
      m.connectionOpened();
    },
    connectionClosed: () => {
      m.connectionClosed();
    },
    frameError: (code) => {
      m.frameError(code);
    },
    connectionDropped: () => {
      // Idle and overflow closes are logged by the transport; no separate series (yet).
    },
  };
}
