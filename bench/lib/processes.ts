/**
 * Child processes under test: the `ns-server` bin, the baseline server, load generators.
 *
 * Every child is 127.0.0.1-only, asked for port 0 (the bound port is read back), killed on
 * stop (SIGTERM, then SIGKILL after a grace period) and also when the orchestrator exits.
 */
import { fork, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { SERVER_MAIN, serverNodeFlags } from './ns.js';

export const PROBE_URL = new URL('./probe.mjs', import.meta.url).href;
/**
 * tsx's loader, resolved from the repo root, so forked TypeScript children work from any cwd.
 * Resolved when first needed: vitest, which runs the flood scenario as an integration test, has
 * no import.meta.resolve (and that scenario forks no TypeScript child).
 */
export function tsxUrl(): string {
  return import.meta.resolve('tsx');
}

export interface ProbeSample {
  cpu: { user: number; system: number };
  eluActiveMs: number;
  /** CPU time of the process's main thread only (Linux /proc schedstat); null elsewhere. */
  mainThreadCpuMs: number | null;
  eluIdleMs: number;
  mem: NodeJS.MemoryUsage;
  hasGc: boolean;
  /** Longest event-loop delay since the last probe that reset it, ms (10 ms resolution). */
  loopDelayMaxMs: number;
  /** Longest GC pause in the same window, ms. */
  gcPauseMaxMs: number;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/**
 * A child we can probe (CPU, ELU, memory) and stop. The probe answers for this process only;
 * its children (serving workers, cluster workers) are read from /proc (lib/proc.ts).
 */
export class ProbedProcess {
  readonly port: number;
  /** The node's HTTP admin port (/metrics), when it has one. */
  readonly httpPort: number | null;
  /** Processes serving the port: W serving workers, or 1 when this process serves itself. */
  readonly servingProcesses: number;
  readonly child: ChildProcess;
  readonly logTail: string[];
  private probeSeq = 0;
  private exited: Promise<void>;

  constructor(
    child: ChildProcess,
    port: number,
    logTail: string[],
    extra: { httpPort?: number | null; servingProcesses?: number } = {},
  ) {
    this.child = child;
    this.port = port;
    this.httpPort = extra.httpPort ?? null;
    this.servingProcesses = extra.servingProcesses ?? 1;
    this.logTail = logTail;
    this.exited = new Promise((r) => {
      if (child.exitCode !== null || child.signalCode !== null) r();
      else child.once('exit', () => r());
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  probe(gc = false, timeoutMs = 10_000, resetLoopDelay = false): Promise<ProbeSample> {
    const id = ++this.probeSeq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.off('message', onMsg);
        reject(new Error(`probe of pid ${this.pid} timed out`));
      }, timeoutMs);
      const onMsg = (m: unknown): void => {
        const msg = m as { type?: string; id?: number } & ProbeSample;
        if (msg.type !== 'probe' || msg.id !== id) return;
        clearTimeout(timer);
        this.child.off('message', onMsg);
        resolve(msg);
      };
      this.child.on('message', onMsg);
      this.child.send({ type: 'probe', id, gc, resetLoopDelay });
    });
  }

  async stop(graceMs = 3000): Promise<void> {
    if (!this.isRunning) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }

  kill(): Promise<void> {
    if (this.isRunning) this.child.kill('SIGKILL');
    return this.exited;
  }
}

function collectLines(child: ChildProcess, tail: string[], onLine?: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue;
    // Always drained: a full pipe would block the server's (synchronous) log writes.
    createInterface({ input: stream }).on('line', (line) => {
      tail.push(line);
      if (tail.length > 40) tail.shift();
      onLine?.(line);
    });
  }
}

let defaultCpuProfDir: string | undefined;
let cpuProfIntervalUs: number | undefined;

/**
 * With `--cpu-prof`: every node started from now on writes a V8 CPU profile into `dir` on exit,
 * sampled every `intervalUs` microseconds (V8's default, 1,000, when absent).
 */
export function setCpuProfDir(dir: string | undefined, intervalUs?: number): void {
  if (intervalUs !== undefined && !(Number.isInteger(intervalUs) && intervalUs > 0)) {
    throw new Error(
      `--cpu-prof-interval: expected a whole number of microseconds > 0, got ${intervalUs}`,
    );
  }
  defaultCpuProfDir = dir;
  cpuProfIntervalUs = intervalUs;
}

/** Notes the event-loop gaps of a profiled process next to its profile (see loop-gaps.mjs). */
const LOOP_GAPS_URL = new URL('./loop-gaps.mjs', import.meta.url).href;

/** node flags that make a process write its CPU profile (and its loop gaps) into `dir`. */
function cpuProfFlags(dir: string): string[] {
  return [
    '--import',
    LOOP_GAPS_URL,
    '--cpu-prof',
    `--cpu-prof-dir=${dir}`,
    ...(cpuProfIntervalUs === undefined ? [] : [`--cpu-prof-interval=${cpuProfIntervalUs}`]),
  ];
}

export interface NameServerOptions {
  /** Extra `--key=value` flags. */
  args?: string[];
  /** `--servingWorkers` (1 = a single process); the node's default (auto) when absent. */
  workers?: number;
  exposeGc?: boolean;
  /** Directory for `node --cpu-prof` output; profiling is off when absent. */
  cpuProfDir?: string;
  startTimeoutMs?: number;
  /** Contents of the node's kvConfig.json, written before it starts (default: no file). */
  kvConfigJson?: string;
  /** The node's KV file (default: a fresh one in the node's temporary directory). */
  kvConfigPath?: string;
}

/**
 * Starts the real `ns-server` bin and waits for its `{"event":"listening"}` line. The HTTP admin
 * port is on too (127.0.0.1, port 0): the harness reads the stall gauges from /metrics.
 */
export async function startNameServer(options: NameServerOptions = {}): Promise<ProbedProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'ns-bench-'));
  if (options.kvConfigJson !== undefined) {
    writeFileSync(join(dir, 'kvConfig.json'), options.kvConfigJson);
  }
  // BENCH_SERVER_ENTRY: run another entry (e.g. packages/server/src/main.ts through tsx) while
  // developing the harness; results from such runs are not comparable and are labelled so.
  const entry = process.env['BENCH_SERVER_ENTRY'] ?? SERVER_MAIN;
  const nodeArgs = [...serverNodeFlags(), '--import', PROBE_URL];
  if (entry.endsWith('.ts')) nodeArgs.push('--import', tsxUrl());
  if (options.exposeGc === true) nodeArgs.push('--expose-gc');
  const profDir = options.cpuProfDir ?? defaultCpuProfDir;
  if (profDir !== undefined) nodeArgs.push(...cpuProfFlags(profDir));
  const child = track(
    spawn(
      process.execPath,
      [
        ...nodeArgs,
        entry,
        '--listenPort=0',
        '--bindAddress=127.0.0.1',
        '--httpPort=0',
        '--httpBindAddress=127.0.0.1',
        `--kvConfigPath=${options.kvConfigPath ?? join(dir, 'kvConfig.json')}`,
        `--configStorePath=${join(dir, 'namesrv.properties')}`,
        ...(options.workers === undefined ? [] : [`--servingWorkers=${options.workers}`]),
        ...(options.args ?? []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
    ),
  );
  child.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const tail: string[] = [];
  const listening = await new Promise<{ port: number; httpPort: number | null }>(
    (resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(
          new Error(
            `ns-server did not report listening within ${options.startTimeoutMs ?? 15000} ms:\n${tail.join('\n')}`,
          ),
        );
      }, options.startTimeoutMs ?? 15_000);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(`ns-server exited early (code ${code}, signal ${signal}):\n${tail.join('\n')}`),
        );
      });
      collectLines(child, tail, (line) => {
        if (!line.startsWith('{')) return;
        try {
          const ev = JSON.parse(line) as { event?: string; port?: number; httpPort?: number };
          if (ev.event === 'listening' && typeof ev.port === 'number') {
            clearTimeout(timer);
            resolve({
              port: ev.port,
              httpPort: typeof ev.httpPort === 'number' ? ev.httpPort : null,
            });
          }
        } catch {
          // a log line that is not JSON: ignore
        }
      });
    },
  );
  return new ProbedProcess(child, listening.port, tail, {
    httpPort: listening.httpPort,
    servingProcesses: Math.max(1, options.workers ?? 1),
  });
}

const BASELINE_MAIN = fileURLToPath(new URL('../baseline-server.ts', import.meta.url));

/**
 * Starts the baseline server (bench/baseline-server.ts) answering every request with
 * `responseFrame` (its opaque slot patched per request). With `workers` > 1 it is a node:cluster
 * primary that accepts and hands each connection to one of `workers` processes, the shape of a
 * node with that many serving workers.
 */
export async function startBaseline(responseFrame: Buffer, workers = 1): Promise<ProbedProcess> {
  const child = track(
    fork(BASELINE_MAIN, [], {
      execArgv: [
        '--import',
        tsxUrl(),
        '--import',
        PROBE_URL,
        ...(defaultCpuProfDir === undefined ? [] : cpuProfFlags(defaultCpuProfDir)),
      ],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    }),
  );
  const tail: string[] = [];
  collectLines(child, tail);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`baseline did not start:\n${tail.join('\n')}`));
    }, 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`baseline exited early (code ${code}):\n${tail.join('\n')}`));
    });
    child.on('message', (m: { type?: string; port?: number }) => {
      if (m.type === 'ready')
        child.send({ type: 'start', responseFrame: new Uint8Array(responseFrame), workers });
      if (m.type === 'listening' && typeof m.port === 'number') {
        clearTimeout(timer);
        resolve(m.port);
      }
    });
  });
  return new ProbedProcess(child, port, tail, { servingProcesses: workers });
}

/** Forks a TypeScript module of bench/lib as a child with structured-clone IPC. */
export function forkTs(modulePath: string, args: string[] = []): ChildProcess {
  const child = fork(modulePath, args, {
    execArgv: ['--import', tsxUrl()],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  return track(child);
}
