import { describe, expect, it } from 'vitest';
import { SerializeType } from '@ns/protocol';
import { HeldWatches } from './held-watches.js';
import type { HeldWatch } from './held-watches.js';

function watch(connectionId: number, topics: string[]): HeldWatch {
  return {
    ref: {
      connectionId,
      opaque: connectionId,
      serializeType: SerializeType.JSON,
      standardJson: true,
    },
    topics: new Map(topics.map((t) => [t, 1])),
    heldAt: 0,
    timer: undefined,
    isHeld: false,
  };
}

describe('HeldWatches', () => {
  it('indexes by connection and by topic, one watch per connection', () => {
    const h = new HeldWatches();
    const a = watch(1, ['A', 'B']);
    const b = watch(2, ['B']);
    h.add(a);
    h.add(b);
    expect(h.size).toBe(2);
    expect(h.ofTopic('B')).toEqual([a, b]);
    expect(h.ofTopic('C')).toEqual([]);
    expect(h.hasTopic('A')).toBe(true);
    expect(() => h.add(watch(1, ['C']))).toThrow(/already holds a watch/);
    expect(h.remove(a)).toBe(true);
    expect(h.remove(a)).toBe(false);
    expect(h.ofTopic('B')).toEqual([b]);
    expect(h.hasTopic('A')).toBe(false);
    expect(h.topicCount).toBe(1);
    expect(h.ofConnection(1)).toBeUndefined();
    // A stale object of a connection that holds a newer watch is not removed by mistake.
    const newer = watch(1, ['A']);
    h.add(newer);
    expect(h.remove(a)).toBe(false);
    expect(h.ofConnection(1)).toBe(newer);
  });

  it('keeps each topic list within twice its live size however watches come and go', () => {
    const h = new HeldWatches();
    const keep = Array.from({ length: 50 }, (_, i) => watch(i, ['T', `own-${i}`]));
    for (const w of keep) h.add(w);
    for (let round = 0; round < 100; round++) {
      const churn = Array.from({ length: 50 }, (_, i) => watch(1000 + round * 50 + i, ['T']));
      for (const w of churn) h.add(w);
      for (const w of churn) h.remove(w);
      expect(h.topicEntries).toBeLessThanOrEqual(2 * 100 + 16 + 50);
    }
    expect(h.ofTopic('T')).toHaveLength(50);
    for (const w of keep) h.remove(w);
    expect(h.topicCount).toBe(0);
    expect(h.topicEntries).toBe(0);
  });
});
