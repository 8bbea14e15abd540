import { afterEach, describe, expect, it, vi } from 'vitest';
import { FrameBudget } from '../src/transport/frame-budget.js';
import type { BudgetHolder } from '../src/transport/frame-budget.js';

function holders(): { make(name: string): BudgetHolder; evicted: string[]; resumed: string[] } {
  const evicted: string[] = [];
  const resumed: string[] = [];
  return {
    evicted,
    resumed,
    make: (name) => ({
      evictForBudget: (held, total, budget) => {
        evicted.push(`${name} ${held} ${total}/${budget}`);
      },
      resumeForBudget: () => {
        resumed.push(name);
      },
    }),
  };
}

describe('FrameBudget', () => {
  it('makes a holder wait while the others hold half the budget, and lets it go on below a quarter', () => {
    const h = holders();
    const budget = new FrameBudget(100);
    const [a, b, c] = [h.make('a'), h.make('b'), h.make('c')];
    expect(budget.set(a, 60)).toBe('go-on');
    expect(budget.set(b, 10)).toBe('wait'); // the others (a) hold 60 ≥ 50
    expect(budget.set(b, 12)).toBe('wait'); // still waiting: bytes already on their way
    expect(budget.waitingCount).toBe(1);
    expect(budget.set(c, 5)).toBe('wait');
    // a's frame completes: the others of b hold 5, of c 12 — both under 25.
    expect(budget.set(a, 0)).toBe('go-on');
    expect(h.resumed).toEqual(['b', 'c']);
    expect(budget.waitingCount).toBe(0);
    expect(h.evicted).toEqual([]);
  });

  it('always reads one holder: honest frames filling half the budget finish one after another', () => {
    const h = holders();
    const budget = new FrameBudget(100);
    const [a, b, c] = [h.make('a'), h.make('b'), h.make('c')];
    expect(budget.set(a, 30)).toBe('go-on');
    expect(budget.set(b, 30)).toBe('go-on'); // the others hold 30 < 50
    expect(budget.set(c, 30)).toBe('wait'); // 60 ≥ 50
    expect(budget.set(a, 35)).toBe('wait'); // 65 ≥ 50, and b still reads
    // b would be the last one reading: it goes on, although the others hold 65.
    expect(budget.set(b, 35)).toBe('go-on');
    expect(budget.waitingCount).toBe(2);
    // b's frame completes; a and c both wait, and hold 65 ≥ 25 between them: the one holding the
    // most (a) is read again all the same.
    expect(budget.set(b, 0)).toBe('go-on');
    expect(h.resumed).toEqual(['a']);
    expect(budget.waitingCount).toBe(1);
    // a completes: c's others hold nothing.
    expect(budget.set(a, 0)).toBe('go-on');
    expect(h.resumed).toEqual(['a', 'c']);
    expect(budget.waitingCount).toBe(0);
    expect(h.evicted).toEqual([]);
  });

  it('a holder closed over the budget that leaves only waiters gets the largest of them read again', () => {
    const h = holders();
    const budget = new FrameBudget(100);
    const [a, b, c, d] = [h.make('a'), h.make('b'), h.make('c'), h.make('d')];
    expect(budget.set(a, 50)).toBe('go-on');
    expect(budget.set(b, 20)).toBe('wait');
    expect(budget.set(c, 20)).toBe('wait');
    expect(budget.set(d, 10)).toBe('wait');
    // a runs the total over: it is closed, and the waiters each see the others hold ≥ 25.
    expect(budget.set(a, 55)).toBe('closed');
    expect(h.evicted).toEqual(['a 55 105/100']);
    expect(h.resumed).toEqual(['b']);
    expect(budget.waitingCount).toBe(2);
  });

  it('over the budget closes the largest holders, whoever grew, down to 90 %', () => {
    const h = holders();
    const budget = new FrameBudget(100);
    const [a, b, c] = [h.make('a'), h.make('b'), h.make('c')];
    budget.set(a, 60);
    expect(budget.set(b, 30)).toBe('wait');
    // c takes the total to 110: a holds the most and is closed; b, whose others now hold 20,
    // goes on; c stays.
    expect(budget.set(c, 20)).toBe('go-on');
    expect(h.evicted).toEqual(['a 60 110/100']);
    expect(h.resumed).toEqual(['b']);
    expect(budget.totalBytes).toBe(50);
    expect(budget.holderCount).toBe(2);
    // c itself becomes the largest: it is closed, and told so.
    expect(budget.set(c, 90)).toBe('closed');
    expect(h.evicted).toEqual(['a 60 110/100', 'c 90 120/100']);
    expect(budget.totalBytes).toBe(30);
  });

  it('giving back (0) frees the share; an evicted holder setting 0 later changes nothing', () => {
    const h = holders();
    const budget = new FrameBudget(10);
    const a = h.make('a');
    budget.set(a, 8);
    budget.set(a, 0);
    expect(budget.totalBytes).toBe(0);
    expect(budget.holderCount).toBe(0);
    expect(budget.set(a, 11)).toBe('closed');
    budget.set(a, 0);
    expect(budget.totalBytes).toBe(0);
  });

  describe('pace: only holders whose frames are arriving count as reading', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    // Deadline 4 s: a frame on pace arrives evenly within 1 s (PACE_SHARE), after 1 s of grace.
    function paced() {
      vi.useFakeTimers();
      const h = holders();
      const budget = new FrameBudget(100, { frameDeadlineMillis: 4000, now: () => Date.now() });
      return { h, budget };
    }

    it('a holder that stopped sending no longer makes newcomers wait, and a waiter is read again', async () => {
      const { h, budget } = paced();
      const [idle, honest, later] = [h.make('idle'), h.make('honest'), h.make('later')];
      // An eighth of a frame of 480, charged 60 (as an assembled frame would be charged whole).
      expect(budget.set(idle, 60, { received: 60, frameLength: 480 })).toBe('go-on');
      // Within its grace it counts as reading: the newcomer waits.
      expect(budget.set(honest, 10, { received: 10, frameLength: 100 })).toBe('wait');
      // At 1.12 s it has had 120 ms of reading and should hold 58 of 480: just on pace.
      await vi.advanceTimersByTimeAsync(1120);
      expect(h.resumed).toEqual([]);
      // Past that, off pace (nothing more came): the waiting one is read again by the next check.
      await vi.advanceTimersByTimeAsync(500);
      expect(h.resumed).toEqual(['honest']);
      // A newcomer now waits for the honest one (read, in its grace), not for the idle one.
      expect(budget.set(later, 5, { received: 5, frameLength: 100 })).toBe('wait');
      expect(budget.set(honest, 0)).toBe('go-on');
      expect(budget.set(later, 6, { received: 6, frameLength: 100 })).toBe('go-on');
      expect(h.evicted).toEqual([]);
    });

    it('over the budget the holders off pace are closed first, then the largest', async () => {
      const { h, budget } = paced();
      const [idle, fast, grower] = [h.make('idle'), h.make('fast'), h.make('grower')];
      budget.set(idle, 30, { received: 30, frameLength: 240 });
      await vi.advanceTimersByTimeAsync(3000);
      // Frames arriving now: in their grace, on pace.
      budget.set(fast, 40, { received: 40, frameLength: 100 });
      expect(budget.set(grower, 35, { received: 35, frameLength: 100 })).toBe('go-on');
      // 30 + 40 + 35 > 100: the idle one goes first though it holds the least.
      expect(h.evicted).toEqual(['idle 30 105/100']);
      expect(budget.holderCount).toBe(2);
    });

    it('time spent told to wait does not count against a holder, and a new frame starts its pace anew', async () => {
      const { h, budget } = paced();
      const [a, b] = [h.make('a'), h.make('b')];
      budget.set(a, 60);
      expect(budget.set(b, 10, { received: 10, frameLength: 100 })).toBe('wait');
      // a (no progress given: counted as on pace) keeps reading for a long while.
      await vi.advanceTimersByTimeAsync(20_000);
      expect(budget.set(a, 0)).toBe('go-on');
      expect(h.resumed).toEqual(['b']);
      // b waited 20 s but was read for none of it: still in its grace, so it counts as reading.
      expect(budget.set(b, 50, { received: 50, frameLength: 100 })).toBe('go-on');
      const d = h.make('d');
      expect(budget.set(d, 10, { received: 10, frameLength: 100 })).toBe('wait');
      // 2 s on, b has half of its frame after 1 s of reading past its grace: off pace. The next
      // check found nobody read on pace, and d is read again; once d is done, b blocks nobody.
      await vi.advanceTimersByTimeAsync(2000);
      expect(h.resumed).toEqual(['b', 'd']);
      expect(budget.set(d, 0)).toBe('go-on');
      const e = h.make('e');
      expect(budget.set(e, 1, { received: 1, frameLength: 100 })).toBe('go-on');
      expect(budget.set(e, 0)).toBe('go-on');
      // Its next frame starts its pace anew.
      expect(budget.set(b, 50, { received: 5, frameLength: 100, newFrame: true })).toBe('go-on');
      expect(budget.set(h.make('f'), 1, { received: 1, frameLength: 100 })).toBe('wait');
    });
  });
});
