/**
 * The list comes from a user function (service discovery, config center…), the counterpart of
 * Java 5.x's pluggable address provider. The function is called at start and then every
 * `refreshIntervalMs`; a failure or an invalid answer keeps the last good list.
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
  readonly logger?: Logger;
}

export class FunctionAddressProvider implements NameServerAddressProvider {
  readonly kind = 'function';
  readonly #fn: AddressListFunction;
  readonly #holder: AddressListHolder;
  readonly #log: Logger;
  readonly #intervalMs: number;
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
    this.#fn = fn;
    this.#intervalMs = interval;
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
    try {
      const answer = await this.#fn();
      if (typeof answer !== 'string' && !Array.isArray(answer)) {
        throw new InvalidAddressListError(
          String(answer),
          'the address function must return a string or an array of strings',
        );
      }
      const addresses = parseNameServerAddressOption(answer);
      this.#lastError = undefined;
      if (!this.#closed) this.#holder.set(addresses);
      return addresses;
    } catch (err) {
      this.#lastError = err instanceof Error ? err : new Error(String(err));
      this.#log.warn({ err }, 'address function failed; keeping the last good list');
      throw err;
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
