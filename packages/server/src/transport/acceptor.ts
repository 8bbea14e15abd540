/**
 * The node's one TCP listener (Java NettyRemotingServer's boss group): accepts connections, numbers
 * them (ids are unique in the node, whichever process serves them) and hands each, still unread,
 * to a `ConnectionSink`: the connection pool of this process, or one of the serving worker
 * processes. Choosing the sink is the caller's business (`pick`).
 *
 * It sees every connection of the node, so it enforces the connection limits before anything is
 * read or handed over: `maxConnections` in total and `maxConnectionsPerAddress` per remote IP. A
 * refused connection is closed at once, counted, and logged (at most one line per limit per
 * second, with the number refused since the previous line). Whoever serves a connection reports
 * its end through `release(id)`.
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { addressGroupOf } from './address-group.js';
import { listenHostOf } from './listen-host.js';
import type { Logger } from '../logging.js';
import { TransportError } from './transport-error.js';
import type { ConnectionId, LimitName, TransportOptions } from './types.js';

/** Where accepted connections go. */
export interface ConnectionSink {
  adopt(socket: Socket, id: ConnectionId): void;
}

export interface BoundAddress {
  host: string;
  port: number;
  family: string;
}

export interface AcceptorInit {
  options: Pick<
    TransportOptions,
    'host' | 'port' | 'backlog' | 'maxConnections' | 'maxConnectionsPerAddress'
  >;
  logger: Logger;
  /** Counts refusals by limit. */
  metrics?: { limitEnforced(limit: LimitName): void } | undefined;
  /** The sink for the next connection, or null when none can take it yet (no worker ready). */
  pick(socket: Socket): ConnectionSink | null;
}

/**
 * Connections accepted while no sink could take them (serving workers still starting, or all
 * being replaced) wait here, unread, until `retryWaiting()`; beyond this many they are refused.
 */
const MAX_WAITING = 4096;

/** At most one refusal line per limit per this many milliseconds. */
const REFUSAL_LOG_INTERVAL_MILLIS = 1000;

type State = 'new' | 'listening' | 'closed';

/** The remote IP as logged (IPv4-mapped IPv6 as plain IPv4). */
function remoteIp(socket: Socket): string {
  const ip = socket.remoteAddress ?? 'unknown';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

export class Acceptor {
  private readonly server: Server;
  private readonly init: AcceptorInit;
  private nextId = 1;
  private state: State = 'new';
  private waiting: [Socket, ConnectionId][] = [];
  /** Open connections (accepted, not yet released) and their remote IP. */
  private readonly open = new Map<ConnectionId, string>();
  private readonly perAddress = new Map<string, number>();
  private readonly refusalLog = new Map<LimitName, { at: number; suppressed: number }>();

  constructor(init: AcceptorInit) {
    this.init = init;
    // pauseOnConnect: no byte is read here, so the socket can move to another process intact.
    // noDelay because every frame is a complete request or response. The streams keep Node's
    // default high-water marks: a socket paused for reading then holds at most one more read
    // (a larger readable mark would let each paused socket buffer that much unaccounted); the
    // write-side threshold connections pause on is their own (writeHighWaterMark).
    this.server = createServer({ noDelay: true, pauseOnConnect: true });
    this.server.on('connection', (socket) => {
      this.accept(socket);
    });
    this.server.on('error', (err) => {
      // Only reachable after listen() succeeded (accept errors such as EMFILE); keep serving.
      init.logger.error({ err }, 'listener error');
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
    const { host, port, backlog } = this.init.options;
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
      const listenHost = listenHostOf(host);
      this.server.listen(
        { ...(listenHost === undefined ? {} : { host: listenHost }), port, backlog },
        () => {
          this.server.off('error', onError);
          const addr = this.server.address() as AddressInfo;
          // The wildcard as configured (Java prints bindAddress), whichever family it bound.
          const shown = listenHost === undefined ? host : addr.address;
          resolve({ host: shown, port: addr.port, family: addr.family });
        },
      );
    });
  }

  /** Connections accepted and not released yet. */
  get openCount(): number {
    return this.open.size;
  }

  /** Open connections from one remote IP. */
  openFrom(ip: string): number {
    return this.perAddress.get(ip) ?? 0;
  }

  /** A connection ended (wherever it was served); frees its place. Idempotent. */
  release(id: ConnectionId): void {
    const ip = this.open.get(id);
    if (ip === undefined) return;
    this.open.delete(id);
    const n = (this.perAddress.get(ip) ?? 1) - 1;
    if (n <= 0) this.perAddress.delete(ip);
    else this.perAddress.set(ip, n);
  }

  /** Hands waiting connections to sinks that can take them now (e.g. a worker became ready). */
  retryWaiting(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const [socket, id] of waiting) {
      if (socket.destroyed) this.release(id);
      else this.offer(socket, id);
    }
  }

  /**
   * Stops accepting: the listening socket is closed when this returns (the port is free). The
   * connections already accepted are not waited for: their owners (the serving side, in this
   * process or in the workers) close them. Idempotent.
   *
   * Not `server.close(callback)`'s callback: it waits for the server's connections, and Node
   * counts every child process a socket was sent to as a place holding some; a child that exited
   * is dropped from that list without ever being counted as closed, so after a serving worker
   * that had been handed connections died, the callback never came and shutdown hung
   * (servingWorkers > 1).
   */
  close(): Promise<void> {
    const wasListening = this.state === 'listening';
    this.state = 'closed';
    for (const [socket, id] of this.waiting.splice(0)) {
      socket.destroy();
      this.release(id);
    }
    if (wasListening && this.server.listening) this.server.close();
    return Promise.resolve();
  }

  private accept(socket: Socket): void {
    if (this.state !== 'listening') {
      socket.destroy();
      return;
    }
    // Counted per address group: an IPv4 address, an IPv6 /64 (address-group.ts).
    const ip = addressGroupOf(socket.remoteAddress);
    const { maxConnections, maxConnectionsPerAddress } = this.init.options;
    if (this.open.size >= maxConnections) {
      this.refuse(socket, ip, 'max_connections', 'maxConnections', maxConnections);
      return;
    }
    const fromIp = this.perAddress.get(ip) ?? 0;
    if (fromIp >= maxConnectionsPerAddress) {
      this.refuse(
        socket,
        ip,
        'max_connections_per_address',
        'maxConnectionsPerAddress',
        maxConnectionsPerAddress,
      );
      return;
    }
    const id = this.nextId++;
    this.open.set(id, ip);
    this.perAddress.set(ip, fromIp + 1);
    this.offer(socket, id);
  }

  private offer(socket: Socket, id: ConnectionId): void {
    const sink = this.init.pick(socket);
    if (sink === null) {
      if (this.waiting.length >= MAX_WAITING) {
        this.init.logger.warn(
          { remote: remoteIp(socket), waiting: this.waiting.length },
          'no serving worker ready and too many connections waiting, refused',
        );
        socket.destroy();
        this.release(id);
      } else {
        this.waiting.push([socket, id]);
      }
      return;
    }
    sink.adopt(socket, id);
  }

  private refuse(socket: Socket, ip: string, limit: LimitName, key: string, value: number): void {
    socket.destroy();
    this.init.metrics?.limitEnforced(limit);
    const now = Date.now();
    const last = this.refusalLog.get(limit);
    if (last !== undefined && now - last.at < REFUSAL_LOG_INTERVAL_MILLIS) {
      last.suppressed++;
      return;
    }
    this.refusalLog.set(limit, { at: now, suppressed: 0 });
    this.init.logger.warn(
      {
        remote: `${remoteIp(socket)}:${socket.remotePort ?? 0}`,
        addressGroup: ip,
        limit: key,
        value,
        open: this.open.size,
        openFromAddress: this.perAddress.get(ip) ?? 0,
        refusedWithoutLine: last?.suppressed ?? 0,
      },
      `connection from ${ip} refused: ${key} (${value}) reached`,
    );
  }
}
