/**
 * The list comes from a user function (service discovery, config center…), the counterpart of
 * Java 5.x's pluggable address provider. The function is called at start and then every
 * `refreshIntervalMs`; a failure, an invalid answer or no answer within `callTimeoutMs` keeps the
 * last good list.
 */
import { InvalidAddressListError, InvalidOptionError } from '../errors.js';
import type { Logger } from '../logger.js';
import { NOOP_LOGGER } from '../logger.js';
import { checkTimerLimit } from '../timer-limit.js';
import { parseNameServerAddressOption } from './address-list.js';
import type {
  AddressListListener,
  NameServerAddressProvider,
} from './name-server-address-provider.js';
import { AddressListHolder } from './name-server-address-provider.js';

/** Returns `a:1;b:2` or `['a:1', 'b:2']`, synchronously or not. */
export type AddressListFunction = () =>
  string | readonly string[] | Promise<string | readonly string[]>;

export interface FunctionAddressProviderOptions {
  /** Time between calls after start; default 120 000 ms (the address-service period). */
  readonly refreshIntervalMs?: number;
  /**
   * How long one call may take before it counts as failed; default 10 000 ms. Its answer, if it
   * comes later, is dropped: a function that never settled used to stop every later refresh.
   */
  readonly callTimeoutMs?: number;
  readonly logger?: Logger;
}

export class FunctionAddressProvider implements NameServerAddressProvider {
  readonly kind = 'function';
  readonly #fn: AddressListFunction;
  readonly #holder: AddressListHolder;
  readonly #log: Logger;
  readonly #intervalMs: number;
  readonly #callTimeoutMs: number;
  /** Calls made, and the number of the one whose answer set the list: an older one's is dropped. */
  #calls = 0;
  #applied = 0;
  #started: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #lastError: Error | undefined;

  constructor(fn: AddressListFunction, options: FunctionAddressProviderOptions = {}) {
    const interval = options.refreshIntervalMs ?? 120_000;
    if (!Number.isInteger(interval) || interval <= 0) {
      throw new InvalidOptionError(
        'refreshIntervalMs',
        `refreshIntervalMs must be a positive integer (ms), got ${interval}`,
      );
    }
    checkTimerLimit('refreshIntervalMs', interval);
    const callTimeout = options.callTimeoutMs ?? 10_000;
    if (!Number.isInteger(callTimeout) || callTimeout <= 0) {
      throw new InvalidOptionError(
        'callTimeoutMs',
        `callTimeoutMs must be a positive integer (ms), got ${callTimeout}`,
      );
    }
    checkTimerLimit('callTimeoutMs', callTimeout);
    this.#fn = fn;
    this.#intervalMs = interval;
    this.#callTimeoutMs = callTimeout;
    this.#log = (options.logger ?? NOOP_LOGGER).child({ component: 'address-function' });
    this.#holder = new AddressListHolder(this.#log);
  }

  current(): readonly string[] {
    return this.#holder.current();
  }

  onChange(listener: AddressListListener): () => void {
    return this.#holder.onChange(listener);
  }

  /** The error of the last failed call, cleared by a good one. */
  get lastError(): Error | undefined {
    return this.#lastError;
  }

  start(): Promise<void> {
    this.#started ??= this.refresh().then(
      () => {
        this.#schedule();
      },
      () => {
        this.#schedule();
      },
    );
    return this.#started;
  }

  close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    // Not awaiting a call in flight: a hung user function must not hang close(). Its late answer
    // is dropped (refresh() checks #closed) and no further call is scheduled.
    return Promise.resolve();
  }

  /** Calls the function once and applies a valid answer; rejects (keeping the list) otherwise. */
  async refresh(): Promise<readonly string[]> {
    const call = ++this.#calls;
    try {
      const answer = await this.#answerWithin(this.#callTimeoutMs);
      if (call < this.#applied) {
        throw new Error('dropped an answer of the address function older than the list it set');
      }
      if (typeof answer !== 'string' && !Array.isArray(answer)) {
        throw new InvalidAddressListError(
          String(answer),
          'the address function must return a string or an array of strings',
        );
      }
      const addresses = parseNameServerAddressOption(answer);
      this.#lastError = undefined;
      this.#applied = call;
      if (!this.#closed) this.#holder.set(addresses);
      return addresses;
    } catch (err) {
      this.#lastError = err instanceof Error ? err : new Error(String(err));
      this.#log.warn({ err }, 'address function failed; keeping the last good list');
      throw err;
    }
  }

  /** The function's answer, or a rejection once `timeoutMs` passed without one. */
  async #answerWithin(timeoutMs: number): Promise<string | readonly string[]> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`the address function did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      // Called inside the race: a function that throws synchronously rejects like an async one.
      return await Promise.race([Promise.resolve().then(() => this.#fn()), expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.refresh()
        .catch(() => undefined)
        .finally(() => {
          this.#schedule();
        });
    }, this.#intervalMs);
    this.#timer.unref();
  }
}
