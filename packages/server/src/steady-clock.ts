/**
 * The node's clock: epoch milliseconds that move with the machine's monotonic clock, never with a
 * step of the wall clock.
 *
 * Broker liveness is "last heard + timeout < now". On the wall clock (Java's
 * System.currentTimeMillis, and ours until a review showed it) an NTP step of +300 s while the
 * node ran expired every live broker in the same millisecond, although they kept heartbeating;
 * a step back kept a dead broker routable for the size of the step on top of its timeout. Here
 * `now()` is the wall clock read once (the anchor) plus the monotonic time elapsed since, so
 * timeouts measure real elapsed time. The timestamps the node shows (a broker's last update, the
 * stamp of a DataVersion sent without one) read as wall time, and differ from it by any step made
 * while the node runs, until it restarts.
 *
 * CLOCK_MONOTONIC is one clock for the whole machine, so the serving workers take the owner's
 * anchor (see the worker's init message) and every process of a node reads the same time: a
 * worker's `receivedAt` and the owner's stamps stay comparable even when a worker is started after
 * a step.
 */
import type { Clock } from './route/index.js';

export interface SteadyClock extends Clock {
  /** Wall-clock milliseconds at monotonic 0: the same for every process of a node. */
  readonly anchor: number;
}

/** Monotonic milliseconds (CLOCK_MONOTONIC, machine-wide; fractional). */
export function monotonicMillis(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * A steady clock. Without `anchor`, anchored now (the owner); a serving worker passes its owner's.
 * `sources` are for tests.
 */
export function steadyClock(
  anchor?: number,
  sources: { wall(): number; monotonic(): number } = { wall: Date.now, monotonic: monotonicMillis },
): SteadyClock {
  const base = anchor ?? sources.wall() - sources.monotonic();
  return {
    anchor: base,
    now: () => Math.floor(base + sources.monotonic()),
  };
}
