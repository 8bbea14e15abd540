/**
 * Runs tasks one at a time, in submission order, each to completion (including its awaits)
 * before the next starts: the registry's "one place, one order" for every state change. A task
 * that fails does not stop the queue; its caller gets the rejection.
 *
 * Tasks that finish without real I/O chain through microtasks only, so a backlog of them (a peer
 * pipelining thousands of writes) would run in one go and starve every connection's reads. After
 * `yieldAfterMillis` of uninterrupted work the queue therefore lets the event loop turn once
 * (setImmediate) before the next task: order is unchanged, reads get answered in between.
 */
export const DEFAULT_YIELD_AFTER_MILLIS = 5;

export class WriteQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;
  /** When the queue last started working after being empty, or last let the loop turn. */
  private busySince = 0;
  private readonly yieldAfterMillis: number;

  constructor(options: { yieldAfterMillis?: number } = {}) {
    this.yieldAfterMillis = options.yieldAfterMillis ?? DEFAULT_YIELD_AFTER_MILLIS;
  }

  /** Tasks submitted and not finished (the one running included). */
  get length(): number {
    return this.pending;
  }

  run<T>(task: () => T | Promise<T>): Promise<T> {
    if (this.pending++ === 0) this.busySince = performance.now();
    const result = this.tail.then(() => this.turnIfBusy()).then(task);
    this.tail = result.then(
      () => {
        this.pending--;
      },
      () => {
        this.pending--;
      },
    );
    return result;
  }

  /** Resolves once everything submitted so far has finished. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }

  private turnIfBusy(): Promise<void> | undefined {
    if (performance.now() - this.busySince < this.yieldAfterMillis) return undefined;
    return new Promise((resolve) => {
      setImmediate(() => {
        this.busySince = performance.now();
        resolve();
      });
    });
  }
}
