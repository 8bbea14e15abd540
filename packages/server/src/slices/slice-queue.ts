/**
 * Runs the admin port's heavy views in slices, one view at a time.
 *
 * The HTTP views share the event loop that answers route lookups (the single process with
 * servingWorkers = 1, the registry owner otherwise). A view that walks the whole registry (sorting
 * 80,000 topic names takes 30–60 ms, searching them 2–4 ms) must not hold that loop, and many such
 * requests at once must not add up within one turn: a job is a generator that yields between small
 * units of work, and the queue runs the jobs in arrival order for at most `sliceMillis` at a time,
 * then rests at least as long (a timer) before the next slice. Lookups are answered between two
 * slices whatever number of views are waiting, and a client asking for views back to back gets at
 * most about half of the loop: without the rest, a queue never empty took a slice every turn, and
 * each lookup waited for one (p50 0.05 → 2.1 ms at 80,000 topics).
 */

/** Work done between two yields should take well under `sliceMillis`. */
export type SlicedJob<T> = Generator<void, T, void>;

/** A job run to its end in one go (where no other work could run in between anyway). */
export function runToEnd<T>(job: SlicedJob<T>): T {
  for (;;) {
    const step = job.next();
    if (step.done === true) return step.value;
  }
}

/** A job run to its end in one go, and how many times it yielded (tests, measurements). */
export function runCountingSteps<T>(job: SlicedJob<T>): { value: T; steps: number } {
  let steps = 0;
  for (;;) {
    const step = job.next();
    if (step.done === true) return { value: step.value, steps };
    steps++;
  }
}

/** The longest a queue keeps the event loop at a time, by default. */
export const SLICE_MILLIS = 1;

/**
 * Jobs the HTTP admin port's queue holds at most. Beyond it a view is refused at once (503)
 * rather than answered after the port's 15 s idle close has dropped its connection: each client
 * holds at most one running view (one request at a time per connection), so only many clients
 * together reach it. The remoting reads' queue has no such bound: Java never refuses a topic
 * list or a KV namespace, and a full queue would let anyone make it refuse them (review finding).
 */
export const MAX_QUEUED_JOBS = 256;

/** A job refused because the queue is full. */
export class SliceQueueFullError extends Error {
  constructor(max: number) {
    super(`${max} views are being built; ask again shortly`);
    this.name = 'SliceQueueFullError';
  }
}

interface Pending {
  readonly job: SlicedJob<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

function abortError(): Error {
  const err = new Error('the view was abandoned');
  err.name = 'AbortError';
  return err;
}

export class SliceQueue {
  private readonly sliceMillis: number;
  private readonly now: () => number;
  private readonly pending: Pending[] = [];
  private scheduled: { readonly cancel: () => void } | null = null;
  /** No slice before this time (`now()`): the rest after the last one, as long as it ran. */
  private restUntil = -Infinity;
  private closed = false;

  private readonly maxJobs: number;

  constructor(options: { sliceMillis?: number; now?: () => number; maxJobs?: number } = {}) {
    this.sliceMillis = options.sliceMillis ?? SLICE_MILLIS;
    this.now = options.now ?? (() => performance.now());
    this.maxJobs = options.maxJobs ?? Infinity;
  }

  /** Jobs waiting or running. */
  get size(): number {
    return this.pending.length;
  }

  /**
   * Resolves to the job's return value, after every job queued before it. Rejects with
   * SliceQueueFullError when `maxJobs` are queued already; `signal` (the client leaving) takes
   * the job off the queue, ending it where it stands (its `finally` blocks run), and rejects.
   */
  run<T>(job: SlicedJob<T>, signal?: AbortSignal): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the admin port is closing'));
    if (signal?.aborted === true) {
      job.return(undefined as T);
      return Promise.reject(abortError());
    }
    if (this.pending.length >= this.maxJobs) {
      job.return(undefined as T);
      return Promise.reject(new SliceQueueFullError(this.maxJobs));
    }
    return new Promise<T>((resolve, reject) => {
      let onAbort: (() => void) | undefined;
      const entry: Pending = {
        job,
        resolve: (value) => {
          if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
          resolve(value as T);
        },
        reject: (err) => {
          if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
          // A job's own throw, passed on as it is (what the queue always did).
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
          reject(err);
        },
      };
      if (signal !== undefined) {
        onAbort = (): void => {
          const at = this.pending.indexOf(entry);
          if (at < 0) return;
          this.pending.splice(at, 1);
          try {
            job.return(undefined as T);
          } finally {
            entry.reject(abortError());
          }
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }
      this.pending.push(entry);
      this.schedule();
    });
  }

  /** Drops every queued job (their promises reject); later run() calls reject at once. */
  close(): void {
    this.closed = true;
    this.scheduled?.cancel();
    this.scheduled = null;
    const dropped = this.pending.splice(0);
    for (const p of dropped) {
      p.job.return(undefined);
      p.reject(new Error('the admin port is closing'));
    }
  }

  private schedule(): void {
    if (this.scheduled !== null || this.pending.length === 0) return;
    const run = (): void => {
      this.scheduled = null;
      this.turn();
    };
    const wait = this.restUntil - this.now();
    if (wait > 0) {
      const timer = setTimeout(run, Math.ceil(wait));
      this.scheduled = { cancel: () => clearTimeout(timer) };
    } else {
      const immediate = setImmediate(run);
      this.scheduled = { cancel: () => clearImmediate(immediate) };
    }
  }

  private turn(): void {
    const start = this.now();
    const deadline = start + this.sliceMillis;
    while (this.pending.length > 0) {
      const head = this.pending[0]!;
      let step: IteratorResult<void, unknown>;
      try {
        step = head.job.next();
      } catch (err) {
        this.pending.shift();
        head.reject(err);
        continue;
      }
      if (step.done === true) {
        this.pending.shift();
        head.resolve(step.value);
      }
      if (this.now() >= deadline) break;
    }
    const end = this.now();
    this.restUntil = end + (end - start);
    this.schedule();
  }
}
