/**
 * Which nodes serve the route watch, learnt per node: a node that answers a watch supports it; one
 * that answers REQUEST_CODE_NOT_SUPPORTED (Java 5.x, rocketmq-rust) or stays silent past the call
 * timeout (Java 4.9) does not, and one that refuses (too many watchers, too many topics) should be
 * left alone for a while. A refusal is remembered until `until`, or until the client reconnects
 * to that node (it may have been upgraded or restarted meanwhile).
 */

export type NodeWatchSupport = 'unknown' | 'supported' | 'refused';

interface NodeState {
  readonly support: Exclude<NodeWatchSupport, 'unknown'>;
  /** For 'refused': when to try again (ms since epoch). */
  readonly until: number;
  readonly reason: string;
}

export class WatchSupport {
  readonly #nodes = new Map<string, NodeState>();

  support(addr: string, now: number): NodeWatchSupport {
    const state = this.#nodes.get(addr);
    if (state === undefined) return 'unknown';
    if (state.support === 'refused' && now >= state.until) {
      this.#nodes.delete(addr);
      return 'unknown';
    }
    return state.support;
  }

  /** Why `addr` refused the watch and until when; undefined when it did not. */
  refusal(addr: string): { readonly until: number; readonly reason: string } | undefined {
    const state = this.#nodes.get(addr);
    return state?.support === 'refused' ? state : undefined;
  }

  markSupported(addr: string): void {
    this.#nodes.set(addr, { support: 'supported', until: 0, reason: '' });
  }

  markRefused(addr: string, until: number, reason: string): void {
    this.#nodes.set(addr, { support: 'refused', until, reason });
  }

  /** Forgets what was learnt about `addr` (a new connection to it). */
  forget(addr: string): void {
    this.#nodes.delete(addr);
  }
}
