import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sortInSteps } from './sort-in-steps.js';
import { runCountingSteps } from './slice-queue.js';

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

describe('sortInSteps', () => {
  it('sorts like Array#sort, whatever the size, yielding as it goes', () => {
    const names = (n: number): string[] =>
      Array.from({ length: n }, (_, i) => `T${(i * 7919) % 10007}_${'ÄaB'[i % 3]}${i % 13}`);
    for (const n of [0, 1, 2047, 2048, 2049, 3 * 2048 + 7, 20_000]) {
      const input = names(n);
      const { value, steps } = runCountingSteps(sortInSteps([...input]));
      expect(value).toEqual([...input].sort());
      if (n > 10_000) expect(steps).toBeGreaterThan(n / 2048);
    }
  });

  it('orders by UTF-16 code units (surrogates, case) like the old list', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' }), { maxLength: 5000 }), (input) => {
        expect(runCountingSteps(sortInSteps([...input])).value).toEqual(
          [...input].sort(byCodeUnits),
        );
      }),
      { numRuns: 40 },
    );
  });
});

describe('sortInSteps with a comparator', () => {
  it('sorts stably like Array#sort with the same comparator', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(50), fc.nat()), { maxLength: 9000 }), (input) => {
        const cmp = (a: [number, number], b: [number, number]): number => a[0] - b[0];
        expect(runCountingSteps(sortInSteps([...input], cmp)).value).toEqual([...input].sort(cmp));
      }),
      { numRuns: 30 },
    );
  });
});
