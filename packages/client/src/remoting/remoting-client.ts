/**
 * The remoting client: request/response and one-way calls to any node by address, over one
 * lazily opened, reused connection per address. Shared by NameServerClient, the admin API and
 * @ns/broker-agent — there is deliberately only one implementation of the client transport.
 *
 * Not here: choosing a node, retries, response-code interpretation. Callers do that; the
 * errors thrown here say whether a retry can help (`retriable`).
 */
import { EventEmitter } from 'node:events';
import type { ExtFields, LanguageName, RemotingCommand } from '@ns/protocol';
import {
  createRequest,
  DEFAULT_MAX_FRAME_LENGTH,
  newExtFields,
  SerializeType,
  Version,
} from '@ns/protocol';
import { parseHostPort } from '../address/address-list.js';
import { emitToEach } from '../emit-to-each.js';
import {
  InvalidOptionError,
  RemotingClosedError,
  RemotingConnectError,
  RemotingTimeoutError,
} from '../errors.js';
import type { Logger } from '../logger.js';
import { NOOP_LOGGER } from '../logger.js';
import { checkTimerLimit } from '../timer-limit.js';
import { Connection } from './connection.js';
import { checkCredentials, signExtFields } from './acl-signer.js';
import type { AclCredentials } from './acl-signer.js';
import type { SocketFactory } from './socket-factory.js';
import { defaultSocketFactory } from './socket-factory.js';
import { tlsSocketFactory } from './tls-options.js';
import type { ClientTlsOptions } from './tls-options.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 3_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;
export const DEFAULT_MAX_CONSECUTIVE_TIMEOUTS = 3;
/** The largest `version`: it is a Java short on the wire. */
export const MAX_VERSION = 32_767;
/** Java: clientChannelMaxIdleTimeSeconds = 120. */
export const DEFAULT_IDLE_TIMEOUT_MS = 120_000;

export interface RemotingClientOptions {
  /** Default per-call timeout (ms). Java: 3 000 for client calls. */
  readonly requestTimeoutMs?: number;
  /** Bound on establishing a connection (ms). Java: connectTimeoutMillis 3 000. */
  readonly connectTimeoutMs?: number;
  /**
   * Close a connection after this many timeouts in a row with nothing received in between
   * (half-open TCP). 0 disables.
   */
  readonly maxConsecutiveTimeouts?: number;
  /** Close connections idle for this long (ms); 0 = never. Java: 120 s. */
  readonly idleTimeoutMs?: number;
  /** `version` stamped on requests (MQVersion ordinal, 0..32767). Default 407 = V4_9_7. */
  readonly version?: number;
  /** `language` stamped on requests. Default JAVA: every 4.9 server knows it (reference §1.7). */
  readonly language?: LanguageName;
  /** Header encoding of requests. Responses are decoded in either type regardless. */
  readonly serializeType?: SerializeType;
  readonly maxFrameLength?: number;
  /** How sockets are made; tests inject failures here. Not together with `tls`. */
  readonly socketFactory?: SocketFactory;
  /**
   * Speak TLS to every node (see tls-options.ts for the defaults, which follow the Java client).
   * `true` = `{}`: encrypted, server certificate not checked (Java's default test mode).
   */
  readonly tls?: ClientTlsOptions | boolean;
  /** Sign every request with this ACL 1.0 account (Java AclClientRPCHook). */
  readonly credentials?: AclCredentials;
  readonly logger?: Logger;
}

/** Header field values: strings on the wire; numbers and booleans are stringified like Java. */
export type ExtFieldsInit = Readonly<Record<string, string | number | boolean | null | undefined>>;

export interface RemotingRequest {
  readonly code: number;
  readonly extFields?: ExtFields | ExtFieldsInit | null;
  readonly body?: Buffer | null;
  readonly remark?: string | null;
}

export interface InvokeOptions {
  /** Overrides the client's default request timeout for this call (ms). */
  readonly timeoutMs?: number;
}

/** Answers a request received from the peer (same opaque, response flag set by the caller). */
export type ReplyFn = (response: RemotingCommand) => void;

export interface RemotingClientEvents {
  /** A connection to `addr` is established. */
  connect: [addr: string];
  /** The connection to `addr` closed; `cause` is undefined for an orderly close. */
  disconnect: [addr: string, cause: Error | undefined];
  /** The peer sent a request (not a response) on the connection to `addr`. */
  request: [addr: string, request: RemotingCommand, reply: ReplyFn];
}

function positiveInt(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new InvalidOptionError(name, `${name}: expected an integer >= ${min}, got ${value}`);
  }
  return value;
}

/** positiveInt for an option that feeds a timer: also at most Node's timer limit. */
function timerMs(name: string, value: number | undefined, fallback: number, min = 1): number {
  return checkTimerLimit(name, positiveInt(name, value, fallback, min));
}

function toExtFields(init: ExtFields | ExtFieldsInit | null | undefined): ExtFields | null {
  if (init === null || init === undefined) return null;
  const out = newExtFields();
  for (const [key, value] of Object.entries(init)) {
    // Java skips null fields when it builds extFields from a header object.
    if (value === null || value === undefined) continue;
    out[key] = String(value);
  }
  return out;
}

export class RemotingClient extends EventEmitter<RemotingClientEvents> {
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly maxConsecutiveTimeouts: number;
  readonly idleTimeoutMs: number;
  readonly version: number;
  readonly language: LanguageName;
  readonly serializeType: SerializeType;
  readonly #maxFrameLength: number;
  readonly #socketFactory: SocketFactory;
  readonly #credentials: AclCredentials | undefined;
  /** Whether connections are TLS (for logs and callers). */
  readonly tls: boolean;
  readonly #log: Logger;
  readonly #connections = new Map<string, Connection>();
  #nextOpaque = 0;
  #closed = false;

  constructor(options: RemotingClientOptions = {}) {
    super();
    this.requestTimeoutMs = timerMs(
      'requestTimeoutMs',
      options.requestTimeoutMs,
      DEFAULT_REQUEST_TIMEOUT_MS,
    );
    this.connectTimeoutMs = timerMs(
      'connectTimeoutMs',
      options.connectTimeoutMs,
      DEFAULT_CONNECT_TIMEOUT_MS,
    );
    this.maxConsecutiveTimeouts = positiveInt(
      'maxConsecutiveTimeouts',
      options.maxConsecutiveTimeouts,
      DEFAULT_MAX_CONSECUTIVE_TIMEOUTS,
      0,
    );
    this.idleTimeoutMs = timerMs(
      'idleTimeoutMs',
      options.idleTimeoutMs,
      DEFAULT_IDLE_TIMEOUT_MS,
      0,
    );
    this.version = positiveInt('version', options.version, Version.V4_9_7, 0);
    // Java keeps the version in a short on the ROCKETMQ header: a larger one cannot be sent.
    if (this.version > MAX_VERSION) {
      throw new InvalidOptionError(
        'version',
        `version: expected an integer from 0 to ${MAX_VERSION}, got ${this.version}`,
      );
    }
    this.language = options.language ?? 'JAVA';
    const serializeType = options.serializeType ?? SerializeType.JSON;
    if (serializeType !== SerializeType.JSON && serializeType !== SerializeType.ROCKETMQ) {
      throw new InvalidOptionError(
        'serializeType',
        'serializeType: expected 0 (JSON) or 1 (ROCKETMQ)',
      );
    }
    this.serializeType = serializeType;
    this.#maxFrameLength = positiveInt(
      'maxFrameLength',
      options.maxFrameLength,
      DEFAULT_MAX_FRAME_LENGTH,
      8,
    );
    const tls = options.tls === true ? {} : options.tls === false ? undefined : options.tls;
    if (tls !== undefined && options.socketFactory !== undefined) {
      throw new InvalidOptionError('tls', 'tls: give tls or socketFactory, not both');
    }
    this.tls = tls !== undefined;
    this.#socketFactory =
      options.socketFactory ?? (tls === undefined ? defaultSocketFactory : tlsSocketFactory(tls));
    this.#credentials =
      options.credentials === undefined ? undefined : checkCredentials(options.credentials);
    this.#log = options.logger ?? NOOP_LOGGER;
  }

  /** Addresses with a connection that is open or being opened. */
  connectedAddresses(): string[] {
    return [...this.#connections.keys()];
  }

  /** True when `addr` has a connection that is open or still being opened. */
  hasConnection(addr: string): boolean {
    const state = this.#connections.get(addr)?.state;
    return state === 'open' || state === 'connecting';
  }

  /** True when `addr` has an open (connected, not closed) connection. */
  isConnected(addr: string): boolean {
    return this.#connections.get(addr)?.state === 'open';
  }

  /**
   * Sends a request to `addr` and resolves with the response, whatever its code (callers decide
   * what a non-success code means). The timeout covers the whole call, connect included: a
   * connect still under way when it runs out fails the call with RemotingConnectError (so
   * `invokeAny` moves on to the next node), while the connect itself goes on for other calls, up
   * to `connectTimeoutMs`. (Java's invokeSync waits out the connect timeout first, so a 500 ms
   * call to an unreachable node took 3 s there; here it takes 500 ms.)
   *
   * Rejects with RemotingConnectError, RemotingTimeoutError or RemotingClosedError (all
   * retriable), InvalidAddressListError for a malformed address, or InvalidOptionError for a
   * request that cannot be encoded (that call alone fails; the connection stays up).
   */
  async invoke(
    addr: string,
    request: RemotingRequest,
    options: InvokeOptions = {},
  ): Promise<RemotingCommand> {
    const timeoutMs = timerMs('timeoutMs', options.timeoutMs, this.requestTimeoutMs);
    const startedAt = Date.now();
    const conn = await this.#openConnection(addr, timeoutMs);
    const remaining = timeoutMs - (Date.now() - startedAt);
    if (remaining <= 0) {
      throw new RemotingTimeoutError(
        addr,
        timeoutMs,
        `no response from ${addr} within ${timeoutMs} ms (connecting took the whole budget)`,
      );
    }
    return conn.request(this.#command(request, false), remaining);
  }

  /** Sends a one-way request (flag bit 1): no response is expected or waited for. */
  async invokeOneway(addr: string, request: RemotingRequest): Promise<void> {
    const conn = await this.#openConnection(addr);
    await conn.send(this.#command(request, true));
  }

  /** Closes the connection to `addr`, if any (pending calls fail with RemotingClosedError). */
  closeConnection(addr: string): void {
    this.#connections.get(addr)?.close();
  }

  /** Closes every connection; later calls fail with RemotingClosedError. Idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    for (const conn of [...this.#connections.values()]) conn.close();
    return Promise.resolve();
  }

  /**
   * Emits `event` so that a listener cannot break the client: these events fire in socket
   * callbacks (a throw there is uncaught and ends the process) and inside close() (a throw there
   * left the other connections open).
   */
  #emitToEach<K extends keyof RemotingClientEvents>(
    event: K,
    ...args: RemotingClientEvents[K]
  ): void {
    emitToEach(this, event, args, (err) => {
      this.#log.error({ err, event }, 'remoting client listener threw');
    });
  }

  #command(request: RemotingRequest, oneway: boolean): RemotingCommand {
    // Java: a process-wide counter that wraps into negative values after 2^31.
    const opaque = this.#nextOpaque;
    this.#nextOpaque = (this.#nextOpaque + 1) | 0;
    const body = request.body ?? null;
    let extFields = toExtFields(request.extFields);
    if (this.#credentials !== undefined)
      extFields = signExtFields(extFields, body, this.#credentials);
    return createRequest({
      code: request.code,
      opaque,
      extFields,
      body,
      oneway,
      serializeType: this.serializeType,
      version: this.version,
      language: this.language,
      remark: request.remark ?? null,
    });
  }

  /** The connection to `addr`, opened if needed; waits at most `budgetMs` for the connect. */
  async #openConnection(addr: string, budgetMs?: number): Promise<Connection> {
    if (this.#closed) throw new RemotingClosedError(addr, 'remoting client is closed');
    let conn = this.#connections.get(addr);
    if (conn === undefined || conn.state === 'closed') {
      conn = this.#createConnection(addr);
    }
    if (budgetMs === undefined || conn.state === 'open') {
      await conn.ready();
      return conn;
    }
    let timer: NodeJS.Timeout | undefined;
    const outOfTime = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new RemotingConnectError(
            addr,
            `connect to ${addr} did not complete within ${budgetMs} ms`,
          ),
        );
      }, budgetMs);
    });
    try {
      await Promise.race([conn.ready(), outOfTime]);
    } finally {
      clearTimeout(timer);
    }
    return conn;
  }

  #createConnection(addr: string): Connection {
    const { host, port } = parseHostPort(addr);
    let socket;
    try {
      socket = this.#socketFactory({ host, port, addr });
    } catch (err) {
      throw new RemotingConnectError(addr, undefined, { cause: err });
    }
    const log = this.#log;
    const conn: Connection = new Connection({
      addr,
      socket,
      connectTimeoutMs: this.connectTimeoutMs,
      maxConsecutiveTimeouts: this.maxConsecutiveTimeouts,
      idleTimeoutMs: this.idleTimeoutMs,
      maxFrameLength: this.#maxFrameLength,
      logger: log,
      onOpen: () => {
        this.#emitToEach('connect', addr);
      },
      onClose: (closed, cause) => {
        // A newer connection may already have replaced this one.
        if (this.#connections.get(addr) === closed) this.#connections.delete(addr);
        if (!closed.opened) {
          // The caller gets the RemotingConnectError and decides how loud it is: a node that is
          // down would otherwise add a line per retry.
          log.debug({ addr, err: cause }, 'remoting connect failed');
        } else if (cause === undefined) log.debug({ addr }, 'remoting connection closed');
        else log.info({ addr, err: cause }, 'remoting connection closed');
        this.#emitToEach('disconnect', addr, cause);
      },
      onRequest: (from, request) => {
        if (this.listenerCount('request') === 0) {
          log.debug({ addr, code: request.code }, 'request from peer ignored (no handler)');
          return;
        }
        const reply: ReplyFn = (response) => {
          if (from.state === 'open') {
            from.send(response).catch((err: unknown) => {
              log.debug({ addr, err }, 'reply to peer request failed');
            });
          }
        };
        this.#emitToEach('request', addr, request, reply);
      },
    });
    this.#connections.set(addr, conn);
    return conn;
  }
}
