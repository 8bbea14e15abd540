/**
 * Polls an HTTP address service for the name server list (Java: TopAddressing +
 * MQClientInstance's fetchNameServerAddr task; reference §7.2).
 *
 * Parity: GET, redirects followed like HttpURLConnection (same protocol), only HTTP 200 counts, body
 * trimmed and cut at the first `\r` or `\n`, `;`-separated.
 * A failed fetch keeps the old list. Beyond Java: each poll retries transient failures (p-retry), a
 * body that is not a valid list is rejected instead of becoming a bogus "address", and the last good
 * list can be kept in a snapshot file that is used when the service is down at start.
 */
import pRetry, { AbortError } from 'p-retry';
import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { AddressServiceError, InvalidAddressListError, InvalidOptionError } from '../errors.js';
import type { Logger } from '../logger.js';
import { NOOP_LOGGER } from '../logger.js';
import { checkTimerLimit } from '../timer-limit.js';
import { parseAddressList } from './address-list.js';
import type { AddressServiceUrlOptions } from './address-service-url.js';
import { buildAddressServiceUrl } from './address-service-url.js';
import { MAX_ADDRESS_REDIRECTS, redirectTarget } from './http-redirect.js';
import type {
  AddressListListener,
  NameServerAddressProvider,
} from './name-server-address-provider.js';
import { AddressListHolder } from './name-server-address-provider.js';
import { readAddressSnapshot, writeAddressSnapshot } from './snapshot-file.js';

/** Java: MQClientInstance schedules fetchNameServerAddr every 2 minutes. */
export const DEFAULT_ADDRESS_POLL_INTERVAL_MS = 120_000;
/**
 * Java: the fetchNameServerAddr task starts 10 s after the client (reference §7.1), so a service
 * that was down or not ready at start is asked again within seconds, not after a whole period.
 */
export const DEFAULT_ADDRESS_INITIAL_DELAY_MS = 10_000;
/** Java: TopAddressing calls httpGet with a 3 000 ms timeout. */
export const DEFAULT_ADDRESS_REQUEST_TIMEOUT_MS = 3_000;
/** An address list is a few hundred bytes; anything far larger is not one. */
const MAX_BODY_BYTES = 64 * 1024;

export interface HttpAddressProviderOptions extends AddressServiceUrlOptions {
  /** Full URL; when given, domain/subgroup/unitName/params are not used. */
  readonly url?: string;
  /** Time between polls after start. Default 120 000 ms. */
  readonly pollIntervalMs?: number;
  /**
   * Time from the fetch at start to the first poll. Default 10 000 ms (Java), or pollIntervalMs
   * when that is shorter.
   */
  readonly initialDelayMs?: number;
  /** Deadline for one HTTP request (headers and body). Default 3 000 ms. */
  readonly requestTimeoutMs?: number;
  /** Extra attempts within one poll for transient failures. Default 2. */
  readonly retries?: number;
  /** First back-off delay between attempts within a poll. Default 200 ms (doubles, max 2 s). */
  readonly retryMinDelayMs?: number;
  /** Directory for the last-good-list snapshot file; no snapshot when unset. */
  readonly snapshotDir?: string;
  /** undici dispatcher (proxy, custom agent); the global one by default. Not with `tls`. */
  readonly dispatcher?: Dispatcher;
  /**
   * TLS for an https:// address service. Unlike the remoting port, HTTPS verifies the server by
   * default (as Java's HttpURLConnection does): Node's public CAs, or `ca` for a private CA.
   */
  readonly tls?: HttpsTlsOptions;
  readonly logger?: Logger;
}

export interface HttpsTlsOptions {
  /** Trusted CA certificate(s), PEM, instead of Node's public CAs. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Client certificate and key (PEM) when the service asks for one. */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** false skips verification of the service's certificate (testing only). Default true. */
  readonly rejectUnauthorized?: boolean;
}

/** An option that feeds a timer: a positive integer up to Node's timer limit. */
function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new InvalidOptionError(name, `${name} must be a positive integer (ms), got ${value}`);
  }
  return checkTimerLimit(name, value);
}

/**
 * Java TopAddressing#clearNewLine: trim, then cut at the first `\r`, then at the first `\n`.
 * Exported for the tests and the address service.
 */
export function clearNewLine(text: string): string {
  let out = text.trim();
  const cr = out.indexOf('\r');
  if (cr !== -1) out = out.slice(0, cr);
  const lf = out.indexOf('\n');
  if (lf !== -1) out = out.slice(0, lf);
  return out;
}

export class HttpAddressProvider implements NameServerAddressProvider {
  readonly kind = 'http';
  readonly url: string;
  readonly #holder: AddressListHolder;
  readonly #log: Logger;
  readonly #pollIntervalMs: number;
  readonly #initialDelayMs: number;
  readonly #requestTimeoutMs: number;
  readonly #retries: number;
  readonly #retryMinDelayMs: number;
  readonly #snapshotDir: string | undefined;
  readonly #dispatcher: Dispatcher;
  // Our own agent (unless one is injected) so close() can drop its sockets: a pooled keep-alive
  // socket in the global dispatcher would otherwise hold the process open after close().
  readonly #ownAgent: Agent | undefined;
  readonly #closed = new AbortController();
  #started: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastError: AddressServiceError | undefined;
  /** Fetches numbered in the order they started, and the number of the newest one applied. */
  #fetchesStarted = 0;
  #newestApplied = 0;
  /** Snapshot writes, one after another in the order their lists were applied. */
  #snapshotWrites: Promise<void> = Promise.resolve();

  constructor(options: HttpAddressProviderOptions = {}) {
    this.url = options.url ?? buildAddressServiceUrl(options);
    if (!/^https?:\/\//.test(this.url)) {
      throw new InvalidOptionError(
        'url',
        `address service url must start with http:// or https://, got '${this.url}'`,
      );
    }
    // A URL fetch cannot parse fails every poll, forever, while the client runs with no list:
    // refuse it here, saying why where the cause is an IPv6 literal.
    if (!URL.canParse(this.url)) {
      const why = /\[[^\]]*%/.test(this.url)
        ? ': an IPv6 zone (%eth0) cannot be used in the URL; give a global or unique-local address or a host name'
        : /^https?:\/\/[0-9a-fA-F]*:[0-9a-fA-F]*:/.test(this.url)
          ? ": an IPv6 address must be in brackets, e.g. 'http://[fd00::5]:8080/rocketmq/nsaddr' (domain '[fd00::5]:8080')"
          : '';
      throw new InvalidOptionError('url', `invalid address service url '${this.url}'${why}`);
    }
    this.#pollIntervalMs = positiveInteger(
      'pollIntervalMs',
      options.pollIntervalMs,
      DEFAULT_ADDRESS_POLL_INTERVAL_MS,
    );
    this.#initialDelayMs = positiveInteger(
      'initialDelayMs',
      options.initialDelayMs,
      Math.min(DEFAULT_ADDRESS_INITIAL_DELAY_MS, this.#pollIntervalMs),
    );
    this.#requestTimeoutMs = positiveInteger(
      'requestTimeoutMs',
      options.requestTimeoutMs,
      DEFAULT_ADDRESS_REQUEST_TIMEOUT_MS,
    );
    const retries = options.retries ?? 2;
    if (!Number.isInteger(retries) || retries < 0) {
      throw new InvalidOptionError('retries', `retries must be an integer >= 0, got ${retries}`);
    }
    this.#retries = retries;
    this.#retryMinDelayMs = positiveInteger('retryMinDelayMs', options.retryMinDelayMs, 200);
    this.#snapshotDir = options.snapshotDir;
    if (options.tls !== undefined && options.dispatcher !== undefined) {
      throw new InvalidOptionError('tls', 'tls: give tls or dispatcher, not both');
    }
    const tls = options.tls;
    this.#ownAgent =
      options.dispatcher === undefined
        ? new Agent({
            connect: {
              timeout: this.#requestTimeoutMs,
              ...(tls?.ca === undefined
                ? {}
                : { ca: tls.ca as string | Buffer | (string | Buffer)[] }),
              ...(tls?.cert === undefined ? {} : { cert: tls.cert }),
              ...(tls?.key === undefined ? {} : { key: tls.key }),
              ...(tls?.rejectUnauthorized === undefined
                ? {}
                : { rejectUnauthorized: tls.rejectUnauthorized }),
            },
          })
        : undefined;
    this.#dispatcher = options.dispatcher ?? this.#ownAgent!;
    this.#log = (options.logger ?? NOOP_LOGGER).child({ component: 'address-service-client' });
    this.#holder = new AddressListHolder(this.#log);
  }

  current(): readonly string[] {
    return this.#holder.current();
  }

  onChange(listener: AddressListListener): () => void {
    return this.#holder.onChange(listener);
  }

  /** The error of the last failed poll, cleared by a good one. */
  get lastError(): AddressServiceError | undefined {
    return this.#lastError;
  }

  /**
   * First fetch (synchronously at start, like Java); if it fails, the snapshot file (if any) seeds
   * the list. Then polls `initialDelayMs` later and every `pollIntervalMs` after that. Never
   * rejects for an unreachable service.
   */
  start(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  async #start(): Promise<void> {
    const ok = await this.#poll();
    // Closed meanwhile (the first fetch was aborted): a closed provider loads and publishes nothing.
    if (this.#closed.signal.aborted) return;
    if (!ok && this.#holder.current().length === 0) await this.#restoreSnapshot();
    this.#schedule(this.#initialDelayMs);
  }

  async close(): Promise<void> {
    this.#closed.abort();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    // Our agent goes first: a fetch still connecting ignores the abort signal (undici), and
    // destroying the agent is what ends it, rather than the connect timeout.
    const destroyed = this.#ownAgent?.destroy();
    // Let a start() in progress settle so nothing runs after close() resolves.
    await this.#started?.catch(() => undefined);
    await destroyed;
  }

  /**
   * Fetches once (with retries) and applies the result. Resolves to the fetched list; rejects with
   * AddressServiceError when the service cannot give a valid list (the current list is kept).
   * An answer older than the list in use (a fetch that started before the one that set it, e.g. a
   * slow poll overtaken by a refresh()) is dropped: it resolves to the list in use instead.
   */
  async refresh(): Promise<readonly string[]> {
    const fetchNumber = ++this.#fetchesStarted;
    const addresses = await pRetry(() => this.#fetchOnce(), {
      retries: this.#retries,
      minTimeout: this.#retryMinDelayMs,
      maxTimeout: 2_000,
      signal: this.#closed.signal,
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
        this.#log.debug(
          { url: this.url, err: error, attemptNumber, retriesLeft },
          'address fetch attempt failed',
        );
      },
    });
    // A fetch that got its answer just as the provider was closed: nobody listens any more.
    if (this.#closed.signal.aborted) throw new AbortError('address provider closed');
    if (fetchNumber < this.#newestApplied) {
      this.#log.debug({ url: this.url, addresses }, 'older address answer dropped');
      return this.#holder.current();
    }
    this.#newestApplied = fetchNumber;
    this.#lastError = undefined;
    this.#holder.set(addresses);
    if (this.#snapshotDir !== undefined) await this.#writeSnapshot(this.#snapshotDir, addresses);
    return addresses;
  }

  /** Queued behind earlier writes, so the file ends with the list applied last. */
  #writeSnapshot(dir: string, addresses: readonly string[]): Promise<void> {
    this.#snapshotWrites = this.#snapshotWrites.then(async () => {
      try {
        await writeAddressSnapshot(dir, this.url, addresses);
      } catch (err) {
        this.#log.warn({ err, dir }, 'cannot write address snapshot');
      }
    });
    return this.#snapshotWrites;
  }

  async #poll(): Promise<boolean> {
    if (this.#closed.signal.aborted) return false;
    try {
      await this.refresh();
      return true;
    } catch (err) {
      if (this.#closed.signal.aborted) return false;
      this.#lastError =
        err instanceof AddressServiceError
          ? err
          : new AddressServiceError(this.url, 'network', String(err), { cause: err });
      // Java logs a hint to bind the domain in /etc/hosts; the list is kept either way.
      this.#log.warn(
        { url: this.url, err: this.#lastError, kept: this.#holder.current() },
        'fetching name server addresses failed; keeping the last good list',
      );
      return false;
    }
  }

  #schedule(delayMs: number): void {
    if (this.#closed.signal.aborted) return;
    this.#timer = setTimeout(() => {
      void this.#poll().then(() => {
        this.#schedule(this.#pollIntervalMs);
      });
    }, delayMs);
    // A library timer must not keep the process alive on its own.
    this.#timer.unref();
  }

  async #restoreSnapshot(): Promise<void> {
    if (this.#snapshotDir === undefined) return;
    try {
      const addresses = await readAddressSnapshot(this.#snapshotDir, this.url);
      if (addresses !== undefined && !this.#closed.signal.aborted) {
        this.#holder.set(addresses);
        this.#log.info({ url: this.url, addresses }, 'using name server addresses from snapshot');
      }
    } catch (err) {
      this.#log.warn({ err, dir: this.#snapshotDir }, 'cannot read address snapshot');
    }
  }

  /**
   * GET of the service URL, following redirects as Java's HttpURLConnection does (see
   * http-redirect.ts). Resolves to the first answer that is not a redirect to follow.
   */
  async #getFollowingRedirects(signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    let url = this.url;
    for (let redirects = 0; ; redirects++) {
      const res = await request(url, {
        method: 'GET',
        signal,
        headersTimeout: this.#requestTimeoutMs,
        bodyTimeout: this.#requestTimeoutMs,
        dispatcher: this.#dispatcher,
      });
      const next = redirectTarget(url, res.statusCode, res.headers);
      if (next === undefined || redirects === MAX_ADDRESS_REDIRECTS) return res;
      await res.body.dump();
      this.#log.debug({ url, location: next, statusCode: res.statusCode }, 'address redirect');
      url = next;
    }
  }

  async #fetchOnce(): Promise<string[]> {
    const deadline = new AbortController();
    const timer = setTimeout(() => {
      deadline.abort();
    }, this.#requestTimeoutMs);
    const signal = AbortSignal.any([deadline.signal, this.#closed.signal]);
    try {
      const res = await this.#getFollowingRedirects(signal);
      if (res.statusCode !== 200) {
        await res.body.dump();
        const location = res.headers.location;
        const notFollowed =
          typeof location === 'string' ? ` (redirect to ${location} not followed)` : '';
        throw new AddressServiceError(
          this.url,
          'http-status',
          `address service ${this.url} answered HTTP ${res.statusCode}${notFollowed}; only 200 is accepted`,
          { statusCode: res.statusCode },
        );
      }
      let size = 0;
      const chunks: Buffer[] = [];
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          res.body.destroy();
          throw new AbortError(
            new AddressServiceError(
              this.url,
              'malformed-body',
              `address service ${this.url} sent more than ${MAX_BODY_BYTES} bytes`,
            ),
          );
        }
        chunks.push(chunk);
      }
      const text = clearNewLine(Buffer.concat(chunks).toString('utf8'));
      try {
        return parseAddressList(text);
      } catch (err) {
        if (!(err instanceof InvalidAddressListError)) throw err;
        // The server answered; asking again gives the same text, so do not retry.
        throw new AbortError(
          new AddressServiceError(
            this.url,
            'malformed-body',
            `address service ${this.url} sent a malformed list: ${err.message}`,
            { cause: err },
          ),
        );
      }
    } catch (err) {
      if (err instanceof AbortError || err instanceof AddressServiceError) throw err;
      if (this.#closed.signal.aborted) throw new AbortError('address provider closed');
      if (deadline.signal.aborted || isUndiciTimeout(err)) {
        throw new AddressServiceError(
          this.url,
          'timeout',
          `address service ${this.url} did not answer within ${this.#requestTimeoutMs} ms`,
          { cause: err },
        );
      }
      throw new AddressServiceError(
        this.url,
        'network',
        `cannot reach address service ${this.url}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    } finally {
      clearTimeout(timer);
    }
  }
}

function isUndiciTimeout(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}
