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

  it('is idle (safe to forget) only once its windows are over and owe no left-out count', () => {
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
    // 'y' left one out: forgetting the log would lose the count its next line says.
    expect(log.idle()).toBe(false);
    expect(log.admit('y')).toBe(1);
    now = 3500;
    expect(log.idle()).toBe(true);
  });
});
