import { describe, expect, it } from 'vitest';
import { FrameBudget } from '../src/transport/frame-budget.js';
import type { BudgetHolder } from '../src/transport/frame-budget.js';

function holder(name: string, evicted: string[]): BudgetHolder {
  return {
    evictForBudget: (held, total, budget) => {
      evicted.push(`${name} ${held} ${total}/${budget}`);
    },
  };
}

describe('FrameBudget', () => {
  it('closes the largest holders until the total fits, whoever grew', () => {
    const evicted: string[] = [];
    const budget = new FrameBudget(100);
    const a = holder('a', evicted);
    const b = holder('b', evicted);
    const c = holder('c', evicted);
    expect(budget.set(a, 60)).toBe(true);
    expect(budget.set(b, 30)).toBe(true);
    expect(evicted).toEqual([]);
    // c grows the total to 110: a holds the most and goes, c stays.
    expect(budget.set(c, 20)).toBe(true);
    expect(evicted).toEqual(['a 60 110/100']);
    expect(budget.totalBytes).toBe(50);
    expect(budget.holderCount).toBe(2);
    // c itself becomes the largest: it is closed, and told so.
    expect(budget.set(c, 90)).toBe(false);
    expect(evicted).toEqual(['a 60 110/100', 'c 90 120/100']);
    expect(budget.totalBytes).toBe(30);
  });

  it('giving back (0) frees the share; an evicted holder setting 0 later changes nothing', () => {
    const evicted: string[] = [];
    const budget = new FrameBudget(10);
    const a = holder('a', evicted);
    budget.set(a, 8);
    budget.set(a, 0);
    expect(budget.totalBytes).toBe(0);
    expect(budget.holderCount).toBe(0);
    expect(budget.set(a, 11)).toBe(false);
    budget.set(a, 0);
    expect(budget.totalBytes).toBe(0);
  });
});
