/**
 * A minimal HTTP address service ("TopAddressing" server side, reference §7.2).
 *
 *   GET /rocketmq/<subgroup>                  → 200 text/plain `a:9876;b:9876`
 *   GET /rocketmq/<subgroup>-<unit>?nofix=1   → the same list (unit-specific lists are not kept)
 *   GET /healthz                              → 200 {"status":"ok",…} or 503 when no list is known
 *
 * The body is the bare list with no trailing newline: Java trims and cuts at the first newline,
 * but ali-ons 3.12.0 (RemotingClient#updateNameServerAddressList) only trims and splits on `;`,
 * so anything beyond the list on extra lines would become a bogus address there.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidOptionError } from '../errors.js';
import type { Logger } from '../logger.js';
import { NOOP_LOGGER } from '../logger.js';
import { formatAddressList } from '../address/address-list.js';
import { DEFAULT_ADDRESS_SERVICE_SUBGROUP } from '../address/address-service-url.js';
import type { AddressSource } from './address-source.js';

/** How long close() lets in-flight requests finish before dropping their connections. */
const CLOSE_GRACE_MS = 2_000;

export interface AddressServiceOptions {
  readonly source: AddressSource;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 8080 (the port Java adds to the domain); 0 picks a free port. */
  readonly port?: number;
  /** Default `nsaddr`. */
  readonly subgroup?: string;
  readonly logger?: Logger;
}

export interface ListeningAddress {
  readonly host: string;
  readonly port: number;
}

export class AddressService {
  readonly #source: AddressSource;
  readonly #host: string;
  readonly #port: number;
  readonly #subgroup: string;
  readonly #log: Logger;
  readonly #server: Server;
  #address: ListeningAddress | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: AddressServiceOptions) {
    const port = options.port ?? 8080;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new InvalidOptionError('port', `port must be an integer 0-65535, got ${port}`);
    }
    const subgroup = options.subgroup ?? DEFAULT_ADDRESS_SERVICE_SUBGROUP;
    if (!/^[A-Za-z0-9._~-]+$/.test(subgroup)) {
      throw new InvalidOptionError(
        'subgroup',
        `subgroup must be a plain path segment such as 'nsaddr', got '${subgroup}'`,
      );
    }
    this.#source = options.source;
    this.#host = options.host ?? '127.0.0.1';
    this.#port = port;
    this.#subgroup = subgroup;
    this.#log = (options.logger ?? NOOP_LOGGER).child({ component: 'address-service' });
    this.#server = createServer((req, res) => {
      this.#handle(req, res);
    });
  }

  /** The bound address, once started. */
  get address(): ListeningAddress | undefined {
    return this.#address;
  }

  /** Path of the list, e.g. `/rocketmq/nsaddr`. */
  get path(): string {
    return `/rocketmq/${this.#subgroup}`;
  }

  /** Loads the source, then listens. Resolves to the real host and port. */
  async start(): Promise<ListeningAddress> {
    await this.#source.start();
    try {
      await this.#listen();
    } catch (err) {
      // The source is running by now (a file watch, a poll timer): left so, a service that never
      // listened (port in use) kept the process alive and the file watched.
      await this.#source.close();
      throw err;
    }
    const info = this.#server.address() as AddressInfo;
    // The wildcard as configured (0.0.0.0), not the `::` its dual-stack socket bound.
    const wildcard = this.#host.trim() === '0.0.0.0';
    this.#address = { host: wildcard ? this.#host.trim() : info.address, port: info.port };
    this.#log.info({ ...this.#address, path: this.path }, 'address service listening');
    return this.#address;
  }

  #listen(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        reject(err);
      };
      this.#server.once('error', onError);
      // As the NameServer's bindAddress: 0.0.0.0 is the dual-stack wildcard (Node binds :: where
      // the host has IPv6), and an IPv6 literal may come in brackets.
      const host = this.#host.trim().replace(/^\[(.+)\]$/, '$1');
      this.#server.listen(this.#port, host === '0.0.0.0' ? undefined : host, () => {
        this.#server.off('error', onError);
        resolve();
      });
    });
  }

  /** Stops accepting, closes idle keep-alive sockets, stops the source. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#server.listening) {
        const closed = new Promise<void>((resolve) => {
          this.#server.close(() => {
            resolve();
          });
        });
        this.#server.closeIdleConnections();
        // A client that keeps a request open must not block shutdown for long.
        const force = setTimeout(() => {
          this.#server.closeAllConnections();
        }, CLOSE_GRACE_MS);
        force.unref();
        await closed;
        clearTimeout(force);
      }
      await this.#source.close();
    })();
    return this.#closing;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = requestPath(req.url);
    if (path === null) {
      // Node's parser lets through targets that are no URL (`http://a:99999/`, `//[`): an
      // uncaught throw here ended the whole service on one request (review finding).
      this.#send(res, 400, 'text/plain; charset=utf-8', 'bad request target');
      return;
    }
    const isList = path === this.path || path.startsWith(`${this.path}-`);
    if (path !== '/healthz' && !isList) {
      this.#send(res, 404, 'text/plain; charset=utf-8', 'not found');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      this.#send(res, 405, 'text/plain; charset=utf-8', 'method not allowed');
      return;
    }
    const list = this.#source.current();
    if (path === '/healthz') {
      const body = JSON.stringify({
        status: list.length > 0 ? 'ok' : 'no-list',
        addresses: list.length,
      });
      this.#send(res, list.length > 0 ? 200 : 503, 'application/json', body, req.method === 'HEAD');
      return;
    }
    if (list.length === 0) {
      // Not 200: clients only accept 200 and keep their last good list.
      this.#send(
        res,
        503,
        'text/plain; charset=utf-8',
        'no name server list',
        req.method === 'HEAD',
      );
      return;
    }
    this.#log.debug({ path, remote: req.socket.remoteAddress }, 'address list served');
    this.#send(
      res,
      200,
      'text/plain; charset=utf-8',
      formatAddressList(list),
      req.method === 'HEAD',
    );
  }

  #send(res: ServerResponse, status: number, type: string, body: string, headOnly = false): void {
    res.statusCode = status;
    res.setHeader('content-type', type);
    res.setHeader('content-length', Buffer.byteLength(body));
    res.setHeader('cache-control', 'no-store');
    res.end(headOnly ? undefined : body);
  }
}

/** The path of a request target, or null when it is not a URL. */
function requestPath(target: string | undefined): string | null {
  try {
    return new URL(target ?? '/', 'http://address-service').pathname;
  } catch {
    return null;
  }
}
