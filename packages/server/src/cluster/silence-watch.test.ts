import { describe, expect, it } from 'vitest';
import { pingIntervalFor, SilenceWatch } from './silence-watch.js';

function watch(limitMillis = 1000, intervalMillis = 250) {
  let now = 0;
  const w = new SilenceWatch({ limitMillis, intervalMillis, now: () => now });
  return {
    w,
    /** Advances the clock without a check (this process stalled). */
    advance: (ms: number): void => {
      now += ms;
    },
    /** Advances the clock by `ms` in checks of `step`, returning what the checks reported. */
    run: (ms: number, step = intervalMillis, hear = false): (number | null)[] => {
      const seen: (number | null)[] = [];
      for (let t = 0; t < ms; t += step) {
        now += step;
        if (hear) w.heard();
        seen.push(w.check());
      }
      return seen;
    },
  };
}

describe('SilenceWatch', () => {
  it('reports silence once it reaches the limit, and only once', () => {
    const { run } = watch();
    expect(run(750)).toEqual([null, null, null]);
    expect(run(250)).toEqual([1000]);
    expect(run(1000)).toEqual([null, null, null, null]);
  });

  it('a peer heard from in time is never reported', () => {
    const { run } = watch();
    expect(run(10_000, 250, true).every((r) => r === null)).toBe(true);
  });

  it("the watcher's own stall does not count against the peer", () => {
    const { w, run } = watch();
    run(500);
    // This process was stopped for 5 s: the first check after it is late, and starts over.
    expect(run(5000, 5000)).toEqual([null]);
    expect(run(750)).toEqual([null, null, null]);
    w.heard();
    expect(run(750)).toEqual([null, null, null]);
    expect(run(250)).toEqual([1000]);
  });

  it('pings a few times within the limit', () => {
    expect(pingIntervalFor(10_000)).toBe(1000);
    expect(pingIntervalFor(1000)).toBe(250);
    expect(pingIntervalFor(100)).toBe(50);
  });
  it('says how long the peer has been silent, and 0 while its own checks run late', () => {
    const { w, run, advance } = watch();
    run(500);
    expect(w.silentMillis()).toBe(500);
    run(250, 250, true);
    expect(w.silentMillis()).toBe(0);
    run(500);
    expect(w.silentMillis()).toBe(500);
    // This process stalled for 2 s: what the peer sent may still wait unread.
    advance(2000);
    expect(w.silentMillis()).toBe(0);
    // The first check after it starts over; silence counts again from there.
    run(250);
    expect(w.silentMillis()).toBe(0);
    run(250);
    expect(w.silentMillis()).toBe(250);
  });
});
