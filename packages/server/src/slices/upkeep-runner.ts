/**
 * Background upkeep that a write left behind (the topic table's Java order, see
 * route/deferred-topic-order.ts), run in short steps between turns of the event loop, after the
 * writes in progress.
 *
 * A step is whatever the work does in one call, until the `timeUp()` it is given says its
 * STEP_MILLIS are over; a run goes on, one step per turn, until a step says nothing is left. While `deferWhile()` holds (the registry owner has
 * writes queued, a replica has batches to apply) a run waits, polling on a timer, so a large
 * registration keeps every turn for itself and its round trip does not include the upkeep it
 * causes; after MAX_DEFER_MILLIS it runs anyway, one step per turn beside the writes, so upkeep
 * cannot be put off forever by writes that never stop.
 *
 * A step takes its turn among the thread's other background slices (background-turns.ts): one
 * background slice per turn of the event loop. A wait that ends asks for a turn too, rather than
 * stepping in its timer's callback, which would put the step in the same turn as another
 * background slice (review finding).
 *
 * The waiting timers are unref'd: upkeep put off never keeps a process alive (whoever needs the
 * result does the rest itself, see DeferredTopicOrder's readers); a step asked for runs in the
 * next turns.
 */
import { backgroundTurns } from './background-turns.js';
import type { BackgroundTurns } from './background-turns.js';

/** Longest a run waits for the writes in progress before it takes turns beside them. */
export const MAX_DEFER_MILLIS = 50;
/** How often a waiting run looks again (a timer: an immediate would spin the loop). */
const DEFER_POLL_MILLIS = 1;

/** Longest a step should keep the loop: it is handed a `timeUp()` that says when this is over. */
export const STEP_MILLIS = 1;

/**
 * Starts a run of `step` (called again while it returns true: more is left); `timeUp()` turns
 * true STEP_MILLIS after the step began.
 */
export type UpkeepRunner = (step: (timeUp: () => boolean) => boolean) => void;

export function upkeepRunner(
  deferWhile: () => boolean,
  now: () => number = () => performance.now(),
  turns: BackgroundTurns = backgroundTurns,
): UpkeepRunner {
  return (step) => {
    let waitingSince: number | null = null;
    const turn = (): void => {
      if (deferWhile()) {
        const t = now();
        waitingSince ??= t;
        if (t - waitingSince < MAX_DEFER_MILLIS) {
          setTimeout(() => turns.request(turn), DEFER_POLL_MILLIS).unref();
          return;
        }
      } else {
        waitingSince = null;
      }
      const deadline = now() + STEP_MILLIS;
      if (step(() => now() >= deadline)) turns.request(turn);
    };
    turns.request(turn);
  };
}
