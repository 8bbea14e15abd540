/**
 * Stopping never leaves a process behind, whatever stdout and stderr are: a pipe whose reader
 * died (`ns-server 2>&1 | tee log`, then Ctrl-C kills tee first), a pipe nobody reads (a stalled
 * consumer: `2>&1` into one full pipe), or a terminal. Covers the three long-running programs:
 * ns-server, ns-addr-service and ns-broker-agent. The bound is 2 s from the signal; with one full
 * pipe it is 3 s, as each program then waits up to 1 s for its output by design (measured: about
 * 1.1 s for ns-server, 0.5 s for the others), and the same 2 s of slack for a loaded machine.
 *
 * These programs cannot report their port on an unreadable stdout, so they are given ports found
 * free just before (free-port.ts) and readiness is probed from outside (ns-server: its /readyz,
 * 200 once started; with serving workers it accepts connections before its workers are up).
 *
 * ns-server runs both as one process (W=1) and with two serving worker processes (W=2), which
 * write their logs to the same stderr: then the bound covers the workers too, each found in /proc
 * before the signal and required gone (exited, at most a zombie) within the same 2 s.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRequest, encodeCommand, RequestCode } from '@ns/protocol';
import { freePort } from '../harness/free-port.js';
import { fullPipe } from '../harness/full-pipe.js';
import { startNameServer } from '../harness/name-server.js';
import type { NameServerNode } from '../harness/name-server.js';
import { requireBuilt } from '../harness/paths.js';
import type { EntryName } from '../harness/paths.js';
import { createProbe, getClusterInfo } from '../harness/probe.js';
import { uniqueName, useScope } from '../harness/scope.js';
import type { TestScope } from '../harness/scope.js';
import { hasExited, procStat, servingWorkers } from '../harness/serving-workers.js';
import type { ProcStat } from '../harness/serving-workers.js';
import { waitFor } from '../harness/wait-for.js';

const EXIT_WITHIN_MS = 2_000;
/** With stdout and stderr one full pipe: the 1 s the programs give their output, plus the 2 s. */
const FULL_PIPE_EXIT_WITHIN_MS = 3_000;
const READY_TIMEOUT_MS = 20_000;

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly exited: Promise<Exit>;
  /** What it printed on the stdio that are ordinary pipes. */
  output(): string;
}

/** How the child's stdout and stderr are connected. */
type Stdio =
  | { readonly kind: 'pipes' }
  | { readonly kind: 'full-pipe'; readonly fd: number }
  | { readonly kind: 'terminal' };

function spawnChild(
  scope: TestScope,
  name: string,
  command: string,
  args: readonly string[],
  stdio: StdioOptions,
  env: Readonly<Record<string, string>> = {},
): Child {
  const proc = spawn(command, args, { stdio, env: { ...process.env, ...env } });
  let out = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<Exit>((resolve) => {
    proc.once('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
  scope.defer(`kill ${name}`, async () => {
    scope.note(`[${name}] output on readable pipes:\n${out}`);
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
  });
  return { name, proc, exited, output: () => out };
}

/** Runs the built entry point with stdout and stderr connected as `stdio` says. */
function spawnEntry(
  scope: TestScope,
  entry: EntryName,
  args: readonly string[],
  stdio: Stdio,
  env: Readonly<Record<string, string>> = {},
): Child {
  const path = requireBuilt(entry);
  switch (stdio.kind) {
    case 'pipes':
      return spawnChild(
        scope,
        entry,
        process.execPath,
        [path, ...args],
        ['ignore', 'pipe', 'pipe'],
        env,
      );
    case 'full-pipe':
      // `2>&1 | stalled-consumer`: both on the same full pipe.
      return spawnChild(
        scope,
        entry,
        process.execPath,
        [path, ...args],
        ['ignore', stdio.fd, stdio.fd],
        env,
      );
    case 'terminal': {
      // util-linux script(1) runs the command on a new pseudo-terminal; -e passes its exit code.
      const quoted = [process.execPath, path, ...args].map(
        (a) => `'${a.replaceAll("'", `'\\''`)}'`,
      );
      return spawnChild(
        scope,
        entry,
        'script',
        ['-qefc', `exec ${quoted.join(' ')}`, '/dev/null'],
        ['pipe', 'pipe', 'pipe'],
        env,
      );
    }
  }
}

/** A started program: the child, and the serving worker processes that must exit with it. */
interface Started {
  readonly child: Child;
  readonly workers: readonly ProcStat[];
}

/**
 * Signals `pid` (the child's by default; negative: a process group) and waits for the child's
 * exit and then for every one of `workers` to be gone, failing `withinMs` (EXIT_WITHIN_MS unless
 * given) after the signal.
 */
async function signalAndWait(
  child: Child,
  signal: NodeJS.Signals,
  options: {
    readonly pid?: number;
    readonly workers?: readonly ProcStat[];
    readonly withinMs?: number;
  } = {},
): Promise<Exit & { readonly ms: number }> {
  const withinMs = options.withinMs ?? EXIT_WITHIN_MS;
  const pid = options.pid ?? child.proc.pid;
  if (pid === undefined) throw new Error(`${child.name} has no pid`);
  const startedAt = Date.now();
  process.kill(pid, signal);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${child.name} still running ${withinMs} ms after ${signal}`));
    }, withinMs);
  });
  let exit: Exit;
  try {
    exit = await Promise.race([child.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
  const workers = options.workers ?? [];
  await waitFor(() => workers.every(hasExited), {
    timeout: Math.max(0, startedAt + withinMs - Date.now()),
    what: `${child.name}'s serving workers (${workers.map((w) => w.pid).join(', ')}) gone ${withinMs} ms after ${signal}`,
  });
  return { ...exit, ms: Date.now() - startedAt };
}

/**
 * The serving worker processes of a node process started with `--servingWorkers=count`, once all
 * run (none for 1).
 */
async function workersOf(child: Child, count: number): Promise<ProcStat[]> {
  const pid = child.proc.pid;
  if (pid === undefined) throw new Error(`${child.name} has no pid`);
  const expected = count === 1 ? 0 : count;
  return waitFor(
    () => {
      const found = servingWorkers(pid);
      return found.length === expected ? found : undefined;
    },
    { timeout: READY_TIMEOUT_MS, what: `${expected} serving worker(s) of ${child.name}` },
  );
}

function connectOnce(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

async function startServer(
  scope: TestScope,
  stdio: Stdio,
  servingWorkerCount: number,
  extraArgs: string[] = [],
) {
  // The ports are picked before the child binds them (its stdout may be a pipe nobody reads, so it
  // cannot report ports it chose), and another test's process may take one meanwhile: a child that
  // exits during start is retried with new ports (free-port.ts), twice; a third exit fails.
  for (let attempt = 1; ; attempt++) {
    const dir = await scope.tempDir('ns');
    const port = await freePort();
    let httpPort = await freePort();
    while (httpPort === port) httpPort = await freePort();
    const child = spawnEntry(
      scope,
      'server',
      [
        '--bindAddress=127.0.0.1',
        `--listenPort=${port}`,
        `--httpPort=${httpPort}`,
        '--httpBindAddress=127.0.0.1',
        `--servingWorkers=${servingWorkerCount}`,
        `--kvConfigPath=${join(dir, 'kvConfig.json')}`,
        `--configStorePath=${join(dir, 'namesrv.properties')}`,
        ...extraArgs,
      ],
      stdio,
      { HOME: dir },
    );
    const outcome = await waitFor(
      async () => {
        if (child.proc.exitCode !== null) return 'exited';
        return (await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status === 200 ? 'ready' : null;
      },
      { timeout: READY_TIMEOUT_MS, what: 'ns-server answering /readyz with 200' },
    );
    if (outcome === 'ready') {
      return { child, port, workers: await workersOf(child, servingWorkerCount) };
    }
    if (attempt === 3) throw new Error(`${child.name} exited during start 3 times`);
    console.info(
      `[stdio-shutdown] ${child.name} exited during start (code ${child.proc.exitCode}; ports ${port}, ${httpPort} taken meanwhile?): retrying with new ports`,
    );
  }
}

async function startAddressService(scope: TestScope, stdio: Stdio): Promise<Child> {
  // A port picked free can be taken before the service binds it (its stdout may be closed in
  // these tests, so it cannot tell us a port of its own choosing): then it exits, and is retried.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawnEntry(
      scope,
      'addressService',
      ['--env', 'NS_IT_LIST', '--host', '127.0.0.1', '--port', String(port)],
      stdio,
      { NS_IT_LIST: '127.0.0.1:9876' },
    );
    const outcome = await waitFor(
      async () => {
        if (child.proc.exitCode !== null) return 'exited';
        return (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200 ? 'ready' : null;
      },
      { timeout: READY_TIMEOUT_MS, what: 'ns-addr-service answering /healthz' },
    );
    if (outcome === 'ready') return child;
    if (attempt === 3) throw new Error(`${child.name} exited during start 3 times`);
    console.info(
      `[stdio-shutdown] ${child.name} exited during start (code ${child.proc.exitCode}; port ${port} taken meanwhile?): retrying with a new port`,
    );
  }
}

async function startAgent(scope: TestScope, stdio: Stdio, node: NameServerNode): Promise<Child> {
  const brokerName = uniqueName('broker');
  const child = spawnEntry(
    scope,
    'brokerAgent',
    [
      '--namesrv-addr',
      node.addr,
      '--broker-name',
      brokerName,
      '--broker-addr',
      '127.0.0.1:10911',
      '--unregister-timeout',
      '1000',
    ],
    stdio,
  );
  const probe = createProbe(scope);
  await waitFor(
    async () => {
      if (child.proc.exitCode !== null) throw new Error(`${child.name} exited early`);
      const info = await getClusterInfo(probe, node.addr);
      return Object.hasOwn(info.brokerAddrTable, brokerName);
    },
    { timeout: READY_TIMEOUT_MS, what: `${brokerName} registered` },
  );
  return child;
}

interface Program {
  readonly name: string;
  start(scope: TestScope, stdio: Stdio): Promise<Started>;
}

const PROGRAMS: readonly Program[] = [
  { name: 'ns-server (W=1)', start: (scope, stdio) => startServer(scope, stdio, 1) },
  { name: 'ns-server (W=2)', start: (scope, stdio) => startServer(scope, stdio, 2) },
  {
    name: 'ns-addr-service',
    start: async (scope, stdio) => ({
      child: await startAddressService(scope, stdio),
      workers: [],
    }),
  },
  {
    name: 'ns-broker-agent',
    start: async (scope, stdio) => ({
      child: await startAgent(
        scope,
        stdio,
        await startNameServer(scope, { name: uniqueName('ns') }),
      ),
      workers: [],
    }),
  },
];

describe('stopping with a dead or stuck stdout/stderr', () => {
  describe.each(PROGRAMS)('$name', (program) => {
    it('SIGTERM exits 0 within 2 s after the reader of stdout and stderr went away', async () => {
      const scope = useScope();
      const { child, workers } = await program.start(scope, { kind: 'pipes' });
      // Both reading ends closed: every further write gets EPIPE.
      child.proc.stdout?.destroy();
      child.proc.stderr?.destroy();
      const exit = await signalAndWait(child, 'SIGTERM', { workers });
      expect(exit).toMatchObject({ code: 0, signal: null });
      console.info(`[stdio-shutdown] ${program.name}, reader gone: exited in ${exit.ms} ms`);
    });

    it('SIGTERM exits 0 within 3 s when stdout and stderr are one full pipe nobody reads', async () => {
      const scope = useScope();
      const pipe = await fullPipe(scope, 'full');
      const { child, workers } = await program.start(scope, { kind: 'full-pipe', fd: pipe.fd });
      const exit = await signalAndWait(child, 'SIGTERM', {
        workers,
        withinMs: FULL_PIPE_EXIT_WITHIN_MS,
      });
      expect(exit).toMatchObject({ code: 0, signal: null });
      console.info(`[stdio-shutdown] ${program.name}, full pipe: exited in ${exit.ms} ms`);
    });
  });

  describe.each([1, 2])('ns-server (W=%i)', (servingWorkerCount) => {
    it('a second signal exits 3 within 3 s while shutdown waits and the pipe is full', async () => {
      const scope = useScope();
      const pipe = await fullPipe(scope, 'full');
      const { child, port, workers } = await startServer(
        scope,
        { kind: 'full-pipe', fd: pipe.fd },
        servingWorkerCount,
        ['--shutdownTimeoutMillis=60000'],
      );
      // Half-open peer: it never answers the server's FIN, so graceful close would wait a minute
      // (with serving workers, the worker it was handed to waits for it).
      const stubborn = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
      scope.defer('close stubborn peer', () => stubborn.destroy());
      await new Promise((resolve, reject) => {
        stubborn.once('connect', resolve).once('error', reject);
      });
      // It asks something first: a connection is served once its first byte said plain or TLS
      // (one that never sent anything is simply dropped at shutdown).
      stubborn.write(
        encodeCommand(createRequest({ code: RequestCode.GET_BROKER_CLUSTER_INFO, opaque: 1 })),
      );
      await new Promise((resolve) => stubborn.once('data', resolve));
      child.proc.kill('SIGTERM');
      // The listening socket closes first thing in shutdown: then the first signal has been
      // handled.
      await waitFor(
        async () => {
          try {
            (await connectOnce(port)).destroy();
            return false;
          } catch {
            return true;
          }
        },
        { timeout: 10_000, what: 'ns-server to stop accepting after the first SIGTERM' },
      );
      expect(child.proc.exitCode).toBeNull();
      const exit = await signalAndWait(child, 'SIGTERM', {
        workers,
        withinMs: FULL_PIPE_EXIT_WITHIN_MS,
      });
      expect(exit).toMatchObject({ code: 3, signal: null });
    });

    // Ctrl-C is SIGINT to the terminal's foreground process group; closing the terminal is SIGHUP
    // to it. The serving workers ignore both and wait for the owner's 'shutdown'.
    it.for([
      ['Ctrl-C', 'SIGINT'],
      ['closing it', 'SIGHUP'],
    ] as const)(
      'in a terminal: %s (%s to the process group) exits 0 within 2 s',
      async ([, signal], { skip }) => {
        if (spawnSync('script', ['--version']).status !== 0) {
          console.warn(
            '[stdio-shutdown] SKIPPED the terminal case: util-linux script(1), which provides the pseudo-terminal, is not installed',
          );
          skip();
        }
        const scope = useScope();
        const child = spawnEntry(
          scope,
          'server',
          [
            '--bindAddress=127.0.0.1',
            '--listenPort=0',
            '--httpPort=-1',
            `--servingWorkers=${servingWorkerCount}`,
          ],
          { kind: 'terminal' },
          { HOME: await scope.tempDir('tty') },
        );
        await waitFor(() => child.output().includes('"event":"listening"'), {
          timeout: READY_TIMEOUT_MS,
          what: 'the listening line on the terminal',
        });
        // script(1) is the child; the server's pid is in its first log line (a serving worker's
        // lines carry its own pid and a `worker` field).
        const pid = Number(/"pid":(\d+)/.exec(child.output())?.[1]);
        expect(pid).toBeGreaterThan(0);
        const server = procStat(pid);
        expect(server, `process ${pid}`).not.toBeNull();
        expect(servingWorkers(server!.ppid), 'the logged pid is a serving worker').toEqual([]);
        const workers = servingWorkers(pid);
        expect(workers).toHaveLength(servingWorkerCount === 1 ? 0 : servingWorkerCount);
        // script(1) runs the server as the leader of the terminal's foreground process group, its
        // workers in it: the signal reaches all of them.
        expect(server!.pgrp).toBe(pid);
        for (const w of workers) expect(w.pgrp).toBe(pid);
        const exit = await signalAndWait(child, signal, { pid: -pid, workers });
        expect(exit).toMatchObject({ code: 0, signal: null });
        // The terminal got the whole shutdown log (script's output may arrive just after its
        // exit).
        await waitFor(() => child.output().includes('name server stopped'), {
          timeout: 5_000,
          what: 'the last log line on the terminal',
        });
        // The workers ignored the signal and stopped when the owner asked (exit 0): a worker
        // the signal ended is logged either as replaced or as ended abnormally.
        expect(child.output()).not.toMatch(/serving worker exited|ended abnormally/);
      },
    );
  });
});
