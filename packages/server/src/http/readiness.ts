/**
 * Readiness for /readyz. Java 5.1+ (`needWaitForService`) refuses route queries for
 * `waitSecondsForService` after start, so brokers have time to register before clients get
 * (incomplete) routes; the server reports not ready during that window.
 */
export interface StartupReadinessOptions {
  readonly needWaitForService: boolean;
  readonly waitSecondsForService: number;
  /** Epoch milliseconds the server started serving. */
  readonly startedAt: number;
  readonly now?: () => number;
}

/** A cheap isReady(): false during the wait window, true afterwards (and always when not waiting). */
export function startupReadiness(options: StartupReadinessOptions): () => boolean {
  if (!options.needWaitForService) return () => true;
  const now = options.now ?? Date.now;
  const readyAt = options.startedAt + options.waitSecondsForService * 1000;
  let ready = false;
  return () => (ready ||= now() >= readyAt);
}
