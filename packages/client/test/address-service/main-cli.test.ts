/**
 * The built `ns-addr-service` (dist/address-service/main.js) as a real process: a startup failure
 * prints one plain `ns-addr-service: <message>` line on stderr, even with --log-level silent
 * (before, a JSON log line only, and nothing at all when silent); a bad --file/--env value exits 2
 * like any bad argument, a port in use exits 1; SIGHUP stops it cleanly (exit 0), as SIGTERM does.
 * Builds the client first (incremental `tsc -b`, a no-op when dist is current).
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const bin = fileURLToPath(new URL('../../dist/address-service/main.js', import.meta.url));

let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  await promisify(execFile)(
    `${root}node_modules/.bin/tsc`,
    ['-b', fileURLToPath(new URL('../../tsconfig.json', import.meta.url))],
    { cwd: root },
  );
  dir = await mkdtemp(join(tmpdir(), 'ns-addr-main-'));
}, 120_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** The exit code, or the signal's name when a signal ended it. */
  exited: Promise<number | string | null>;
}

function run(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  // 'close', not 'exit': only then has every byte of stdout and stderr been read.
  const exited = new Promise<number | string | null>((resolve) =>
    child.once('close', (code, signal) => resolve(code ?? signal)),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

const SILENT = ['--host', '127.0.0.1', '--port', '0', '--log-level', 'silent'];

describe('ns-addr-service startup failures', () => {
  it('a --file that cannot be read: one plain line naming the flag, exit 2, even when silent', async () => {
    const missing = join(dir, 'missing.txt');
    const r = run(['--file', missing, ...SILENT]);
    expect(await r.exited).toBe(2);
    expect(r.stdout()).toBe('');
    expect(r.stderr()).toBe(
      `ns-addr-service: --file ${missing}: cannot read (ENOENT: no such file or directory, open '${missing}')\n`,
    );
  });

  it.each([
    ['empty.txt', '', 'empty.txt holds no address'],
    [
      'garbage.txt',
      'garbage\n',
      "garbage.txt: invalid name server address 'garbage': missing port",
    ],
  ])('a --file with no valid list (%s): exit 2, one plain line', async (name, text, message) => {
    const path = await file(name, text);
    const r = run(['--file', path, ...SILENT]);
    expect(await r.exited).toBe(2);
    expect(r.stdout()).toBe('');
    expect(r.stderr()).toMatch(/^ns-addr-service: --file: .*\n$/);
    expect(r.stderr()).toContain(message);
  });

  it('an --env variable that is unset or malformed: exit 2, one plain line naming it', async () => {
    const unset = run(['--env', 'NS_TEST_UNSET_VAR', ...SILENT]);
    expect(await unset.exited).toBe(2);
    expect(unset.stderr()).toBe(
      'ns-addr-service: --env: environment variable NS_TEST_UNSET_VAR is not set or empty\n',
    );
    const bad = run(['--env', 'NS_TEST_BAD_VAR', ...SILENT], { NS_TEST_BAD_VAR: 'garbage' });
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toMatch(
      /^ns-addr-service: --env: environment variable NS_TEST_BAD_VAR: invalid name server address 'garbage'.*\n$/,
    );
  });

  it('a port in use: exit 1 (a startup failure), the plain line after the JSON log line', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (blocker.address() as AddressInfo).port;
      const list = await file('ok.txt', '10.0.0.1:9876\n');
      const silent = run([
        '--file',
        list,
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--log-level',
        'silent',
      ]);
      expect(await silent.exited).toBe(1);
      expect(silent.stderr()).toMatch(
        new RegExp(
          `^ns-addr-service: cannot listen on 127\\.0\\.0\\.1:${port} \\(--host/--port\\): listen EADDRINUSE.*\\n$`,
        ),
      );
      const logged = run(['--file', list, '--host', '127.0.0.1', '--port', String(port)]);
      expect(await logged.exited).toBe(1);
      const lines = logged.stderr().trim().split('\n');
      expect(lines.at(-2)).toContain('"msg":"address service failed to start"');
      expect(lines.at(-1)).toMatch(/^ns-addr-service: cannot listen on /);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('names an IPv6 host in use in brackets', async ({ skip }) => {
    const blocker: Server = createServer();
    const listening = await new Promise<boolean>((resolve) => {
      blocker.once('error', () => resolve(false));
      blocker.listen(0, '::1', () => resolve(true));
    });
    if (!listening) {
      console.warn('[ns-addr-service] SKIPPED: this host cannot listen on ::1 (IPv6 off)');
      skip();
    }
    try {
      const port = (blocker.address() as AddressInfo).port;
      const list = await file('ok6.txt', '10.0.0.1:9876\n');
      const run6 = run(['--file', list, '--host', '::1', '--port', String(port)]);
      expect(await run6.exited).toBe(1);
      expect(run6.stderr()).toContain(
        `ns-addr-service: cannot listen on [::1]:${port} (--host/--port)`,
      );
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});

describe('ns-addr-service signals', () => {
  it('SIGHUP stops it cleanly: exit 0, "stopped" logged (its default action killed it, 129)', async () => {
    const list = await file('hup.txt', '10.0.0.1:9876\n');
    const r = run(['--file', list, '--host', '127.0.0.1', '--port', '0']);
    const deadline = Date.now() + 15_000;
    while (!r.stdout().includes('"listening"') && r.child.exitCode === null) {
      if (Date.now() > deadline) throw new Error(`not listening; stderr: ${r.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    r.child.kill('SIGHUP');
    expect(await r.exited, r.stderr()).toBe(0);
    expect(r.stderr()).toContain('"signal":"SIGHUP"');
    expect(r.stderr()).toContain('"msg":"stopped"');
  });
});
