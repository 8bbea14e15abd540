/**
 * The serving side of a node: client connections, frames, and the answers. One per serving
 * process (servingWorkers = 1: the only one, in the owner's process).
 *
 * Reads (routes, cluster info, topic lists, KV and config reads) are answered here from `state`:
 * the registry owner's own tables when it lives in this process, a replica otherwise — the same
 * handlers either way. Writes are forwarded to the registry owner (`registry`), which runs them
 * one at a time and answers once every serving side reflects them.
 *
 * Every connection is handed over unread (by the acceptor, possibly from another process). Here
 * its first byte decides what it speaks (security/tls/first-byte-sniffer.ts, per tlsServerMode):
 * plain remoting, or TLS, whose handshake runs in this process because a TLS session cannot move
 * between processes. The connection is then served on the plain or TLS socket, its verified
 * client certificate kept for the access checks. Every request passes the GuardedDispatcher
 * (access control, REGISTER_BROKER body limit, audit) before its handler; see
 * guarded-dispatcher.ts. The access control and TLS come from this process's ServingSecurity.
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
import { PLAIN_PEER } from '../transport/types.js';
import type { ConnectionId, TransportMetrics } from '../transport/types.js';
import type { Socket } from 'node:net';
import { RequestCode } from '@ns/protocol';
import { createRouteWatch } from '../watch/index.js';
import type { RouteWatchBinding } from '../watch/index.js';
import { RegisterBodyDecoder } from './decode/register-body-decoder.js';
import { decodeKindOf, RegisterPath } from './register-path.js';
import type { RegisterTarget } from './register-path.js';
import { sniffConnection } from '../security/tls/first-byte-sniffer.js';
import { GuardedDispatcher } from './guarded-dispatcher.js';
import type { ServingSecurity } from './serving-security.js';

/** What the read handlers answer from. */
export interface ServingReadState {
  readonly routes: RouteReadModel;
  readonly kv: ObservableKVReadStore;
  config(): NamesrvConfig;
  /** Hears every config replacement (UPDATE_NAMESRV_CONFIG), wherever it was applied. */
  onConfigChanged(listener: (next: NamesrvConfig) => void): void;
  /**
   * True while a write is being applied to these tables in slices (the registry owner's queue,
   * a replica's batches): the route watch wakes its watches once it is over.
   */
  writeInProgress?(): boolean;
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
  /** When the node started: needWaitForService counts from it in every serving process. */
  startedAt: number;
  /** The node's serving processes (this one's share of node-wide limits). */
  servingProcesses: number;
  transport: PoolOptions;
  /** Names this serving side's body decoder (logs, base numbers): 'main', 'w3'. */
  name: string;
  /** This process's access control and TLS (closed with the node). */
  security: ServingSecurity;
}

export class ServingNode implements ConnectionSink {
  readonly pool: ConnectionPool;
  readonly dispatcher: Dispatcher;
  readonly guarded: GuardedDispatcher;
  readonly routeCache: RouteBodyCache;
  /** The route watch (WATCH_TOPIC_ROUTE), null when routeWatchEnable is off. */
  readonly routeWatch: RouteWatchBinding | null;
  readonly security: ServingSecurity;
  private readonly registry: RegistryPort;
  private readonly metrics: NamesrvMetrics;
  private readonly decoder: RegisterBodyDecoder;
  private readonly writes: RegisterPath;
  /** Sockets whose first byte (or TLS handshake) is still awaited, by connection id. */
  private readonly sniffing = new Map<ConnectionId, Socket>();
  private closing = false;

  constructor(init: ServingNodeInit) {
    const { state, registry, metrics } = init;
    this.registry = registry;
    this.metrics = metrics;
    this.security = init.security;
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
      startedAt: init.startedAt,
      servingProcesses: init.servingProcesses,
      metrics,
      logger: init.loggerFor('watch'),
      writeInProgress: state.writeInProgress?.bind(state),
    });
    const watch = this.routeWatch;
    this.decoder = new RegisterBodyDecoder(
      init.name,
      init.loggerFor('handlers'),
      (decoded, seconds) => {
        metrics.registerBodyDecodeTime(decodeKindOf(decoded), seconds);
      },
    );
    const writes = new RegisterPath(
      registry,
      this.decoder,
      () => state.config().maxInflatedRegisterBodyBytes,
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
          startedAt: init.startedAt,
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
    this.guarded = new GuardedDispatcher({
      inner: this.dispatcher,
      access: init.security.access,
      config: () => state.config(),
      metrics,
      logger: init.loggerFor('limits'),
    });
    this.pool = new ConnectionPool({
      dispatcher: this.guarded,
      logger: init.loggerFor('transport'),
      options: init.transport,
      // The open-connections gauge counts from adoption (sniffing included), see adopt().
      metrics: { ...transportMetricsOf(metrics), connectionOpened: noop, connectionClosed: noop },
      onConnectionClosed: (id) => {
        this.closed(id);
      },
      now: () => init.clock.now(),
    });
    metrics.trackPartialFrameBytes(() => this.pool.frameBudget.totalBytes);
  }

  /** How many broker bases this side's decode thread keeps (for tests). */
  registerDecodeBases(): Promise<number> {
    return this.decoder.baseCount();
  }

  /** See RegisterPath.handedOverAll; for tests and tools. */
  writesHandedOver(): Promise<void> {
    return this.writes.handedOverAll();
  }

  /** Connections of this process: served, and still being sniffed. */
  get connectionCount(): number {
    return this.pool.connectionCount + this.sniffing.size;
  }

  adopt(socket: Socket, id: ConnectionId): void {
    if (this.closing) {
      socket.destroy();
      this.registry.connectionClosed(id);
      return;
    }
    this.metrics.connectionOpened();
    const sniff = this.security.sniff;
    if (sniff === null) {
      this.pool.adopt(socket, id, PLAIN_PEER);
      return;
    }
    this.sniffing.set(id, socket);
    const sniffed = sniffConnection(socket, sniff);
    // The acceptor's sockets arrive paused (pauseOnConnect); the sniffer listens for data now.
    socket.resume();
    void sniffed.then(
      (result) => {
        this.sniffing.delete(id);
        this.security.metrics.connectionSniffed(result.outcome);
        if (this.closing && (result.outcome === 'plain' || result.outcome === 'tls')) {
          result.socket.destroy();
          this.closed(id);
        } else if (result.outcome === 'plain') {
          this.pool.adopt(result.socket, id, PLAIN_PEER);
        } else if (result.outcome === 'tls') {
          this.pool.adopt(result.socket, id, { tls: true, clientCert: result.clientCert });
        } else {
          this.closed(id);
        }
      },
      () => {
        // sniffConnection does not reject; if it ever did, the connection is not served.
        this.sniffing.delete(id);
        socket.destroy();
        this.closed(id);
      },
    );
  }

  /**
   * Closes connection `id`, served or still being sniffed (its first byte not in yet: a socket
   * the owner gave up handing over and then took back must not be served once that byte comes).
   * Its close is reported as any other. False when this side holds no such connection.
   */
  closeConnection(id: ConnectionId): boolean {
    if (this.pool.closeConnection(id)) return true;
    const socket = this.sniffing.get(id);
    if (socket === undefined) return false;
    socket.destroy();
    return true;
  }

  /** Answers held watches (nothing changed), then drains and closes every connection. */
  async close(graceMillis: number): Promise<void> {
    this.closing = true;
    for (const socket of this.sniffing.values()) socket.destroy();
    if (this.routeWatch !== null) {
      this.routeWatch.close();
      // The answers are written when their promises settle: let that happen before the
      // connections stop taking responses.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await this.pool.close(graceMillis);
    await this.decoder.close();
    this.security.close();
  }

  /** A connection is gone: its watch, then (after its registrations) the owner hears it. */
  private closed(id: ConnectionId): void {
    this.metrics.connectionClosed();
    this.routeWatch?.connectionClosed(id);
    this.writes.connectionClosed(id, () => {
      this.registry.connectionClosed(id);
    });
  }
}

const noop = (): void => undefined;

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
    limitEnforced: (limit) => {
      m.limitEnforced(limit);
    },
  };
}
