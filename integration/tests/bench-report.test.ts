/**
 * The benchmark report says nothing about targets in a smoke run (its tiny sizes measure
 * nothing, and a `MISSED` inside a passing CI run only confuses), once that it does not, and
 * keeps the verdicts of a full run; issue 11's verdicts (scaling per W, Java figures, report-only
 * rows), issue 16's KV put target, and the plan of a run (which W, how many generators). Pure functions: no benchmark runs
 * here.
 */
import { describe, expect, it } from 'vitest';
import {
  contentionNote,
  renderMarkdown,
  SMOKE_TARGETS_NOTE,
  targetLogLines,
} from '../../bench/lib/report.js';
import type { BenchResults, LevelResult } from '../../bench/lib/results.js';
import { evaluateTargets } from '../../bench/lib/targets.js';
import { generatorsFor, planWorkers } from '../../bench/lib/profile.js';
import { parseStalls } from '../../bench/lib/stalls.js';
import { BenchArgsError, parseBenchArgs } from '../../bench/lib/args.js';
import type { KvPhase } from '../../bench/scenarios/kv.js';
import type { RouteRun } from '../../bench/scenarios/route.js';

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

function level(
  target: 'node' | 'baseline',
  label: string,
  qps: number,
  extra: Partial<LevelResult> = {},
): LevelResult {
  const [connections, inflight] = label.split('×').map(Number) as [number, number];
  return {
    target,
    servingProcesses: 1,
    label,
    connections,
    inflight,
    generators: 1,
    qps,
    latency: {
      count: 1000,
      meanUs: 500,
      minUs: 100,
      p50Us: 400,
      p90Us: 600,
      p99Us: 700,
      p999Us: 900,
      maxUs: 1000,
    },
    errors: {},
    errorCount: 0,
    errorSamples: [],
    serverCpuPct: 100,
    serverCpuUsPerRequest: 20,
    serverEluPct: 90,
    machineBusyPct: 100,
    generatorCpuPct: 50,
    generatorEluMaxPct: 50,
    generatorSaturated: false,
    ...extra,
  };
}

function withRoute(cores: number, runs: RouteRun[], auto = 1): BenchResults {
  const r = results('full');
  r.machine.cores = cores;
  r.targets = [];
  r.route = {
    topics: 10_000,
    brokerGroups: 8,
    sampledTopics: 1024,
    responseBodyBytes: 1639,
    responseFrameBytes: 1751,
    timing: { warmupMs: 1000, durationMs: 2500, drainMs: 2000 },
    autoWorkers: auto,
    skipped: [],
    runs,
  };
  return r;
}

describe('issue 11 targets', () => {
  it('judges node / baseline per W only at loads where no generator saturated', () => {
    const r = withRoute(2, [
      {
        workers: 1,
        levels: [
          level('node', '16×1', 85_000),
          level('baseline', '16×1', 100_000),
          level('node', '64×1', 50_000),
          level('baseline', '64×1', 100_000, { generatorSaturated: true }),
        ],
      },
      {
        workers: 2,
        levels: [
          level('node', '16×1', 50_000),
          level('baseline', '16×1', 100_000, { generatorSaturated: true }),
        ],
      },
    ]);
    const t = evaluateTargets(r);
    const w1 = t.find((x) => x.name.endsWith('W = 1') && x.name.startsWith('route QPS vs a'))!;
    expect(w1.met).toBe(true);
    expect(w1.measured).toContain('64×1 50.0 % (generator saturated)');
    const w2 = t.find((x) => x.name.endsWith('W = 2') && x.name.startsWith('route QPS vs a'))!;
    expect(w2.met).toBeNull();
    expect(w2.measured).toContain('no verdict');
  });

  it('gives the Java comparisons a verdict on 16 cores only, from the default W', () => {
    const runs: RouteRun[] = [
      { workers: 1, levels: [level('node', '16×1', 50_000)] },
      {
        workers: 8,
        levels: [
          level('node', '16×1', 120_000, {
            serverCpuUsPerRequest: 40,
            latency: { ...level('node', '16×1', 1).latency, p99Us: 700 },
          }),
        ],
      },
    ];
    const on2 = evaluateTargets(withRoute(2, runs, 1)).find((x) =>
      x.name.startsWith('route 16×1 vs Java'),
    )!;
    expect(on2.met).toBeNull();
    expect(on2.name).toContain('W = 1 (default)');
    expect(on2.measured).toContain('16-core machine, this one has 2');
    const on16 = evaluateTargets(withRoute(16, runs, 8)).find((x) =>
      x.name.startsWith('route 16×1 vs Java'),
    )!;
    expect(on16.name).toContain('W = 8 (default)');
    expect(on16.met).toBe(true);
  });

  it('says when the machine was oversubscribed, and only then', () => {
    const m = results('full').machine;
    expect(contentionNote(m)).toBeUndefined();
    expect(contentionNote({ ...m, loadAvgStart: [14.4, 15, 15] })).toContain(
      'load average up to 14.4 on 2 cores',
    );
    expect(contentionNote({ ...m, busyPctDuringRun: 99 })).toContain('CPUs 99 % busy');
  });

  it('marks figures the issue only asks to report, and renders them so', () => {
    const r = results('full');
    r.targets = [
      {
        name: 'RSS of the whole node',
        target: 'reported per W',
        measured: 'W = 1: 400 MiB',
        met: null,
        reportOnly: true,
      },
    ];
    expect(targetLogLines(r)).toEqual(['target RSS of the whole node: W = 1: 400 MiB → reported']);
    expect(renderMarkdown(r)).toContain(
      '| RSS of the whole node | reported per W | W = 1: 400 MiB | reported |',
    );
  });
});

describe('bench plan', () => {
  it('always runs W = 1 and 2, larger W only where the cores fit them, plus the default', () => {
    const two = planWorkers([1, 2, 4, 8], { cores: 2 });
    expect(two.run).toEqual([1, 2]);
    expect(two.auto).toBe(1);
    expect(two.skipped.map((x) => x.workers)).toEqual([4, 8]);
    expect(two.skipped[0]!.reason).toContain('this machine has 2');
    expect(planWorkers([1, 2, 4, 8], { cores: 4 }).run).toEqual([1, 2, 3]);
    expect(planWorkers([1, 2, 4, 8], { cores: 16 }).run).toEqual([1, 2, 4, 8]);
    expect(planWorkers([1, 2], { cores: 16, includeAuto: false }).run).toEqual([1, 2]);
    expect(planWorkers([1, 2, 4, 8], { cores: 2, forced: [8, 4] })).toEqual({
      run: [4, 8],
      skipped: [],
      auto: 1,
    });
  });

  it('sizes the generators to the cores the node leaves free', () => {
    expect(generatorsFor(2, 1, 16, 8)).toBe(1);
    expect(generatorsFor(16, 8, 64, 8)).toBe(7);
    expect(generatorsFor(16, 1, 64, 8)).toBe(8);
    expect(generatorsFor(16, 1, 4, 8)).toBe(4);
    expect(generatorsFor(2, 1, 16, 8, 3)).toBe(3);
  });

  it("reads the stall gauges of each role, and the decode threads' time, from /metrics", () => {
    const text = [
      '# TYPE namesrv_event_loop_stall_max_seconds gauge',
      'namesrv_event_loop_stall_max_seconds{role="serving"} 0.0125',
      'namesrv_event_loop_stall_max_seconds{role="owner"} 0.5',
      'namesrv_connections_open 3',
      'namesrv_register_body_decode_seconds_bucket{le="0.01",kind="full"} 1',
      'namesrv_register_body_decode_seconds_sum{kind="full"} 0.25',
      'namesrv_register_body_decode_seconds_count{kind="full"} 2',
      'namesrv_register_body_decode_seconds_sum{kind="delta"} 0.0005',
    ].join('\n');
    expect(parseStalls(text)).toEqual({ servingMs: 12.5, ownerMs: 500, decodeTotalMs: 250.5 });
    expect(parseStalls('')).toEqual({ servingMs: undefined, ownerMs: undefined, decodeTotalMs: 0 });
  });
});

describe('issue 16 KV target', () => {
  const phase = (loop: number, cpu: number | null): KvPhase => ({
    requests: 500,
    loopMsPerRequest: loop,
    mainThreadCpuMsPerRequest: cpu,
    roundTripMedianMs: 12,
    roundTripP90Ms: 14,
  });
  const withKv = (put: KvPhase): BenchResults => {
    const r = results('full');
    r.targets = [];
    r.kv = {
      sizes: [5000, 20_000].map((entries) => ({
        entries,
        get: phase(0.2, 0.13),
        getPaced: phase(0.6, 0.5),
        put: entries === 20_000 ? put : phase(9, 9),
        deleteMissing: phase(0.2, 0.12),
      })),
    };
    return r;
  };
  const kvTarget = (r: BenchResults) =>
    evaluateTargets(r).find((t) => t.name.startsWith('KV put at 20,000 entries'))!;

  it('judges the put at 20,000 entries by the main thread CPU, the loop figure shown beside it', () => {
    const met = kvTarget(withKv(phase(1.2, 0.7)));
    expect(met.met).toBe(true);
    expect(met.measured).toContain('0.700 ms CPU, 1.200 ms loop active');
    expect(kvTarget(withKv(phase(0.9, 1.5))).met).toBe(false);
    // Where /proc is missing, the loop figure is all there is.
    expect(kvTarget(withKv(phase(1.2, null))).met).toBe(false);
    expect(kvTarget(results('full')).met).toBeNull();
    const md = renderMarkdown(withKv(phase(1.2, 0.7)));
    expect(md).toContain('## KV config writes (W = 1)');
    expect(md).toContain(
      '| 20000 | PUT_KV_CONFIG (new key) | 500 | 1.200 ms | 0.700 ms | 12.00 ms | 14.00 ms |',
    );
  });
});

describe('bench flags', () => {
  it('reads every flag, and the `--` pnpm passes through', () => {
    const args = parseBenchArgs([
      '--',
      '--smoke',
      '--out=/tmp/x',
      '--only=route,kv',
      '--workers=1,4',
      '--generators=3',
      '--cpu-prof',
      '--cpu-prof-interval=100',
    ]);
    expect(args).toEqual({
      help: false,
      smoke: true,
      out: '/tmp/x',
      only: new Set(['route', 'kv']),
      workers: [1, 4],
      generators: 3,
      cpuProf: true,
      cpuProfIntervalMicros: 100,
    });
    expect(parseBenchArgs([]).only.size).toBeGreaterThan(10);
    expect(parseBenchArgs(['-h']).help).toBe(true);
  });

  // `--help` used to start a full 6–8 minute run: unknown flags were ignored.
  it.each([
    [['--help2'], /Unknown option '--help2'/],
    [['--only=rout'], /--only: unknown scenario "rout"/],
    [['--workers=two'], /--workers: expected a positive integer, got "two"/],
    [['--workers=0'], /--workers: expected a positive integer, got "0"/],
    [['--generators=1,2'], /--generators: expected a positive integer, got "1,2"/],
    [['--cpu-prof-interval=50'], /--cpu-prof-interval needs --cpu-prof/],
    [['--out='], /--out: expected a directory/],
    [['route'], /Unexpected argument 'route'/],
  ])('refuses %j, naming the flag', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(BenchArgsError);
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });
});
