/**
 * Poll a condition until it holds or a deadline passes. Integration tests never sleep for a fixed
 * time: they wait for the state they need, and a timeout names what was awaited and the last
 * value or error seen, so a failure says why.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { inspect } from 'node:util';

export interface WaitForOptions {
  /** Give up after this long (ms). */
  readonly timeout: number;
  /** Pause between attempts (ms). Default 50. */
  readonly interval?: number;
  /** Human description used in the timeout error, e.g. "broker-a gone from node 2". */
  readonly what: string;
}

export class WaitForTimeoutError extends Error {
  override readonly name = 'WaitForTimeoutError';
}

/**
 * Resolves with the first truthy value the predicate returns. A predicate that throws counts as
 * "not yet" (the last error is reported on timeout).
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  options: WaitForOptions,
): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const interval = options.interval ?? 50;
  const deadline = Date.now() + options.timeout;
  let lastValue: unknown;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as Exclude<T, false | null | undefined | 0 | ''>;
      lastValue = value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const detail =
        lastError !== undefined
          ? `last error: ${lastError instanceof Error ? lastError.message : inspect(lastError)}`
          : `last value: ${JSON.stringify(lastValue)}`;
      throw new WaitForTimeoutError(
        `timed out after ${options.timeout} ms waiting for ${options.what} (${detail})`,
        lastError !== undefined ? { cause: lastError } : undefined,
      );
    }
    await delay(Math.min(interval, Math.max(1, deadline - Date.now())));
  }
}
