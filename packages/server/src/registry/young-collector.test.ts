import { constants, PerformanceObserver } from 'node:perf_hooks';
import type { PerformanceEntry } from 'node:perf_hooks';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { slicedPace } from './registry-owner.js';
import { youngCollector } from './young-collector.js';
import type { YoungCollector } from './young-collector.js';

/** Resolves with the kind of each GC V8 reports until `until` holds for one of them (2 s at most). */
function gcKinds(until: (kind: number) => boolean): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const kinds: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
        if (kind === undefined) continue;
        kinds.push(kind);
        if (until(kind)) {
          clearTimeout(timer);
          observer.disconnect();
          resolve(kinds);
        }
      }
    });
    const timer = setTimeout(() => {
      observer.disconnect();
      reject(new Error(`no such GC reported within 10 s; saw kinds ${kinds.join(',') || 'none'}`));
    }, 10_000);
    observer.observe({ entryTypes: ['gc'] });
  });
}

describe('youngCollector', () => {
  it('runs a young-generation collection (a scavenge) when asked', async () => {
    const collector = youngCollector();
    expect(collector).not.toBeNull();
    const seen = gcKinds((kind) => kind === constants.NODE_PERFORMANCE_GC_MINOR);
    collector!.collect();
    expect(await seen).toContain(constants.NODE_PERFORMANCE_GC_MINOR);
  });

  it('leaves no global `gc` behind, and new contexts without one', () => {
    // Only a process started with --expose-gc has a global gc, and then every context has one.
    const startedWithGc = typeof (globalThis as { gc?: unknown }).gc === 'function';
    expect(youngCollector()).not.toBeNull();
    expect(typeof (globalThis as { gc?: unknown }).gc === 'function').toBe(startedWithGc);
    expect(runInNewContext('typeof gc')).toBe(startedWithGc ? 'function' : 'undefined');
  });

  it('is due once the young generation holds more than its threshold', () => {
    expect(youngCollector(Number.MAX_SAFE_INTEGER)!.due()).toBe(false);
    const collector = youngCollector(256 * 1024)!;
    // Objects kept alive fill the young generation (a scavenge keeps them there once more
    // before they move to the old one), so the threshold is crossed within a few MiB.
    const kept: object[] = [];
    let due = false;
    for (let i = 0; i < 200_000 && !due; i++) {
      kept.push({ i, name: `kept-${i}` });
      if (i % 1000 === 999) due = collector.due();
    }
    expect(due).toBe(true);
    expect(kept.length).toBeGreaterThan(0);
  });
});

describe('slicedPace with a young collector', () => {
  function fakeCollector(dueAnswers: boolean[], events: string[]): YoungCollector {
    return {
      due: () => dueAnswers.shift() ?? false,
      collect: () => {
        events.push('collect');
        setImmediate(() => events.push('I/O after the collection'));
      },
    };
  }

  it('collects between two slices in a turn of its own: pending I/O runs before it and after it', async () => {
    const events: string[] = [];
    const pace = slicedPace(0, fakeCollector([true], events));
    setImmediate(() => events.push('I/O pending at the end of the slice'));
    await pace.breathe();
    events.push('next slice');
    expect(events).toEqual([
      'I/O pending at the end of the slice',
      'collect',
      'I/O after the collection',
      'next slice',
    ]);
  });

  it('does not collect when the young generation is below the threshold, or with no collector', async () => {
    const events: string[] = [];
    await slicedPace(0, fakeCollector([false], events)).breathe();
    await slicedPace(0, null).breathe();
    expect(events).toEqual([]);
  });
});
