/**
 * bindAddress / httpBindAddress as the Java NameServer reads them: the default 0.0.0.0 is one
 * dual-stack socket where the host has IPv6 (the JVM binds the IPv6 wildcard for it), and an IPv6
 * literal may be bracketed.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRequest, RequestCode, ResponseCode } from '@ns/protocol';
import { loadConfig } from '../src/config/index.js';
import { NameServer } from '../src/name-server.js';
import { RawClient } from './transport-helpers.js';

const servers: NameServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Whether this host can listen on ::1 (IPv6 may be off in a container). */
async function hasIPv6Loopback(): Promise<boolean> {
  const probe = createServer();
  return new Promise((resolve) => {
    probe.once('error', () => resolve(false));
    probe.listen(0, '::1', () => probe.close(() => resolve(true)));
  });
}

async function start(...argv: string[]): Promise<{ port: number; httpPort: number }> {
  const home = mkdtempSync(join(tmpdir(), 'ns-bind-'));
  dirs.push(home);
  const config = loadConfig({
    argv: ['--listenPort=0', '--httpPort=0', '--servingWorkers=1', ...argv],
    env: {},
    readFile: (p) => readFileSync(p, 'utf8'),
    homeDir: home,
  }).config;
  const server = new NameServer({ config, defaultMetrics: false });
  servers.push(server);
  const address = await server.start();
  return { port: address.port, httpPort: address.httpPort! };
}

async function routeCode(host: string, port: number): Promise<number> {
  const client = await RawClient.connect(port, { host });
  try {
    const res = await client.request(
      createRequest({
        code: RequestCode.GET_ROUTEINFO_BY_TOPIC,
        opaque: 1,
        extFields: { topic: 'NoSuchTopic' },
      }),
    );
    return res.code;
  } finally {
    client.socket.destroy();
  }
}

async function healthz(host: string, port: number): Promise<number> {
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/healthz`;
  return (await fetch(url)).status;
}

describe('bindAddress', () => {
  it('0.0.0.0 (the default) serves IPv4 and IPv6 clients on both ports, as Java does', async ({
    skip,
  }) => {
    if (!(await hasIPv6Loopback())) {
      console.warn('[bind-address] SKIPPED: this host cannot listen on ::1 (IPv6 off)');
      skip();
    }
    const { port, httpPort } = await start('--bindAddress=0.0.0.0', '--httpBindAddress=0.0.0.0');
    expect(await routeCode('127.0.0.1', port)).toBe(ResponseCode.TOPIC_NOT_EXIST);
    expect(await routeCode('::1', port)).toBe(ResponseCode.TOPIC_NOT_EXIST);
    expect(await healthz('127.0.0.1', httpPort)).toBe(200);
    expect(await healthz('::1', httpPort)).toBe(200);
  });

  it('takes an IPv6 literal in brackets, as Java does', async ({ skip }) => {
    if (!(await hasIPv6Loopback())) {
      console.warn('[bind-address] SKIPPED: this host cannot listen on ::1 (IPv6 off)');
      skip();
    }
    const { port, httpPort } = await start('--bindAddress=[::1]', '--httpBindAddress=[::1]');
    expect(await routeCode('::1', port)).toBe(ResponseCode.TOPIC_NOT_EXIST);
    expect(await healthz('::1', httpPort)).toBe(200);
  });
});
