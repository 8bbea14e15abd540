/**
 * Helpers for the TCP tests: a raw remoting client (frames in, commands out), a scripted
 * dispatcher, recording metrics, and a poll-with-deadline.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import {
  FrameDecoder,
  ResponseCode,
  createRequest,
  createResponse,
  decodeFrame,
  encodeCommand,
  newExtFields,
} from '@ns/protocol';
import type { ProtocolErrorCode, RemotingCommand } from '@ns/protocol';
import { createLogger, createSilentLogger } from '../src/logging.js';
import type { Logger } from '../src/logging.js';
import { RemotingServer } from '../src/transport/remoting-server.js';
import { holdsNoFrame } from '../src/transport/types.js';
import type {
  LimitName,
  RequestDispatcher,
  TransportMetrics,
  TransportOptions,
  TransportRequestContext,
} from '../src/transport/types.js';

/** Polls `predicate` until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  predicate: () => boolean,
  timeoutMs = 5000,
  intervalMs = 5,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const ECHO_CODE = 105;
export const BIG_CODE = 106;
export const THROW_CODE = 107;
/** Answered later: recorded in `deferred`; the test settles its promise with `answer`. */
export const DEFER_CODE = 108;
/** Answered after busy-waiting ext `millis` (a request that costs CPU). */
export const SLOW_CODE = 109;
/** Like DEFER_CODE, but marked as held (holdsNoFrame), as a route watch is. */
export const HELD_CODE = 110;

/**
 * Answers ECHO_CODE with the `topic` ext field echoed back in the body, BIG_CODE with a body of
 * `size` bytes, THROW_CODE by throwing (to check the transport's guard), and records one-way calls.
 */
export class ScriptedDispatcher implements RequestDispatcher {
  readonly seen: { code: number; opaque: number; ctx: TransportRequestContext }[] = [];
  readonly deferred: {
    request: RemotingCommand;
    ctx: TransportRequestContext;
    answer: (response: RemotingCommand | null) => void;
  }[] = [];
  onewayCount = 0;
  /**
   * Deferred requests' bodies are moved away (their memory transferred, the frame left empty),
   * as REGISTER_BROKER's are handed to the decode thread.
   */
  moveDeferredBodies = false;

  dispatch(
    request: RemotingCommand,
    ctx: TransportRequestContext,
  ): RemotingCommand | null | Promise<RemotingCommand | null> {
    this.seen.push({ code: request.code, opaque: request.opaque, ctx });
    if ((request.flag & 0x2) !== 0) {
      this.onewayCount++;
      return null;
    }
    if (request.code === THROW_CODE) throw new Error('boom');
    if (request.code === DEFER_CODE) {
      const body = request.body;
      if (this.moveDeferredBodies && body !== null) {
        structuredClone(body.buffer, { transfer: [body.buffer as ArrayBuffer] });
      }
      return new Promise((answer) => {
        this.deferred.push({ request, ctx, answer });
      });
    }
    if (request.code === HELD_CODE) {
      return holdsNoFrame(
        new Promise((answer) => {
          this.deferred.push({ request, ctx, answer });
        }),
      );
    }
    if (request.code === SLOW_CODE) {
      const until = performance.now() + Number(request.extFields?.millis ?? '0');
      while (performance.now() < until);
      return createResponse(request, { code: ResponseCode.SUCCESS });
    }
    if (request.code === BIG_CODE) {
      const size = Number(request.extFields?.size ?? '0');
      return createResponse(request, {
        code: ResponseCode.SUCCESS,
        body: Buffer.alloc(size, 0x61),
      });
    }
    if (request.code === ECHO_CODE) {
      const topic = request.extFields?.topic ?? '';
      return createResponse(request, {
        code: ResponseCode.SUCCESS,
        body: Buffer.from(topic, 'utf8'),
      });
    }
    return createResponse(request, {
      code: ResponseCode.REQUEST_CODE_NOT_SUPPORTED,
      remark: ` request type ${request.code} not supported`,
    });
  }
}

export class RecordingMetrics implements TransportMetrics {
  opened = 0;
  closed = 0;
  readonly frameErrors: ProtocolErrorCode[] = [];
  readonly dropped: string[] = [];
  readonly limits: LimitName[] = [];
  connectionOpened(): void {
    this.opened++;
  }
  connectionClosed(): void {
    this.closed++;
  }
  frameError(code: ProtocolErrorCode): void {
    this.frameErrors.push(code);
  }
  connectionDropped(reason: 'idle' | 'write-overflow'): void {
    this.dropped.push(reason);
  }
  limitEnforced(limit: LimitName): void {
    this.limits.push(limit);
  }
}

export function echoRequest(opaque: number, topic: string, oneway = false): RemotingCommand {
  const extFields = newExtFields();
  extFields.topic = topic;
  return createRequest({ code: ECHO_CODE, opaque, extFields, oneway });
}

export function bigRequest(opaque: number, size: number): RemotingCommand {
  const extFields = newExtFields();
  extFields.size = String(size);
  return createRequest({ code: BIG_CODE, opaque, extFields });
}

/** A client socket that decodes every frame it receives. */
export class RawClient {
  readonly socket: Socket;
  readonly received: RemotingCommand[] = [];
  /** The raw frame (after the length prefix) of every response, by opaque (the latest wins). */
  readonly rawByOpaque = new Map<number, Buffer>();
  receivedBytes = 0;
  isClosed = false;
  readonly closed: Promise<void>;
  private readonly decoder = new FrameDecoder();
  private readonly waiters = new Map<number, (cmd: RemotingCommand) => void>();

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.receivedBytes += chunk.length;
      for (const frame of this.decoder.push(chunk)) {
        const cmd = decodeFrame(frame);
        this.received.push(cmd);
        this.rawByOpaque.set(cmd.opaque, frame);
        const waiter = this.waiters.get(cmd.opaque);
        if (waiter !== undefined) {
          this.waiters.delete(cmd.opaque);
          waiter(cmd);
        }
      }
    });
    socket.on('error', () => {
      // ECONNRESET after the server destroys us is expected; 'close' records it.
    });
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.isClosed = true;
        resolve();
      });
    });
  }

  static connect(
    port: number,
    options: { allowHalfOpen?: boolean; localAddress?: string; host?: string } = {},
  ): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({
        host: options.host ?? '127.0.0.1',
        port,
        allowHalfOpen: options.allowHalfOpen ?? false,
        ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
      });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
    });
  }

  send(cmd: RemotingCommand | Buffer): void {
    this.socket.write(Buffer.isBuffer(cmd) ? cmd : encodeCommand(cmd));
  }

  /** Resolves with the next response carrying `opaque` (its request sent some other way). */
  response(opaque: number, timeoutMs = 5000): Promise<RemotingCommand> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(opaque);
        reject(new Error(`no response for opaque ${opaque} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(opaque, (res) => {
        clearTimeout(timer);
        resolve(res);
      });
    });
  }

  /** Sends `cmd` and resolves with the response carrying its opaque. */
  request(cmd: RemotingCommand, timeoutMs = 5000): Promise<RemotingCommand> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(cmd.opaque);
        reject(new Error(`no response for opaque ${cmd.opaque} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(cmd.opaque, (res) => {
        clearTimeout(timer);
        resolve(res);
      });
      this.send(cmd);
    });
  }

  /** Sends `cmd` and resolves with the exact bytes of its response frame. */
  async requestRaw(cmd: RemotingCommand, timeoutMs = 5000): Promise<Buffer> {
    const res = await this.request(cmd, timeoutMs);
    return this.rawByOpaque.get(res.opaque)!;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export interface TestServer {
  server: RemotingServer;
  port: number;
  dispatcher: ScriptedDispatcher;
  metrics: RecordingMetrics;
  /** Connection ids reported closed, in order. */
  closedIds: number[];
}

/** A RemotingServer on 127.0.0.1:0 with the scripted dispatcher; close it in afterEach. */
export async function startTestServer(
  options: Partial<TransportOptions> = {},
  logger: Logger = createSilentLogger(),
): Promise<TestServer> {
  const dispatcher = new ScriptedDispatcher();
  const metrics = new RecordingMetrics();
  const closedIds: number[] = [];
  const server = new RemotingServer({
    dispatcher,
    metrics,
    logger,
    options: { host: '127.0.0.1', port: 0, ...options },
    onConnectionClosed: (id) => closedIds.push(id),
  });
  const { port } = await server.listen();
  return { server, port, dispatcher, metrics, closedIds };
}

/** A logger whose JSON lines are kept in `lines` (parsed). */
export function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: {
      write(line: string) {
        lines.push(JSON.parse(line));
      },
    },
  });
  return { logger, lines };
}
