/**
 * `nsadmin watchTopicRoute`: in-process (main() with an abort signal) and as the built bin (a real
 * process, interrupted with SIGINT and SIGTERM), against a real node and a node without the watch.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RequestCode, ResponseCode } from '@ns/protocol';
import { main } from '../src/cli/main.js';
import { RemotingClient } from '../src/remoting/remoting-client.js';
import type { BrokerSpec } from './helpers/real-name-server.js';
import { registerBroker, startRealNameServer } from './helpers/real-name-server.js';
import { startScriptedServer, waitFor } from './helpers/scripted-server.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = fileURLToPath(new URL('../dist/cli/nsadmin.js', import.meta.url));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

beforeAll(async () => {
  await run(
    `${root}node_modules/.bin/tsc`,
    ['-b', fileURLToPath(new URL('../tsconfig.json', import.meta.url))],
    { cwd: root },
  );
}, 120_000);

async function node() {
  const n = await startRealNameServer();
  cleanups.push(() => n.close());
  return n;
}

async function broker(addr: string, spec: BrokerSpec): Promise<RemotingClient> {
  const remoting = new RemotingClient();
  cleanups.push(() => remoting.close());
  await registerBroker(remoting, addr, spec);
  return remoting;
}

const spec = (name: string, topics: string[], port: number): BrokerSpec => ({
  clusterName: 'C',
  brokerName: name,
  brokerAddr: `127.0.0.1:${port}`,
  topics,
});

/** main() in-process, with output collected as it comes and a controller to interrupt it. */
function startCli(argv: string[]) {
  const out = { stdout: '', stderr: '' };
  const controller = new AbortController();
  const done = main(argv, {
    stdout: { write: (t: string) => (out.stdout += t) },
    stderr: { write: (t: string) => (out.stderr += t) },
    env: {},
    signal: controller.signal,
  });
  const lines = (): string[] => out.stdout.split('\n').filter((l) => l !== '');
  return { out, lines, done, stop: () => controller.abort() };
}

interface JsonLine {
  time: string;
  topic: string;
  event: string;
  node: string;
  route?: { queueDatas: { brokerName: string }[] };
}

const parse = (line: string): JsonLine => JSON.parse(line) as JsonLine;
const brokersOf = (l: JsonLine): string[] =>
  (l.route?.queueDatas ?? []).map((q) => q.brokerName).sort();

describe('nsadmin watchTopicRoute (in-process)', () => {
  it('prints the current routes, then one JSON line per change, and exits 0 when stopped', async () => {
    const n = await node();
    const a = await broker(n.addr, spec('broker-a', ['T', 'U'], 30911));
    const cli = startCli(['watchTopicRoute', '-n', n.addr, '-t', 'T', '-t', 'Nope', '--json']);
    await waitFor(() => cli.lines().length === 2, 5_000, 'initial lines');
    const initial = cli.lines().map(parse);
    expect(initial.map((l) => [l.topic, l.event]).sort()).toEqual([
      ['Nope', 'gone'],
      ['T', 'current'],
    ]);
    expect(brokersOf(initial.find((l) => l.topic === 'T')!)).toEqual(['broker-a']);
    expect(initial[0]!.node).toBe(n.addr);
    expect(Number.isNaN(Date.parse(initial[0]!.time))).toBe(false);

    await waitFor(() => n.server.routeWatchStats()?.held === 1, 5_000, 'watch held');
    await broker(n.addr, spec('broker-b', ['T', 'Nope'], 31911));
    await waitFor(() => cli.lines().length === 4, 5_000, 'change lines');
    const changes = cli.lines().slice(2).map(parse);
    expect(changes.map((l) => [l.topic, l.event, brokersOf(l)]).sort()).toEqual([
      ['Nope', 'changed', ['broker-b']],
      ['T', 'changed', ['broker-a', 'broker-b']],
    ]);
    a.closeConnection(n.addr);
    await waitFor(() => cli.lines().length === 5, 5_000, 'broker-a gone from T');
    expect(brokersOf(parse(cli.lines()[4]!))).toEqual(['broker-b']);

    cli.stop();
    expect(await cli.done).toBe(0);
    expect(cli.out.stderr).toContain('nsadmin: watchTopicRoute: watching');
  });

  it('prints text lines by default, and polls a node without the watch', async () => {
    const brokers = { list: ['broker-a'] };
    const s = await startScriptedServer((req, ctx) => {
      if (req.code === RequestCode.GET_ROUTEINFO_BY_TOPIC) {
        ctx.reply(req, {
          body: Buffer.from(
            JSON.stringify({
              brokerDatas: brokers.list.map((b) => ({
                brokerAddrs: { '0': `10.0.0.1:${b.length}` },
                brokerName: b,
                cluster: 'C',
              })),
              filterServerTable: {},
              queueDatas: brokers.list.map((b) => ({
                brokerName: b,
                perm: 6,
                readQueueNums: 4,
                topicSysFlag: 0,
                writeQueueNums: 4,
              })),
            }),
          ),
        });
      } else {
        ctx.reply(req, { code: ResponseCode.REQUEST_CODE_NOT_SUPPORTED, remark: 'no' });
      }
    });
    cleanups.push(() => s.close());
    const cli = startCli(['watchTopicRoute', '-n', s.addr, '-t', 'T', '--interval', '100']);
    await waitFor(() => cli.lines().length === 1, 5_000, 'initial line');
    expect(cli.lines()[0]).toMatch(
      new RegExp(
        `^\\S+Z T current ${s.addr} brokers=broker-a\\[0=10\\.0\\.0\\.1:8\\] queues=broker-a:r4/w4/RW-$`,
      ),
    );
    brokers.list = ['broker-a', 'broker-bb'];
    await waitFor(() => cli.lines().length === 2, 5_000, 'change by polling');
    expect(cli.lines()[1]).toMatch(/ T changed .*brokers=broker-a\[0=10\.0\.0\.1:8\];broker-bb\[/);
    await waitFor(() => cli.out.stderr.includes('polling'), 5_000, 'polling reported');
    expect(cli.out.stderr).toContain('REQUEST_CODE_NOT_SUPPORTED');
    cli.stop();
    expect(await cli.done).toBe(0);
  });

  it('rejects bad usage with exit 2 and an unreachable node with exit 1', async () => {
    const missing = startCli(['watchTopicRoute', '-n', '127.0.0.1:1']);
    expect(await missing.done).toBe(2);
    expect(missing.out.stderr).toBe('nsadmin: watchTopicRoute: missing required option -t\n');
    const badInterval = startCli([
      'watchTopicRoute',
      '-n',
      '127.0.0.1:1',
      '-t',
      'T',
      '--interval',
      'x',
    ]);
    expect(await badInterval.done).toBe(2);
    expect(badInterval.out.stderr).toBe(
      "nsadmin: watchTopicRoute: --interval: expected a positive integer (ms), got 'x'\n",
    );
    const unreachable = startCli(['watchTopicRoute', '-n', '127.0.0.1:1', '-t', 'T']);
    expect(await unreachable.done).toBe(1);
    expect(unreachable.out.stderr).toMatch(
      /^nsadmin: watchTopicRoute: no route could be looked up: T: .*127\.0\.0\.1:1/m,
    );
  });
});

/** The built bin as a process; lines of stdout as they come. */
function spawnBin(args: string[]): {
  child: ChildProcessWithoutNullStreams;
  lines: string[];
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
} {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH ?? '' },
  });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const lines: string[] = [];
  let stderr = '';
  createInterface({ input: child.stdout }).on('line', (l) => lines.push(l));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, lines, stderr: () => stderr, exit };
}

describe('nsadmin watchTopicRoute (bin)', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    'streams changes as JSON lines and exits 0 on %s',
    async (signal) => {
      const n = await node();
      await broker(n.addr, spec('broker-a', ['T', 'Other'], 30911));
      const p = spawnBin(['watchTopicRoute', '-n', n.addr, '-t', 'T', '--json']);
      await waitFor(() => p.lines.length === 1, 15_000, 'initial line');
      expect(parse(p.lines[0]!)).toMatchObject({ topic: 'T', event: 'current' });
      await waitFor(() => n.server.routeWatchStats()?.held === 1, 10_000, 'watch held');
      await broker(n.addr, spec('broker-b', ['T', 'Other'], 31911));
      await waitFor(() => p.lines.length === 2, 10_000, 'change line');
      expect(brokersOf(parse(p.lines[1]!))).toEqual(['broker-a', 'broker-b']);
      p.child.kill(signal);
      expect(await p.exit).toEqual({ code: 0, signal: null });
      expect(p.stderr()).not.toMatch(/internal error/);
    },
    30_000,
  );

  it('keeps watching when the node it watches stops (it exited 0 there: nothing held the process)', async () => {
    const n = await startRealNameServer();
    let closed = false;
    cleanups.push(async () => {
      if (!closed) await n.close();
    });
    await broker(n.addr, spec('broker-a', ['T'], 32911));
    const p = spawnBin(['watchTopicRoute', '-n', n.addr, '-t', 'T']);
    await waitFor(() => /watching/.test(p.stderr()), 15_000, 'watching');
    await n.close();
    closed = true;
    await waitFor(() => /polling/.test(p.stderr()), 10_000, 'polling after the close');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(p.child.exitCode).toBeNull();
    p.child.kill('SIGINT');
    expect(await p.exit).toEqual({ code: 0, signal: null });
  }, 30_000);
});
