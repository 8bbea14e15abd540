/**
 * The verdicts of a full run: issue 11's targets (serving workers, Java reference figures) and
 * the earlier ones. Pure functions of the results, so they are tested without running anything.
 * A smoke run evaluates none (main.ts; report.ts says so once).
 */
import type { LevelResult } from './load-runner.js';
import type { BenchResults, TargetCheck } from './results.js';
import {
  JAVA_CORES,
  JAVA_REGISTER,
  JAVA_ROUTE,
  PRE_SPLIT_16X1,
  REGISTER_CHANGED_FACTOR,
  REGISTER_FIRST_FACTOR,
  ROUTE_CPU_FACTOR,
  ROUTE_QPS_FACTOR,
  TWO_CORE_TOLERANCE,
} from './java.js';
import type { RouteRun } from '../scenarios/route.js';
import type { RegPhase, RegRow } from '../scenarios/registration.js';
import { MASTER_REG_PHASES } from './registration-phases.js';

/** Node / baseline of the W = n-process baseline needs ≥ this at every unsaturated load. */
export const SCALING_RATIO = 0.8;
/** Lookup p99 under re-registration ≤ this × the idle p99. */
export const CHURN_P99_FACTOR = 2;

export interface LevelPair {
  label: string;
  node: LevelResult | undefined;
  base: LevelResult | undefined;
}

/** Node and baseline results of each level, paired (either may be missing). */
export function pairLevels(levels: LevelResult[]): LevelPair[] {
  const labels = [...new Set(levels.map((l) => l.label))];
  return labels.map((label) => ({
    label,
    node: levels.find((l) => l.target === 'node' && l.label === label),
    base: levels.find((l) => l.target === 'baseline' && l.label === label),
  }));
}

const f0 = (n: number): string => n.toFixed(0);
const f1 = (n: number): string => n.toFixed(1);
const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
const ms = (us: number): string => (us / 1000).toFixed(3);
const thousands = (n: number): string => Math.round(n).toLocaleString('en-US');

/** The run a "default configuration" target reads: W = auto, else the largest W measured. */
export function defaultRun(r: BenchResults): RouteRun | undefined {
  const runs = r.route?.runs ?? [];
  return (
    runs.find((x) => x.workers === r.route?.autoWorkers) ??
    [...runs].sort((a, b) => b.workers - a.workers)[0]
  );
}

function scalingTargets(r: BenchResults): TargetCheck[] {
  return (r.route?.runs ?? []).map((run) => {
    const pairs = pairLevels(run.levels).filter(
      (p) => p.node !== undefined && p.base !== undefined,
    );
    const parts: string[] = [];
    const judged: number[] = [];
    for (const p of pairs) {
      const ratio = p.node!.qps / p.base!.qps;
      const saturated = p.node!.generatorSaturated || p.base!.generatorSaturated;
      parts.push(`${p.label} ${pct(ratio)}${saturated ? ' (generator saturated)' : ''}`);
      if (!saturated) judged.push(ratio);
    }
    const none = pairs.length === 0;
    return {
      name: `route QPS vs a baseline of as many processes, W = ${run.workers}`,
      target: `≥ ${SCALING_RATIO * 100} % at each load until the generator saturates`,
      measured: none
        ? '–'
        : parts.join(', ') +
          (judged.length === 0 ? '; the generator saturated at every load: no verdict' : ''),
      met: judged.length === 0 ? null : judged.every((x) => x >= SCALING_RATIO),
    };
  });
}

function javaRouteTargets(r: BenchResults): TargetCheck[] {
  const run = defaultRun(r);
  const cores = r.machine.cores;
  return JAVA_ROUTE.map((j) => {
    const label = `${j.connections}×${j.inflight}`;
    const n = run?.levels.find((l) => l.target === 'node' && l.label === label);
    const goal =
      `≥ ${thousands(j.qps * ROUTE_QPS_FACTOR)} req/s, CPU ≤ ${f1(j.cpuUsPerRequest * ROUTE_CPU_FACTOR)} µs/req, ` +
      `p99 ≤ ${j.p99Ms} ms (Java ${thousands(j.qps)} req/s, ${j.cpuUsPerRequest} µs, ${j.p99Ms} ms; ${JAVA_CORES} cores)`;
    if (n === undefined || run === undefined) {
      return { name: `route ${label} vs Java`, target: goal, measured: 'not measured', met: null };
    }
    const ok =
      n.qps >= j.qps * ROUTE_QPS_FACTOR &&
      n.serverCpuUsPerRequest <= j.cpuUsPerRequest * ROUTE_CPU_FACTOR &&
      n.latency.p99Us / 1000 <= j.p99Ms;
    return {
      name: `route ${label} vs Java, W = ${run.workers}${run.workers === r.route?.autoWorkers ? ' (default)' : ''}`,
      target: goal,
      measured:
        `${thousands(n.qps)} req/s (${(n.qps / j.qps).toFixed(2)}× Java), ${f1(n.serverCpuUsPerRequest)} µs/req, p99 ${ms(n.latency.p99Us)} ms` +
        (cores >= JAVA_CORES
          ? ''
          : ` — no verdict: the target is for a ${JAVA_CORES}-core machine, this one has ${cores}`),
      met: cores >= JAVA_CORES ? ok : null,
    };
  });
}

function churnTargets(r: BenchResults): TargetCheck[] {
  return (r.churn?.runs ?? []).map(({ workers, modes }) => {
    const quiet = modes.find((m) => m.mode === 'quiet');
    const changed = modes.find((m) => m.mode === 'changed');
    const unchanged = modes.find((m) => m.mode === 'unchanged');
    const name = `lookup p99 while the brokers re-register with changed DataVersions, W = ${workers}`;
    const goal = `≤ ${CHURN_P99_FACTOR} × the idle p99`;
    if (quiet === undefined || changed === undefined) {
      return { name, target: goal, measured: '–', met: null };
    }
    const idle = quiet.lookups.latency.p99Us;
    const x = (m: typeof quiet): string =>
      `${ms(m.lookups.latency.p99Us)} ms (${(m.lookups.latency.p99Us / idle).toFixed(1)}×)`;
    return {
      name,
      target: goal,
      measured:
        `${x(changed)} vs idle ${ms(idle)} ms` +
        (unchanged === undefined ? '' : `; same DataVersion ${x(unchanged)}`) +
        `; longest serving stall ${changed.servingStallMs === undefined ? '–' : `${f1(changed.servingStallMs)} ms`}` +
        // How much of it the machine made: the serving loop runnable but without a CPU.
        (changed.servingWaitPct === undefined || quiet.servingWaitPct === undefined
          ? ''
          : `; serving loop waited for a CPU ${f1(changed.servingWaitPct)} % of the time (idle ${f1(quiet.servingWaitPct)} %)`),
      met: changed.lookups.latency.p99Us <= CHURN_P99_FACTOR * idle,
    };
  });
}

function registrationTargets(r: BenchResults): TargetCheck[] {
  const runs = r.registration?.runs ?? [];
  const out: TargetCheck[] = [];
  const phases: { phase: RegPhase; label: string; factor: number | null }[] = [
    {
      phase: 'changed1',
      label: 'changed DataVersion, 1 % of topics changed',
      factor: REGISTER_CHANGED_FACTOR,
    },
    { phase: 'first', label: 'new broker', factor: REGISTER_FIRST_FACTOR },
    { phase: 'unchanged', label: 'same DataVersion', factor: null },
  ];
  for (const [size, java] of Object.entries(JAVA_REGISTER)) {
    const topics = Number(size);
    for (const { phase, label, factor } of phases) {
      const javaMs =
        phase === 'first' ? java.firstMs : phase === 'changed1' ? java.changedMs : java.unchangedMs;
      const rows = runs.flatMap((run) =>
        run.rows.filter((x) => x.topics === topics && x.phase === phase),
      );
      const name = `REGISTER_BROKER ${thousands(topics)} topics, ${label}`;
      const target =
        factor === null
          ? `reference (Java ${javaMs} ms)`
          : `≤ ${f1(javaMs * factor)} ms (${factor === 0.25 ? '¼' : '½'} of Java's ${javaMs} ms)`;
      // Owner CPU too: on a shared machine the round trip includes time the node was not
      // running at all; the CPU it spent is what the work cost.
      const describe = (x: RegRow): string =>
        `W = ${x.workers}: ${f1(x.rttP50Ms)} ms (owner CPU ${f1(x.cpuP50Ms)} ms` +
        (x.servingStallMaxMs === undefined
          ? ')'
          : `, longest serving stall ${f1(x.servingStallMaxMs)} ms)`);
      out.push({
        name,
        target,
        measured:
          rows.length === 0
            ? 'not measured at this size'
            : rows.map(describe).join('; ') + ' — median round trip as the broker sees it',
        met:
          factor === null || rows.length === 0
            ? null
            : rows.every((x) => x.rttP50Ms <= javaMs * factor),
        ...(factor === null ? { reportOnly: true } : {}),
      });
    }
  }
  return out;
}

function twoCoreTarget(r: BenchResults): TargetCheck {
  const name =
    'route QPS at 16×1 on the 2-core machine vs the single-process node (nothing worse than today)';
  const target = `≥ ${TWO_CORE_TOLERANCE * 100} % of the single-process figure (node / baseline)`;
  if (r.machine.cores > 2) {
    return {
      name,
      target,
      measured: `no verdict: this machine has ${r.machine.cores} cores`,
      met: null,
    };
  }
  const run = defaultRun(r);
  const p = run === undefined ? undefined : pairLevels(run.levels).find((x) => x.label === '16×1');
  if (run === undefined || p?.node === undefined || p.base === undefined) {
    return { name, target, measured: 'not measured', met: null };
  }
  const ratio = p.node.qps / p.base.qps;
  const rel = ratio / PRE_SPLIT_16X1.ratio;
  const w1 = r.route?.runs.find((x) => x.workers === 1);
  const w2 = r.route?.runs.find((x) => x.workers === 2);
  const q = (x: RouteRun | undefined): number | undefined =>
    x?.levels.find((l) => l.target === 'node' && l.label === '16×1')?.qps;
  const q1 = q(w1);
  const q2 = q(w2);
  return {
    name,
    target,
    measured:
      `default W = ${run.workers}: ${pct(ratio)} of the baseline vs ${pct(PRE_SPLIT_16X1.ratio)} before the split ` +
      `(commit ${PRE_SPLIT_16X1.commit}) = ${pct(rel)} of it` +
      (q1 !== undefined && q2 !== undefined
        ? `; W = 2 reaches ${pct(q2 / q1)} of W = 1 in this run`
        : ''),
    met: rel >= TWO_CORE_TOLERANCE,
  };
}

function memoryTarget(r: BenchResults): TargetCheck | undefined {
  const runs = r.memory?.runs ?? [];
  if (runs.length === 0) return undefined;
  const first = runs[0]!;
  return {
    name: `RSS of the whole node, ${thousands(first.topics)} topics × ${first.groups} broker groups, every topic looked up`,
    target: 'reported per W',
    measured: runs
      .map((m) => {
        const a = m.afterLookups;
        return `W = ${m.workers}: ${a.nodeRssSumMiB === undefined ? '–' : f0(a.nodeRssSumMiB)} MiB RSS (PSS ${a.nodePssSumMiB === undefined ? '–' : f0(a.nodePssSumMiB)} MiB, ${a.processRssMiB.length} process${a.processRssMiB.length === 1 ? '' : 'es'})`;
      })
      .join('; '),
    met: null,
    reportOnly: true,
  };
}

/** Targets of earlier issues, read from the W = 1 runs (the single-process node). */
function earlierTargets(r: BenchResults): TargetCheck[] {
  const out: TargetCheck[] = [];
  const w1 = r.route?.runs.find((x) => x.workers === 1);
  const l16 = w1 === undefined ? undefined : pairLevels(w1.levels).find((p) => p.label === '16×1');
  const n16 = l16?.node;
  const b16 = l16?.base;
  const ratio = n16 === undefined || b16 === undefined ? undefined : (n16.qps / b16.qps) * 100;
  out.push({
    name: 'route QPS vs baseline at 16 connections, W = 1',
    target: '≥ 85 %',
    measured:
      ratio === undefined
        ? '–'
        : `${ratio.toFixed(1)} % (${n16!.qps.toFixed(0)} vs ${b16!.qps.toFixed(0)} req/s)`,
    met: ratio === undefined ? null : ratio >= 85,
  });
  out.push({
    name: 'route p99 at 16×1, W = 1',
    target: '≤ 1 ms',
    measured: n16 === undefined ? '–' : `${ms(n16.latency.p99Us)} ms`,
    met: n16 === undefined ? null : n16.latency.p99Us <= 1000,
  });
  const reg10k =
    r.registration?.runs
      .find((x) => x.workers === 1)
      ?.rows.filter((x) => x.topics === 10_000 && MASTER_REG_PHASES.includes(x.phase)) ?? [];
  const worst =
    reg10k.length === 0 ? undefined : reg10k.reduce((a, b) => (b.loopP50Ms > a.loopP50Ms ? b : a));
  out.push({
    name: '10,000-topic registration, event-loop time, W = 1',
    target: '≤ 20 ms',
    measured:
      worst === undefined
        ? 'not measured at this size'
        : reg10k.map((x) => `${x.phase} ${x.loopP50Ms.toFixed(1)} ms`).join(', ') + ' (median)',
    met: worst === undefined ? null : worst.loopP50Ms <= 20,
  });
  const mem = r.memory?.runs.find((x) => x.workers === 1);
  out.push({
    name: 'heap per (topic, broker) entry, W = 1',
    target: '≤ 300 B',
    measured:
      mem === undefined
        ? '–'
        : `${mem.heapBytesPerEntry.toFixed(0)} B (${mem.topics} × ${mem.groups})`,
    met: mem === undefined ? null : mem.heapBytesPerEntry <= 300,
  });
  // The cost is the main thread's CPU time per put (the loop's active time on a busy 2-core box
  // also counts waiting for a core, e.g. while the KV thread serializes); both are shown.
  const kv = r.kv?.sizes.find((x) => x.entries === 20_000);
  const kvCost =
    kv === undefined ? undefined : (kv.put.mainThreadCpuMsPerRequest ?? kv.put.loopMsPerRequest);
  out.push({
    name: 'KV put at 20,000 entries: serving-loop cost (main-thread CPU), W = 1',
    target: '≤ 1 ms',
    measured:
      kv === undefined
        ? '–'
        : `${kvCost!.toFixed(3)} ms CPU, ${kv.put.loopMsPerRequest.toFixed(3)} ms loop active (paced GET: ${kv.getPaced.mainThreadCpuMsPerRequest?.toFixed(3) ?? '–'} ms CPU, ${kv.getPaced.loopMsPerRequest.toFixed(3)} ms loop)`,
    met: kvCost === undefined ? null : kvCost <= 1,
  });
  const d = r.deadBroker;
  out.push({
    name: 'dead broker out of routes after its connection closes',
    target: '≤ one scan interval',
    measured:
      d === undefined
        ? '–'
        : `max ${d.closeToGoneMaxMs.toFixed(1)} ms (scan ${d.scanIntervalMs} ms)`,
    met: d === undefined ? null : d.closeToGoneMaxMs <= d.scanIntervalMs,
  });
  return out;
}

/** Issue 12's limits: memory and lookups under a partial-frame flood. */
function floodTargets(r: BenchResults): TargetCheck[] {
  const f = r.flood;
  const flood =
    f === undefined
      ? ''
      : ` (${f.connections} connections × ${f.sendMiB} MiB of ${f.announcedMiB} MiB frames)`;
  return [
    {
      name: `node RSS under a partial-frame flood${flood}`,
      target: '< 1 GiB',
      measured:
        f === undefined
          ? '–'
          : `peak ${f.peakRssMiB.toFixed(0)} MiB (VmHWM ${f.hwmRssMiB.toFixed(0)} MiB)`,
      met: f === undefined ? null : Math.max(f.peakRssMiB, f.hwmRssMiB) < 1024,
    },
    {
      name: 'route p99 of a well-behaved client during the flood',
      target: '< 10 ms, no failed lookup',
      measured:
        f === undefined
          ? '–'
          : `${(f.latency.p99Us / 1000).toFixed(2)} ms over ${f.probes} lookups, ${f.probeFailures} failed`,
      met: f === undefined ? null : f.latency.p99Us < 10_000 && f.probeFailures === 0,
    },
  ];
}

/** Every verdict of a full run, issue 11's first. */
export function evaluateTargets(r: BenchResults): TargetCheck[] {
  const mem = memoryTarget(r);
  return [
    ...scalingTargets(r),
    ...javaRouteTargets(r),
    twoCoreTarget(r),
    ...churnTargets(r),
    ...registrationTargets(r),
    ...(mem === undefined ? [] : [mem]),
    ...earlierTargets(r),
    ...floodTargets(r),
  ];
}
