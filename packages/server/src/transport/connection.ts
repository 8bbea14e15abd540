/**
 * One accepted TCP connection: bytes → frames → commands → dispatcher → response frames.
 *
 * Java parity (RM/netty/NettyRemotingServer + NettyDecoder):
 * - a frame that cannot be cut or decoded closes this connection without any response;
 * - a command with the response bit set is never processed as a request (we have no pending
 *   server-initiated calls, so it is dropped);
 * - one-way requests are processed and never answered;
 * - no read and no write for `idleTimeoutMillis` closes the connection (Netty IdleStateHandler).
 *
 * Writes made while handling one chunk are corked and leave in one writev. When the socket's
 * write buffer reaches the high-water mark, reading stops and the frames not yet handled wait
 * here until 'drain', so a peer that sends but never reads costs at most one chunk of frames
 * plus the high-water mark.
 *
 * A response may come later (a write answered by the registry owner): it is written when it
 * arrives, in whatever order (clients match responses by opaque). At most
 * `maxInFlightPerConnection` such requests are open per connection; past that the connection
 * stops reading exactly as for a full write buffer.
 *
 * Limits on what a peer can make us hold (README "Limits"): the bytes of a frame not complete
 * yet are charged to the process's `FrameBudget`, which may make the connection wait (not read)
 * or close it, and a frame must be complete `partialFrameTimeoutMillis` after its first bytes
 * arrived (waiting for the budget does not stop that clock; our own backpressure does).
 */
import type { Socket } from 'node:net';
import {
  FrameDecoder,
  ResponseCode,
  createResponse,
  decodeFrame,
  encodeCommand,
  isOneway,
  isProtocolError,
  isResponse,
} from '@ns/protocol';
import type { DecodeFrameOptions, RemotingCommand } from '@ns/protocol';
import type { Logger } from '../logging.js';
import { takeOverReads } from './direct-reads.js';
import type { BudgetHolder, FrameBudget } from './frame-budget.js';
import type { LimitLog } from './limit-log.js';
import { isHoldingNoFrame, PLAIN_PEER } from './types.js';
import type {
  ConnectionId,
  ConnectionInfo,
  ConnectionPeer,
  RequestDispatcher,
  TransportMetrics,
} from './types.js';

/** What a connection needs from its server; shared by all connections of one server. */
export interface ConnectionHost {
  readonly dispatcher: RequestDispatcher;
  readonly metrics: TransportMetrics | null;
  readonly logger: Logger;
  readonly maxFrameLength: number;
  /** How requests are decoded (the header limit). */
  readonly decodeOptions: DecodeFrameOptions;
  readonly idleTimeoutMillis: number;
  readonly writeHardLimit: number;
  /** Stop reading while this many response bytes wait in the socket's write buffer. */
  readonly writeHighWaterMark: number;
  readonly maxInFlight: number;
  /** The process's partial-frame budget; null: unlimited (embedders, some tests). */
  readonly frameBudget: FrameBudget | null;
  /** 0: no deadline. */
  readonly partialFrameTimeoutMillis: number;
  /** Rate limit of the lines about enforced limits and malformed frames (null: every line). */
  readonly limitLog: LimitLog | null;
  /**
   * Plain TCP reads land in memory the connection chooses (see direct-reads.ts); false: Node's
   * 'data' events (a new buffer per read), as TLS always does. Default true.
   */
  readonly directReads?: boolean;
  now(): number;
  /** Called exactly once, when the socket has closed for whatever reason. */
  connectionClosed(conn: Connection): void;
}

const NOOP = (): void => undefined;

/**
 * A response body at least this large is written as it is, after its header, instead of being
 * copied into one frame per answer: the encoded topic list (3.7 MB for 120,000 topics) is shared
 * by every answer until the routes change, and 300 connections that asked and never read held a
 * copy each (1.1 GiB). Smaller bodies are not worth a second buffer per write.
 */
export const SHARED_BODY_MIN_BYTES = 64 * 1024;

/** Longest one connection's batch of frames runs before the rest wait for a later turn. */
export const FRAMES_TURN_MILLIS = 5;

const QUIET_SOCKET_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/**
 * What a held chunk costs besides its bytes (its Buffer, ArrayBuffer and allocation headers):
 * charged to the budget so that a peer trickling one byte per read cannot hold far more memory
 * than the budget says.
 */
export const HELD_CHUNK_OVERHEAD_BYTES = 512;

/**
 * While a frame at least this large is arriving, the connection reads at most
 * YIELDING_READ_BYTES_PER_TURN of it per turn of the event loop. Left alone, libuv reads a busy
 * socket up to 32 times (64 KiB each) per turn, and a broker sending an 8 MiB registration at
 * loopback speed kept the loop copying 2 MiB between two looks at anything else: 8–14 ms stalls
 * for every lookup on the process (issue 11).
 */
export const YIELDING_READ_MIN_FRAME_BYTES = 256 * 1024;
/**
 * Bytes of a large frame read per turn before the connection pauses until the next one: a copy
 * of well under a millisecond, and few enough turns that an 8 MiB body over TLS (16 KiB records)
 * is not spread over hundreds of them.
 */
export const YIELDING_READ_BYTES_PER_TURN = 256 * 1024;

/**
 * Where the direct reads of every connection of this process land unless a frame is assembled in
 * place: each read is consumed (copied where kept) in its callback, before the next read of any
 * socket, so one buffer serves them all. A socket read is at most 64 KiB in Node.
 */
const SHARED_READ_BUFFER = Buffer.allocUnsafeSlow(64 * 1024);

export class Connection implements BudgetHolder {
  readonly id: ConnectionId;
  readonly remoteAddress: string;
  readonly openedAt: number;
  readonly peer: ConnectionPeer;
  /** Replaced once in start() when the reads are taken over (direct-reads.ts). */
  private socket: Socket;
  private readonly host: ConnectionHost;
  private readonly decoder: FrameDecoder;
  private log: Logger | null = null;
  /** Frames cut but not yet dispatched because the write side is backed up. */
  private pending: Buffer[] = [];
  private isPaused = false;
  private isCorked = false;
  /** Whether the batch being handled has more than one frame (see handleFrames). */
  private shouldCork = false;
  /** Set once we decided to close: no more dispatching, whatever is still buffered. */
  private isClosing = false;
  private requests = 0;
  /** Response-flagged frames this peer sent (dropped; only the first is logged at warn). */
  private strayResponses = 0;
  /** Requests whose response is still to come (promises). */
  private inFlight = 0;
  /** Of those, the ones a graceful close waits for: all but held route watches (see end). */
  private awaited = 0;
  /** A graceful close began while `awaited` > 0: the FIN goes after their answers. */
  private endWhenAnswered = false;
  /** Bytes of their frames counted in the process's answers pending (FrameBudget). */
  private answeringBytes = 0;
  /** The in-flight byte budget paused this connection once already (logged once). */
  private answersCapLogged = false;
  private hasReadData = false;
  private peakWritableLength = 0;
  /** Response bodies written on their own (see `respond`) and not flushed yet, with their count. */
  private readonly queuedBodies = new Map<Buffer, number>();
  /**
   * Bytes in the write buffer that repeat a body queued already (a shared body, e.g. the topic
   * list's: one Buffer however many answers carry it). The hard limit leaves them out.
   */
  private sharedQueued = 0;
  /** Armed while a frame is incomplete (partialFrameTimeoutMillis). */
  private frameTimer: NodeJS.Timeout | null = null;
  /** The in-flight cap was logged for this connection (once is enough). */
  private inFlightCapLogged = false;
  /** A resumeSoon() is pending. */
  private resumeScheduled = false;
  /** Not read while the process's partial-frame budget is tight (FrameBudget 'wait'). */
  private waitingForBudget = false;
  /** Budget waits were logged for this connection (once is enough). */
  private budgetWaitLogged = false;
  /** Paused until the next turn while a large frame arrives (see YIELDING_READ_MIN_FRAME_BYTES). */
  private yieldingRead = false;
  /** Bytes read since the connection last paused for a large frame. */
  private readSinceYield = 0;
  /** The socket's reads were taken over (direct-reads.ts). */
  private readsDirectly = false;
  /** The last read target that was part of a frame assembled in place (direct reads). */
  private inPlaceTarget: Uint8Array | null = null;

  constructor(
    id: ConnectionId,
    socket: Socket,
    host: ConnectionHost,
    peer: ConnectionPeer = PLAIN_PEER,
  ) {
    this.id = id;
    this.socket = socket;
    this.host = host;
    this.peer = peer;
    this.remoteAddress = formatRemoteAddress(socket);
    this.openedAt = host.now();
    this.decoder = new FrameDecoder({ maxFrameLength: host.maxFrameLength });
  }

  /** Installs the socket listeners and starts reading; call once, right after accept. */
  start(): void {
    const taken =
      this.host.directReads === false
        ? null
        : takeOverReads(this.socket, {
            target: () => this.readTarget(),
            landed: (bytes, into) => {
              this.onDirectRead(bytes, into);
              return true;
            },
          });
    if (taken !== null) {
      this.socket = taken.socket;
      this.readsDirectly = true;
    }
    const socket = this.socket;
    socket.setNoDelay(true);
    if (this.host.idleTimeoutMillis > 0) {
      // Node's socket timeout is re-armed by every read and write: exactly "no read and no write".
      socket.setTimeout(this.host.idleTimeoutMillis);
      socket.on('timeout', () => {
        this.logger().info({ idleMillis: this.host.idleTimeoutMillis }, 'closing idle connection');
        this.host.metrics?.connectionDropped('idle');
        this.destroy();
      });
    }
    if (taken === null) {
      socket.on('data', (chunk: Buffer) => {
        this.onData(chunk);
      });
    }
    socket.on('drain', () => {
      this.onDrain();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const level = err.code !== undefined && QUIET_SOCKET_ERRORS.has(err.code) ? 'debug' : 'warn';
      this.logger()[level]({ err }, 'connection error');
    });
    socket.once('close', () => {
      this.isClosing = true;
      this.pending = [];
      this.clearFrameTimer();
      this.host.frameBudget?.set(this, 0);
      this.host.connectionClosed(this);
    });
    // Bytes the socket read before we took it over come first.
    for (const chunk of taken?.unread ?? []) this.onData(chunk);
    // An accepted socket may have been paused (pauseOnConnect) until a process took it.
    if (!this.isPaused && !this.isClosing && !this.waitingForBudget && !this.yieldingRead) {
      socket.resume();
    }
  }

  info(): ConnectionInfo {
    return {
      id: this.id,
      remoteAddress: this.remoteAddress,
      writableLength: this.socket.writableLength,
      peakWritableLength: this.peakWritableLength,
      isPaused: this.isPaused,
      pendingFrames: this.pending.length,
      inFlight: this.inFlight,
      requests: this.requests,
      openedAt: this.openedAt,
      partialFrameBytes: this.decoder.bufferedBytes,
      waitingForBudget: this.waitingForBudget,
      tls: this.peer.tls,
      directReads: this.readsDirectly,
    };
  }

  /** Closes at once, dropping queued writes (expired broker, frame error, forced shutdown). */
  destroy(): void {
    this.isClosing = true;
    this.pending = [];
    this.clearFrameTimer();
    this.socket.destroy();
  }

  /** FrameBudget: the others hold less now; read again (unless backpressure says otherwise). */
  resumeForBudget(): void {
    if (!this.waitingForBudget) return;
    this.waitingForBudget = false;
    if (!this.isPaused && !this.isClosing && !this.yieldingRead) this.socket.resume();
  }

  /** FrameBudget: this connection holds the most while the process is over its budget. */
  evictForBudget(held: number, total: number, budget: number): void {
    this.limitLine('partial_frame_budget', 'warn', {
      obj: { heldBytes: held, totalHeldBytes: total, budgetBytes: budget },
      msg: 'partial frames over the budget (maxPartialFrameBytes), closing the connection holding the most',
    });
    this.host.metrics?.limitEnforced?.('partial_frame_budget');
    this.destroy();
  }

  /** A line about an enforced limit or a malformed frame, unless too many came this second. */
  private limitLine(
    limit: Parameters<LimitLog['admit']>[0],
    level: 'info' | 'warn',
    line: { obj: Record<string, unknown>; msg: string },
  ): void {
    const left = this.host.limitLog === null ? 0 : this.host.limitLog.admit(limit);
    if (left === null) return;
    this.logger()[level](left > 0 ? { ...line.obj, linesLeftOut: left } : line.obj, line.msg);
  }

  /** A frame of the node's own (a one-way request to a broker), written like a response. */
  sendFrame(frame: Buffer): void {
    if (this.isClosing) return;
    this.shouldCork = false;
    this.write(frame);
  }

  /**
   * Graceful close: stop handling requests, flush what was already answered, send FIN. The caller
   * destroys the connection if the peer does not finish closing in time.
   *
   * The socket keeps reading (what arrives is dropped by onData): a paused socket never sees the
   * peer's FIN behind a request sent after ours left (a long-poll client asking again), and would
   * then hold the shutdown for the whole grace period.
   *
   * Requests already being answered (a KV write waiting for its fsync) get their answer before
   * the FIN: dropped, a write the node had made durable looked failed to its client (review
   * finding). Not a held route watch, which may wait half a minute for a change: it is dropped,
   * and its client asks another node.
   */
  end(): void {
    if (this.isClosing) return;
    this.isClosing = true;
    this.pending = [];
    if (this.awaited > 0) this.endWhenAnswered = true;
    else this.socket.end();
    this.socket.resume();
  }

  /** Direct reads: the rest of a frame assembled in place, else the shared read buffer. */
  private readTarget(): Uint8Array {
    const target = this.isClosing ? null : this.decoder.readTarget(YIELDING_READ_BYTES_PER_TURN);
    this.inPlaceTarget = target;
    return target ?? SHARED_READ_BUFFER;
  }

  private onDirectRead(bytes: number, into: Uint8Array): void {
    const inPlace = into === this.inPlaceTarget && into !== null;
    this.inPlaceTarget = null;
    this.onBytes(bytes, inPlace ? null : SHARED_READ_BUFFER.subarray(0, bytes), true);
  }

  private onData(chunk: Buffer): void {
    this.onBytes(chunk.length, chunk, false);
  }

  /**
   * `bytes` were read: `chunk` (valid only during this call when `transient`), or null when they
   * landed in place in the frame being assembled.
   */
  private onBytes(bytes: number, chunk: Buffer | null, transient: boolean): void {
    if (this.isClosing) return;
    const isFirstChunk = !this.hasReadData;
    this.hasReadData = true;
    let frames: Buffer[];
    try {
      if (chunk === null) frames = this.decoder.landedInPlace(bytes);
      else frames = transient ? this.decoder.pushTransient(chunk) : this.decoder.push(chunk);
    } catch (err) {
      this.onFrameError(err, isFirstChunk && chunk !== null ? chunk[0] : undefined);
      return;
    }
    this.trackPartialFrame(frames.length > 0);
    this.yieldIfLargeFrame(bytes);
    if (this.isClosing || frames.length === 0) return;
    if (this.isPaused) {
      // 'data' already queued before pause() took effect: keep the order, handle after drain.
      for (const f of frames) this.pending.push(f);
      return;
    }
    this.handleFrames(frames, 0);
  }

  /**
   * After each read: charge what the decoder holds to the budget (which may close us), and keep
   * the deadline of the frame being assembled (a new one starts when a frame completed).
   */
  private trackPartialFrame(completedFrames: boolean): void {
    const bytes = this.decoder.bufferedBytes;
    const budget = this.host.frameBudget;
    if (bytes === 0) {
      this.clearFrameTimer();
      budget?.set(this, 0);
      this.resumeForBudget();
      return;
    }
    // What is held, not what arrived: a frame assembled in place holds its whole size.
    const charge = this.decoder.heldBytes + this.decoder.bufferedChunks * HELD_CHUNK_OVERHEAD_BYTES;
    const verdict =
      budget === null
        ? 'go-on'
        : budget.set(this, charge, {
            received: bytes,
            frameLength: this.decoder.pendingFrameLength,
            newFrame: completedFrames,
          });
    if (verdict === 'closed') return;
    if (verdict === 'wait' && !this.waitingForBudget) {
      this.waitingForBudget = true;
      this.socket.pause();
      this.host.metrics?.limitEnforced?.('partial_frame_wait');
      if (!this.budgetWaitLogged) {
        this.budgetWaitLogged = true;
        this.limitLine('partial_frame_wait', 'info', {
          obj: {
            heldBytes: charge,
            totalHeldBytes: budget!.totalBytes,
            budgetBytes: budget!.budgetBytes,
          },
          msg: 'partial frames hold half the budget (maxPartialFrameBytes): this connection waits (logged once per connection)',
        });
      }
    }
    const timeout = this.host.partialFrameTimeoutMillis;
    if (timeout > 0 && (this.frameTimer === null || completedFrames)) {
      this.clearFrameTimer();
      this.frameTimer = setTimeout(() => {
        this.onFrameTimeout();
      }, timeout);
      this.frameTimer.unref();
    }
  }

  /**
   * A large frame is arriving and YIELDING_READ_BYTES_PER_TURN were read since the last pause:
   * read no more this turn, and again on the next one (timers, other sockets and the registry's
   * slices run in between). Pausing takes effect within the read callback: the stream keeps at
   * most the next chunk and stops the handle reading. (Bytes read across several turns without a
   * pause count too: a slow sender then gets one pause too many, which costs it one turn.)
   */
  private yieldIfLargeFrame(chunkBytes: number): void {
    const pending = this.decoder.pendingFrameLength;
    if (this.yieldingRead || pending === null || pending < YIELDING_READ_MIN_FRAME_BYTES) return;
    if (this.isClosing) return;
    this.readSinceYield += chunkBytes;
    if (this.readSinceYield < YIELDING_READ_BYTES_PER_TURN) return;
    this.readSinceYield = 0;
    this.yieldingRead = true;
    this.socket.pause();
    setImmediate(() => {
      this.yieldingRead = false;
      if (!this.isPaused && !this.isClosing && !this.waitingForBudget) this.socket.resume();
    });
  }

  private onFrameTimeout(): void {
    this.frameTimer = null;
    if (this.isClosing || this.decoder.bufferedBytes === 0) return;
    const timeout = this.host.partialFrameTimeoutMillis;
    if (this.isPaused) {
      // We stopped reading (backpressure), so the peer could not finish: give it another period
      // once more (the idle timer still ends a connection that neither reads nor writes).
      this.frameTimer = setTimeout(() => {
        this.onFrameTimeout();
      }, timeout);
      this.frameTimer.unref();
      return;
    }
    this.limitLine('partial_frame_timeout', 'warn', {
      obj: {
        timeoutMillis: timeout,
        heldBytes: this.decoder.bufferedBytes,
        frameLength: this.decoder.pendingFrameLength,
      },
      msg: 'frame not complete in time (partialFrameTimeoutMillis), closing connection',
    });
    this.host.metrics?.limitEnforced?.('partial_frame_timeout');
    this.destroy();
  }

  private clearFrameTimer(): void {
    if (this.frameTimer !== null) {
      clearTimeout(this.frameTimer);
      this.frameTimer = null;
    }
  }

  /** 'drain', or an in-flight request answered: go on with the held-back frames if we can. */
  private onDrain(): void {
    if (!this.isPaused || this.isClosing || !this.canHandleMore()) return;
    this.isPaused = false;
    const frames = this.pending;
    this.pending = [];
    this.handleFrames(frames, 0);
    if (!this.isPaused && !this.isClosing && !this.waitingForBudget && !this.yieldingRead) {
      this.socket.resume();
    }
  }

  /**
   * Goes on with held-back frames after an answer came in, but on a later turn of the event loop:
   * answers arrive as promise continuations, and a registry owner in this process answers without
   * ever yielding, so resuming here would let one connection's pipelined writes run back to back
   * while no other socket is even read (the in-flight cap would bound nothing).
   */
  private resumeSoon(): void {
    if (!this.isPaused || this.resumeScheduled) return;
    this.resumeScheduled = true;
    setImmediate(() => {
      this.resumeScheduled = false;
      this.onDrain();
    });
  }

  private canHandleMore(): boolean {
    // Our own threshold rather than the stream's high-water mark: sockets come from the acceptor,
    // from another process or from TLS, each with its own marks. Never below the stream's own,
    // though: past that a write has returned false, so 'drain' follows once the buffer is empty —
    // below it no 'drain' would ever come, and a connection paused there would stay paused.
    const pauseAt = Math.max(this.host.writeHighWaterMark, this.socket.writableHighWaterMark);
    return (
      this.socket.writableLength < pauseAt &&
      // A held route watch (at most one per connection) is no request waiting for an answer:
      // with maxInFlightPerConnection=1 it stopped the connection's lookups for its whole hold.
      this.awaited < this.host.maxInFlight &&
      !this.overAnswerBudget()
    );
  }

  /**
   * The process's answers pending hold half its frame budget and this connection has one of them:
   * it takes no further request until its own is answered (which wakes it, see resumeSoon).
   */
  private overAnswerBudget(): boolean {
    return this.answeringBytes > 0 && this.host.frameBudget?.answersOverBudget === true;
  }

  private handleFrames(frames: Buffer[], from: number): void {
    // Cork only when several answers can leave together; a lone answer goes straight out.
    const several = frames.length - from > 1;
    this.shouldCork = several;
    const started = several ? performance.now() : 0;
    for (let i = from; i < frames.length; i++) {
      if (this.isClosing) break;
      if (!this.canHandleMore()) {
        this.pauseUntilDrain(frames, i);
        break;
      }
      if (i > from && performance.now() - started >= FRAMES_TURN_MILLIS) {
        this.goOnNextTurn(frames, i);
        break;
      }
      this.handleFrame(frames[i]!);
    }
    if (this.isCorked) {
      this.isCorked = false;
      this.socket.uncork();
    }
  }

  /**
   * The frames of one read took FRAMES_TURN_MILLIS already: the rest wait for a later turn, so
   * other connections are read and answered in between. Pipelined requests that each cost a few
   * milliseconds (a list walking every topic) held the loop for seconds (review finding).
   */
  private goOnNextTurn(frames: Buffer[], from: number): void {
    this.isPaused = true;
    this.socket.pause();
    for (let i = from; i < frames.length; i++) this.pending.push(frames[i]!);
    this.resumeSoon();
  }

  private pauseUntilDrain(frames: Buffer[], from: number): void {
    this.isPaused = true;
    this.socket.pause();
    for (let i = from; i < frames.length; i++) this.pending.push(frames[i]!);
    if (this.overAnswerBudget()) {
      this.host.metrics?.limitEnforced?.('in_flight_bytes');
      if (!this.answersCapLogged) {
        this.answersCapLogged = true;
        const budget = this.host.frameBudget!;
        this.limitLine('in_flight_bytes', 'info', {
          obj: {
            answeringBytes: this.answeringBytes,
            totalAnsweringBytes: budget.answeringBytes,
            budgetBytes: budget.budgetBytes,
          },
          msg: 'requests waiting for answers hold half the frame budget (maxPartialFrameBytes): reading paused until this connection gets its answer (logged once per connection)',
        });
      }
    }
    if (this.awaited >= this.host.maxInFlight) {
      this.host.metrics?.limitEnforced?.('in_flight_per_connection');
      if (!this.inFlightCapLogged) {
        this.inFlightCapLogged = true;
        this.limitLine('in_flight_per_connection', 'info', {
          obj: { inFlight: this.awaited, limit: this.host.maxInFlight },
          msg: 'requests in flight reached maxInFlightPerConnection, reading paused until answers go out (logged once per connection)',
        });
      }
    }
    this.logger().debug(
      {
        writableLength: this.socket.writableLength,
        inFlight: this.inFlight,
        pendingFrames: this.pending.length,
      },
      'write buffer full or too many requests in flight, reading paused',
    );
  }

  private handleFrame(frame: Buffer): void {
    let request: RemotingCommand;
    try {
      request = decodeFrame(frame, this.host.decodeOptions);
    } catch (err) {
      this.onFrameError(err);
      return;
    }
    if (isResponse(request)) {
      // The NameServer never sends requests, so no response can be pending here. Said once per
      // connection at warn (a peer can send these as fast as it likes), the rest at debug; the
      // warnings rate-limited per process (one peer can open many connections).
      const first = this.strayResponses++ === 0;
      const obj = {
        code: request.code,
        opaque: request.opaque,
        strayResponses: this.strayResponses,
      };
      if (first) {
        this.limitLine('stray_response', 'warn', {
          obj,
          msg: 'dropping a response command received from a peer (further ones of this connection at debug)',
        });
      } else {
        this.logger().debug(obj, 'dropping a response command received from a peer');
      }
      return;
    }
    this.requests++;
    const ctx = {
      connectionId: this.id,
      remoteAddress: this.remoteAddress,
      receivedAt: this.host.now(),
      clientCert: this.peer.clientCert,
    };
    // Read now: a registration's frame is moved to the decode thread (emptied here) on dispatch.
    const frameBytes = frame.length;
    let response: RemotingCommand | null | Promise<RemotingCommand | null>;
    try {
      response = this.host.dispatcher.dispatch(request, ctx);
    } catch (err) {
      // The dispatcher contract says it never throws; if it does, answer like Java does.
      response = this.dispatcherFailed(request, err);
    }
    if (response instanceof Promise) {
      this.inFlight++;
      const held = isHoldingNoFrame(response);
      if (!held) this.awaited++;
      // The frame stays in memory until answered (e.g. queued for the decode thread).
      const budget = this.host.frameBudget;
      const charged = budget === null || held ? 0 : frameBytes;
      if (charged > 0) {
        this.answeringBytes += charged;
        budget!.answerPending(charged);
      }
      response
        .catch((err: unknown) => this.dispatcherFailed(request, err))
        .then((later) => {
          this.inFlight--;
          if (!held) this.awaited--;
          if (charged > 0) {
            this.answeringBytes -= charged;
            budget!.answerSettled(charged);
          }
          if (this.isClosing) {
            if (!this.endWhenAnswered || held || this.socket.destroyed) return;
            this.shouldCork = false;
            this.respond(request, later);
            if (this.awaited === 0) {
              this.endWhenAnswered = false;
              this.socket.end();
            }
            return;
          }
          // Outside any batch: this answer leaves on its own.
          this.shouldCork = false;
          this.respond(request, later);
          this.resumeSoon();
        }, NOOP);
      return;
    }
    this.respond(request, response);
  }

  private dispatcherFailed(request: RemotingCommand, err: unknown): RemotingCommand {
    this.logger().error({ err, code: request.code }, 'dispatcher threw');
    return createResponse(request, {
      code: ResponseCode.SYSTEM_ERROR,
      remark: err instanceof Error ? err.message : String(err),
    });
  }

  private respond(request: RemotingCommand, response: RemotingCommand | null): void {
    if (response === null || isOneway(request)) return;
    let bytes: Buffer;
    let body: Buffer | null = null;
    try {
      if (response.encodedFrame !== undefined) {
        // A cached response (route lookups) or one made elsewhere arrives already encoded.
        bytes = response.encodedFrame;
      } else if (response.body !== null && response.body.length >= SHARED_BODY_MIN_BYTES) {
        // The body leaves as it is, after its own header: a body shared by many answers (the
        // topic list's) stays one Buffer however many answers wait in write buffers.
        body = response.body;
        bytes = encodeCommand({ ...response, body: null });
        bytes.writeInt32BE(bytes.length - 4 + body.length, 0);
      } else {
        bytes = encodeCommand(response);
      }
    } catch (err) {
      this.logger().error({ err, code: request.code }, 'could not encode a response');
      body = null;
      bytes = encodeCommand(
        createResponse(request, { code: ResponseCode.SYSTEM_ERROR, remark: 'encode failed' }),
      );
    }
    this.write(bytes, body);
  }

  /** `body`: written right after `bytes`, in the same writev (its frame's body, see respond). */
  private write(bytes: Buffer, body: Buffer | null = null): void {
    const socket = this.socket;
    if (this.shouldCork && !this.isCorked) {
      this.isCorked = true;
      socket.cork();
    }
    if (body === null) {
      socket.write(bytes);
    } else {
      // Header and body in one writev (neither copied), as a corked batch would send them.
      const cork = !this.isCorked;
      if (cork) socket.cork();
      socket.write(bytes);
      const queuedBefore = this.queuedBodies.get(body) ?? 0;
      this.queuedBodies.set(body, queuedBefore + 1);
      if (queuedBefore > 0) this.sharedQueued += body.length;
      socket.write(body, () => {
        const left = this.queuedBodies.get(body)! - 1;
        if (left > 0) {
          this.queuedBodies.set(body, left);
          this.sharedQueued -= body.length;
        } else {
          this.queuedBodies.delete(body);
        }
      });
      if (cork) socket.uncork();
    }
    const queued = socket.writableLength;
    if (queued > this.peakWritableLength) this.peakWritableLength = queued;
    // Repeats of a shared body left out: 64 answers pipelined for a 1 MB topic list (answered
    // together once it is built in slices) hold one 1 MB Buffer, not 64 MB; the client was closed.
    if (queued - this.sharedQueued > this.host.writeHardLimit) {
      this.limitLine('write_overflow', 'warn', {
        obj: { writableLength: queued, limit: this.host.writeHardLimit },
        msg: 'write buffer over the hard limit, closing connection',
      });
      this.host.metrics?.connectionDropped('write-overflow');
      this.destroy();
    }
  }

  /** `firstByte`: the connection's very first byte, when the error came from the first chunk. */
  private onFrameError(err: unknown, firstByte?: number): void {
    if (isProtocolError(err)) {
      // Java sniffs TLS (0x16) and PROXY protocol ('P') before framing; we support neither, so
      // say so instead of a baffling "frame length 369295616 exceeds the limit".
      const hint =
        firstByte === 0x16
          ? 'looks like a TLS handshake, but TLS is off here (tlsServerMode=disabled)'
          : firstByte === 0x50
            ? 'looks like a PROXY protocol header, which is not supported'
            : undefined;
      // Rate-limited per process (a peer can open connections that each send one), counted in
      // full by the metric.
      this.limitLine('malformed_frame', 'warn', {
        obj: { code: err.code, reason: err.message, ...(hint === undefined ? {} : { hint }) },
        msg: 'malformed frame, closing connection',
      });
      this.host.metrics?.frameError(err.code);
      if (err.code === 'NS_HEADER_TOO_LONG')
        this.host.metrics?.limitEnforced?.('max_header_length');
    } else {
      // The codec promises ProtocolError only; anything else is a bug, but still just this peer's.
      this.logger().error({ err }, 'frame decoding failed unexpectedly, closing connection');
    }
    this.destroy();
  }

  /** The per-connection child logger, created on first use (most connections never log). */
  private logger(): Logger {
    this.log ??= this.host.logger.child({ connectionId: this.id, remote: this.remoteAddress });
    return this.log;
  }
}

/** `ip:port` as Java's RemotingHelper prints it; IPv4-mapped IPv6 shown as plain IPv4. */
function formatRemoteAddress(socket: Socket): string {
  let ip = socket.remoteAddress ?? 'unknown';
  if (ip.startsWith('::ffff:')) ip = ip.slice(7);
  return `${ip}:${socket.remotePort ?? 0}`;
}
