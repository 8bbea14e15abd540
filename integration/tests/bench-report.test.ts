/**
 * The benchmark report says nothing about targets in a smoke run (its tiny sizes measure
 * nothing, and a `MISSED` inside a passing CI run only confuses), once that it does not, and
 * keeps the verdicts of a full run. Pure functions of the results: no benchmark runs here.
 */
import { describe, expect, it } from 'vitest';
import { renderMarkdown, SMOKE_TARGETS_NOTE, targetLogLines } from '../../bench/lib/report.js';
import type { BenchResults } from '../../bench/lib/results.js';

function results(profile: BenchResults['profile']): BenchResults {
  return {
    profile,
    date: '2026-01-01T00:00:00.000Z',
    gitCommit: 'abc1234',
    durationSec: 1,
    machine: {
      cores: 2,
      cpuModel: 'test',
      totalMemGiB: 4,
      node: 'v20.0.0',
      platform: 'linux-x64',
      loadAvgStart: [0, 0, 0],
      loadAvgEnd: [0, 0, 0],
    },
    targets: [
      { name: 'route p99 at 16×1', target: '≤ 1 ms', measured: '3.000 ms', met: false },
      { name: 'heap per entry', target: '≤ 300 B', measured: '173 B', met: true },
    ],
    failures: [],
    notes: [],
  };
}

describe('bench report targets', () => {
  it('a smoke run logs the note once and no verdict, even with targets in its results', () => {
    expect(targetLogLines(results('smoke'))).toEqual([SMOKE_TARGETS_NOTE]);
    const md = renderMarkdown(results('smoke'));
    expect(md).toContain(SMOKE_TARGETS_NOTE);
    expect(md.split(SMOKE_TARGETS_NOTE)).toHaveLength(2);
    expect(md).not.toContain('**no**');
    expect(md).not.toContain('route p99 at 16×1');
  });

  it('a full run keeps one verdict per target', () => {
    expect(targetLogLines(results('full'))).toEqual([
      'target route p99 at 16×1: 3.000 ms → MISSED',
      'target heap per entry: 173 B → met',
    ]);
    const md = renderMarkdown(results('full'));
    expect(md).toContain('**no**');
    expect(md).not.toContain(SMOKE_TARGETS_NOTE);
  });
});
