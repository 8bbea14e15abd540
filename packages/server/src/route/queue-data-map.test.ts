import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QueueDataMap } from './queue-data-map.js';

describe('QueueDataMap', () => {
  it('reads and iterates exactly as a Map under any sequence of sets and deletes', () => {
    const key = fc.constantFrom('broker-a', 'broker-b', 'broker-c', '');
    const op = fc.oneof(
      fc.tuple(fc.constant('set' as const), key, fc.nat(9)),
      fc.tuple(fc.constant('delete' as const), key, fc.constant(0)),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const small = new QueueDataMap<number>('t');
        const map = new Map<string, number>();
        for (const [o, k, v] of ops) {
          if (o === 'set') {
            expect(small.set(k, v)).toBe(small);
            map.set(k, v);
          } else {
            expect(small.delete(k)).toBe(map.delete(k));
          }
          expect(small.size).toBe(map.size);
          expect([...small]).toEqual([...map]);
          for (const probe of ['broker-a', 'broker-b', 'broker-c', '', 'x']) {
            expect(small.get(probe)).toBe(map.get(probe));
            expect(small.has(probe)).toBe(map.has(probe));
          }
        }
        expect([...small.keys()]).toEqual([...map.keys()]);
        expect([...small.values()]).toEqual([...map.values()]);
        expect([...small.entries()]).toEqual([...map.entries()]);
        const seen: [string, number][] = [];
        small.forEach((v, k, m) => {
          expect(m).toBe(small);
          seen.push([k, v]);
        });
        expect(seen).toEqual([...map]);
      }),
      { numRuns: 500 },
    );
  });
});
