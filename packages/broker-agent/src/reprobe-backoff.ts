/**
 * How long a node's re-probe loop waits before each attempt (see node-session.ts).
 *
 * The fast loop (50 ms doubling to `reprobeMaxDelayMs`) is for a node that is down or restarting:
 * it is repopulated as soon as it listens again. Three kinds of node must not get it, as each
 * attempt re-sends the whole topic table:
 * - one that flaps (answers, then drops the connection: a hostile proxy, a load balancer that
 *   recycles connections): each loop found it "back" at once and the next loop began at 50 ms
 *   again, about 15-19 registrations a second for as long as it flapped;
 * - one that refuses the registration (a ResponseError: no ACL credentials, a wrong account): it
 *   is up and will keep refusing until someone changes its configuration;
 * - one that is up but slower than the request timeout: hammering it keeps it overloaded.
 */
import { RemotingTimeoutError, ResponseError } from '@ns/client';
import { ResponseCode } from '@ns/protocol';

export const REPROBE_MIN_DELAY_MS = 50;
/** A node timing out is re-tried after at least this long, then the delay doubles. */
export const REPROBE_TIMEOUT_MIN_DELAY_MS = 1_000;

export class ReprobeBackoff {
  /** Cap of the fast loop (connection errors). */
  readonly #fastMaxMs: number;
  /** The registration period: the longest any wait gets (no slower than the periodic rounds). */
  readonly #periodMs: number;
  /** When the node last became healthy; null while it is failing (or never was healthy). */
  #healthySince: number | null = null;
  /** First wait of the next loop: doubles each time the node fails within a period of recovering. */
  #startMs = REPROBE_MIN_DELAY_MS;

  constructor(fastMaxMs: number, registerPeriodMs: number) {
    this.#fastMaxMs = fastMaxMs;
    this.#periodMs = Math.max(registerPeriodMs, fastMaxMs);
  }

  /** A registration succeeded while the node was failing (or for the first time). */
  healthy(now: number): void {
    this.#healthySince ??= now;
  }

  /**
   * The node just started failing: returns the first wait of its re-probe loop. A node that stayed
   * healthy for a whole period starts over at 50 ms; one that failed sooner waits twice as long
   * as the last time, up to the period.
   */
  failing(now: number): number {
    const flapped = this.#healthySince !== null && now - this.#healthySince < this.#periodMs;
    this.#startMs = flapped ? Math.min(this.#startMs * 2, this.#periodMs) : REPROBE_MIN_DELAY_MS;
    this.#healthySince = null;
    return this.#startMs;
  }

  /** The wait after an attempt that waited `delayMs` and failed with `error`. */
  next(delayMs: number, error: Error | null): number {
    // Answered with a refusal: nothing changes on its side within seconds; once a period, as
    // Java's periodic registration would. Not SYSTEM_BUSY: an overloaded node (a restart storm)
    // is about to take registrations again, and is backed off from like a slow one.
    const busy = error instanceof ResponseError && error.responseCode === ResponseCode.SYSTEM_BUSY;
    if (error instanceof ResponseError && !busy) return this.#periodMs;
    if (error instanceof RemotingTimeoutError || busy) {
      return Math.min(Math.max(delayMs * 2, REPROBE_TIMEOUT_MIN_DELAY_MS), this.#periodMs);
    }
    // Never shorter than the wait so far: a flapping node's long first wait is kept.
    return Math.max(delayMs, Math.min(delayMs * 2, this.#fastMaxMs));
  }
}
