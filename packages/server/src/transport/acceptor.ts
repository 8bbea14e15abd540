/**
 * The node's one TCP listener (Java NettyRemotingServer's boss group): accepts connections, numbers
 * them (ids are unique in the node, whichever process serves them) and hands each, still unread,
 * to a `ConnectionSink`: the connection pool of this process, or one of the serving worker
 * processes. Choosing the sink is the caller's business (`pick`).
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { Logger } from '../logging.js';
import { TransportError } from './transport-error.js';
import type { ConnectionId, TransportOptions } from './types.js';

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
  options: Pick<TransportOptions, 'host' | 'port' | 'backlog' | 'writeHighWaterMark'>;
  logger: Logger;
  /** The sink for the next connection, or null when none can take it yet (no worker ready). */
  pick(socket: Socket): ConnectionSink | null;
}

/**
 * Connections accepted while no sink could take them (serving workers still starting, or all
 * being replaced) wait here, unread, until `retryWaiting()`; beyond this many they are refused.
 */
const MAX_WAITING = 4096;

type State = 'new' | 'listening' | 'closed';

export class Acceptor {
  private readonly server: Server;
  private readonly init: AcceptorInit;
  private nextId = 1;
  private state: State = 'new';
  private waiting: Socket[] = [];

  constructor(init: AcceptorInit) {
    this.init = init;
    // pauseOnConnect: no byte is read here, so the socket can move to another process intact.
    // highWaterMark makes socket.write() report "full" at our threshold, which is what
    // connections pause on; noDelay because every frame is a complete request or response.
    this.server = createServer({
      noDelay: true,
      pauseOnConnect: true,
      highWaterMark: init.options.writeHighWaterMark,
    });
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
      this.server.listen({ host, port, backlog }, () => {
        this.server.off('error', onError);
        const addr = this.server.address() as AddressInfo;
        resolve({ host: addr.address, port: addr.port, family: addr.family });
      });
    });
  }

  /** Hands waiting connections to sinks that can take them now (e.g. a worker became ready). */
  retryWaiting(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const socket of waiting) {
      if (!socket.destroyed) this.accept(socket);
    }
  }

  /** Stops accepting; resolves once the listening socket is closed. Idempotent. */
  close(): Promise<void> {
    const wasListening = this.state === 'listening';
    this.state = 'closed';
    for (const socket of this.waiting.splice(0)) socket.destroy();
    if (!wasListening || !this.server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }

  private accept(socket: Socket): void {
    if (this.state !== 'listening') {
      socket.destroy();
      return;
    }
    const sink = this.init.pick(socket);
    if (sink === null) {
      if (this.waiting.length >= MAX_WAITING) {
        this.init.logger.warn(
          { remote: socket.remoteAddress, waiting: this.waiting.length },
          'no serving worker ready and too many connections waiting, refused',
        );
        socket.destroy();
      } else {
        this.waiting.push(socket);
      }
      return;
    }
    sink.adopt(socket, this.nextId++);
  }
}
