/**
 * Which name server a request addressed to "any name server" goes to (reference §7.3; Java:
 * NettyRemotingClient#getAndCreateNameserverChannel and #updateNameServerAddressList).
 *
 * The seed's algorithm, exactly: a cached chosen address, and an index that starts at a random
 * integer in [0, 999). While the chosen address's connection is healthy it is used (sticky);
 * otherwise index = abs(++index) mod size and list[index] becomes the chosen one. Java 4.9 tries
 * up to list.size addresses that way within one call; `attempts()` gives that plan to the caller,
 * who connects and stops at the first success.
 *
 * On a list change the list is shuffled (Java: Collections.shuffle) and, if the chosen address is
 * not in the new list, the choice is cleared at once so the next call moves to a member of the new
 * list (apache/rocketmq#2042, #8712). The index is kept.
 *
 * This class holds no connections and does no I/O: the caller says what "healthy" means.
 */
import { InvalidAddressListError, InvalidOptionError, NoNameServerError } from '../errors.js';
import { sameMembers } from '../address/address-list.js';
import type { NameServerAddressProvider } from '../address/name-server-address-provider.js';
import type { RandomSource } from './random.js';
import { randomInt, shuffled } from './random.js';

/** Java: `new Random().nextInt(999)` for the initial index. */
export const INITIAL_INDEX_BOUND = 999;

export interface NameServerSelectorOptions {
  /** Initial list (validated addresses, e.g. from a NameServerAddressProvider). */
  readonly addresses?: readonly string[];
  /** Random source for the initial index and shuffles; default Math.random. */
  readonly random?: RandomSource;
  /** Shuffle the list on every change, as Java does. Default true. */
  readonly shuffleOnChange?: boolean;
  /** Overrides the random initial index (any 32-bit integer); for reproducing a state. */
  readonly initialIndex?: number;
}

/** Says whether there is an open, usable connection to `addr`. */
export type HealthPredicate = (addr: string) => boolean;

export class NameServerSelector {
  readonly #random: RandomSource;
  readonly #shuffle: boolean;
  #list: readonly string[] = Object.freeze([]);
  #chosen: string | undefined;
  #index: number;

  constructor(options: NameServerSelectorOptions = {}) {
    this.#random = options.random ?? Math.random;
    this.#shuffle = options.shuffleOnChange ?? true;
    const { initialIndex } = options;
    if (initialIndex !== undefined && (initialIndex | 0) !== initialIndex) {
      throw new InvalidOptionError(
        'initialIndex',
        `initialIndex must be a 32-bit integer, got ${initialIndex}`,
      );
    }
    this.#index = initialIndex ?? randomInt(this.#random, INITIAL_INDEX_BOUND);
    if (options.addresses !== undefined) this.update(options.addresses);
  }

  /** The list in selection order (after shuffling). */
  get addresses(): readonly string[] {
    return this.#list;
  }

  /** The cached chosen address, if any. */
  get chosen(): string | undefined {
    return this.#chosen;
  }

  /** The raw round-robin index (for diagnostics and tests). */
  get index(): number {
    return this.#index;
  }

  /**
   * Applies a new list. Ignored (returns false) when empty or when the membership is unchanged,
   * like Java. Clears the choice if the chosen address left the list.
   */
  update(addresses: readonly string[]): boolean {
    if (addresses.length === 0 || sameMembers(this.#list, addresses)) return false;
    if (new Set(addresses).size !== addresses.length) {
      throw new InvalidAddressListError(addresses.join(';'), 'name server list has duplicates');
    }
    this.#list = Object.freeze(this.#shuffle ? shuffled(addresses, this.#random) : [...addresses]);
    if (this.#chosen !== undefined && !this.#list.includes(this.#chosen)) this.#chosen = undefined;
    return true;
  }

  /**
   * Moves to the next address: index = abs(++index) mod size; that address becomes the chosen one.
   * Throws NoNameServerError when the list is empty.
   */
  advance(): string {
    const size = this.#list.length;
    if (size === 0) throw new NoNameServerError();
    // Java increments an AtomicInteger, which wraps at 2^31; `| 0` keeps the same 32-bit value.
    this.#index = (this.#index + 1) | 0;
    const addr = this.#list[Math.abs(this.#index) % size]!;
    this.#chosen = addr;
    return addr;
  }

  /**
   * One address for this call: the chosen one while `isHealthy(chosen)`, else the next one
   * ([5.x] picks one per call). Throws NoNameServerError when the list is empty.
   */
  select(isHealthy: HealthPredicate): string {
    const chosen = this.#chosen;
    if (chosen !== undefined && isHealthy(chosen)) return chosen;
    return this.advance();
  }

  /**
   * The failover plan for one call, [4.9]-style: the chosen address if healthy, otherwise (and
   * after each failure, i.e. each further iteration) the next index — index+1, index+2, … modulo
   * the list size — for at most `maxAttempts` (default list size) addresses in total. Each yielded
   * address becomes the chosen one, so after a successful attempt the caller simply stops
   * iterating and the next call sticks to it. Throws NoNameServerError when the list is empty.
   *
   * Calls fail over side by side (a node goes down under several calls in flight): before moving
   * the index on, a further attempt takes the chosen address if another call has meanwhile moved
   * to one that is healthy and this call has not tried (Java re-checks the choice under its lock
   * for the same reason), and it never yields an address this call already tried — otherwise two
   * calls advancing the shared index in turn send each other back to the dead node and one of them
   * runs out of attempts with a healthy node in the list. One call alone takes exactly the index
   * sequence above.
   */
  *attempts(isHealthy: HealthPredicate, maxAttempts?: number): Generator<string, void, undefined> {
    if (this.#list.length === 0) throw new NoNameServerError();
    const limit = maxAttempts ?? this.#list.length;
    if (limit <= 0) return;
    const tried = new Set<string>();
    let addr = this.select(isHealthy);
    for (let i = 1; ; i++) {
      tried.add(addr);
      yield addr;
      if (i >= limit) return;
      const next = this.#nextUntried(tried, isHealthy);
      // Every address of the (possibly shrunk) list was tried: stop rather than go round again.
      if (next === undefined) return;
      addr = next;
    }
  }

  /** A further attempt's address (see attempts): the healthy choice of another call, or the next index. */
  #nextUntried(tried: ReadonlySet<string>, isHealthy: HealthPredicate): string | undefined {
    const chosen = this.#chosen;
    if (chosen !== undefined && !tried.has(chosen) && isHealthy(chosen)) return chosen;
    for (let k = 0; k < this.#list.length; k++) {
      const addr = this.advance();
      if (!tried.has(addr)) return addr;
    }
    return undefined;
  }

  /**
   * Applies the provider's current list now and every change from then on. Returns the function
   * that stops following (call it on close).
   */
  follow(provider: NameServerAddressProvider): () => void {
    this.update(provider.current());
    return provider.onChange((addresses) => {
      this.update(addresses);
    });
  }

  /**
   * Reports that `addr` failed (connect error, closed or timed-out connection): if it is the chosen
   * one the choice is cleared, so the next call moves on even before the health predicate notices.
   */
  reportFailure(addr: string): void {
    if (this.#chosen === addr) this.#chosen = undefined;
  }
}
