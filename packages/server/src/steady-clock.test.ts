import { describe, expect, it } from 'vitest';
import { monotonicMillis, steadyClock } from './steady-clock.js';

describe('steadyClock', () => {
  it('reads as wall time at the start, then moves with the monotonic clock only', () => {
    let wall = 1_700_000_000_000;
    let mono = 5_000.25;
    const clock = steadyClock(undefined, { wall: () => wall, monotonic: () => mono });
    expect(clock.now()).toBe(1_700_000_000_000);
    mono += 1_000;
    wall += 1_000;
    expect(clock.now()).toBe(1_700_000_001_000);
    // An NTP step of +300 s, then one of -600 s: the node's time is not moved by either.
    wall += 300_000;
    mono += 10;
    expect(clock.now()).toBe(1_700_000_001_010);
    wall -= 600_000;
    mono += 10;
    expect(clock.now()).toBe(1_700_000_001_020);
  });

  it("a worker given the owner's anchor reads the owner's time, whatever its own wall clock says", () => {
    let mono = 100;
    const owner = steadyClock(undefined, { wall: () => 2_000_000, monotonic: () => mono });
    mono = 50_100;
    // The worker starts after a step of the wall clock (+1 h).
    const worker = steadyClock(owner.anchor, {
      wall: () => 2_000_000 + 50_000 + 3_600_000,
      monotonic: () => mono,
    });
    expect(worker.now()).toBe(owner.now());
    expect(worker.now()).toBe(2_050_000);
  });

  it('the real sources: close to Date.now() when made, never going back', () => {
    const clock = steadyClock();
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(50);
    let last = clock.now();
    for (let i = 0; i < 1000; i++) {
      const t = clock.now();
      expect(t).toBeGreaterThanOrEqual(last);
      last = t;
    }
    expect(monotonicMillis()).toBeGreaterThan(0);
  });
});
