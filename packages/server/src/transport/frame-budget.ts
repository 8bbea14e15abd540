/**
 * The bytes one serving process holds in frames that have not arrived whole yet, over all its
 * connections, against a fixed budget (its share of `maxPartialFrameBytes`).
 *
 * When a connection's growth would take the total over the budget, the connection holding the
 * most is closed — usually the one that just grew, but not necessarily — until the total fits
 * again. Why closing rather than making new frames wait:
 * - waiting lets whoever fills the budget first stop everyone else: a flood of half-sent frames
 *   would hold every other connection's next frame hostage for as long as it likes;
 * - the largest holder is where the memory is, and a real cluster never comes near the budget
 *   (it is 16 whole maximum-size frames in flight at once by default), so under attack the
 *   largest holders are the attacker's;
 * - a frame that arrives whole within one read is never held, so ordinary requests (a few hundred
 *   bytes) pass untouched even while the budget is full.
 *
 * Holders are found by a scan of the connections that hold something (a few thousand at most
 * under attack; in normal operation the set is empty or tiny), only when the budget is exceeded.
 */

/** A connection, as the budget sees it. */
export interface BudgetHolder {
  /**
   * Chosen to free the budget: close now (`held` bytes were charged to it, `total` is what the
   * process held with it, `budget` the limit).
   */
  evictForBudget(held: number, total: number, budget: number): void;
}

export class FrameBudget {
  readonly budgetBytes: number;
  private total = 0;
  private readonly held = new Map<BudgetHolder, number>();

  constructor(budgetBytes: number) {
    this.budgetBytes = budgetBytes;
  }

  /** Bytes held now by all holders. */
  get totalBytes(): number {
    return this.total;
  }

  /** Connections holding a partial frame now. */
  get holderCount(): number {
    return this.held.size;
  }

  heldBy(holder: BudgetHolder): number {
    return this.held.get(holder) ?? 0;
  }

  /**
   * Records what `holder` holds now (0: nothing); closes the largest holders while the total is
   * over the budget. Returns false when `holder` itself was closed.
   */
  set(holder: BudgetHolder, bytes: number): boolean {
    const before = this.held.get(holder) ?? 0;
    if (bytes === before) return true;
    if (bytes === 0) this.held.delete(holder);
    else this.held.set(holder, bytes);
    this.total += bytes - before;
    let survived = true;
    while (this.total > this.budgetBytes && this.held.size > 0) {
      const [victim, victimBytes] = this.largest();
      const totalBefore = this.total;
      this.held.delete(victim);
      this.total -= victimBytes;
      if (victim === holder) survived = false;
      victim.evictForBudget(victimBytes, totalBefore, this.budgetBytes);
    }
    return survived;
  }

  private largest(): [BudgetHolder, number] {
    let best: BudgetHolder | null = null;
    let bestBytes = -1;
    for (const [h, n] of this.held) {
      if (n > bestBytes) {
        best = h;
        bestBytes = n;
      }
    }
    return [best!, bestBytes];
  }
}
