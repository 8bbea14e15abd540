/**
 * Node's timers take delays up to 2^31-1 ms (about 24.8 days). A longer delay is not an error
 * there: Node prints a TimeoutOverflowWarning and fires the timer after 1 ms, so a "practically
 * never" poll interval becomes a request loop. Every option that feeds a timer is checked against
 * this limit and refused above it.
 */
import { InvalidOptionError } from './errors.js';

/** The longest delay a Node.js timer takes (ms). */
export const MAX_TIMER_MS = 2_147_483_647;

/** The error text for option `name` set to `ms`, over MAX_TIMER_MS. */
export function overTimerLimit(name: string, ms: number | string): string {
  return `${name}: at most ${MAX_TIMER_MS} ms (the longest delay a Node.js timer takes), got ${ms}`;
}

/** Returns `ms` (option `name`, already checked to be a number); throws above MAX_TIMER_MS. */
export function checkTimerLimit(name: string, ms: number): number {
  if (ms > MAX_TIMER_MS) throw new InvalidOptionError(name, overTimerLimit(name, ms));
  return ms;
}
