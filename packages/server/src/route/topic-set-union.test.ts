import { describe, expect, it } from 'vitest';
import { TopicSetUnion } from './topic-set-union.js';

describe('TopicSetUnion', () => {
  it('reads its parts as one set: has, size, iteration (a topic once per part)', () => {
    const a = new Set(['t1', 't2']);
    const b = new Set(['t2', 't3']);
    const u = new TopicSetUnion([a, b, new Set()]);
    expect(u.size).toBe(4);
    expect(u.has('t3')).toBe(true);
    expect(u.has('t4')).toBe(false);
    expect([...u]).toEqual(['t1', 't2', 't2', 't3']);
    expect([...u.keys()]).toEqual([...u.values()]);
    expect([...u.entries()][0]).toEqual(['t1', 't1']);
    const seen: string[] = [];
    u.forEach((v, k, set) => {
      expect(k).toBe(v);
      expect(set).toBe(u);
      seen.push(v);
    });
    expect(seen).toEqual([...u]);
  });

  it('follows a live part: a topic added later is in it', () => {
    const live = new Set(['t1']);
    const u = new TopicSetUnion([new Set<string>(), live]);
    live.add('t9');
    expect(u.has('t9')).toBe(true);
    expect([...u]).toEqual(['t1', 't9']);
  });
});
