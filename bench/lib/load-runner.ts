/**
 * Runs one load level against one target: forks the generator processes, splits the
 * connections among them, starts them together, samples the target's CPU over the same window,
 * and merges what they report.
 */
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { Histogram } from './histogram.js';
import type { HistogramSnapshot, LatencySummary } from './histogram.js';
import type { FromWorker, LoadConfig, LoadResult, ToWorker } from './load-protocol.js';
import { forkTs } from './processes.js';
import type { ProbedProcess, ProbeSample } from './processes.js';
import { machineBusyPct, machineCpu, treeCpuSeconds } from './proc.js';

const WORKER = fileURLToPath(new URL('./load-worker.ts', import.meta.url));

export interface LevelSpec {
  connections: number;
  inflight: number;
  generators: number;
}

export interface Timing {
  warmupMs: number;
  durationMs: number;
  drainMs: number;
}

export interface LevelResult extends LevelSpec {
  /** Merged latency histogram (dropped from the written results). */
  histogram?: HistogramSnapshot;
  /** req/s of each round, when the level ran in several (see mergeRounds). */
  roundsQps?: number[];
  target: string;
  /** Processes answering the port: the node's serving workers (1 = single process) or the baseline's. */
  servingProcesses: number;
  label: string;
  qps: number;
  latency: LatencySummary;
  errors: Record<string, number>;
  errorCount: number;
  errorSamples: string[];
  /**
   * Target CPU over the window, % of one core (user + system, all threads): the whole process
   * tree (owner + serving workers, primary + cluster workers) from /proc.
   */
  serverCpuPct: number;
  /** Target tree CPU time per answered request over the window, µs. */
  serverCpuUsPerRequest: number;
  /** Event-loop utilization of the target's first process (the owner), %. */
  serverEluPct: number;
  /** The whole machine's CPU busy over the window, % of all cores (other tenants included). */
  machineBusyPct: number;
  /** Sum over generator processes, % of one core. */
  generatorCpuPct: number;
  /** Highest generator event-loop utilization, % (near 100 = the generator is the bottleneck). */
  generatorEluMaxPct: number;
  /** A generator's event loop was busy ≥ GENERATOR_SATURATED_ELU_PCT: it, not the target, set the pace. */
  generatorSaturated: boolean;
}

/** A generator whose event loop is this busy cannot send faster: the level measures it. */
export const GENERATOR_SATURATED_ELU_PCT = 90;

/** `C×I`; the number of generator processes is a column of its own. */
export function levelLabel(l: Pick<LevelSpec, 'connections' | 'inflight'>): string {
  return `${l.connections}×${l.inflight}`;
}

function waitMessage<T extends FromWorker['type']>(
  child: ChildProcess,
  type: T,
  timeoutMs: number,
): Promise<Extract<FromWorker, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`load generator: no '${type}' within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMsg = (m: FromWorker): void => {
      if (m.type === 'fatal') {
        cleanup();
        reject(new Error(`load generator failed: ${m.message}`));
      } else if (m.type === type) {
        cleanup();
        resolve(m as Extract<FromWorker, { type: T }>);
      }
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`load generator exited (code ${code}) before '${type}'`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMsg);
      child.off('exit', onExit);
    };
    child.on('message', onMsg);
    child.once('exit', onExit);
  });
}

function cpuPct(a: ProbeSample, b: ProbeSample, wallMs: number): number {
  const us = b.cpu.user - a.cpu.user + (b.cpu.system - a.cpu.system);
  return (us / 1000 / wallMs) * 100;
}

export function eluPct(a: ProbeSample, b: ProbeSample): number {
  const active = b.eluActiveMs - a.eluActiveMs;
  const idle = b.eluIdleMs - a.eluIdleMs;
  return active + idle > 0 ? (active / (active + idle)) * 100 : 0;
}

/**
 * Generator processes, reused across levels; `close()` ends them. A process that failed is
 * dropped, and a fresh one is forked next time.
 */
export class GeneratorPool {
  private readonly idle: ChildProcess[] = [];

  acquire(): ChildProcess {
    for (;;) {
      const c = this.idle.pop();
      if (c === undefined) return forkTs(WORKER);
      if (c.exitCode === null && c.signalCode === null && c.connected) return c;
    }
  }

  release(c: ChildProcess): void {
    if (c.exitCode === null && c.connected) this.idle.push(c);
  }

  close(): void {
    for (const c of this.idle.splice(0)) c.disconnect();
  }
}

const defaultPool = new GeneratorPool();

/** Ends the generator processes kept for reuse. */
export function closeGenerators(): void {
  defaultPool.close();
}

export async function runLevel(
  targetName: string,
  target: ProbedProcess,
  level: LevelSpec,
  timing: Timing,
  requests: Buffer[],
  expectedBodies: Buffer[],
  options: { recordDrain?: boolean } = {},
): Promise<LevelResult> {
  const gens = Math.min(level.generators, level.connections);
  const children: ChildProcess[] = [];
  let ok = false;
  try {
    for (let g = 0; g < gens; g++) {
      const connections =
        Math.floor(level.connections / gens) + (g < level.connections % gens ? 1 : 0);
      const child = defaultPool.acquire();
      children.push(child);
      const config: LoadConfig = {
        host: '127.0.0.1',
        port: target.port,
        connections,
        inflight: level.inflight,
        ...timing,
        maxRequests: 50_000_000,
        requests: requests.map((r) => new Uint8Array(r)),
        expectedBodies: expectedBodies.map((r) => new Uint8Array(r)),
        startOffset: g * 104729,
        ...(options.recordDrain === true ? { recordDrain: true } : {}),
      };
      child.send({ type: 'run', config } satisfies ToWorker);
    }
    await Promise.all(children.map((c) => waitMessage(c, 'ready', 20_000)));
    const results = children.map((c) =>
      waitMessage(c, 'result', timing.warmupMs + timing.durationMs + timing.drainMs + 20_000),
    );
    for (const c of children) c.send({ type: 'go' } satisfies ToWorker);
    // The target's counters over (approximately) the generators' window.
    await new Promise((r) => setTimeout(r, timing.warmupMs));
    const t0 = performance.now();
    const c0 = treeCpuSeconds(target.pid);
    const m0 = machineCpu();
    const p0 = await target.probe();
    await new Promise((r) => setTimeout(r, timing.durationMs));
    const p1 = await target.probe();
    const c1 = treeCpuSeconds(target.pid);
    const m1 = machineCpu();
    const wall = performance.now() - t0;
    const done: LoadResult[] = (await Promise.all(results)).map((m) => m.result);

    const hist = Histogram.fromSnapshots(done.map((d) => d.histogram));
    const errors: Record<string, number> = {};
    const errorSamples: string[] = [];
    for (const d of done) {
      for (const [k, v] of Object.entries(d.errors)) errors[k] = (errors[k] ?? 0) + v;
      errorSamples.push(...d.errorSamples);
    }
    ok = true;
    const qps = done.reduce((s, d) => s + (d.completed / d.windowMs) * 1000, 0);
    // /proc when it is there (all the target's processes); else the probe (its first process).
    const treeCpuPct =
      c0 === undefined || c1 === undefined
        ? cpuPct(p0, p1, wall)
        : ((c1 - c0) / (wall / 1000)) * 100;
    const generatorEluMaxPct = Math.max(...done.map((d) => d.elu * 100));
    return {
      target: targetName,
      servingProcesses: target.servingProcesses,
      label: levelLabel(level),
      connections: level.connections,
      inflight: level.inflight,
      generators: gens,
      histogram: hist.snapshot(),
      qps,
      latency: hist.summary(),
      errors,
      errorCount: Object.values(errors).reduce((a, b) => a + b, 0),
      errorSamples: errorSamples.slice(0, 10),
      serverCpuPct: treeCpuPct,
      // CPU seconds per second / requests per second.
      serverCpuUsPerRequest: qps > 0 ? ((treeCpuPct / 100) * 1e6) / qps : NaN,
      serverEluPct: eluPct(p0, p1),
      machineBusyPct: machineBusyPct(m0, m1),
      generatorCpuPct: done.reduce(
        (s, d) => s + ((d.cpuUserUs + d.cpuSystemUs) / 1000 / d.windowMs) * 100,
        0,
      ),
      generatorEluMaxPct,
      generatorSaturated: generatorEluMaxPct >= GENERATOR_SATURATED_ELU_PCT,
    };
  } finally {
    for (const c of children) {
      if (ok) defaultPool.release(c);
      else if (c.exitCode === null) c.kill('SIGKILL');
    }
  }
}

/**
 * One result from several equal-length rounds of the same level and target: mean rates and
 * CPU, merged latency histogram, summed errors. Used for A-B-B-A ordering, which cancels a
 * linear drift in machine load between the node and the baseline.
 */
export function mergeRounds(rounds: LevelResult[]): LevelResult {
  const first = rounds[0]!;
  const mean = (f: (r: LevelResult) => number): number =>
    rounds.reduce((s, r) => s + f(r), 0) / rounds.length;
  const hist = Histogram.fromSnapshots(
    rounds.flatMap((r) => (r.histogram === undefined ? [] : [r.histogram])),
  );
  const errors: Record<string, number> = {};
  for (const r of rounds)
    for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  return {
    ...first,
    histogram: hist.snapshot(),
    roundsQps: rounds.map((r) => r.qps),
    qps: mean((r) => r.qps),
    latency: hist.summary(),
    errors,
    errorCount: rounds.reduce((s, r) => s + r.errorCount, 0),
    errorSamples: rounds.flatMap((r) => r.errorSamples).slice(0, 10),
    serverCpuPct: mean((r) => r.serverCpuPct),
    // Total CPU over total requests of the (equal-length) rounds.
    serverCpuUsPerRequest:
      ((mean((r) => r.serverCpuPct) / 100) * 1e6) /
      Math.max(
        1e-9,
        mean((r) => r.qps),
      ),
    serverEluPct: mean((r) => r.serverEluPct),
    machineBusyPct: mean((r) => r.machineBusyPct),
    generatorCpuPct: mean((r) => r.generatorCpuPct),
    generatorEluMaxPct: Math.max(...rounds.map((r) => r.generatorEluMaxPct)),
    generatorSaturated: rounds.some((r) => r.generatorSaturated),
  };
}
