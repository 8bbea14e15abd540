/**
 * Requests the NameServer itself sends, one-way (Java: the `NettyRemotingClient` of a 5.x
 * NameServer, used for NOTIFY_MIN_BROKER_ID_CHANGE). The request goes to the address the broker
 * registered (its listening port), on a connection the NameServer opens — not on the connection
 * the broker registered over, whose client side would not handle it (fixture recording
 * s2b-namesrv-to-slave of 5.3.3).
 *
 * One connection per address, opened on first use and reused, as Java keeps its channel; closed
 * after `idleTimeoutMillis` without a send, or when the peer closes it. Frames sent while it
 * connects are queued (at most `maxQueuedFrames`). Once connected, a frame is dropped with a
 * warning when it would take the socket's unsent bytes past `maxBufferedBytes`: a broker port that
 * accepts and never reads must not make us buffer without limit. A connection that fails drops
 * what was queued with one warning: one-way means nobody waits for an answer, in Java too.
 * Anything the peer sends back is read and discarded. `send` never throws.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { encodeCommand } from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import type { Logger } from '../logging.js';

/** Default of `maxBufferedBytes`: far above any NOTIFY_MIN_BROKER_ID_CHANGE backlog. */
export const DEFAULT_MAX_BUFFERED_BYTES = 1 << 20;

export interface OnewaySenderOptions {
  logger: Logger;
  /** Java NettyClientConfig.connectTimeoutMillis. */
  connectTimeoutMillis?: number;
  /** Java NettyClientConfig.clientChannelMaxIdleTimeSeconds (120 s). */
  idleTimeoutMillis?: number;
  /** Frames kept per address while it connects; more are dropped with a warning. */
  maxQueuedFrames?: number;
  /**
   * Bytes a connected socket may hold unsent; a frame that would take it past this is dropped
   * with a warning (a single frame larger than this still goes out on an empty socket).
   */
  maxBufferedBytes?: number;
}

interface Peer {
  readonly socket: Socket;
  /** Frames waiting for the connection; null once connected. */
  queue: Buffer[] | null;
  idleTimer: NodeJS.Timeout | null;
}

/** `host:port` → parts; null for anything else (IPv6 addresses come bracketed or not at all). */
function parseAddress(address: string): { host: string; port: number } | null {
  const colon = address.lastIndexOf(':');
  if (colon <= 0) return null;
  const port = Number(address.slice(colon + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65_535) return null;
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { host, port };
}

export class OnewaySender {
  private readonly peers = new Map<string, Peer>();
  private readonly log: Logger;
  private readonly connectTimeoutMillis: number;
  private readonly idleTimeoutMillis: number;
  private readonly maxQueuedFrames: number;
  private readonly maxBufferedBytes: number;
  private isClosed = false;

  constructor(options: OnewaySenderOptions) {
    this.log = options.logger;
    this.connectTimeoutMillis = options.connectTimeoutMillis ?? 3000;
    this.idleTimeoutMillis = options.idleTimeoutMillis ?? 120_000;
    this.maxQueuedFrames = options.maxQueuedFrames ?? 64;
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  }

  /** Addresses with an open or opening connection (for tests and logs). */
  get connectedAddresses(): string[] {
    return [...this.peers.keys()];
  }

  /** Bytes the connection to `address` holds unsent (0 when there is none; for tests and logs). */
  bufferedBytes(address: string): number {
    return this.peers.get(address)?.socket.writableLength ?? 0;
  }

  send(address: string, command: RemotingCommand): void {
    if (this.isClosed) return;
    let frame: Buffer;
    try {
      frame = encodeCommand(command);
    } catch (err) {
      this.log.error({ err, address, code: command.code }, 'could not encode a one-way request');
      return;
    }
    const peer = this.peers.get(address) ?? this.open(address);
    if (peer === null) return;
    this.touch(address, peer);
    if (peer.queue === null) {
      if (!this.write(peer.socket, frame)) {
        this.log.warn(
          { address, code: command.code, buffered: peer.socket.writableLength },
          'one-way request dropped: the broker is not reading',
        );
      }
    } else if (peer.queue.length < this.maxQueuedFrames) {
      peer.queue.push(frame);
    } else {
      this.log.warn({ address, code: command.code }, 'one-way request dropped: too many queued');
    }
  }

  /** Closes every connection; later sends are ignored. */
  async close(): Promise<void> {
    this.isClosed = true;
    const closing = [...this.peers.values()].map(
      (peer) =>
        new Promise<void>((resolve) => {
          if (peer.socket.destroyed) return resolve();
          peer.socket.once('close', () => resolve());
          // Let queued bytes go out (end), but never wait on a peer that does not answer.
          peer.socket.end();
          setTimeout(() => peer.socket.destroy(), 1000).unref();
        }),
    );
    for (const peer of this.peers.values()) this.clearIdle(peer);
    await Promise.all(closing);
    this.peers.clear();
  }

  private open(address: string): Peer | null {
    const target = parseAddress(address);
    if (target === null) {
      this.log.warn({ address }, 'one-way request dropped: not a host:port address');
      return null;
    }
    const socket = connect({ host: target.host, port: target.port, noDelay: true });
    const peer: Peer = { socket, queue: [], idleTimer: null };
    this.peers.set(address, peer);
    socket.setTimeout(this.connectTimeoutMillis);
    socket.once('connect', () => {
      socket.setTimeout(0);
      const queued = peer.queue ?? [];
      peer.queue = null;
      let dropped = 0;
      for (const frame of queued) if (!this.write(socket, frame)) dropped++;
      if (dropped > 0) {
        this.log.warn(
          { address, dropped, buffered: socket.writableLength },
          'one-way request dropped: the broker is not reading',
        );
      }
    });
    socket.on('timeout', () => {
      socket.destroy(new Error(`connect timed out after ${this.connectTimeoutMillis} ms`));
    });
    // One-way: an answer is not expected; whatever comes is drained so the peer never blocks.
    socket.on('data', () => undefined);
    socket.on('error', (err) => {
      const dropped = peer.queue?.length ?? 0;
      this.log.warn({ address, err, dropped }, 'one-way connection to broker failed');
    });
    socket.once('close', () => {
      this.clearIdle(peer);
      if (this.peers.get(address) === peer) this.peers.delete(address);
    });
    return peer;
  }

  /** Writes unless that would take the unsent bytes past the cap (an empty socket takes any). */
  private write(socket: Socket, frame: Buffer): boolean {
    const buffered = socket.writableLength;
    if (buffered > 0 && buffered + frame.length > this.maxBufferedBytes) return false;
    socket.write(frame);
    return true;
  }

  private touch(address: string, peer: Peer): void {
    if (this.idleTimeoutMillis <= 0) return;
    this.clearIdle(peer);
    peer.idleTimer = setTimeout(() => {
      // Still connecting (a stalled loop, a slow peer): ending it now would lose the queued
      // frames. The connect timeout bounds that phase; idleness counts from a live connection.
      if (peer.queue !== null) return this.touch(address, peer);
      this.log.debug({ address }, 'closing idle one-way connection');
      peer.socket.end();
      // Everything was written long ago; do not wait for a peer that never closes its side.
      setTimeout(() => peer.socket.destroy(), 1000).unref();
    }, this.idleTimeoutMillis);
    peer.idleTimer.unref();
  }

  private clearIdle(peer: Peer): void {
    if (peer.idleTimer !== null) clearTimeout(peer.idleTimer);
    peer.idleTimer = null;
  }
}
