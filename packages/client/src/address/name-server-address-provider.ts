/**
 * Where the name server list comes from. The remoting client and the selector consume a
 * NameServerAddressProvider and never care whether the list is static, from the environment, from a
 * user function or polled from an HTTP address service.
 */
import type { Logger } from '../logger.js';
import { NOOP_LOGGER } from '../logger.js';
import { sameMembers } from './address-list.js';

/** Called with the new list and the previous one whenever the membership changes. */
export type AddressListListener = (
  addresses: readonly string[],
  previous: readonly string[],
) => void;

export type AddressProviderKind = 'static' | 'env' | 'function' | 'http';

export interface NameServerAddressProvider {
  /** Which source this is, for logs and diagnostics. */
  readonly kind: AddressProviderKind;
  /** The current list (frozen; possibly empty until a fetch succeeds). */
  current(): readonly string[];
  /**
   * Loads the first list and starts any periodic refresh. Resolves even if a remote source is
   * unreachable (the list then stays empty or comes from a snapshot and refreshes later); rejects
   * only for configuration errors. Calling it again is a no-op.
   */
  start(): Promise<void>;
  /** Stops refreshing and aborts in-flight fetches. Idempotent. */
  close(): Promise<void>;
  /**
   * Registers a listener for membership changes (order-only changes are not reported). Returns a
   * function that unregisters it.
   */
  onChange(listener: AddressListListener): () => void;
}

/**
 * Holds the list and notifies listeners on membership change. Shared by the providers. An empty
 * list never replaces a non-empty one (Java ignores empty updates).
 */
export class AddressListHolder {
  #list: readonly string[] = Object.freeze([]);
  readonly #listeners = new Set<AddressListListener>();
  readonly #log: Logger;

  constructor(logger: Logger = NOOP_LOGGER) {
    this.#log = logger;
  }

  current(): readonly string[] {
    return this.#list;
  }

  onChange(listener: AddressListListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Replaces the list if its membership differs; returns whether it changed. */
  set(addresses: readonly string[]): boolean {
    if (addresses.length === 0 || sameMembers(this.#list, addresses)) return false;
    const previous = this.#list;
    this.#list = Object.freeze([...addresses]);
    this.#log.info({ addresses: this.#list, previous }, 'name server address list changed');
    for (const listener of [...this.#listeners]) {
      try {
        listener(this.#list, previous);
      } catch (err) {
        // A listener bug must not stop the others or the poller.
        this.#log.error({ err }, 'name server address list listener threw');
      }
    }
    return true;
  }
}
