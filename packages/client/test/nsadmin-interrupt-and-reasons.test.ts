/**
 * nsadmin: interrupts of one-shot verbs (exit 130/143), failure reasons on stderr, checkNodes'
 * options and address source, `help <unknown>`, clusterList -i/-m, `-n=…`, control characters in
 * tables, and watchTopicRoute reporting each refresh failure once.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RequestCode, ResponseCode } from '@ns/protocol';
import { renderTable } from '../src/cli/format.js';
import { Interrupted, main } from '../src/cli/main.js';
import { NameServerClient } from '../src/name-server-client.js';
import { RemotingClient } from '../src/remoting/remoting-client.js';
import { runCli } from './helpers/cli-io.js';
import { registerBroker, startRealNameServer } from './helpers/real-name-server.js';
import type { ScriptHandler } from './helpers/scripted-server.js';
import { startScriptedServer, waitFor } from './helpers/scripted-server.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = fileURLToPath(new URL('../dist/cli/nsadmin.js', import.meta.url));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

beforeAll(async () => {
  // The bin tests run dist: build the client (incremental, a no-op when current).
  await run(
    `${root}node_modules/.bin/tsc`,
    ['-b', fileURLToPath(new URL('../tsconfig.json', import.meta.url))],
    { cwd: root },
  );
}, 120_000);

async function scripted(handler: ScriptHandler) {
  const s = await startScriptedServer(handler);
  cleanups.push(() => s.close());
  return s;
}

/**
 * A TCP server that accepts and never answers (remoting or HTTP alike). `requests()` counts the
 * connections it has read a first byte from: the request is out, its answer awaited.
 */
async function blackhole(): Promise<{ addr: string; requests: () => number }> {
  const sockets: Socket[] = [];
  let requests = 0;
  const server = createTcpServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => requests++);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return { addr: `127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests };
}

async function realNode() {
  const n = await startRealNameServer();
  cleanups.push(() => n.close());
  return n;
}

/** main() in-process with output collected as it comes and a controller to interrupt it. */
function startCli(argv: string[], env: Record<string, string> = {}) {
  const out = { stdout: '', stderr: '' };
  const controller = new AbortController();
  const done = main(argv, {
    stdout: { write: (t: string) => (out.stdout += t) },
    stderr: { write: (t: string) => (out.stderr += t) },
    env,
    signal: controller.signal,
  });
  return { out, done, controller };
}

describe('nsadmin interrupts (M1)', () => {
  it('ends a one-shot verb waiting on a silent node at once: 130 for SIGINT, 143 for SIGTERM', async () => {
    const { addr } = await blackhole();
    for (const [signal, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      for (const argv of [
        ['clusterList', '-n', addr, '--timeout', '20000'],
        ['updateKvConfig', '-n', addr, '--timeout', '20000', '-s', 'NS', '-k', 'k', '-v', 'v'],
      ]) {
        const cli = startCli(argv);
        await new Promise((resolve) => setTimeout(resolve, 200));
        const t0 = Date.now();
        cli.controller.abort(new Interrupted(signal));
        expect(await cli.done).toBe(code);
        expect(Date.now() - t0).toBeLessThan(2_000);
        expect(cli.out.stderr).toBe(`nsadmin: ${argv[0]!}: interrupted (${signal})\n`);
      }
    }
  });

  it('ends checkNodes waiting on a silent admin port at once', async () => {
    const { addr } = await blackhole();
    const port = addr.split(':')[1]!;
    const cli = startCli(['checkNodes', '-n', addr, '--httpPort', port, '--timeout', '20000']);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const t0 = Date.now();
    cli.controller.abort(new Interrupted('SIGINT'));
    expect(await cli.done).toBe(130);
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('lets a one-shot verb finish when stdout is gone (an abort that is not a signal)', async () => {
    const s = await scripted((req, ctx) => {
      setTimeout(() => ctx.reply(req, { remark: 'ok' }), 300);
    });
    const cli = startCli(['updateKvConfig', '-n', s.addr, '-s', 'NS', '-k', 'k', '-v', 'v']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    cli.controller.abort(new Error('stdout closed'));
    expect(await cli.done).toBe(0);
  });

  it('the bin exits 130 on SIGINT and 143 on SIGTERM well before the timeout', async () => {
    const { addr, requests } = await blackhole();
    for (const [signal, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      for (const args of [
        ['clusterList', '-n', addr, '--timeout', '20000'],
        // An HTTP request in flight must not hold the process either.
        ['checkNodes', '-n', addr, '--httpPort', addr.split(':')[1]!, '--timeout', '20000'],
      ]) {
        const before = requests();
        const child = spawn(process.execPath, [bin, ...args], {
          env: { PATH: process.env.PATH ?? '' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
        // Signalled once the request is out: the node (or admin port) has read its first bytes.
        // (The bin installs its signal handlers before it sends anything.)
        const ended = (): boolean => child.exitCode !== null || child.signalCode !== null;
        await waitFor(
          () => requests() > before || ended(),
          20_000,
          `${args[0]!}'s request to reach the silent node`,
        );
        expect(ended(), `${args[0]!} ended before its request was out: ${stderr}`).toBe(false);
        const t0 = Date.now();
        child.kill(signal);
        const [exit] = (await once(child, 'close')) as [number | null];
        expect(Date.now() - t0).toBeLessThan(3_000);
        expect(exit).toBe(code);
        expect(stderr).toBe(`nsadmin: ${args[0]!}: interrupted (${signal})\n`);
      }
    }
  }, 30_000);
});

describe('nsadmin failure reasons on stderr (M2)', () => {
  it("names each failed node and why on the one stderr line of a fan-out's failure", async () => {
    const ok = await scripted((req, ctx) => {
      ctx.reply(req);
    });
    const refusing = await scripted((req, ctx) => {
      ctx.reply(req, { code: ResponseCode.SYSTEM_ERROR, remark: 'disk full' });
    });
    const list = `${ok.addr};${refusing.addr}`;
    for (const argv of [
      ['updateKvConfig', '-s', 'NS', '-k', 'k', '-v', 'v'],
      ['updateNamesrvConfig', '-k', 'k', '-v', 'v'],
      ['deleteKvConfig', '-s', 'NS', '-k', 'k'],
      ['getKvConfig', '-s', 'NS', '-k', 'k'],
    ]) {
      const r = await runCli([...argv, '-n', list]);
      expect(r.code).toBe(1);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`failed on 1 of 2 name server(s): ${refusing.addr} (`);
      expect(r.stderr).toContain('disk full');
    }
  });

  it('getNamesrvConfig names the failed node and why, as text and as --json', async () => {
    const refusing = await scripted((req, ctx) => {
      ctx.reply(req, { code: ResponseCode.SYSTEM_ERROR, remark: 'no config for you' });
    });
    for (const json of [[], ['--json']]) {
      const r = await runCli(['getNamesrvConfig', '-n', refusing.addr, ...json]);
      expect(r.code).toBe(1);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`failed on 1 of 1 name server(s): ${refusing.addr} (`);
      expect(r.stderr).toContain('no config for you');
    }
  });
});

describe('nsadmin checkNodes options (L3, L4)', () => {
  it('refuses the TLS and ACL options, which the HTTP admin port does not use', async () => {
    for (const option of [
      ['--tls'],
      ['--tlsCa', '/x.pem'],
      ['--accessKey', 'ak'],
      ['--toolsYml=/t'],
    ]) {
      const r = await runCli(['checkNodes', '-n', '127.0.0.1:1', ...option]);
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('HTTP admin port');
    }
    // Other unknown options are just that (not taken for security options).
    for (const option of ['--constructor', '--tls-ca=x', '--toString']) {
      const r = await runCli(['checkNodes', '-n', '127.0.0.1:1', option]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('Unknown option');
      expect(r.stderr).not.toContain('HTTP admin port');
    }
    const help = await runCli(['checkNodes', '-h']);
    expect(help.stdout).not.toContain('--tls');
    expect(help.stdout).not.toContain('--accessKey');
    // The remoting verbs keep them.
    expect((await runCli(['clusterList', '-h'])).stdout).toContain('--tls');
  });

  it('names NAMESRV_ADDR, not -n, when the bad list came from the environment', async () => {
    const env = await runCli(['checkNodes'], { NAMESRV_ADDR: 'a,b' });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('nsadmin: checkNodes: environment variable NAMESRV_ADDR: ');
    const flag = await runCli(['checkNodes', '-n', 'a,b']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('nsadmin: checkNodes: -n (--namesrvAddr): ');
  });
});

describe('nsadmin command line (L5, L11)', () => {
  it('help <unknown> is an unknown command (exit 2); help <verb> also after -n', async () => {
    const r = await runCli(['help', 'bogus']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("nsadmin: unknown command 'bogus' (run nsadmin --help for the list)\n");
    const after = await runCli(['-n', '127.0.0.1:1', 'help', 'topicRoute']);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('usage: nsadmin topicRoute');
    expect((await runCli(['help'])).code).toBe(0);
  });

  it('reads -n=host:port (as mqadmin) before and after the command', async () => {
    const n = await realNode();
    for (const argv of [
      [`-n=${n.addr}`, 'clusterList'],
      ['clusterList', `-n=${n.addr}`],
      ['clusterList', `-n=${n.addr}`, '-c=C'],
    ]) {
      const r = await runCli(argv);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('#Cluster Name');
    }
    // A value that merely looks like one is left alone.
    const value = await runCli(['getKvConfig', '-n', n.addr, '-s', 'NS', '-k', '-x=1']);
    expect(value.stderr).not.toContain('--x');
  });

  it('says why when -n took the command as its value', async () => {
    const r = await runCli(['-n', 'clusterList']);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain("option '-n' took 'clusterList' as its value");
    // With the verb's own options after it too (they used to be blamed instead).
    const withOptions = await runCli(['-n', 'topicRoute', '-t', 'T']);
    expect(withOptions.code).toBe(2);
    expect(withOptions.stderr).toContain("option '-n' took 'topicRoute' as its value");
    const noCommand = await runCli(['-n', '127.0.0.1:1']);
    expect(noCommand.code).toBe(2);
    expect(noCommand.stderr).toContain('nsadmin: no command given\n');
  });
});

describe('nsadmin clusterList -i / -m (L6)', () => {
  it('-m says the statistics need brokers (exit 2); -i lists again every N seconds until stopped', async () => {
    const moreStats = await runCli(['clusterList', '-n', '127.0.0.1:1', '-m']);
    expect(moreStats.code).toBe(2);
    expect(moreStats.stderr).toContain('-m (--moreStats): the statistics come from the brokers');
    for (const bad of ['0', 'x', '1.5']) {
      const r = await runCli(['clusterList', '-n', '127.0.0.1:1', '-i', bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('-i (--interval): expected a whole number of seconds');
    }

    const n = await realNode();
    const remoting = new RemotingClient();
    cleanups.push(() => remoting.close());
    await registerBroker(remoting, n.addr, {
      clusterName: 'C',
      brokerName: 'broker-a',
      brokerAddr: '127.0.0.1:30911',
      topics: ['T'],
    });
    const cli = startCli(['clusterList', '-n', n.addr, '-i', '1']);
    const listings = (): number => cli.out.stdout.split('#Cluster Name').length - 1;
    await waitFor(() => listings() >= 2, 5_000, 'two listings');
    cli.controller.abort(new Interrupted('SIGINT'));
    expect(await cli.done).toBe(0);
    expect(cli.out.stdout).toContain('broker-a');

    const json = startCli(['clusterList', '-n', n.addr, '-i', '1', '--json']);
    await waitFor(() => json.out.stdout.split('\n').length >= 3, 5_000, 'two JSON lines');
    json.controller.abort(new Interrupted('SIGTERM'));
    expect(await json.done).toBe(0);
    const lines = json.out.stdout.split('\n').filter((l) => l !== '');
    for (const line of lines) {
      expect(Object.keys(JSON.parse(line) as object)).toContain('brokerAddrTable');
    }
  });
});

describe('nsadmin tables escape control characters (L12)', () => {
  it('renderTable shows newlines and escapes as visible escapes', () => {
    const table = renderTable(
      ['K', 'V'],
      [
        ['a\nb', '\x1b[31mred\u202e'],
        ['c', 'd\te'],
      ],
    );
    expect(table).toBe('#K    #V\na\\nb  \\x1b[31mred\\u202e\nc     d\\te\n');
  });

  it('getKvConfig and getKvList keep one row per value; --json keeps the value exact', async () => {
    const n = await realNode();
    const value = 'line1\nline2\x1b[2J';
    const put = await runCli(['updateKvConfig', '-n', n.addr, '-s', 'NS', '-k', 'k', '-v', value]);
    expect(put.code).toBe(0);
    const table = await runCli(['getKvConfig', '-n', n.addr, '-s', 'NS', '-k', 'k']);
    expect(table.code).toBe(0);
    expect(table.stdout).not.toContain('\x1b');
    expect(table.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(table.stdout).toContain('line1\\nline2\\x1b[2J');
    const list = await runCli(['getKvList', '-n', n.addr, '-s', 'NS']);
    expect(list.stdout.trimEnd().split('\n')).toHaveLength(2);
    const json = await runCli(['getKvConfig', '--json', '-n', n.addr, '-s', 'NS', '-k', 'k']);
    expect((JSON.parse(json.stdout) as { value: string }[])[0]!.value).toBe(value);
  });
});

describe('checkNodes text escapes control characters (L12)', () => {
  it('prints a broker name from a node with its escape sequence made visible', async () => {
    const evil = 'broker-\x1b[2J';
    const adminPort = async (topicsHash: string): Promise<string> => {
      const server = createHttpServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            format: 1,
            digest: topicsHash,
            topicCount: 2,
            clusters: [],
            brokerGroups: [
              { brokerName: evil, cluster: 'c', brokerAddrs: {}, topicCount: 2, topicsHash },
            ],
            brokers: [],
          }),
        );
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    };
    const a = await adminPort('0000000a');
    const b = await adminPort('0000000b');
    const r = await runCli(['checkNodes', '-n', `${a};${b}`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('broker-\\x1b[2J');
    expect(r.stdout).not.toContain('\x1b');
  });
});

describe('route refresh failures are reported once (L10)', () => {
  /**
   * A node without the route watch: topic `T` has a route, every other topic's lookup fails
   * after `delayMs`, each failure with its own numbered remark.
   */
  async function slowFailingNode(delayMs: number) {
    let n = 0;
    return scripted((req, ctx) => {
      if (req.code !== RequestCode.GET_ROUTEINFO_BY_TOPIC) {
        ctx.reply(req, { code: ResponseCode.REQUEST_CODE_NOT_SUPPORTED });
        return;
      }
      if (req.extFields?.['topic'] === 'T') {
        const route = { brokerDatas: [], filterServerTable: {}, queueDatas: [] };
        ctx.reply(req, { body: Buffer.from(JSON.stringify(route)) });
        return;
      }
      const remark = `failure #${++n}`;
      setTimeout(() => ctx.reply(req, { code: ResponseCode.SYSTEM_ERROR, remark }), delayMs);
    });
  }

  it('watchTopicRoute prints each refresh failure once', async () => {
    const s = await slowFailingNode(300);
    // T's route keeps it running; U's first refresh (100 ms) joins the watch's first lookup of U,
    // still under way (300 ms): both saw that one failure.
    const cli = startCli([
      'watchTopicRoute',
      '-n',
      s.addr,
      '-t',
      'T',
      '-t',
      'U',
      '--interval',
      '100',
    ]);
    await waitFor(
      () => (cli.out.stderr.match(/failure #/g) ?? []).length >= 3,
      10_000,
      'failures',
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}: ${cli.out.stderr}`);
    });
    cli.controller.abort();
    expect(await cli.done).toBe(0);
    const reported = cli.out.stderr.match(/failure #\d+/g) ?? [];
    expect(reported.length).toBeGreaterThanOrEqual(3);
    expect(new Set(reported).size).toBe(reported.length);
  });

  it("NameServerClient's routeRefreshFailed listeners get each failure once", async () => {
    const s = await slowFailingNode(300);
    const c = new NameServerClient({
      namesrvAddr: s.addr,
      env: {},
      routeWatch: false,
      pollNameServerInterval: 100,
    });
    cleanups.push(() => c.close());
    const seen: unknown[] = [];
    c.on('routeRefreshFailed', (_topic, err) => seen.push(err));
    // The first refresh (100 ms) joins watch()'s fetch, still under way (300 ms).
    c.watch('U');
    await waitFor(() => seen.length >= 2, 5_000, 'two failures');
    const remarks = seen.map((e) => (e as Error).message);
    expect(new Set(seen).size).toBe(seen.length);
    expect(new Set(remarks).size).toBe(remarks.length);
  });
});
