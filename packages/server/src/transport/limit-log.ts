/**
 * Keeps the log lines of enforced limits readable under attack: per limit, at most `perSecond`
 * lines a second (each naming its peer); the rest are counted, and the next line written says
 * how many were left out. The counters (metrics) still count every event.
 *
 * Other lines any peer can cause once per connection go through it too (`PeerLineName`): one
 * client opening connections that each send a malformed frame wrote 3,000 warnings in 0.9 s.
 */
import type { LimitName } from './types.js';

/** Per-connection lines a peer can cause at will that are not about an enforced limit. */
export type PeerLineName = 'malformed_frame' | 'stray_response' | 'write_overflow';

/** What a connection's LimitLog rate-limits: the enforced limits and `PeerLineName`. */
export type LimitLogName = LimitName | PeerLineName;

interface Window {
  start: number;
  lines: number;
  suppressed: number;
}

export class LimitLog<K extends string = LimitLogName> {
  private readonly perSecond: number;
  private readonly now: () => number;
  private readonly windows = new Map<K, Window>();

  /** `now` defaults to reading Date.now on every call (so a test's fake clock applies). */
  constructor(perSecond = 10, now: () => number = () => Date.now()) {
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

  /**
   * Whether this log may be forgotten: every window is over. A left-out count it still owes is
   * not kept for ever (a peer that flooded once and went away pinned its slot, review owndiff4):
   * hand it on with `absorb` first.
   */
  idle(): boolean {
    const now = this.now();
    for (const w of this.windows.values()) {
      if (now - w.start < 1000) return false;
    }
    return true;
  }

  /** Takes over the left-out counts `other` owes: the next line written here reports them. */
  absorb(other: LimitLog<K>): void {
    for (const [k, w] of other.windows) {
      if (w.suppressed === 0) continue;
      const mine = this.windows.get(k);
      if (mine === undefined)
        this.windows.set(k, { start: -Infinity, lines: 0, suppressed: w.suppressed });
      else mine.suppressed += w.suppressed;
    }
  }
}
