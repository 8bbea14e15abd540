import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RequestCode, ResponseCode, createRequest, newExtFields } from '@ns/protocol';
import { loadConfig } from '../src/config/index.js';
import { NameServer } from '../src/name-server.js';
import { writeEncryptedKeyPair } from './tls-key-files.js';
import { startSecureNode } from './security/secure-node.js';
import { RawClient, waitFor } from './transport-helpers.js';

let dir = '';
const servers: NameServer[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ns-http-'));
});

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

function server(argv: string[], clock?: { now(): number }): NameServer {
  const config = loadConfig({
    argv: ['--bindAddress=127.0.0.1', '--listenPort=0', '--httpBindAddress=127.0.0.1', ...argv],
    env: {},
    readFile: (p) => readFileSync(p, 'utf8'),
    homeDir: dir,
  }).config;
  const s = new NameServer({ config, defaultMetrics: false, ...(clock ? { clock } : {}) });
  servers.push(s);
  return s;
}

describe('NameServer HTTP admin port', () => {
  it('binds the HTTP port next to the remoting port and serves health and metrics', async () => {
    const s = server(['--httpPort=0']);
    const { port, httpPort } = await s.start();
    expect(httpPort).toBeGreaterThan(0);
    expect(httpPort).not.toBe(port);
    const base = `http://127.0.0.1:${httpPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);

    const c = await RawClient.connect(port);
    try {
      await waitFor('connection counted', () => s.connectionCount === 1);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(/^namesrv_connections_open 1$/m);
    } finally {
      c.destroy();
    }

    await s.close();
    const err: unknown = await fetch(`${base}/healthz`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
  });

  it('shows the KV config that PUT_KV_CONFIG wrote, at /kv and /kv/{namespace}', async () => {
    const s = server(['--httpPort=0', `--kvConfigPath=${join(dir, 'kvConfig.json')}`]);
    const { port, httpPort } = await s.start();
    const base = `http://127.0.0.1:${httpPort}`;
    expect(await (await fetch(`${base}/kv`)).json()).toEqual({ configTable: {} });
    const c = await RawClient.connect(port);
    try {
      const put = newExtFields();
      put.namespace = 'ORDER_TOPIC_CONFIG';
      put.key = 'TopicTest';
      put.value = 'broker-a:4';
      const res = await c.request(
        createRequest({ code: RequestCode.PUT_KV_CONFIG, opaque: 1, extFields: put }),
      );
      expect(res.code).toBe(ResponseCode.SUCCESS);
    } finally {
      c.destroy();
    }
    expect(await (await fetch(`${base}/kv`)).json()).toEqual({
      configTable: { ORDER_TOPIC_CONFIG: { TopicTest: 'broker-a:4' } },
    });
    const one = await fetch(`${base}/kv/ORDER_TOPIC_CONFIG`);
    expect(one.status).toBe(200);
    expect(await one.json()).toEqual({
      namespace: 'ORDER_TOPIC_CONFIG',
      table: { TopicTest: 'broker-a:4' },
    });
    expect((await fetch(`${base}/kv/NOPE`)).status).toBe(404);
  });

  it('never shows tlsServerKeyPassword: /config and the startup log line say only that it is set', async () => {
    const password = 'pw-of-the-key-7f3a9c';
    const { certPath, keyPath } = await writeEncryptedKeyPair(dir, password);
    const n = await startSecureNode({
      tlsServerCertPath: certPath,
      tlsServerKeyPath: keyPath,
      tlsServerKeyPassword: password,
    });
    try {
      const res = await fetch(`http://127.0.0.1:${n.httpPort}/config`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).not.toContain(password);
      const entries = (JSON.parse(text) as { config: { key: string; value: unknown }[] }).config;
      expect(entries.find((e) => e.key === 'tlsServerKeyPassword')?.value).toBe('(secret)');
      expect(entries.find((e) => e.key === 'tlsServerKeyPath')?.value).toBe(
        join(dir, 'server.key'),
      );

      const starting = n.lines.find((l) => l['msg'] === 'starting name server');
      expect(starting).toMatchObject({ config: { tlsServerKeyPassword: '(secret)' } });
      expect(JSON.stringify(n.lines)).not.toContain(password);
      // Only the copy in the log is redacted: the node runs with the password.
      expect(n.server.config.tlsServerKeyPassword).toBe(password);
    } finally {
      await n.close();
    }
  });

  it('shows an unset secret as unset (empty), not as the marker', async () => {
    const s = server(['--httpPort=0']);
    const { httpPort } = await s.start();
    const { config: entries } = (await (
      await fetch(`http://127.0.0.1:${httpPort}/config`)
    ).json()) as { config: { key: string; value: unknown }[] };
    expect(entries.find((e) => e.key === 'tlsServerKeyPassword')?.value).toBe('');
  });

  it('follows the remoting access policy: with aclEnable=true /kv and /config answer 403, route views 200; with it off, 200', async () => {
    const aclFile = join(dir, 'plain_acl.yml');
    writeFileSync(aclFile, 'accounts:\n  - accessKey: ops-admin\n    secretKey: a-long-secret\n');
    const secure = server(['--httpPort=0', '--aclEnable=true', `--aclFile=${aclFile}`]);
    const { httpPort: securePort } = await secure.start();
    const open = server(['--httpPort=0']);
    const { httpPort: openPort } = await open.start();
    for (const path of ['/kv', '/kv/ORDER_TOPIC_CONFIG', '/config']) {
      const refused = await fetch(`http://127.0.0.1:${securePort}${path}`);
      expect(refused.status, path).toBe(403);
      const body = (await refused.json()) as { error: string; requestClass: string };
      expect(body.requestClass).toBe('admin-read');
      expect(body.error).toContain('aclAdminRead=signed');
      expect(body.error).toContain('signed remoting request');
    }
    for (const path of ['/kv', '/config', '/clusters', '/topics', '/digest', '/healthz']) {
      expect((await fetch(`http://127.0.0.1:${openPort}${path}`)).status, path).toBe(200);
    }
    for (const path of ['/clusters', '/brokers', '/topics', '/digest', '/healthz', '/metrics']) {
      expect((await fetch(`http://127.0.0.1:${securePort}${path}`)).status, path).toBe(200);
    }
  });

  it('is not ready during needWaitForService, then ready', async () => {
    const clock = {
      t: Date.now(),
      now(): number {
        return this.t;
      },
    };
    const s = server(
      ['--httpPort=0', '--needWaitForService=true', '--waitSecondsForService=45'],
      clock,
    );
    const { httpPort } = await s.start();
    const readyz = `http://127.0.0.1:${httpPort}/readyz`;
    expect((await fetch(readyz)).status).toBe(503);
    clock.t += 45_000;
    expect((await fetch(readyz)).status).toBe(200);
  });

  it('httpPort=-1 disables the HTTP port', async () => {
    const s = server(['--httpPort=-1']);
    expect((await s.start()).httpPort).toBeNull();
  });
});
