/**
 * `ns-server` as a real child process: the listening line, -p, -h, config errors (exit 1),
 * startup failures (exit 2, naming the key of a port in use) and SIGTERM (exit 0).
 *
 * The child is the built dist/main.js run by plain node (what ships, and no tsx compiling the
 * sources in every child), so `tsc -b` must have run (pnpm test:all does).
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect as tlsConnect } from 'node:tls';
import {
  FrameDecoder,
  RequestCode,
  ResponseCode,
  createRequest,
  decodeFrame,
  encodeCommand,
  newExtFields,
} from '@ns/protocol';
import { createCertificate } from '../src/security/tls/certificate-factory.js';
import { RawClient } from './transport-helpers.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const MAIN = join(here, '..', 'dist', 'main.js');

beforeAll(() => {
  // A bare ENOENT (or MODULE_NOT_FOUND) from every child would not say what to do.
  if (!existsSync(MAIN)) {
    throw new Error(`${MAIN} is missing: run \`npx tsc -b\` first (pnpm test:all builds first)`);
  }
});

interface Child {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

let home = '';
const children: Child[] = [];

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'ns-main-'));
});

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) {
      c.proc.kill('SIGKILL');
      await c.exited;
    }
  }
  rmSync(home, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string> = {}): Child {
  const proc = spawn(process.execPath, [MAIN, ...args], {
    env: { ...process.env, HOME: home, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) =>
    // 'close', not 'exit': only then has every byte of stdout and stderr been read.
    proc.once('close', (code) => resolve(code)),
  );
  const child = { proc, stdout: () => out, stderr: () => err, exited };
  children.push(child);
  return child;
}

/** Resolves with the parsed listening line; rejects on early exit or timeout, with stderr. */
async function listening(child: Child, timeoutMs = 15_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = child.stdout().split('\n')[0];
    if (child.stdout().includes('\n') && line !== undefined) return JSON.parse(line);
    if (child.proc.exitCode !== null) {
      throw new Error(
        `ns-server exited ${child.proc.exitCode} before listening: ${child.stderr()}`,
      );
    }
    if (Date.now() > deadline) throw new Error(`no listening line; stderr: ${child.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const LOCAL = ['--bindAddress=127.0.0.1', '--listenPort=0', '--httpPort=-1'];

describe('ns-server', () => {
  it('prints one listening line, serves requests, logs the boot line, and exits 0 on SIGTERM', async () => {
    const child = run(LOCAL);
    const line = await listening(child);
    expect(line).toMatchObject({ event: 'listening', host: '127.0.0.1', httpPort: null });
    expect(typeof line.port).toBe('number');

    const c = await RawClient.connect(line.port as number);
    try {
      const extFields = newExtFields();
      extFields.topic = 'Nope';
      const res = await c.request(
        createRequest({ code: RequestCode.GET_ROUTEINFO_BY_TOPIC, opaque: 1, extFields }),
      );
      expect(res.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    } finally {
      c.destroy();
    }

    child.proc.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    expect(child.stdout().trim().split('\n')).toHaveLength(1);
    expect(child.stderr()).toContain(
      'The Name Server boot success. serializeType=JSON, address 127.0.0.1:',
    );
    // Logs are JSON lines on stderr.
    for (const l of child.stderr().trim().split('\n')) expect(() => JSON.parse(l)).not.toThrow();
  });

  it('a second signal forces exit while shutdown waits for a peer that never closes', async () => {
    const child = run([...LOCAL, '--shutdownTimeoutMillis=60000']);
    const line = await listening(child);
    // Half-open: it never answers our FIN, so graceful close would wait the full minute. It
    // asks something first: a connection is served once its first byte said plain or TLS (one
    // that never sent anything is simply dropped at shutdown).
    const stubborn = await RawClient.connect(line.port as number, { allowHalfOpen: true });
    const ext = newExtFields();
    ext['topic'] = 'Any';
    await stubborn.request(
      createRequest({ code: RequestCode.GET_ROUTEINFO_BY_TOPIC, opaque: 1, extFields: ext }),
    );
    try {
      child.proc.kill('SIGTERM');
      const deadline = Date.now() + 10_000;
      while (!child.stderr().includes('shutting down')) {
        if (Date.now() > deadline) throw new Error(`no shutdown log; stderr: ${child.stderr()}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(child.proc.exitCode).toBeNull();
      child.proc.kill('SIGTERM');
      expect(await child.exited).toBe(3);
      // Logged and flushed synchronously before the forced exit.
      expect(child.stderr()).toContain('second signal, exiting without finishing shutdown');
    } finally {
      stubborn.destroy();
    }
  });

  it('-p prints the effective configuration and exits 0', async () => {
    const child = run(['-p', '--listenPort=12345']);
    expect(await child.exited).toBe(0);
    expect(child.stdout()).toMatch(/^listenPort=12345$/m);
    // httpPort follows listenPort unless set.
    expect(child.stdout()).toMatch(/^httpPort=12346$/m);
    expect(child.stdout()).toMatch(/^serverChannelMaxIdleTimeSeconds=120$/m);
  });

  it('-c loads a properties file', async () => {
    const file = join(home, 'namesrv.properties');
    writeFileSync(file, 'listenPort=23456\norderMessageEnable=true\n');
    const child = run(['-c', file, '-p']);
    expect(await child.exited).toBe(0);
    expect(child.stdout()).toMatch(/^listenPort=23456$/m);
    expect(child.stdout()).toMatch(/^orderMessageEnable=true$/m);
    expect(child.stdout()).toContain(`configStorePath=${file}`);
  });

  it('-c refuses a file that is not UTF-8, naming it (a Latin-1 é became U+FFFD in a path)', async () => {
    const file = join(home, 'latin1.properties');
    writeFileSync(file, Buffer.from('kvConfigPath=/data/caf\xe9/kvConfig.json\n', 'latin1'));
    const child = run(['-c', file, '-p']);
    expect(await child.exited).toBe(1);
    expect(child.stderr()).toContain(`cannot read config file ${file} (from -c): not valid UTF-8`);
    const utf8 = join(home, 'utf8.properties');
    writeFileSync(utf8, '\uFEFFkvConfigPath=/data/caf\u00e9/kvConfig.json\n');
    const ok = run(['-c', utf8, '-p']);
    expect(await ok.exited).toBe(0);
    expect(ok.stdout()).toContain('kvConfigPath=/data/caf\\u00E9/kvConfig.json');
  });

  it("a client certificate verified against the system CAs only is no 'cert' proof (tlsServerAuthClient without a trust file)", async () => {
    // A root the node's process trusts by default (NODE_EXTRA_CA_CERTS), standing in for any
    // public CA: anyone can get a certificate chaining to one.
    const root = await createCertificate({ commonName: 'Some Public Root', isCA: true });
    const stranger = await createCertificate({ commonName: 'www.example.org', issuer: root });
    writeFileSync(join(home, 'root.pem'), root.certPem);
    writeFileSync(
      join(home, 'acl.yml'),
      'accounts:\n  - accessKey: ops-admin\n    secretKey: admin-secret-123\n    admin: true\n',
    );
    const child = run(
      [
        ...LOCAL,
        '--aclEnable=true',
        `--aclFile=${join(home, 'acl.yml')}`,
        '--aclBrokerControl=cert',
        '--tlsServerNeedClientAuth=optional',
        '--tlsServerAuthClient=true',
      ],
      { NODE_EXTRA_CA_CERTS: join(home, 'root.pem') },
    );
    const { port } = (await listening(child)) as { port: number };
    const socket = tlsConnect({
      host: '127.0.0.1',
      port,
      rejectUnauthorized: false,
      cert: stranger.certPem,
      key: stranger.keyPem,
    });
    const ext = newExtFields();
    Object.assign(ext, {
      clusterName: 'c',
      brokerName: 'evil',
      brokerAddr: '6.6.6.6:10911',
      brokerId: '0',
    });
    const answer = await new Promise<number>((resolve, reject) => {
      const decoder = new FrameDecoder();
      socket.on('data', (chunk: Buffer) => {
        const [frame] = decoder.push(chunk);
        if (frame !== undefined) resolve(decodeFrame(frame).code);
      });
      socket.on('error', reject);
      socket.once('secureConnect', () => {
        socket.write(
          encodeCommand(
            createRequest({ code: RequestCode.UNREGISTER_BROKER, opaque: 1, extFields: ext }),
          ),
        );
      });
    });
    socket.destroy();
    expect(answer).toBe(ResponseCode.NO_PERMISSION);
  }, 30_000);

  it('-h prints usage and exits 0', async () => {
    const child = run(['-h']);
    expect(await child.exited).toBe(0);
    expect(child.stdout()).toContain('Usage: ns-server');
  });

  it.each([
    [['--listenPort=abc'], 'listenPort'],
    [['--noSuchKey=1'], 'noSuchKey'],
  ])('a bad option %j names %s and exits 1', async (args, key) => {
    const child = run(args);
    expect(await child.exited).toBe(1);
    expect(child.stderr()).toContain(key);
    expect(child.stdout()).toBe('');
  });

  it.each([
    [
      'listenPort',
      (port: number) => ['--bindAddress=127.0.0.1', `--listenPort=${port}`, '--httpPort=-1'],
    ],
    [
      'httpPort',
      (port: number) => [
        '--bindAddress=127.0.0.1',
        '--listenPort=0',
        '--httpBindAddress=127.0.0.1',
        `--httpPort=${port}`,
      ],
    ],
  ])('a port in use stops startup with exit 2 and names its key: %s', async (key, args) => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const child = run(args(port));
      expect(await child.exited).toBe(2);
      expect(child.stderr()).toContain(
        `ns-server: cannot listen on 127.0.0.1:${port} (${key}): EADDRINUSE`,
      );
      // A taken listenPort is often a neighbour node's HTTP port (its listenPort + 1).
      expect(child.stderr().includes('at least 2 apart')).toBe(key === 'listenPort');
      expect(child.stdout()).toBe('');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('a SIGTERM while the serving workers start is the stop asked for: exit 0, not a startup failure', async () => {
    // A free port, so that the test can see the node accept before its workers are up.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const child = run([
      '--bindAddress=127.0.0.1',
      `--listenPort=${port}`,
      '--httpPort=-1',
      '--servingWorkers=2',
    ]);
    // The port accepts (the owner listens first) while the workers, forked next, still start.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const accepted = await RawClient.connect(port).then(
        (c) => {
          c.destroy();
          return true;
        },
        () => false,
      );
      if (accepted || child.proc.exitCode !== null) break;
      if (Date.now() > deadline) throw new Error(`never accepted; stderr: ${child.stderr()}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    child.proc.kill('SIGTERM');
    expect(await child.exited, child.stderr()).toBe(0);
    expect(child.stderr()).not.toContain('failed to start');
  }, 30_000);

  it('UPDATE_NAMESRV_CONFIG with configStorePath under /proc fails at once with SYSTEM_ERROR naming it; SIGTERM still stops', async ({
    skip,
  }) => {
    if (process.platform !== 'linux') {
      console.warn('[main-cli] SKIPPED the /proc configStorePath case: not Linux, no procfs');
      skip();
    }
    // Node's recursive mkdir used to spin here forever (in C++, signals unhandled).
    const store = '/proc/ns-main-cli-test/namesrv.properties';
    const child = run([...LOCAL, `--configStorePath=${store}`]);
    const line = await listening(child);
    const c = await RawClient.connect(line.port as number);
    try {
      const res = await c.request(
        createRequest({
          code: RequestCode.UPDATE_NAMESRV_CONFIG,
          opaque: 1,
          body: Buffer.from('orderMessageEnable=true\n'),
        }),
      );
      expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
      expect(res.remark).toBe(
        `NameServerError: cannot write configStorePath ${store}: ENOENT: no such file or directory, mkdir '/proc/ns-main-cli-test'`,
      );
    } finally {
      c.destroy();
    }
    child.proc.kill('SIGTERM');
    expect(await child.exited).toBe(0);
  });

  it('a corrupt KV file stops startup with exit 2, naming the file, and keeps it', async () => {
    const kv = join(home, 'kvConfig.json');
    writeFileSync(kv, 'not json');
    const child = run([...LOCAL, `--kvConfigPath=${kv}`]);
    expect(await child.exited).toBe(2);
    expect(child.stderr()).toContain(kv);
    expect(child.stdout()).toBe('');
    expect(readFileSync(kv, 'utf8')).toBe('not json');
  });
});
