/**
 * The open connections of one serving process: takes accepted sockets (from the acceptor in this
 * process, or handed over from the acceptor of the owner process), runs each as a Connection,
 * and tells its owner when one closes so the registry can drop brokers registered on it (§4.5).
 * It has no business rules; see connection.ts for the per-socket request path.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../logging.js';
import { Connection } from './connection.js';
import type { ConnectionHost } from './connection.js';
import { FrameBudget } from './frame-budget.js';
import { LimitLog } from './limit-log.js';
import type {
  ConnectionId,
  ConnectionInfo,
  ConnectionPeer,
  RequestDispatcher,
  TransportMetrics,
  TransportOptions,
} from './types.js';

export type PoolOptions = Pick<
  TransportOptions,
  | 'maxFrameLength'
  | 'maxHeaderLength'
  | 'idleTimeoutMillis'
  | 'writeHardLimit'
  | 'writeHighWaterMark'
  | 'maxInFlightPerConnection'
  | 'partialFrameBudgetBytes'
  | 'partialFrameTimeoutMillis'
  | 'directReads'
>;

export interface ConnectionPoolInit {
  dispatcher: RequestDispatcher;
  logger: Logger;
  options: PoolOptions;
  metrics?: TransportMetrics | undefined;
  /** Fired once per connection after it closed (close, error, idle, frame error, expiry). */
  onConnectionClosed?: ((id: ConnectionId, remoteAddress: string) => void) | undefined;
  /** Millisecond clock for `openedAt` and request receive times; defaults to Date.now. */
  now?: (() => number) | undefined;
}

export class ConnectionPool {
  private readonly connections = new Map<ConnectionId, Connection>();
  private readonly host: ConnectionHost;
  /** The bytes this pool's connections hold in incomplete frames. */
  readonly frameBudget: FrameBudget;
  private readonly logger: Logger;
  private readonly onConnectionClosed: ConnectionPoolInit['onConnectionClosed'];
  private isClosing = false;
  private closePromise: Promise<void> | null = null;
  /** Resolved when the last connection has closed during shutdown. */
  private onEmpty: (() => void) | null = null;

  constructor(init: ConnectionPoolInit) {
    this.logger = init.logger;
    this.onConnectionClosed = init.onConnectionClosed;
    this.frameBudget = new FrameBudget(init.options.partialFrameBudgetBytes, {
      frameDeadlineMillis: init.options.partialFrameTimeoutMillis,
    });
    this.host = {
      dispatcher: init.dispatcher,
      metrics: init.metrics ?? null,
      logger: init.logger,
      maxFrameLength: init.options.maxFrameLength,
      decodeOptions: { maxHeaderLength: init.options.maxHeaderLength },
      idleTimeoutMillis: init.options.idleTimeoutMillis,
      writeHardLimit: init.options.writeHardLimit,
      writeHighWaterMark: init.options.writeHighWaterMark,
      maxInFlight: init.options.maxInFlightPerConnection,
      frameBudget: this.frameBudget,
      partialFrameTimeoutMillis: init.options.partialFrameTimeoutMillis,
      limitLog: new LimitLog(),
      directReads: init.options.directReads ?? true,
      now: init.now ?? Date.now,
      connectionClosed: (conn) => {
        this.connectionClosed(conn);
      },
    };
  }

  /**
   * Starts serving an accepted socket under `id` (unique within the node). `peer`: how it
   * arrived (TLS, verified client certificate); plain by default.
   */
  adopt(socket: Socket, id: ConnectionId, peer?: ConnectionPeer): void {
    if (this.isClosing) {
      socket.destroy();
      return;
    }
    const conn = new Connection(id, socket, this.host, peer);
    this.connections.set(id, conn);
    this.host.metrics?.connectionOpened();
    conn.start();
    this.logger.debug(
      { connectionId: id, remote: conn.remoteAddress, tls: conn.peer.tls },
      'connection accepted',
    );
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  connectionInfos(): ConnectionInfo[] {
    return [...this.connections.values()].map((c) => c.info());
  }

  connectionInfo(id: ConnectionId): ConnectionInfo | null {
    return this.connections.get(id)?.info() ?? null;
  }

  /** Closes one connection at once (e.g. an expired broker's). False when it is already gone. */
  closeConnection(id: ConnectionId): boolean {
    const conn = this.connections.get(id);
    if (conn === undefined) return false;
    conn.destroy();
    return true;
  }

  /** Writes a frame the node sends on its own (a request to a broker) on one connection. */
  send(id: ConnectionId, frame: Buffer): boolean {
    const conn = this.connections.get(id);
    if (conn === undefined) return false;
    conn.sendFrame(frame);
    return true;
  }

  /**
   * Stops reading, flushes answered requests and ends every connection; connections still open
   * after `graceMillis` are destroyed. Idempotent.
   */
  close(graceMillis: number): Promise<void> {
    this.closePromise ??= this.doClose(graceMillis);
    return this.closePromise;
  }

  private async doClose(graceMillis: number): Promise<void> {
    this.isClosing = true;
    if (this.connections.size === 0) return;
    const drained = new Promise<void>((resolve) => {
      this.onEmpty = resolve;
    });
    for (const conn of this.connections.values()) conn.end();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => {
        resolve('timeout');
      }, graceMillis);
    });
    const outcome = await Promise.race([drained, deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.logger.warn(
        { connections: this.connections.size, graceMillis },
        'connections still open after the grace period, destroying them',
      );
      for (const conn of this.connections.values()) conn.destroy();
      await drained;
    }
  }

  private connectionClosed(conn: Connection): void {
    if (!this.connections.delete(conn.id)) return;
    this.host.metrics?.connectionClosed();
    this.logger.debug({ connectionId: conn.id, remote: conn.remoteAddress }, 'connection closed');
    try {
      this.onConnectionClosed?.(conn.id, conn.remoteAddress);
    } catch (err) {
      // A failing listener must not leave the pool half-updated or crash the process.
      this.logger.error({ err, connectionId: conn.id }, 'connection-closed listener threw');
    }
    if (this.connections.size === 0 && this.onEmpty !== null) {
      const done = this.onEmpty;
      this.onEmpty = null;
      done();
    }
  }
}
