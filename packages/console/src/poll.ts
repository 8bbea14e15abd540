/**
 * Live views poll: `tick` runs at once and then `everyMs` after each run ends (never two at a
 * time, so a slow node is not piled on). The returned stop function also aborts a run in flight.
 */
export function poll(tick: (signal: AbortSignal) => Promise<void>, everyMs: number): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let controller = new AbortController();
  const run = (): void => {
    controller = new AbortController();
    tick(controller.signal)
      .catch(() => undefined) // each view shows its own errors
      .finally(() => {
        if (!stopped) timer = setTimeout(run, everyMs);
      });
  };
  run();
  return () => {
    stopped = true;
    clearTimeout(timer);
    controller.abort();
  };
}

/** Calls `fn` once `ms` have passed without another call (search boxes). */
export function debounce<A extends unknown[]>(
  fn: (...args: A) => void,
  ms: number,
): (...args: A) => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
