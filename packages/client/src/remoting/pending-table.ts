/**
 * The opaque → pending call table of one connection. Each entry owns its timeout timer; whoever
 * settles an entry (response, timeout, connection close) removes it first, so an entry is settled
 * exactly once.
 */
import type { RemotingCommand } from '@ns/protocol';

export interface PendingCall {
  readonly opaque: number;
  /** Request code, for logs and errors. */
  readonly code: number;
  readonly startedAt: number;
  readonly resolve: (response: RemotingCommand) => void;
  readonly reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

export class PendingTable {
  readonly #calls = new Map<number, PendingCall>();

  get size(): number {
    return this.#calls.size;
  }

  add(call: PendingCall): void {
    this.#calls.set(call.opaque, call);
  }

  /** Removes and returns the call for `opaque` (undefined when unknown or already settled). */
  take(opaque: number): PendingCall | undefined {
    const call = this.#calls.get(opaque);
    if (call === undefined) return undefined;
    this.#calls.delete(opaque);
    if (call.timer !== undefined) clearTimeout(call.timer);
    return call;
  }

  /** Removes every call and returns them (for failing them all at once). */
  drain(): PendingCall[] {
    const calls = [...this.#calls.values()];
    this.#calls.clear();
    for (const call of calls) {
      if (call.timer !== undefined) clearTimeout(call.timer);
    }
    return calls;
  }
}
