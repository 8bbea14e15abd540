/**
 * Keeps the log lines of enforced limits readable under attack: per limit, at most `perSecond`
 * lines a second (each naming its peer); the rest are counted, and the next line written says
 * how many were left out. The counters (metrics) still count every event.
 */
import type { LimitName } from './types.js';

interface Window {
  start: number;
  lines: number;
  suppressed: number;
}

export class LimitLog<K extends string = LimitName> {
  private readonly perSecond: number;
  private readonly now: () => number;
  private readonly windows = new Map<K, Window>();

  constructor(perSecond = 10, now: () => number = Date.now) {
    this.perSecond = perSecond;
    this.now = now;
  }

  /**
   * Whether a line about `limit` may be written now: null when not; otherwise the number of
   * lines left out since the last one written (for the line to say).
   */
  admit(limit: K): number | null {
    const now = this.now();
    let w = this.windows.get(limit);
    if (w === undefined) {
      w = { start: now, lines: 0, suppressed: 0 };
      this.windows.set(limit, w);
    } else if (now - w.start >= 1000) {
      w.start = now;
      w.lines = 0;
    }
    if (w.lines >= this.perSecond) {
      w.suppressed++;
      return null;
    }
    w.lines++;
    const left = w.suppressed;
    w.suppressed = 0;
    return left;
  }
}
