/**
 * `ns-broker-agent` as a child process (built with `tsc -b` first) against real in-process
 * NameServers: registers, prints the machine-readable line, unregisters on SIGTERM, exits 0.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NameServerCluster,
  refusedAddr,
  startBlackHole,
  uniq,
  waitFor,
} from './name-server-cluster.js';
import { inCluster, routeAddr } from './agent-helpers.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const CLI = join(ROOT, 'packages/broker-agent/dist/cli.js');

let cluster: NameServerCluster;
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  await promisify(execFile)(join(ROOT, 'node_modules/.bin/tsc'), ['-b', 'packages/broker-agent'], {
    cwd: ROOT,
  });
  cluster = await NameServerCluster.start(3);
  dir = mkdtempSync(join(tmpdir(), 'ns-agent-cli-'));
}, 120_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await cluster.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  stdoutLines: () => Record<string, unknown>[];
  stderr: () => string;
  exited: Promise<number | null>;
}

function run(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  // 'close', not 'exit': only then has every byte of stdout and stderr been read.
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return {
    child,
    stdoutLines: () =>
      out
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    stderr: () => err,
    exited,
  };
}

describe('ns-broker-agent CLI', () => {
  it('registers from a .properties topics file and unregisters on SIGTERM', async () => {
    const topicsFile = join(dir, 'topics.properties');
    const topic = uniq('CliTopic');
    writeFileSync(topicsFile, `# test topics\n${topic}=4\n${topic}-b=2,2,6\n`);
    const brokerName = uniq('cli-broker');
    const clusterName = uniq('cli-cluster');
    const r = run([
      '-n',
      cluster.addrs.join(';'),
      '--cluster',
      clusterName,
      '--broker-name',
      brokerName,
      '--broker-addr',
      '127.0.0.1:41911',
      '--topics',
      topicsFile,
    ]);
    // The round is logged on stderr before the line on stdout is printed, but the two pipes are
    // read independently: wait for both.
    await waitFor(
      `the registered line and the round log (stderr so far: ${r.stderr().slice(0, 2000)})`,
      () =>
        (r.stdoutLines().length > 0 && r.stderr().includes('"event":"round"')) ||
        r.child.exitCode !== null,
      15_000,
    );
    const [line] = r.stdoutLines();
    expect(line, r.stderr()).toMatchObject({
      event: 'registered',
      brokerName,
      clusterName,
      brokerAddr: '127.0.0.1:41911',
      topicCount: 2,
      ok: 3,
      failed: 0,
    });
    for (const { server } of cluster.nodes) {
      expect(routeAddr(server, topic, brokerName)).toBe('127.0.0.1:41911');
      expect(inCluster(server, clusterName, brokerName)).toBe(true);
    }
    // Each round is logged as a JSON line on stderr.
    const rounds = r
      .stderr()
      .split('\n')
      .filter((l) => l.includes('"event":"round"'))
      .map((l) => JSON.parse(l) as { reason: string; results: unknown[] });
    // With the agent's component and identity, like its other lines (README "ns-broker-agent").
    expect(rounds[0]).toMatchObject({ reason: 'startup', component: 'broker-agent', brokerName });
    expect(rounds[0]!.results).toHaveLength(3);

    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
    expect(r.stdoutLines()[1]).toMatchObject({ event: 'unregistered' });
    for (const { server } of cluster.nodes) {
      expect(routeAddr(server, topic, brokerName)).toBeNull();
      expect(inCluster(server, clusterName, brokerName)).toBe(false);
    }
  }, 30_000);

  it('a signal during the first round: one `unregistered`, no `registered` after it, even with a second signal', async () => {
    const hole = await startBlackHole();
    try {
      const r = run([
        '-n',
        `${cluster.addrs[0]!};${hole.addr}`,
        '--cluster',
        uniq('cli-cluster'),
        '--broker-name',
        uniq('cli-broker'),
        '--broker-addr',
        '127.0.0.1:41915',
        '--timeout',
        '3000',
        '--unregister-timeout',
        '500',
      ]);
      // The first round waits up to 3 s for the hung node; the signals come during it.
      await waitFor('the agent started', () => r.stderr().includes('"msg"'), 15_000);
      r.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 100));
      r.child.kill('SIGINT');
      const code = await r.exited;
      const seen = `stdout ${JSON.stringify(r.stdoutLines())}; stderr ${r.stderr().slice(0, 3000)}`;
      expect(code, seen).toBe(0);
      expect(
        r.stdoutLines().map((l) => l['event']),
        seen,
      ).toEqual(['unregistered']);
    } finally {
      await hole.close();
    }
  }, 30_000);

  it('takes NAMESRV_ADDR from the environment; a usage error exits 2', async () => {
    const brokerName = uniq('cli-env');
    const r = run(['--broker-name', brokerName, '--broker-addr', '127.0.0.1:41913'], {
      NAMESRV_ADDR: cluster.addrs.join(';'),
    });
    await waitFor(
      'the registered line',
      () => r.stdoutLines().length > 0 || r.child.exitCode !== null,
      15_000,
    );
    expect(r.child.exitCode, r.stderr()).toBeNull();
    expect(r.stdoutLines()[0]).toMatchObject({ event: 'registered', ok: 3 });
    r.child.kill('SIGINT');
    expect(await r.exited).toBe(0);

    const bad = run(['--heartbeat', 'sometimes', '--broker-addr', '127.0.0.1:1']);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toContain('--heartbeat');
  }, 30_000);

  it.each([
    [['--timeout', '0'], '--timeout: requestTimeoutMs: expected an integer in 1..'],
    [['--split-size', '1'], '--split-size: splitRegistrationSize: expected an integer in 2..'],
    [['--ha-addr', 'x'], '--ha-addr: haServerAddr: expected host:port, got "x" (missing port'],
    [['-n', 'a:1,b:2'], "--namesrv-addr: name server address list 'a:1,b:2' uses ','"],
  ])('names the flag of a value the agent refuses, and exits 2: %j', async (flags, message) => {
    const r = run(['--broker-addr', '127.0.0.1:1', ...flags], { NAMESRV_ADDR: '127.0.0.1:1' });
    expect(await r.exited).toBe(2);
    expect(r.stdoutLines()).toEqual([]);
    expect(r.stderr()).toContain(`ns-broker-agent: ${message}`);
  });

  it.each([
    [
      ['--heartbeat-timeout', '3000'],
      '--heartbeat-timeout 3000 (given) must be more than --period 30000 (the default) with --heartbeat none: the NameServer would expire the broker between two registrations',
    ],
    [
      ['--heartbeat-timeout', '9000', '--period', '5000'],
      '--heartbeat-timeout 9000 (given) must be more than --period 10000 (clamped from 5000) with --heartbeat none',
    ],
    [
      ['--heartbeat-timeout', '800', '--heartbeat', 'queryDataVersion'],
      '--heartbeat-timeout 800 (given) must be more than --heartbeat-interval 1000 (the default) with --heartbeat queryDataVersion: the NameServer would expire the broker between two heartbeats',
    ],
  ])(
    'refuses a --heartbeat-timeout the NameServer would expire the broker within (exit 2): %j',
    async (flags, message) => {
      const r = run(['--broker-addr', '127.0.0.1:1', ...flags], { NAMESRV_ADDR: '127.0.0.1:1' });
      expect(await r.exited).toBe(2);
      expect(r.stdoutLines()).toEqual([]);
      expect(r.stderr()).toContain(`ns-broker-agent: ${message}`);
    },
  );

  it('SIGHUP unregisters and exits 0, like SIGTERM', async () => {
    const brokerName = uniq('cli-hup');
    const r = run(['-n', cluster.addrs.join(';'), '-b', brokerName, '-a', '127.0.0.1:41919']);
    await waitFor(
      'the registered line',
      () => r.stdoutLines().length > 0 || r.child.exitCode !== null,
      15_000,
    );
    expect(r.stdoutLines()[0], r.stderr()).toMatchObject({ event: 'registered', ok: 3 });
    r.child.kill('SIGHUP');
    // SIGHUP's default action killed it: exit code null, no line, and the broker still routed.
    expect(await r.exited, r.stderr()).toBe(0);
    expect(r.stdoutLines()[1]).toMatchObject({ event: 'unregistered' });
    const results = (r.stdoutLines()[1] as { results: { ok: boolean }[] }).results;
    expect(results.map((x) => x.ok)).toEqual([true, true, true]);
  }, 30_000);

  it('a signal while the topics file is being read stops at once: `unregistered`, exit 0', async () => {
    // A FIFO stands for a file whose read does not end (a hung network mount).
    const fifo = join(dir, `topics-${uniq('fifo')}.json`);
    await promisify(execFile)('mkfifo', [fifo]);
    const r = run(['-n', cluster.addrs[0]!, '-a', '127.0.0.1:41921', '--topics', fifo]);
    // Opening the write end without blocking succeeds only once the agent has it open for
    // reading, which is after its signal handlers are installed. Kept open and silent: the read
    // never ends by itself.
    let writer: number | undefined;
    await waitFor(
      'the agent reading the FIFO',
      () => {
        try {
          writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
          return true;
        } catch {
          return r.child.exitCode !== null;
        }
      },
      15_000,
    );
    try {
      r.child.kill('SIGTERM');
      // It waited for the read, then failed with "start() called on a stopping agent" (exit 1).
      expect(await r.exited, r.stderr()).toBe(0);
      expect(r.stdoutLines()).toEqual([{ event: 'unregistered', results: [] }]);
    } finally {
      if (writer !== undefined) closeSync(writer);
    }
  }, 30_000);

  it('refuses to start without -n, NAMESRV_ADDR or --addr-service-url (exit 1, one line)', async () => {
    const r = run(['--broker-addr', '127.0.0.1:41915'], { NAMESRV_ADDR: '' });
    expect(await r.exited).toBe(1);
    expect(r.stdoutLines()).toEqual([]);
    expect(r.stderr()).toBe(
      'ns-broker-agent: no NameServer address: give -n "host:port;host:port", set NAMESRV_ADDR, or give --addr-service-url <url>\n',
    );
  });

  it('says registration_failed when no node accepts, logs each node once, then registered', async () => {
    const dead = await refusedAddr();
    const alsoDead = await refusedAddr();
    const later = await NameServerCluster.start(1);
    try {
      // Node 0 of `later` is stopped now and restarted below on the same port.
      await later.kill(0);
      const revived = later.node(0).addr;
      const r = run([
        '-n',
        `${dead};${revived};${alsoDead}`,
        '--broker-name',
        uniq('cli-down'),
        '--broker-addr',
        '127.0.0.1:41917',
        '--timeout',
        '1000',
      ]);
      // The warnings go to stderr before the line on stdout, but the two pipes are read
      // independently: wait for both.
      const failing = (): number =>
        r
          .stderr()
          .split('\n')
          .filter((l) => l.includes('name server failing')).length;
      await waitFor(
        'the first stdout line and the three warnings',
        () => (r.stdoutLines().length > 0 && failing() >= 3) || r.child.exitCode !== null,
        15_000,
      );
      const [failed] = r.stdoutLines();
      expect(failed, r.stderr()).toMatchObject({ event: 'registration_failed' });
      expect(failed).not.toHaveProperty('ok');
      const results = (failed as { results: { addr: string; ok: boolean; error: string }[] })
        .results;
      // Refused, normally; a retry begun with little of the 1 s budget left may instead end by
      // that budget on a loaded machine ("did not complete within N ms"): a connect error either way.
      expect(results.map((x) => [x.addr, x.ok])).toEqual(
        [dead, revived, alsoDead].map((addr) => [addr, false]),
      );
      for (const x of results)
        expect(x.error).toMatch(new RegExp(`^cannot connect to ${x.addr}: `));
      // One warn per node, no stack traces at the default level.
      const lines = r
        .stderr()
        .split('\n')
        .filter((l) => l.length > 0);
      expect(lines.filter((l) => l.includes('name server failing'))).toHaveLength(3);
      expect(r.stderr()).not.toContain('"stack"');

      await later.restart(0);
      await waitFor(
        'the registered line and the recovery log',
        () => r.stdoutLines().length > 1 && r.stderr().includes('name server healthy again'),
        15_000,
      );
      expect(r.stdoutLines()[1]).toMatchObject({ event: 'registered', ok: 1, failed: 2 });
      expect(r.stderr()).toContain('name server healthy again');
      r.child.kill('SIGTERM');
      expect(await r.exited).toBe(0);
    } finally {
      await later.close();
    }
  }, 40_000);
});
