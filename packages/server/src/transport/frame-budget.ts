/**
 * The bytes one serving process holds in frames that have not arrived whole yet, over all its
 * connections, against a fixed budget (its share of `maxPartialFrameBytes`). Two responses, by
 * how full it is:
 *
 * 1. From half the budget on, a connection whose read leaves it holding part of a frame **waits**
 *    (is no longer read) while the others hold at least half the budget, and is read again once
 *    they hold less than a quarter of it. Its peer's bytes stay in the kernel, where TCP flow
 *    control stops the sender; the process spends nothing on it meanwhile. This is what keeps the
 *    event loop free for everyone else under a flood of half-sent frames: without it the node
 *    reads at the attackers' bandwidth only to throw the bytes away.
 * 2. Over the budget, the connections holding the most are **closed**, largest first (usually not
 *    the one that just grew), until the total is back under 90% of the budget. Waiting alone would
 *    let whoever filled the budget first keep it (until the frame deadline), and the largest
 *    holders are where the memory is.
 *
 * One holder is always read, though: when every holder would be waiting, the one holding the most
 * goes on (see `keepOneReading`), so honest frames that together fill half the budget still
 * complete, one after another, instead of all waiting for their deadline.
 *
 * A real cluster never comes near half the budget (by default 8 maximum-size frames arriving at
 * the same moment); a frame that arrives whole within one read is never held, so ordinary
 * requests (a few hundred bytes) pass untouched even while the budget is full; and a connection
 * waiting for the budget still has the frame deadline (partialFrameTimeoutMillis) running, so
 * waiting attackers are closed in the end and their share comes back.
 *
 * Holders are sorted (a few thousand at most under attack; in normal operation none or a few)
 * only when the budget is exceeded, and freeing a margin means that happens once per tenth of the
 * budget, not on every read. Waiting connections are scanned only when the total falls low
 * enough for one of them to go on.
 *
 * Whole frames still waiting for their answer (requests in flight: a registration queued for the
 * decode thread, a write for the registry owner) are memory too, and a completed frame leaves the
 * partial count: pipelined 15 MiB registrations held ~1.2 GiB per connection, in no budget
 * (review finding). So those bytes (`answerPending` / `answerSettled`) count with the others for
 * the wait: while they hold half the budget, every partial frame waits, none is kept reading, and
 * a connection with an answer pending takes no further request (`answersOverBudget`). They are
 * answered whatever is read meanwhile, so the waits end by themselves. They are never a reason to
 * close anyone: closing would not free them.
 */

/** A connection, as the budget sees it. */
export interface BudgetHolder {
  /**
   * Chosen to free the budget: close now (`held` bytes were charged to it, `total` is what the
   * process held with it, `budget` the limit).
   */
  evictForBudget(held: number, total: number, budget: number): void;
  /** It was told to wait (see `set`), and may be read again now. */
  resumeForBudget(): void;
}

/** After exceeding the budget, holders are closed until the total is at most this share of it. */
export const LOW_WATER = 0.9;
/** A holder waits while the others hold at least this share of the budget … */
export const WAIT_AT = 0.5;
/** … and goes on once they hold less than this share. */
export const RESUME_AT = 0.25;

/** What `set` tells the holder to do. */
export type BudgetVerdict = 'go-on' | 'wait' | 'closed';

export class FrameBudget {
  readonly budgetBytes: number;
  private readonly waitAt: number;
  private readonly resumeAt: number;
  private total = 0;
  /** Bytes of whole frames handed on whose answer has not come yet. */
  private answering = 0;
  private readonly held = new Map<BudgetHolder, number>();
  private readonly waiting = new Set<BudgetHolder>();
  /** At least what any waiting holder holds (bounds the resume scan). */
  private maxWaiting = 0;

  constructor(budgetBytes: number) {
    this.budgetBytes = budgetBytes;
    this.waitAt = Math.floor(budgetBytes * WAIT_AT);
    this.resumeAt = Math.floor(budgetBytes * RESUME_AT);
  }

  /** Bytes held now by all holders. */
  get totalBytes(): number {
    return this.total;
  }

  /** Connections holding a partial frame now. */
  get holderCount(): number {
    return this.held.size;
  }

  /** Connections told to wait and not resumed yet. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  heldBy(holder: BudgetHolder): number {
    return this.held.get(holder) ?? 0;
  }

  /** Bytes of whole frames handed on and not answered yet. */
  get answeringBytes(): number {
    return this.answering;
  }

  /**
   * Answers pending hold half the budget: a connection already waiting for one takes no further
   * request (it is woken by its own answer), and partial frames wait.
   */
  get answersOverBudget(): boolean {
    return this.answering >= this.waitAt;
  }

  /** A whole frame of `bytes` was handed on; its answer is still to come. */
  answerPending(bytes: number): void {
    this.answering += bytes;
  }

  /** A frame counted by `answerPending` was answered, or its handler let go of its bytes. */
  answerSettled(bytes: number): void {
    this.answering = Math.max(0, this.answering - bytes);
    this.resumeWaiters();
    this.keepOneReading();
  }

  /**
   * Records what `holder` holds now (0: nothing). Closes the largest holders while the total is
   * over the budget; tells a holder of a partial frame to wait while the others hold at least
   * half the budget. 0 also ends a wait (its frame completed).
   */
  set(holder: BudgetHolder, bytes: number): BudgetVerdict {
    const before = this.held.get(holder) ?? 0;
    if (bytes === 0) {
      // The common case, every read of whole frames: nothing held before, nothing now.
      if (before === 0) return 'go-on';
      this.waiting.delete(holder);
      this.held.delete(holder);
      this.total -= before;
      this.resumeWaiters();
      this.keepOneReading();
      return 'go-on';
    }
    this.held.set(holder, bytes);
    this.total += bytes - before;
    if (this.total > this.budgetBytes && !this.shed(holder)) return 'closed';
    if (bytes < before) this.resumeWaiters();
    if (this.waiting.has(holder)) {
      // Bytes already on their way when it was told to wait.
      if (bytes > this.maxWaiting) this.maxWaiting = bytes;
      return 'wait';
    }
    // Never the last one reading: with every holder waiting, none would ever finish a frame and
    // let the others go on (all would sit until the frame deadline closed them, the total
    // perhaps far under the budget). Unless answers pending fill the wait share: those end
    // without any read.
    if (
      this.total - bytes + this.answering >= this.waitAt &&
      (this.answersOverBudget || this.waiting.size + 1 < this.held.size)
    ) {
      this.waiting.add(holder);
      if (bytes > this.maxWaiting) this.maxWaiting = bytes;
      return 'wait';
    }
    return 'go-on';
  }

  /** Over the budget: closes holders, largest first, down to LOW_WATER. False: `grower` went. */
  private shed(grower: BudgetHolder): boolean {
    const target = Math.floor(this.budgetBytes * LOW_WATER);
    const byBytes = [...this.held].sort((a, b) => b[1] - a[1]);
    const totalBefore = this.total;
    let survived = true;
    for (const [victim, victimBytes] of byBytes) {
      if (this.total <= target) break;
      this.held.delete(victim);
      this.waiting.delete(victim);
      this.total -= victimBytes;
      if (victim === grower) survived = false;
      victim.evictForBudget(victimBytes, totalBefore, this.budgetBytes);
    }
    this.resumeWaiters();
    this.keepOneReading();
    return survived;
  }

  /**
   * When every holder left is waiting (the ones reading finished or were closed), the one holding
   * the most goes on: it is the nearest to a whole frame, and if it is a flood's, the first to be
   * closed when the budget runs over. One connection read at a time still keeps a flood's cost
   * bounded; none at all would stall honest frames until their deadline.
   */
  private keepOneReading(): void {
    if (this.held.size === 0 || this.waiting.size < this.held.size || this.answersOverBudget) {
      return;
    }
    let largest: BudgetHolder | null = null;
    let most = -1;
    for (const h of this.waiting) {
      const own = this.held.get(h) ?? 0;
      if (own > most) {
        most = own;
        largest = h;
      }
    }
    if (largest === null) return;
    this.waiting.delete(largest);
    largest.resumeForBudget();
  }

  /**
   * Lets waiting holders go on once the others (answers pending included) hold less than
   * RESUME_AT of the budget.
   */
  private resumeWaiters(): void {
    const others = this.total + this.answering;
    if (this.waiting.size === 0 || others - this.maxWaiting >= this.resumeAt) return;
    let maxLeft = 0;
    for (const h of [...this.waiting]) {
      const own = this.held.get(h) ?? 0;
      if (others - own < this.resumeAt) {
        this.waiting.delete(h);
        h.resumeForBudget();
      } else if (own > maxLeft) {
        maxLeft = own;
      }
    }
    this.maxWaiting = maxLeft;
  }
}
