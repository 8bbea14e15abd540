/**
 * The NameServer's TCP listener (Java NettyRemotingServer, server side only): accepts
 * connections, numbers them, and tells the owner when one closes so the route table can drop
 * brokers registered on it (§4.5). It has no business rules; see connection.ts for the per-socket
 * request path.
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { RemotingCommand } from '@ns/protocol';
import type { Logger } from '../logging.js';
import { Connection } from './connection.js';
import type { ConnectionHost } from './connection.js';
import { TransportError } from './transport-error.js';
import { DEFAULT_TRANSPORT_OPTIONS } from './types.js';
import type {
  ConnectionId,
  ConnectionInfo,
  RequestDispatcher,
  TransportMetrics,
  TransportOptions,
} from './types.js';

export interface RemotingServerInit {
  dispatcher: RequestDispatcher;
  logger: Logger;
  options?: Partial<TransportOptions>;
  metrics?: TransportMetrics;
  /** Fired once per connection after it closed (close, error, idle, frame error, expiry). */
  onConnectionClosed?: (id: ConnectionId, remoteAddress: string) => void;
  /** Millisecond clock for `openedAt`; defaults to Date.now. */
  now?: () => number;
}

export interface BoundAddress {
  host: string;
  port: number;
  family: string;
}

type State = 'new' | 'listening' | 'closing' | 'closed';

export class RemotingServer {
  readonly options: Readonly<TransportOptions>;
  private readonly server: Server;
  private readonly connections = new Map<ConnectionId, Connection>();
  private readonly host: ConnectionHost;
  private readonly logger: Logger;
  private readonly onConnectionClosed: RemotingServerInit['onConnectionClosed'];
  private nextId = 1;
  private state: State = 'new';
  private closePromise: Promise<void> | null = null;
  /** Resolved when the last connection has closed during shutdown. */
  private onEmpty: (() => void) | null = null;

  constructor(init: RemotingServerInit) {
    const options: TransportOptions = { ...DEFAULT_TRANSPORT_OPTIONS, ...init.options };
    validateOptions(options);
    this.options = Object.freeze(options);
    this.logger = init.logger;
    this.onConnectionClosed = init.onConnectionClosed;
    const now = init.now ?? Date.now;
    this.host = {
      dispatcher: init.dispatcher,
      metrics: init.metrics ?? null,
      logger: init.logger,
      maxFrameLength: options.maxFrameLength,
      idleTimeoutMillis: options.idleTimeoutMillis,
      writeHardLimit: options.writeHardLimit,
      now,
      connectionClosed: (conn) => {
        this.connectionClosed(conn);
      },
    };
    // highWaterMark makes socket.write() report "full" at our threshold, which is what
    // connections pause on; noDelay because every frame is a complete request or response.
    this.server = createServer({ noDelay: true, highWaterMark: options.writeHighWaterMark });
    this.server.on('connection', (socket) => {
      this.accept(socket);
    });
    this.server.on('error', (err) => {
      // Only reachable after listen() succeeded (accept errors such as EMFILE); keep serving.
      this.logger.error({ err }, 'listener error');
    });
  }

  /** Binds and starts accepting. Resolves to the bound address (the real port when 0 was asked). */
  listen(): Promise<BoundAddress> {
    if (this.state !== 'new') {
      return Promise.reject(
        new TransportError('NS_TRANSPORT_STATE', `cannot listen: ${this.state}`),
      );
    }
    this.state = 'listening';
    const { host, port, backlog } = this.options;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        this.state = 'closed';
        reject(
          new TransportError(
            'NS_LISTEN_FAILED',
            `cannot listen on ${host}:${port}: ${err.code ?? err.message}`,
            { cause: err },
          ),
        );
      };
      this.server.once('error', onError);
      this.server.listen({ host, port, backlog }, () => {
        this.server.off('error', onError);
        const addr = this.server.address() as AddressInfo;
        resolve({ host: addr.address, port: addr.port, family: addr.family });
      });
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Snapshots of every open connection. */
  connectionInfos(): ConnectionInfo[] {
    return [...this.connections.values()].map((c) => c.info());
  }

  connectionInfo(id: ConnectionId): ConnectionInfo | null {
    return this.connections.get(id)?.info() ?? null;
  }

  /**
   * Sends a response decided after its request was dispatched (the dispatcher returned null for a
   * deferred response). False when the connection is gone or closing: the response is dropped.
   */
  reply(id: ConnectionId, response: RemotingCommand): boolean {
    return this.connections.get(id)?.sendLater(response) ?? false;
  }

  /** Closes one connection at once (e.g. an expired broker's). False when it is already gone. */
  closeConnection(id: ConnectionId): boolean {
    const conn = this.connections.get(id);
    if (conn === undefined) return false;
    conn.destroy();
    return true;
  }

  /**
   * Stops accepting, stops reading, flushes answered requests and ends every connection;
   * connections still open after `graceMillis` are destroyed. Idempotent.
   */
  close(graceMillis = 3000): Promise<void> {
    this.closePromise ??= this.doClose(graceMillis);
    return this.closePromise;
  }

  private async doClose(graceMillis: number): Promise<void> {
    const wasListening = this.state === 'listening';
    this.state = 'closing';
    const stopped = wasListening
      ? new Promise<void>((resolve) => {
          this.server.close(() => {
            resolve();
          });
        })
      : Promise.resolve();
    if (this.connections.size > 0) {
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
    await stopped;
    this.state = 'closed';
  }

  private accept(socket: Socket): void {
    if (this.state !== 'listening') {
      socket.destroy();
      return;
    }
    const id = this.nextId++;
    const conn = new Connection(id, socket, this.host);
    this.connections.set(id, conn);
    this.host.metrics?.connectionOpened();
    conn.start();
    this.logger.debug({ connId: id, remote: conn.remoteAddress }, 'connection accepted');
  }

  private connectionClosed(conn: Connection): void {
    if (!this.connections.delete(conn.id)) return;
    this.host.metrics?.connectionClosed();
    this.logger.debug({ connId: conn.id, remote: conn.remoteAddress }, 'connection closed');
    try {
      this.onConnectionClosed?.(conn.id, conn.remoteAddress);
    } catch (err) {
      // A failing listener must not leave the transport half-updated or crash the process.
      this.logger.error({ err, connId: conn.id }, 'connection-closed listener threw');
    }
    if (this.connections.size === 0 && this.onEmpty !== null) {
      const done = this.onEmpty;
      this.onEmpty = null;
      done();
    }
  }
}

function validateOptions(o: TransportOptions): void {
  const check = (name: keyof TransportOptions, ok: boolean, expected: string): void => {
    if (!ok) {
      throw new TransportError(
        'NS_TRANSPORT_OPTION',
        `invalid transport option ${name}: expected ${expected}, got ${String(o[name])}`,
      );
    }
  };
  const isInt = (v: number, min: number, max = Number.MAX_SAFE_INTEGER): boolean =>
    Number.isInteger(v) && v >= min && v <= max;
  check('port', isInt(o.port, 0, 65535), 'an integer 0..65535');
  check('host', typeof o.host === 'string' && o.host.length > 0, 'a non-empty address');
  check('maxFrameLength', isInt(o.maxFrameLength, 8, 0x7fffffff), 'an integer 8..2147483647');
  check('idleTimeoutMillis', isInt(o.idleTimeoutMillis, 0), 'an integer >= 0');
  check('writeHighWaterMark', isInt(o.writeHighWaterMark, 1), 'an integer >= 1');
  check(
    'writeHardLimit',
    isInt(o.writeHardLimit, o.writeHighWaterMark),
    'an integer >= writeHighWaterMark',
  );
  check('backlog', isInt(o.backlog, 1), 'an integer >= 1');
}
