import { describe, expect, it } from 'vitest';
import { javaHashMapFirstValue } from './java-first-value.js';

describe('javaHashMapFirstValue', () => {
  it('follows Java bucket order, not insertion order', () => {
    // String.hashCode buckets in a 16-slot table: broker-a → 11, broker-b → 8, broker-c → 9.
    expect(
      javaHashMapFirstValue(
        new Map([
          ['broker-a', 1],
          ['broker-c', 3],
          ['broker-b', 2],
        ]),
      ),
    ).toBe(2);
    expect(
      javaHashMapFirstValue(
        new Map([
          ['broker-a', 1],
          ['broker-c', 3],
        ]),
      ),
    ).toBe(3);
  });

  it('handles empty and single-entry maps', () => {
    expect(javaHashMapFirstValue(new Map())).toBeUndefined();
    expect(javaHashMapFirstValue(new Map([['x', 7]]))).toBe(7);
  });

  it('keeps insertion order inside one bucket and grows the table past 12 entries', () => {
    // "Aa" and "BB" share String.hashCode 2112.
    expect(
      javaHashMapFirstValue(
        new Map([
          ['BB', 'bb'],
          ['Aa', 'aa'],
        ]),
      ),
    ).toBe('bb');
    const big = new Map<string, number>();
    for (let i = 0; i < 13; i++) big.set(`k${i}`, i);
    // With 13 entries the table has 32 buckets; compute the expected first independently.
    const hash = (s: string) => {
      let h = 0;
      for (const c of s) h = (Math.imul(h, 31) + c.charCodeAt(0)) | 0;
      return (h ^ (h >>> 16)) & 31;
    };
    const expected = [...big.keys()].reduce((a, b) => (hash(b) < hash(a) ? b : a));
    expect(javaHashMapFirstValue(big)).toBe(big.get(expected));
  });
});
