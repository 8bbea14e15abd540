/**
 * What the TCP transport needs from the rest of the server. The transport knows sockets, frames,
 * backpressure and connection ids; everything about request codes lives behind `RequestDispatcher`.
 */
import type { ProtocolErrorCode, RemotingCommand } from '@ns/protocol';

/** Numeric id the transport gives each accepted connection (starts at 1, never reused). */
export type ConnectionId = number;

/** Per-request facts handed to the dispatcher (structurally E2's `RequestContext`). */
export interface TransportRequestContext {
  connectionId: ConnectionId;
  remoteAddress: string;
}

/**
 * Synchronous request handling (E2's `Dispatcher`): the response to write, or null when nothing
 * must be written now (one-way requests, or a response the handler sends later through
 * `RemotingServer.reply`). Must not throw; the transport still guards against it.
 */
export interface RequestDispatcher {
  dispatch(request: RemotingCommand, ctx: TransportRequestContext): RemotingCommand | null;
}

/** Counters the transport reports; the composition root maps them onto prom-client. */
export interface TransportMetrics {
  connectionOpened(): void;
  connectionClosed(): void;
  /** A malformed or oversized frame closed a connection. `code` is the FrameError code. */
  frameError(code: ProtocolErrorCode): void;
  /** A connection was closed for being idle (`reason: 'idle'`) or over the write cap. */
  connectionDropped(reason: 'idle' | 'write-overflow'): void;
}

export interface TransportOptions {
  /** Address to bind ('0.0.0.0', '127.0.0.1', '::'). */
  host: string;
  /** 0 = let the OS pick; the bound port is reported by `listen()`. */
  port: number;
  /** Largest accepted frame including its 4-byte length field (Java frameMaxLength). */
  maxFrameLength: number;
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
}

export const DEFAULT_TRANSPORT_OPTIONS = {
  host: '0.0.0.0',
  port: 9876,
  maxFrameLength: 16 * 1024 * 1024,
  idleTimeoutMillis: 120_000,
  writeHighWaterMark: 1024 * 1024,
  writeHardLimit: 64 * 1024 * 1024,
  backlog: 1024,
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
  /** Requests dispatched on this connection. */
  requests: number;
  openedAt: number;
}
