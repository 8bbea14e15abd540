/**
 * One TCP connection to one node: framing, the pending table, timeouts and close handling.
 *
 * What it guarantees to callers:
 *  - a connect that does not complete within `connectTimeoutMs` fails with RemotingConnectError
 *    (one dead node must not stall callers for the OS connect timeout, apache/rocketmq#7056);
 *  - every request settles exactly once: response, RemotingTimeoutError, or RemotingClosedError
 *    when the connection closes for any reason (all pending calls fail at once);
 *  - after `maxConsecutiveTimeouts` timeouts in a row with nothing received, the connection is
 *    closed: a half-open TCP connection otherwise swallows every later call (apache/rocketmq#9290).
 *
 * Requests arriving from the peer (server → client, e.g. 5.x NOTIFY_MIN_BROKER_ID_CHANGE) are
 * handed to `onRequest`; responding is the owner's business.
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { RemotingCommand } from '@ns/protocol';
import { decodeFrame, encodeCommand, FrameDecoder, isResponse } from '@ns/protocol';
import {
  InvalidOptionError,
  ProtocolViolationError,
  RemotingClosedError,
  RemotingConnectError,
  RemotingTimeoutError,
} from '../errors.js';
import type { Logger } from '../logger.js';
import { PendingTable } from './pending-table.js';

export type ConnectionState = 'connecting' | 'open' | 'closed';

/** Why a node may close a plain connection before answering: part of the error's message. */
export const PLAIN_REFUSED_HINT =
  'the node answered nothing: one that accepts TLS only (tlsServerMode=enforcing) or is at its connection limit closes a new connection so; if it needs TLS, connect with TLS';
/** Why a TLS handshake may be cut off by the peer: part of the error's message. */
export const TLS_REFUSED_HINT =
  'a node that does not speak TLS (tlsServerMode=disabled, or a Java NameServer without TLS) or is at its connection limit closes a TLS connection so; if it does not speak TLS, connect without';

/** Whether the peer closed the socket in the middle of the TLS handshake. */
function isHandshakeCutOff(cause: Error | undefined): cause is Error {
  return (
    cause !== undefined &&
    (cause as NodeJS.ErrnoException).code === 'ECONNRESET' &&
    cause.message.includes('before secure TLS connection was established')
  );
}

export interface ConnectionOptions {
  readonly addr: string;
  /** A socket that is connecting (or already connected) to `addr`, from the SocketFactory. */
  readonly socket: Socket;
  readonly connectTimeoutMs: number;
  readonly maxConsecutiveTimeouts: number;
  /** Close the connection after this long without traffic and nothing pending; 0 = never. */
  readonly idleTimeoutMs: number;
  readonly maxFrameLength: number;
  readonly logger: Logger;
  readonly onOpen: (conn: Connection) => void;
  readonly onClose: (conn: Connection, cause: Error | undefined) => void;
  readonly onRequest: (conn: Connection, request: RemotingCommand) => void;
}

export class Connection {
  readonly addr: string;
  readonly #options: ConnectionOptions;
  readonly #log: Logger;
  readonly #socket: Socket;
  readonly #decoder: FrameDecoder;
  readonly #pending = new PendingTable();
  readonly #ready: Promise<void>;
  #state: ConnectionState = 'connecting';
  #connectTimer: NodeJS.Timeout | undefined;
  #resolveReady!: () => void;
  #rejectReady!: (err: Error) => void;
  #lastSocketError: Error | undefined;
  #consecutiveTimeouts = 0;
  #opened = false;
  /** Whether any byte arrived from the peer (see RemotingClosedError.nothingReceived). */
  #received = false;
  /** Whether the socket closed under us (the peer, or the network), not by our own close. */
  #closedByPeer = false;

  constructor(options: ConnectionOptions) {
    this.#options = options;
    this.addr = options.addr;
    this.#log = options.logger;
    this.#decoder = new FrameDecoder({ maxFrameLength: options.maxFrameLength });
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // Callers that never await (a oneway sent before close) must not cause unhandled rejections.
    this.#ready.catch(() => undefined);

    const socket = options.socket;
    this.#socket = socket;
    this.#connectTimer = setTimeout(() => {
      this.#connectTimer = undefined;
      const err = new RemotingConnectError(
        this.addr,
        `connect to ${this.addr} timed out after ${options.connectTimeoutMs} ms`,
      );
      this.#close(err);
    }, options.connectTimeoutMs);
    // A TLS socket is usable once its handshake is done ('secureConnect'); a failed handshake or
    // an untrusted certificate then fails the connect, not the first request.
    socket.once(socket instanceof TLSSocket ? 'secureConnect' : 'connect', () => {
      this.#onConnect();
    });
    socket.on('data', (chunk: Buffer) => {
      this.#onData(chunk);
    });
    socket.on('error', (err) => {
      this.#lastSocketError = err;
      this.#log.debug({ addr: this.addr, err }, 'remoting socket error');
    });
    socket.on('close', () => {
      this.#closedByPeer = true;
      this.#close(this.#lastSocketError);
    });
    socket.on('timeout', () => {
      // Idle: only close when nothing is waiting (pending calls have their own timers). Node
      // re-arms the idle timer only on socket activity: re-arm it here, or a call that then timed
      // out with nothing more sent left the connection open for good (review finding).
      if (this.#pending.size === 0) {
        this.#log.debug({ addr: this.addr }, 'closing idle remoting connection');
        this.#close(undefined);
      } else {
        socket.setTimeout(this.#options.idleTimeoutMs);
      }
    });
    // A socket handed over already connected (tests, custom factories) emits no 'connect'.
    if (!socket.connecting && !socket.destroyed && socket.remoteAddress !== undefined) {
      queueMicrotask(() => {
        this.#onConnect();
      });
    }
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** True once the TCP connection was established (false for a connect that failed). */
  get opened(): boolean {
    return this.#opened;
  }

  /** Number of requests waiting for a response. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Consecutive timeouts since the last frame received. */
  get consecutiveTimeouts(): number {
    return this.#consecutiveTimeouts;
  }

  /** Resolves once connected; rejects with RemotingConnectError when the connect fails. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /**
   * Sends `request` (its opaque must be unique among this connection's pending calls) and waits
   * up to `timeoutMs` for the response with the same opaque. The connection must be open.
   */
  request(request: RemotingCommand, timeoutMs: number): Promise<RemotingCommand> {
    if (this.#state !== 'open') {
      return Promise.reject(this.#closedError(undefined, undefined));
    }
    // Encoded before it joins the pending table: a request that cannot be encoded fails alone,
    // and the connection (with every other call on it) stays up.
    const frame = this.#encode(request);
    if (frame instanceof InvalidOptionError) return Promise.reject(frame);
    return new Promise<RemotingCommand>((resolve, reject) => {
      const call = {
        opaque: request.opaque,
        code: request.code,
        startedAt: Date.now(),
        resolve,
        reject,
        timer: undefined as NodeJS.Timeout | undefined,
      };
      call.timer = setTimeout(() => {
        this.#onTimeout(request.opaque, timeoutMs);
      }, timeoutMs);
      this.#pending.add(call);
      this.#write(frame, (err) => {
        if (err === undefined) return;
        // The write failed: the socket is going down; fail this call now rather than waiting.
        const taken = this.#pending.take(request.opaque);
        taken?.reject(this.#closedError(undefined, err));
        this.#close(err);
      });
    });
  }

  /** Writes a command that expects no response; resolves when it is flushed to the socket. */
  send(command: RemotingCommand): Promise<void> {
    if (this.#state !== 'open') {
      return Promise.reject(new RemotingClosedError(this.addr));
    }
    const frame = this.#encode(command);
    if (frame instanceof InvalidOptionError) return Promise.reject(frame);
    return new Promise<void>((resolve, reject) => {
      this.#write(frame, (err) => {
        if (err === undefined) {
          resolve();
          return;
        }
        reject(new RemotingClosedError(this.addr, undefined, { cause: err }));
        this.#close(err);
      });
    });
  }

  /** Closes the connection; pending calls fail with RemotingClosedError. Idempotent. */
  close(reason?: Error): void {
    this.#close(reason);
  }

  /**
   * The frame of `command`, or why it cannot be encoded (a header field out of range for its
   * serialize type): the caller's mistake, so InvalidOptionError, not retriable, since sending it
   * again or elsewhere fails the same way.
   */
  #encode(command: RemotingCommand): Buffer | InvalidOptionError {
    try {
      const frame = encodeCommand(command);
      // The length field counts what follows it. A node (Java's as ours, 16 MiB by default)
      // closes the connection on a longer frame, failing every other call on it too.
      const length = frame.length - 4;
      if (length > this.#options.maxFrameLength) {
        return new InvalidOptionError(
          'request',
          `request (code ${command.code}) to ${this.addr} is a frame of ${length} bytes, more than maxFrameLength (${this.#options.maxFrameLength}); a name server closes the connection on it`,
        );
      }
      return frame;
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      return new InvalidOptionError(
        'request',
        `request (code ${command.code}) to ${this.addr} cannot be encoded: ${why}`,
        { cause: err },
      );
    }
  }

  #write(frame: Buffer, done: (err: Error | undefined) => void): void {
    this.#socket.write(frame, (err) => {
      done(err ?? undefined);
    });
  }

  #onConnect(): void {
    if (this.#state !== 'connecting') return;
    this.#state = 'open';
    this.#opened = true;
    if (this.#connectTimer !== undefined) clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    if (this.#options.idleTimeoutMs > 0) this.#socket.setTimeout(this.#options.idleTimeoutMs);
    this.#log.debug({ addr: this.addr }, 'remoting connection open');
    this.#resolveReady();
    this.#options.onOpen(this);
  }

  #onData(chunk: Buffer): void {
    this.#received = true;
    let frames: Buffer[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (err) {
      this.#protocolViolation('undecodable frame from peer', err);
      return;
    }
    for (const frame of frames) {
      let cmd: RemotingCommand;
      try {
        cmd = decodeFrame(frame);
      } catch (err) {
        this.#protocolViolation('undecodable frame from peer', err);
        return;
      }
      // Any frame proves the link carries traffic: it is not half-open.
      this.#consecutiveTimeouts = 0;
      if (isResponse(cmd)) {
        const call = this.#pending.take(cmd.opaque);
        if (call === undefined) {
          // Java logs and drops these too: typically the late answer to a timed-out call.
          this.#log.debug(
            { addr: this.addr, opaque: cmd.opaque, code: cmd.code },
            'response with unknown opaque dropped',
          );
          continue;
        }
        this.#log.debug(
          { addr: this.addr, opaque: cmd.opaque, code: call.code, ms: Date.now() - call.startedAt },
          'remoting response',
        );
        call.resolve(cmd);
      } else {
        this.#options.onRequest(this, cmd);
      }
      if (this.#state === 'closed') return;
    }
  }

  #onTimeout(opaque: number, timeoutMs: number): void {
    const call = this.#pending.take(opaque);
    if (call === undefined) return;
    this.#consecutiveTimeouts += 1;
    call.reject(new RemotingTimeoutError(this.addr, timeoutMs));
    const max = this.#options.maxConsecutiveTimeouts;
    if (max > 0 && this.#consecutiveTimeouts >= max) {
      this.#log.warn(
        { addr: this.addr, timeouts: this.#consecutiveTimeouts },
        'closing remoting connection after consecutive timeouts',
      );
      this.#close(
        new RemotingTimeoutError(
          this.addr,
          timeoutMs,
          `${this.#consecutiveTimeouts} consecutive timeouts on ${this.addr}; connection closed`,
        ),
      );
    }
  }

  #protocolViolation(message: string, cause: unknown): void {
    const err = new ProtocolViolationError(`${message} (${this.addr})`, { cause, addr: this.addr });
    this.#log.warn({ addr: this.addr, err }, 'closing remoting connection: protocol violation');
    this.#close(err);
  }

  /** The error of a call that the closing (or closed) connection fails. */
  #closedError(message: string | undefined, cause: Error | undefined): RemotingClosedError {
    const nothingReceived = !this.#received;
    return new RemotingClosedError(
      this.addr,
      message,
      cause === undefined ? { nothingReceived } : { cause, nothingReceived },
    );
  }

  #close(cause: Error | undefined): void {
    if (this.#state === 'closed') return;
    const wasConnecting = this.#state === 'connecting';
    this.#state = 'closed';
    if (this.#connectTimer !== undefined) clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    this.#socket.destroy();
    const tls = this.#socket instanceof TLSSocket;
    if (wasConnecting) {
      this.#rejectReady(
        cause instanceof RemotingConnectError
          ? cause
          : new RemotingConnectError(
              this.addr,
              tls && isHandshakeCutOff(cause)
                ? `cannot connect to ${this.addr}: ${cause.message} (${TLS_REFUSED_HINT})`
                : undefined,
              cause === undefined ? {} : { cause },
            ),
      );
    }
    const calls = this.#pending.drain();
    if (calls.length > 0) {
      // A plain connection that a node closes before answering anything is what a TLS-only
      // node does with it: say so, or an operator sees only "closed with 1 request pending".
      // Only a close that came from the other side: our own (close(), consecutive timeouts)
      // says nothing about what the node accepts.
      const hint = !tls && !this.#received && this.#closedByPeer ? ` (${PLAIN_REFUSED_HINT})` : '';
      const message =
        cause === undefined
          ? `connection to ${this.addr} closed with ${calls.length} request(s) pending${hint}`
          : `connection to ${this.addr} closed with ${calls.length} request(s) pending: ${cause.message}${hint}`;
      for (const call of calls) call.reject(this.#closedError(message, cause));
      // The owner's "disconnected" report (the broker agent's "node failing" line) says it too.
      if (cause === undefined && hint !== '') {
        this.#options.onClose(this, this.#closedError(message, undefined));
        return;
      }
    }
    this.#options.onClose(this, cause);
  }
}
