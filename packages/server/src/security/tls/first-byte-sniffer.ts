/**
 * Decides what a freshly accepted connection speaks from its first byte, as Java's NameServer
 * does (`TlsModeHandler`): 0x16 is a TLS handshake record; a remoting frame starts with the high
 * byte of its length, 0x00 for any frame under 16 MiB. Per tlsServerMode:
 *
 * | mode | plain first byte | TLS first byte |
 * | --- | --- | --- |
 * | disabled | plain | closed (logged) |
 * | permissive (Java's default) | plain | TLS |
 * | enforcing | closed (logged) | TLS |
 *
 * The socket must not have been read yet. The first chunk is put back (`unshift`) so the
 * connection's reader, or the TLS layer, sees every byte. A connection that sends nothing within
 * `firstByteTimeoutMs` is closed (Java leaves it to the 120 s idle timer).
 *
 * The line logged for each closed connection is rate-limited per outcome and process (`LimitLog`:
 * the first ones in full, the next line written says how many were left out): any peer can open
 * connections that each fail a handshake, and a flood of them must not flood the log too. The
 * caller's metrics still count every outcome.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { LimitLog } from '../../transport/limit-log.js';
import type { VerifiedClientCert } from '../access-policy.js';
import type { SecurityLogger } from '../security-logger.js';
import type { HandshakeResult } from './server-tls-context.js';
import type { TlsServerMode } from './tls-settings.js';

/** TLS record type "handshake" (RFC 8446 §5.1), the first byte of every ClientHello. */
export const TLS_HANDSHAKE_RECORD = 0x16;

/** How a connection was classified; a bounded set, used as a metrics label. */
export type SniffOutcome =
  | 'plain'
  | 'tls'
  | 'plain-refused'
  | 'tls-refused'
  | 'no-first-byte'
  | 'closed'
  | 'handshake-failed'
  | 'client-cert-missing'
  | 'client-cert-rejected';

export type SniffResult =
  /** Plain remoting. The socket is paused with its first bytes unread: attach, then resume(). */
  | { readonly outcome: 'plain'; readonly socket: Socket }
  /** TLS established; clientCert is set when the client's certificate was verified. */
  | {
      readonly outcome: 'tls';
      readonly socket: TLSSocket;
      readonly clientCert: VerifiedClientCert | null;
    }
  /** Closed (already destroyed); `detail` says why, for logs. */
  | { readonly outcome: Exclude<SniffOutcome, 'plain' | 'tls'>; readonly detail: string };

/** What runs the server side of a TLS handshake: a ServerTlsContext, or one still being made. */
export interface TlsHandshaker {
  handshake(socket: Socket): Promise<HandshakeResult>;
}

export interface SniffOptions {
  readonly mode: TlsServerMode;
  /** Required unless mode is disabled. */
  readonly tls: TlsHandshaker | null;
  /** Deadline for the first byte (ms). */
  readonly firstByteTimeoutMs: number;
  readonly logger: SecurityLogger;
}

/** Lines a second per outcome (and process) about connections the sniffer closed. */
export const SNIFF_LINES_PER_SECOND = 10;

const closedLines = new LimitLog<SniffOutcome>(SNIFF_LINES_PER_SECOND);

/** The line about a connection closed with `outcome`, unless too many were written this second. */
function closedLine(
  log: SecurityLogger,
  outcome: SniffOutcome,
  obj: Record<string, unknown>,
  msg: string,
): void {
  const left = closedLines.admit(outcome);
  if (left === null) return;
  log.info(left > 0 ? { ...obj, linesLeftOut: left } : obj, msg);
}

function remoteOf(socket: Socket): string {
  let ip = socket.remoteAddress ?? 'unknown';
  if (ip.startsWith('::ffff:')) ip = ip.slice(7);
  return `${ip}:${socket.remotePort ?? 0}`;
}

/** Waits for the first chunk; resolves null when the socket ends, fails or times out first. */
function firstChunk(socket: Socket, timeoutMs: number): Promise<Buffer | 'timeout' | null> {
  return new Promise((resolve) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onGone);
      socket.off('close', onGone);
      socket.off('error', onGone);
    };
    const onData = (chunk: Buffer): void => {
      // Pause first: with no 'data' listener left a flowing socket would drop what follows.
      socket.pause();
      cleanup();
      socket.unshift(chunk);
      resolve(chunk);
    };
    const onGone = (): void => {
      cleanup();
      resolve(null);
    };
    const timer = setTimeout(() => {
      cleanup();
      resolve('timeout');
    }, timeoutMs);
    timer.unref();
    socket.on('data', onData);
    socket.once('end', onGone);
    socket.once('close', onGone);
    socket.once('error', onGone);
  });
}

export async function sniffConnection(socket: Socket, options: SniffOptions): Promise<SniffResult> {
  const remote = remoteOf(socket);
  const log = options.logger;
  // Errors between now and the caller's own handlers must not become uncaught exceptions.
  const swallow = (): void => undefined;
  socket.on('error', swallow);
  try {
    const first = await firstChunk(socket, options.firstByteTimeoutMs);
    if (first === null) {
      socket.destroy();
      return { outcome: 'closed', detail: 'closed before sending anything' };
    }
    if (first === 'timeout') {
      socket.destroy();
      closedLine(
        log,
        'no-first-byte',
        { remote, timeoutMs: options.firstByteTimeoutMs },
        'connection closed: nothing received in time',
      );
      return {
        outcome: 'no-first-byte',
        detail: `nothing received within ${options.firstByteTimeoutMs} ms`,
      };
    }
    const isTls = first[0] === TLS_HANDSHAKE_RECORD;
    if (!isTls) {
      if (options.mode === 'enforcing') {
        socket.destroy();
        closedLine(
          log,
          'plain-refused',
          { remote },
          'plain connection refused: tlsServerMode=enforcing accepts TLS only',
        );
        return { outcome: 'plain-refused', detail: 'tlsServerMode=enforcing' };
      }
      return { outcome: 'plain', socket };
    }
    if (options.mode === 'disabled' || options.tls === null) {
      socket.destroy();
      closedLine(log, 'tls-refused', { remote }, 'TLS connection refused: tlsServerMode=disabled');
      return { outcome: 'tls-refused', detail: 'tlsServerMode=disabled' };
    }
    const result = await options.tls.handshake(socket);
    if (!result.ok) {
      closedLine(
        log,
        result.reason,
        { remote, reason: result.reason, detail: result.detail },
        'TLS connection closed',
      );
      return { outcome: result.reason, detail: result.detail };
    }
    return { outcome: 'tls', socket: result.socket, clientCert: result.clientCert };
  } finally {
    socket.off('error', swallow);
  }
}
