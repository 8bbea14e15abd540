import { describe, expect, it } from 'vitest';
import { LimitLog } from './limit-log.js';

describe('LimitLog', () => {
  it('admits perSecond lines a second and says how many were left out on the next one', () => {
    let now = 0;
    const log = new LimitLog<'x'>(2, () => now);
    expect([log.admit('x'), log.admit('x'), log.admit('x'), log.admit('x')]).toEqual([
      0,
      0,
      null,
      null,
    ]);
    now = 1000;
    expect(log.admit('x')).toBe(2);
  });

  it('is idle once its windows are over; a left-out count it owes is handed on by absorb', () => {
    let now = 0;
    const log = new LimitLog<'x' | 'y'>(1, () => now);
    expect(log.idle()).toBe(true);
    log.admit('x');
    expect(log.idle()).toBe(false);
    now = 1000;
    expect(log.idle()).toBe(true);
    log.admit('y');
    log.admit('y');
    now = 2500;
    // 'y' left one out and its peer went away: forgettable, its count handed on.
    expect(log.idle()).toBe(true);
    const shared = new LimitLog<'x' | 'y'>(1, () => now);
    shared.absorb(log);
    expect(shared.admit('y')).toBe(1);
  });
});
