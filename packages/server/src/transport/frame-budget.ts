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
 * Only a holder **on pace** counts as reading, for both rules: one whose frame has arrived at
 * least as fast as a frame that takes PACE_SHARE of the frame deadline to arrive (after a second
 * of grace; the time it was told to wait does not count against it). Without that, connections
 * that sent an eighth of a maximum-size frame and then nothing (each charged the whole frame, as
 * its buffer is allocated) made every new partial frame wait while they held half the budget, and
 * every large honest request sat until its deadline: 10 such connections, reconnecting as their
 * deadlines closed them (0.7 MiB/s), stopped every registration of more than 64 KiB (review). A
 * holder off pace blocks nobody, and is the first to be closed over the budget; holding the
 * budget now takes sending at the pace of honest frames.
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

/** A frame on pace arrives within this share of the frame deadline (see `onPace`). */
export const PACE_SHARE = 0.25;
/** A holder counts as on pace for its first this many ms of reading, whatever it received. */
export const PACE_GRACE_MILLIS = 1000;
/** With no frame deadline (0), frames are paced as if it were this. */
const DEFAULT_PACE_DEADLINE_MILLIS = 30_000;

/** What `set` tells the holder to do. */
export type BudgetVerdict = 'go-on' | 'wait' | 'closed';

/** How far a holder's frame has arrived (for its pace). */
export interface FrameProgress {
  /** Bytes of the frame received so far. */
  readonly received: number;
  /** Its whole length, length field included; null while the length field is incomplete. */
  readonly frameLength: number | null;
  /** Frames completed since the last report: this is another frame, its pace starts now. */
  readonly newFrame?: boolean;
}

export interface FrameBudgetOptions {
  /** The frame deadline (partialFrameTimeoutMillis; 0: none). */
  frameDeadlineMillis?: number;
  now?: () => number;
}

interface Holding {
  bytes: number;
  /** When its frame began (`now()`). */
  since: number;
  /** Time it spent told to wait, ended waits only. */
  waited: number;
  /** When its current wait began; null while it is read. */
  waitingSince: number | null;
  received: number;
  frameLength: number | null;
}

export class FrameBudget {
  readonly budgetBytes: number;
  private readonly waitAt: number;
  private readonly resumeAt: number;
  private readonly paceMillis: number;
  private readonly now: () => number;
  private total = 0;
  /** Bytes of whole frames handed on whose answer has not come yet. */
  private answering = 0;
  private readonly held = new Map<BudgetHolder, Holding>();
  private readonly waiting = new Set<BudgetHolder>();
  /** At least what any waiting holder holds (bounds the resume scan). */
  private maxWaiting = 0;
  /** Armed while holders wait: readers fall off pace with time, not with any event. */
  private paceTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(budgetBytes: number, options: FrameBudgetOptions = {}) {
    this.budgetBytes = budgetBytes;
    this.waitAt = Math.floor(budgetBytes * WAIT_AT);
    this.resumeAt = Math.floor(budgetBytes * RESUME_AT);
    const deadline = options.frameDeadlineMillis ?? 0;
    this.paceMillis = (deadline > 0 ? deadline : DEFAULT_PACE_DEADLINE_MILLIS) * PACE_SHARE;
    this.now = options.now ?? (() => performance.now());
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
    return this.held.get(holder)?.bytes ?? 0;
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
   * Records what `holder` holds now (0: nothing), and how far its frame has arrived (its pace;
   * absent: as far as it holds). Closes the largest holders while the total is over the budget;
   * tells a holder of a partial frame to wait while the others hold at least half the budget
   * and one of them is read on pace. 0 also ends a wait (its frame completed).
   */
  set(holder: BudgetHolder, bytes: number, progress?: FrameProgress): BudgetVerdict {
    const before = this.held.get(holder);
    if (bytes === 0) {
      // The common case, every read of whole frames: nothing held before, nothing now.
      if (before === undefined) return 'go-on';
      this.waiting.delete(holder);
      this.held.delete(holder);
      this.total -= before.bytes;
      this.resumeWaiters();
      this.keepOneReading();
      return 'go-on';
    }
    const holding: Holding = before ?? {
      bytes: 0,
      since: this.now(),
      waited: 0,
      waitingSince: null,
      received: 0,
      frameLength: null,
    };
    if (before === undefined) this.held.set(holder, holding);
    else if (progress?.newFrame === true) {
      holding.since = this.now();
      holding.waited = 0;
      if (holding.waitingSince !== null) holding.waitingSince = holding.since;
    }
    const previous = holding.bytes;
    holding.bytes = bytes;
    holding.received = progress?.received ?? bytes;
    holding.frameLength = progress?.frameLength ?? null;
    this.total += bytes - previous;
    if (this.total > this.budgetBytes && !this.shed(holder)) return 'closed';
    if (bytes < previous) this.resumeWaiters();
    if (this.waiting.has(holder)) {
      // Bytes already on their way when it was told to wait.
      if (bytes > this.maxWaiting) this.maxWaiting = bytes;
      return 'wait';
    }
    // Never the last one reading: with every holder waiting, none would ever finish a frame and
    // let the others go on (all would sit until the frame deadline closed them, the total
    // perhaps far under the budget). Unless answers pending fill the wait share: those end
    // without any read. Readers off pace do not count: they are not finishing anything.
    if (
      this.total - bytes + this.answering >= this.waitAt &&
      (this.answersOverBudget || this.anotherReaderOnPace(holder))
    ) {
      this.startWaiting(holder, holding);
      if (bytes > this.maxWaiting) this.maxWaiting = bytes;
      return 'wait';
    }
    return 'go-on';
  }

  /**
   * Whether `holding`'s frame has arrived at least as fast as one arriving evenly over
   * PACE_SHARE of the deadline, counting only the time it was read (after PACE_GRACE_MILLIS).
   */
  private onPace(holding: Holding, now: number): boolean {
    if (holding.frameLength === null) return true;
    const waited =
      holding.waited + (holding.waitingSince === null ? 0 : now - holding.waitingSince);
    const reading = now - holding.since - waited - PACE_GRACE_MILLIS;
    if (reading <= 0) return true;
    return holding.received * this.paceMillis >= holding.frameLength * reading;
  }

  private anotherReaderOnPace(holder: BudgetHolder | null): boolean {
    const now = this.now();
    for (const [h, holding] of this.held) {
      if (h !== holder && !this.waiting.has(h) && this.onPace(holding, now)) return true;
    }
    return false;
  }

  private startWaiting(holder: BudgetHolder, holding: Holding): void {
    this.waiting.add(holder);
    holding.waitingSince = this.now();
    this.armPaceCheck();
  }

  /** Lets `holder` be read again (its wait's time no longer runs against its pace). */
  private resume(holder: BudgetHolder): void {
    this.waiting.delete(holder);
    const holding = this.held.get(holder);
    if (holding !== undefined && holding.waitingSince !== null) {
      holding.waited += this.now() - holding.waitingSince;
      holding.waitingSince = null;
    }
    holder.resumeForBudget();
  }

  /** Over the budget: closes holders, off pace first, largest first, down to LOW_WATER. */
  private shed(grower: BudgetHolder): boolean {
    const target = Math.floor(this.budgetBytes * LOW_WATER);
    const now = this.now();
    const order = [...this.held].map(([h, holding]) => ({
      h,
      bytes: holding.bytes,
      behind: !this.onPace(holding, now),
    }));
    order.sort((a, b) => Number(b.behind) - Number(a.behind) || b.bytes - a.bytes);
    const totalBefore = this.total;
    let survived = true;
    for (const { h: victim, bytes: victimBytes } of order) {
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
   * When no holder left is read on pace (the ones reading finished, were closed or stopped
   * sending), the waiting one holding the most goes on: it is the nearest to a whole frame, and if
   * it is a flood's, the first to be closed when the budget runs over. One connection read at a
   * time still keeps a flood's cost bounded; none at all would stall honest frames until their
   * deadline.
   */
  private keepOneReading(): void {
    if (this.waiting.size === 0 || this.answersOverBudget) return;
    if (this.waiting.size < this.held.size && this.anotherReaderOnPace(null)) return;
    let largest: BudgetHolder | null = null;
    let most = -1;
    for (const h of this.waiting) {
      const own = this.held.get(h)?.bytes ?? 0;
      if (own > most) {
        most = own;
        largest = h;
      }
    }
    if (largest === null) return;
    this.resume(largest);
  }

  /** While holders wait, checks now and then that someone is still read on pace. */
  private armPaceCheck(): void {
    if (this.paceTimer !== null) return;
    this.paceTimer = setTimeout(() => {
      this.paceTimer = null;
      this.keepOneReading();
      if (this.waiting.size > 0) this.armPaceCheck();
    }, PACE_GRACE_MILLIS / 2);
    this.paceTimer.unref?.();
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
      const own = this.held.get(h)?.bytes ?? 0;
      if (others - own < this.resumeAt) {
        this.resume(h);
      } else if (own > maxLeft) {
        maxLeft = own;
      }
    }
    this.maxWaiting = maxLeft;
  }
}
