/**
 * Live views poll: `tick` runs at once and then `everyMs` after each run ends (never two at a
 * time, so a slow node is not piled on). A tick may return the delay before the next run
 * instead (a 503's Retry-After), or null to stop. The returned stop function also aborts a run
 * in flight.
 */
export function poll(
  tick: (signal: AbortSignal) => Promise<void> | Promise<number | null>,
  everyMs: number,
): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let controller = new AbortController();
  const run = (): void => {
    controller = new AbortController();
    void tick(controller.signal)
      .catch(() => undefined) // each view shows its own errors
      .then((next) => {
        if (stopped || next === null) return;
        timer = setTimeout(run, typeof next === 'number' ? next : everyMs);
      });
  };
  run();
  return () => {
    stopped = true;
    clearTimeout(timer);
    controller.abort();
  };
}

export interface Debounced<A extends unknown[]> {
  (...args: A): void;
  /** Drops a call still waiting (a page's clean-up: it must not run after the page is gone). */
  cancel(): void;
}

/** Calls `fn` once `ms` have passed without another call (search boxes). */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): Debounced<A> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const debounced = (...args: A): void => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  debounced.cancel = (): void => clearTimeout(timer);
  return debounced;
}
