/**
 * Runs tasks one at a time, in submission order, each to completion (including its awaits)
 * before the next starts: the registry's "one place, one order" for every state change. A task
 * that fails does not stop the queue; its caller gets the rejection.
 */
export class WriteQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  /** Tasks submitted and not finished (the one running included). */
  get length(): number {
    return this.pending;
  }

  run<T>(task: () => T | Promise<T>): Promise<T> {
    this.pending++;
    const result = this.tail.then(task);
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
}
