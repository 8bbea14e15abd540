/**
 * What the TCP transport needs from the rest of the server. The transport knows sockets, frames,
 * backpressure and connection ids; everything about request codes lives behind `RequestDispatcher`.
 */
import type { ProtocolErrorCode, RemotingCommand } from '@ns/protocol';

/** Numeric id the transport gives each accepted connection (starts at 1, never reused). */
export type ConnectionId = number;

/** What the TLS layer proved about a connection's peer (see security/tls). */
export interface PeerCertificate {
  /** Subject, e.g. `CN=broker-a,O=example`. */
  readonly subject: string;
  /** SHA-256 fingerprint, `AA:BB:…`. */
  readonly fingerprint256: string;
}

/** How a connection arrived, fixed when it is adopted. */
export interface ConnectionPeer {
  /** Whether the connection speaks TLS. */
  readonly tls: boolean;
  /** The client certificate, when the connection is TLS and the certificate was verified. */
  readonly clientCert: PeerCertificate | null;
}

export const PLAIN_PEER: ConnectionPeer = Object.freeze({ tls: false, clientCert: null });

/** Per-request facts handed to the dispatcher (structurally the handlers' `RequestContext`). */
export interface TransportRequestContext {
  connectionId: ConnectionId;
  remoteAddress: string;
  /** When the frame was cut (the node's clock, ms). */
  receivedAt: number;
  /** The connection's verified TLS client certificate, if any. */
  clientCert?: PeerCertificate | null;
}

/**
 * Request handling (the handlers' `Dispatcher`): the response to write, now or later, or null when
 * nothing must be written (one-way requests). Must not throw nor reject; the transport still
 * guards against both.
 */
export interface RequestDispatcher {
  dispatch(
    request: RemotingCommand,
    ctx: TransportRequestContext,
  ): RemotingCommand | null | Promise<RemotingCommand | null>;
}

/**
 * The resource limits, as metric label values (`namesrv_limit_enforced_total{limit}`): each time
 * one of them closed or refused something.
 */
export type LimitName =
  | 'max_connections'
  | 'max_connections_per_address'
  | 'partial_frame_budget'
  | 'partial_frame_wait'
  | 'partial_frame_timeout'
  | 'in_flight_per_connection'
  | 'in_flight_bytes'
  | 'max_header_length'
  | 'register_body'
  | 'inflated_register_body'
  /** A serving worker did not take in a connection handed to it in time (its `ulimit -n`). */
  | 'handover_timeout';

/** Counters the transport reports; the composition root maps them onto prom-client. */
export interface TransportMetrics {
  connectionOpened(): void;
  connectionClosed(): void;
  /** A malformed or oversized frame closed a connection. `code` is the FrameError code. */
  frameError(code: ProtocolErrorCode): void;
  /** A connection was closed for being idle (`reason: 'idle'`) or over the write cap. */
  connectionDropped(reason: 'idle' | 'write-overflow'): void;
  /** A resource limit was enforced (a connection closed or paused, a request refused). */
  limitEnforced?(limit: LimitName): void;
}

export interface TransportOptions {
  /** Address to bind ('0.0.0.0', '127.0.0.1', '::'). */
  host: string;
  /** 0 = let the OS pick; the bound port is reported by `listen()`. */
  port: number;
  /** Largest accepted frame including its 4-byte length field (Java frameMaxLength). */
  maxFrameLength: number;
  /** Largest request header parsed; a longer one closes the connection like a malformed frame. */
  maxHeaderLength: number;
  /** Close a connection with no read and no write for this long; 0 disables. */
  idleTimeoutMillis: number;
  /**
   * Pause reading from a socket once this many response bytes wait in its write buffer; resume on
   * 'drain'. Bounds memory per connection when a client sends but never reads.
   */
  writeHighWaterMark: number;
  /**
   * Destroy the connection if its write buffer ever exceeds this. Reading is already paused past
   * the high-water mark, so only a huge single response burst can get here.
   */
  writeHardLimit: number;
  /** listen() backlog (Java serverSocketBacklog). */
  backlog: number;
  /**
   * Requests of one connection being answered elsewhere (writes at the registry owner) at a time;
   * past it the connection stops reading until one is answered, so a peer pipelining writes
   * queues at its own socket and cannot crowd out the others.
   */
  maxInFlightPerConnection: number;
  /**
   * Bytes all connections of this process may hold in frames not complete yet (the node's
   * `maxPartialFrameBytes` shared among its serving processes); when exceeded, the connection
   * holding the most is closed. At least `maxFrameLength`.
   */
  partialFrameBudgetBytes: number;
  /** Close a connection whose frame is not complete this long after its first bytes; 0: never. */
  partialFrameTimeoutMillis: number;
  /** Connections the acceptor holds at once (all processes); more are closed at accept. */
  maxConnections: number;
  /** Connections one remote IP may hold at once; more are closed at accept. */
  maxConnectionsPerAddress: number;
  /**
   * Plain TCP reads land in buffers the connection reuses, not a new one per read (see
   * direct-reads.ts). Default true; false keeps Node's 'data' events (tests compare both).
   */
  directReads?: boolean;
}

export const DEFAULT_TRANSPORT_OPTIONS = {
  host: '0.0.0.0',
  port: 9876,
  maxFrameLength: 16 * 1024 * 1024,
  maxHeaderLength: 64 * 1024,
  idleTimeoutMillis: 120_000,
  writeHighWaterMark: 1024 * 1024,
  writeHardLimit: 64 * 1024 * 1024,
  backlog: 1024,
  maxInFlightPerConnection: 64,
  partialFrameBudgetBytes: 256 * 1024 * 1024,
  partialFrameTimeoutMillis: 30_000,
  maxConnections: 20_000,
  maxConnectionsPerAddress: 2000,
} as const satisfies TransportOptions;

/** A snapshot of one open connection, for tests and the admin views. */
export interface ConnectionInfo {
  id: ConnectionId;
  remoteAddress: string;
  /** Response bytes queued in the socket, not yet handed to the kernel. */
  writableLength: number;
  /** The largest `writableLength` seen after any write on this connection. */
  peakWritableLength: number;
  /** True while reading is paused for backpressure. */
  isPaused: boolean;
  /** Frames held back (not yet dispatched) while paused. */
  pendingFrames: number;
  /** Requests dispatched and not answered yet. */
  inFlight: number;
  /** Requests dispatched on this connection. */
  requests: number;
  openedAt: number;
  /** Bytes held for a frame not complete yet. */
  partialFrameBytes: number;
  /** Not read while the process's partial-frame budget is tight. */
  waitingForBudget: boolean;
  /** Whether the connection speaks TLS. */
  tls: boolean;
  /** Reads land in memory the connection chooses (direct-reads.ts), not Node's buffer per read. */
  directReads: boolean;
}

const HOLDS_NO_FRAME = Symbol('holds no frame');

/**
 * Marks a deferred answer whose handler keeps nothing of the request's frame (a held route watch
 * keeps its parsed topics, bounded on their own, and may be held for half a minute): the
 * connection then does not count the frame among the bytes waiting for answers (FrameBudget).
 */
export function holdsNoFrame<T>(answer: Promise<T>): Promise<T> {
  return Object.assign(answer, { [HOLDS_NO_FRAME]: true });
}

export function isHoldingNoFrame(answer: Promise<unknown>): boolean {
  return (answer as { [HOLDS_NO_FRAME]?: boolean })[HOLDS_NO_FRAME] === true;
}

/**
 * `next` (made from `answer` by `.then`, e.g. a dispatcher's metrics or audit), marked as `answer`
 * was: a wrapper that drops the mark would have held route watches counted as frames again.
 */
export function sameFrameHold<T>(answer: Promise<unknown>, next: Promise<T>): Promise<T> {
  return isHoldingNoFrame(answer) ? holdsNoFrame(next) : next;
}
