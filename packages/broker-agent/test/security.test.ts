/**
 * The broker agent against a real node with access control and TLS (enforcing): signed
 * registrations, TLS with and without a client certificate, and the CLI flags.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../../server/test/security/security-helpers.js';
import { startSecureNode } from '../../server/test/security/secure-node.js';
import type { SecureNode, Settings } from '../../server/test/security/secure-node.js';
import { makeTestPki } from '../../server/test/security/test-pki.js';
import type { TestPki } from '../../server/test/security/test-pki.js';
import { BrokerAgent } from '../src/broker-agent.js';
import type { BrokerAgentOptions } from '../src/options.js';
import { parseCliArgs } from '../src/cli-args.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const CLI = join(ROOT, 'packages/broker-agent/dist/cli.js');
const BROKER = { accessKey: 'broker-a-key', secretKey: 'broker-secret-1' };

let pki: TestPki;
let dir: string;
const cleanups: (() => unknown)[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  await promisify(execFile)(join(ROOT, 'node_modules/.bin/tsc'), ['-b', 'packages/broker-agent'], {
    cwd: ROOT,
  });
  pki = await makeTestPki();
  dir = mkdtempSync(join(tmpdir(), 'ns-agent-sec-'));
  writeFileSync(
    join(dir, 'plain_acl.yml'),
    `accounts:\n  - accessKey: ${BROKER.accessKey}\n    secretKey: ${BROKER.secretKey}\n`,
  );
  for (const [name, pem] of Object.entries({
    'ca.pem': pki.ca.certPem,
    'server.pem': pki.server.certPem,
    'server.key': pki.server.keyPem,
    'client.pem': pki.client.certPem,
    'client.key': pki.client.keyPem,
  })) {
    writeFileSync(join(dir, name), pem);
  }
  writeFileSync(
    join(dir, 'tools.yml'),
    `accessKey: ${BROKER.accessKey}\nsecretKey: ${BROKER.secretKey}\n`,
  );
}, 120_000);

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function secureNode(tls: Settings): Promise<SecureNode> {
  const n = await startSecureNode({
    tlsServerMode: 'enforcing',
    aclEnable: true,
    aclFile: join(dir, 'plain_acl.yml'),
    ...tls,
  });
  cleanups.push(() => n.close());
  return n;
}

function agent(n: SecureNode, extra: Partial<BrokerAgentOptions>): BrokerAgent {
  const a = new BrokerAgent({
    clusterName: 'SecCluster',
    brokerName: 'broker-a',
    brokerAddr: '127.0.0.1:40911',
    namesrvAddr: n.addr,
    topics: [{ topicName: 'SecTopic' }],
    requestTimeoutMs: 4000,
    reprobeMaxDelayMs: 50,
    ...extra,
  });
  cleanups.push(() => a.stop());
  return a;
}

describe('BrokerAgent with credentials and TLS', () => {
  it('registers over TLS when it signs; an unsigned agent is refused (NO_PERMISSION)', async () => {
    const n = await secureNode({});
    const unsigned = await agent(n, { tls: true }).start();
    expect(unsigned.results[0]).toMatchObject({ ok: false });
    expect(String(unsigned.results[0]!.error)).toMatch(/broker-control requires/);
    await waitUntil(
      () => n.audit.some((l) => JSON.stringify(l).includes('REGISTER_BROKER')),
      'the refusal audit',
    );

    const signed = await agent(n, { tls: true, credentials: BROKER }).start();
    expect(signed.results[0]).toMatchObject({ ok: true });
    expect(
      n.server.routeInfoManager.pickupTopicRouteData('SecTopic')?.brokerDatas[0]?.brokerName,
    ).toBe('broker-a');
  });

  it('registers unsigned with a verified client certificate (how Java 4.9 brokers are let in)', async () => {
    const n = await secureNode({
      tlsServerCertPath: join(dir, 'server.pem'),
      tlsServerKeyPath: join(dir, 'server.key'),
      tlsServerTrustCertPath: join(dir, 'ca.pem'),
      tlsServerNeedClientAuth: 'require',
    });
    const round = await agent(n, {
      tls: { ca: pki.ca.certPem, cert: pki.client.certPem, key: pki.client.keyPem },
    }).start();
    expect(round.results[0]).toMatchObject({ ok: true });
    expect(
      await n.metric('namesrv_connections_sniffed_total', { outcome: 'tls' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      n.server.routeInfoManager.pickupTopicRouteData('SecTopic')?.brokerDatas[0]?.brokerName,
    ).toBe('broker-a');
  });
});

describe('ns-broker-agent security flags', () => {
  it('parses them under @ns/client names for credentialsFromCli/tlsFromCli', () => {
    const args = parseCliArgs([
      '--broker-addr',
      '1.2.3.4:10911',
      '--access-key',
      'ak',
      '--secret-key',
      'sk',
      '--tls',
      '--tls-ca',
      '/ca.pem',
      '--tls-cert',
      '/c.pem',
      '--tls-key',
      '/k.pem',
      '--tls-server-name',
      'ns',
      '--tools-yml',
      '/t.yml',
    ]);
    expect(args.security).toEqual({
      accessKey: 'ak',
      secretKey: 'sk',
      toolsYml: '/t.yml',
      tls: true,
      tlsCa: '/ca.pem',
      tlsCert: '/c.pem',
      tlsKey: '/k.pem',
      tlsServerName: 'ns',
    });
  });

  it('the CLI registers over TLS with --tools-yml and --tls-ca, and a half-given key exits 2 without printing the secret', async () => {
    const n = await secureNode({
      tlsServerCertPath: join(dir, 'server.pem'),
      tlsServerKeyPath: join(dir, 'server.key'),
    });
    const child = spawn(
      process.execPath,
      [
        CLI,
        '-n',
        n.addr,
        '--broker-name',
        'cli-sec',
        '--broker-addr',
        '127.0.0.1:40913',
        '--tls-ca',
        join(dir, 'ca.pem'),
        '--tools-yml',
        join(dir, 'tools.yml'),
      ],
      { env: { PATH: process.env['PATH'] ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await waitUntil(
      () => out.includes('\n') || child.exitCode !== null,
      `the registered line (stderr: ${err.slice(0, 500)})`,
      20_000,
    );
    expect(JSON.parse(out.split('\n')[0]!), err).toMatchObject({
      event: 'registered',
      ok: 1,
      failed: 0,
    });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const bad = spawn(
      process.execPath,
      [CLI, '-n', n.addr, '--broker-addr', '127.0.0.1:40914', '--secret-key', 'top-secret-value'],
      {
        env: { PATH: process.env['PATH'] ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(bad);
    let badErr = '';
    bad.stderr.on('data', (d: Buffer) => (badErr += d.toString('utf8')));
    const code = await new Promise<number | null>((r) => bad.once('exit', (c) => r(c)));
    expect(code).toBe(2);
    // This command's flag spellings: nsadmin's (--secretKey) are not accepted here.
    expect(badErr).toContain('--secret-key needs --access-key');
    expect(badErr).not.toContain('top-secret-value');
  }, 60_000);

  it('an empty security flag value exits 2 naming the flag (it turned TLS or signing off)', async () => {
    const cases: [string[], string][] = [
      [['--tls-ca', ''], '--tls-ca'],
      [['--tls-cert', '', '--tls-key', ''], '--tls-cert'],
      [['--tls-cert', join(dir, 'client.pem'), '--tls-key', ' '], '--tls-key'],
      [['--access-key', ''], '--access-key'],
      [['--tools-yml', ''], '--tools-yml'],
    ];
    const outcomes = await Promise.all(
      cases.map(async ([flags]) => {
        const child = spawn(
          process.execPath,
          [CLI, '-n', '127.0.0.1:1', '--broker-addr', '127.0.0.1:40915', ...flags],
          {
            env: { PATH: process.env['PATH'] ?? '' },
            stdio: ['ignore', 'ignore', 'pipe'],
          },
        );
        children.push(child);
        let err = '';
        child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
        const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
        return { code, err };
      }),
    );
    expect(outcomes).toEqual(
      cases.map(([, flag]) => ({
        code: 2,
        err: `ns-broker-agent: ${flag}: expected a value, got an empty one\n`,
      })),
    );
  }, 60_000);
});
