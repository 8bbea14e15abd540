/**
 * One background slice per turn of the event loop, shared by the background work of a thread:
 * the route digest's catch-up (digest/route-digest-tracker.ts), the topic table's order upkeep
 * (upkeep-runner.ts) and the route cache's sweep of large invalidations (handlers/route-cache.ts).
 *
 * Why: each of them bounds its own slice to about a millisecond, but each used to queue its own
 * immediate, and Node runs every immediate queued before a check phase in that phase, back to
 * back. With all of them behind (after a large registration), one turn ran them together beside
 * the registration's own step: a 5.4 ms gap between two turns was seen, 2.4 ms of it upkeep,
 * 1.0 ms digest, 2.0 ms the registration (issue 11: no serving loop blocked more than 5 ms). Here
 * they take turns instead: each turn runs the oldest slice asked for, and a slice that wants more
 * asks again, behind the others. A turn therefore holds at most one background slice, whatever
 * number of jobs are behind; each job goes slower only while others are behind too.
 *
 * A queued slice keeps the event loop turning until it has run (a ref'd immediate): the jobs are
 * finite and their slices short. An unref'd one would not: Node's poll phase blocks while only
 * unref'd immediates wait, so on an otherwise idle node each slice would wait for the next I/O
 * or timer (review finding: a sweep queued behind a digest slice ran 300 ms later, at the next
 * timer). Whoever needs a job's result does not wait for it anyway (see each job's readers).
 */

export interface BackgroundSlot {
  /** Drops the slice if it has not run yet (no effect afterwards). */
  cancel(): void;
}

interface Entry {
  readonly slice: () => void;
  /** Ran or cancelled: skipped. */
  over: boolean;
}

export class BackgroundTurns {
  private queue: Entry[] = [];
  /** Index of the oldest entry still in `queue` (a moving head instead of shift()). */
  private head = 0;
  private immediate: NodeJS.Immediate | null = null;

  /** `later`: how a turn is queued (tests wrap setImmediate to see a slice's exception). */
  constructor(private readonly later: (run: () => void) => NodeJS.Immediate = setImmediate) {}

  /** Runs `slice` in a later turn, the only background slice of that turn. */
  request(slice: () => void): BackgroundSlot {
    const entry: Entry = { slice, over: false };
    this.queue.push(entry);
    this.schedule();
    return {
      cancel: () => {
        entry.over = true;
      },
    };
  }

  /** Slices waiting (tests). */
  get waiting(): number {
    let n = 0;
    for (let i = this.head; i < this.queue.length; i++) if (!this.queue[i]!.over) n++;
    return n;
  }

  private schedule(): void {
    if (this.immediate === null && this.next() !== undefined) {
      this.immediate = this.later(this.turn);
    }
  }

  /** The oldest entry not over, dropping those before it; undefined when none is left. */
  private next(): Entry | undefined {
    const q = this.queue;
    while (this.head < q.length && q[this.head]!.over) this.head++;
    if (this.head === q.length) {
      this.queue = [];
      this.head = 0;
      return undefined;
    }
    if (this.head > 1024 && this.head * 2 > q.length) {
      this.queue = q.slice(this.head);
      this.head = 0;
    }
    return this.queue[this.head];
  }

  private readonly turn = (): void => {
    this.immediate = null;
    const entry = this.next();
    if (entry === undefined) return;
    entry.over = true;
    try {
      entry.slice();
    } finally {
      // Whatever the slice did (asked again, threw), the others still get their turns.
      this.schedule();
    }
  };
}

/** The thread's scheduler (a worker thread loads its own copy of this module). */
export const backgroundTurns = new BackgroundTurns();
