/**
 * A whole single-process TCP server: the acceptor handing every connection to one connection
 * pool. The NameServer composes the two itself (so serving workers can take connections); this
 * is for embedders and the transport tests that want "a dispatcher on a port".
 */
import type { Logger } from '../logging.js';
import { Acceptor } from './acceptor.js';
import type { BoundAddress } from './acceptor.js';
import { ConnectionPool } from './connection-pool.js';
import { TransportError } from './transport-error.js';
import { DEFAULT_TRANSPORT_OPTIONS } from './types.js';
import type {
  ConnectionId,
  ConnectionInfo,
  RequestDispatcher,
  TransportMetrics,
  TransportOptions,
} from './types.js';

export type { BoundAddress } from './acceptor.js';

export interface RemotingServerInit {
  dispatcher: RequestDispatcher;
  logger: Logger;
  options?: Partial<TransportOptions>;
  metrics?: TransportMetrics;
  /** Fired once per connection after it closed (close, error, idle, frame error, expiry). */
  onConnectionClosed?: (id: ConnectionId, remoteAddress: string) => void;
  /** Millisecond clock for `openedAt` and receive times; defaults to Date.now. */
  now?: () => number;
}

export class RemotingServer {
  readonly options: Readonly<TransportOptions>;
  readonly pool: ConnectionPool;
  private readonly acceptor: Acceptor;
  private closePromise: Promise<void> | null = null;

  constructor(init: RemotingServerInit) {
    const options: TransportOptions = { ...DEFAULT_TRANSPORT_OPTIONS, ...init.options };
    validateTransportOptions(options);
    this.options = Object.freeze(options);
    this.pool = new ConnectionPool({
      dispatcher: init.dispatcher,
      logger: init.logger,
      options,
      metrics: init.metrics,
      onConnectionClosed: (id, remoteAddress) => {
        this.acceptor.release(id);
        init.onConnectionClosed?.(id, remoteAddress);
      },
      now: init.now,
    });
    const metrics = init.metrics;
    this.acceptor = new Acceptor({
      options,
      logger: init.logger,
      metrics: {
        limitEnforced: (limit) => {
          metrics?.limitEnforced?.(limit);
        },
      },
      pick: () => this.pool,
    });
  }

  /** Binds and starts accepting. Resolves to the bound address (the real port when 0 was asked). */
  listen(): Promise<BoundAddress> {
    return this.acceptor.listen();
  }

  get connectionCount(): number {
    return this.pool.connectionCount;
  }

  connectionInfos(): ConnectionInfo[] {
    return this.pool.connectionInfos();
  }

  connectionInfo(id: ConnectionId): ConnectionInfo | null {
    return this.pool.connectionInfo(id);
  }

  /** Closes one connection at once (e.g. an expired broker's). False when it is already gone. */
  closeConnection(id: ConnectionId): boolean {
    return this.pool.closeConnection(id);
  }

  /**
   * Stops accepting, stops reading, flushes answered requests and ends every connection;
   * connections still open after `graceMillis` are destroyed. Idempotent.
   */
  close(graceMillis = 3000): Promise<void> {
    this.closePromise ??= Promise.all([this.acceptor.close(), this.pool.close(graceMillis)]).then(
      () => undefined,
    );
    return this.closePromise;
  }
}

export function validateTransportOptions(o: TransportOptions): void {
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
  check('maxHeaderLength', isInt(o.maxHeaderLength, 1, 0xffffff), 'an integer 1..16777215');
  check('idleTimeoutMillis', isInt(o.idleTimeoutMillis, 0), 'an integer >= 0');
  check('writeHighWaterMark', isInt(o.writeHighWaterMark, 1), 'an integer >= 1');
  check(
    'writeHardLimit',
    isInt(o.writeHardLimit, o.writeHighWaterMark),
    'an integer >= writeHighWaterMark',
  );
  check('backlog', isInt(o.backlog, 1), 'an integer >= 1');
  check('maxInFlightPerConnection', isInt(o.maxInFlightPerConnection, 1), 'an integer >= 1');
  check(
    'partialFrameBudgetBytes',
    isInt(o.partialFrameBudgetBytes, o.maxFrameLength),
    'an integer >= maxFrameLength',
  );
  check('partialFrameTimeoutMillis', isInt(o.partialFrameTimeoutMillis, 0), 'an integer >= 0');
  check('maxConnections', isInt(o.maxConnections, 1), 'an integer >= 1');
  check('maxConnectionsPerAddress', isInt(o.maxConnectionsPerAddress, 1), 'an integer >= 1');
}
