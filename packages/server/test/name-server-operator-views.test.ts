/**
 * The operator's views wired into a real NameServer (in-process): the digest and its gauge, the
 * effective configuration with sources (also after UPDATE_NAMESRV_CONFIG), KV, topic pages.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { loadConsoleAssetsFrom } from '../src/http/index.js';
import { createRequest, RequestCode } from '@ns/protocol';
import { NameServer } from '../src/name-server.js';
import { RawClient } from './transport-helpers.js';

let dir = '';
const servers: NameServer[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ns-ops-'));
});

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(argv: string[], env: Record<string, string> = {}) {
  const input = {
    argv: [
      '--bindAddress=127.0.0.1',
      '--listenPort=0',
      '--httpBindAddress=127.0.0.1',
      '--httpPort=0',
      ...argv,
    ],
    env,
    readFile: (p: string) => readFileSync(p, 'utf8'),
    homeDir: dir,
  };
  const loaded = loadConfig(input);
  const s = new NameServer({
    config: loaded.config,
    defaultMetrics: false,
    configOrigin: { sources: loaded.sources, defaults: { homeDir: dir, env } },
  });
  servers.push(s);
  const address = await s.start();
  const base = `http://127.0.0.1:${address.httpPort}`;
  const json = async (path: string): Promise<any> => (await fetch(base + path)).json();
  return { s, base, json };
}

function register(s: NameServer, brokerName: string, topics: string[], counter = 1): void {
  s.routeInfoManager.registerBroker({
    clusterName: 'C',
    brokerName,
    brokerAddr: `10.0.0.${brokerName.length}:10911`,
    brokerId: 0,
    haServerAddr: '',
    brokerVersion: 407,
    connectionId: 1,
    filterServerList: [],
    topicConfigWrapper: {
      dataVersion: { counter, timestamp: 1000 },
      topicConfigTable: new Map(
        topics.map((t) => [
          t,
          {
            topicName: t,
            readQueueNums: 4,
            writeQueueNums: 4,
            perm: 6,
            topicFilterType: 'SINGLE_TAG' as const,
            topicSysFlag: 0,
            order: false,
          },
        ]),
      ),
    },
  });
}

describe('operator views of a running node', () => {
  it('/digest follows the route table and namesrv_route_digest exposes it', async () => {
    const { s, base, json } = await start([]);
    const empty = await json('/digest');
    register(s, 'broker-a', ['T1', 'T2']);
    const d = await json('/digest');
    expect(d.digest).not.toBe(empty.digest);
    expect(d.topicCount).toBe(2);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const gauge = /^namesrv_route_digest (\d+)$/m.exec(metrics)?.[1];
    expect(Number(gauge)).toBe(Number.parseInt(d.digest, 16));
    const brokers = await json('/brokers');
    expect(brokers.brokers[0].brokerVersion).toBe(407);
    const page = await json('/topics?q=t2');
    expect(page.topics.map((t: { topic: string }) => t.topic)).toEqual(['T2']);
    register(s, 'broker-a', ['T1', 'T2', 'T3'], 2);
    expect((await json('/topics?q=t')).matched).toBe(3);
  });

  it('/config gives each value its source, and marks remote updates', async () => {
    const file = join(dir, 'ns.properties');
    writeFileSync(file, 'orderMessageEnable=true\n');
    const { s, json } = await start(['-c', file], { NAMESRV_LOG_LEVEL: 'warn' });
    const byKey = async () =>
      new Map((await json('/config')).config.map((e: { key: string }) => [e.key, e]));
    let config = await byKey();
    expect(config.get('orderMessageEnable')).toMatchObject({
      value: true,
      defaultValue: false,
      live: true,
      source: { kind: 'file', detail: `${file} line 1` },
    });
    expect(config.get('logLevel')).toMatchObject({
      source: { kind: 'env', detail: 'env NAMESRV_LOG_LEVEL' },
    });
    expect(config.get('listenPort')).toMatchObject({
      source: { kind: 'cli', detail: '--listenPort' },
    });
    expect(config.get('kvConfigPath')).toMatchObject({
      source: { kind: 'default' },
      defaultValue: join(dir, 'namesrv', 'kvConfig.json'),
    });
    const client = await RawClient.connect(s.address!.port);
    try {
      const res = await client.request(
        createRequest({
          code: RequestCode.UPDATE_NAMESRV_CONFIG,
          opaque: 1,
          body: Buffer.from('orderMessageEnable=false\n', 'latin1'),
        }),
      );
      expect(res.code).toBe(0);
    } finally {
      client.destroy();
    }
    config = await byKey();
    expect(config.get('orderMessageEnable')).toMatchObject({
      value: false,
      source: { kind: 'remote', detail: 'UPDATE_NAMESRV_CONFIG' },
    });
  });

  it('/kv mirrors the KV table', async () => {
    const { s, json } = await start([]);
    s.kvConfigManager.putKVConfig('ORDER_TOPIC_CONFIG', 'T1', 'broker-a:4');
    expect(await json('/kv')).toEqual({
      configTable: { ORDER_TOPIC_CONFIG: { T1: 'broker-a:4' } },
    });
    register(s, 'broker-a', ['T1']);
    expect((await json('/topics/T1')).orderTopicConf).toBe('broker-a:4');
  });
});

describe('console assets', () => {
  it('are read once from static/ and dist/ (scripts only), gzipped, with ETags', () => {
    mkdirSync(join(dir, 'static'));
    mkdirSync(join(dir, 'dist', 'views'), { recursive: true });
    writeFileSync(join(dir, 'static', 'index.html'), '<!doctype html>');
    writeFileSync(join(dir, 'dist', 'main.js'), 'export {};');
    writeFileSync(join(dir, 'dist', 'main.d.ts'), 'export {};');
    writeFileSync(join(dir, 'dist', 'views', 'a.js'), 'export const a = 1;');
    const assets = loadConsoleAssetsFrom(dir);
    expect(assets.problem).toBeNull();
    expect(assets.get('index.html')?.contentType).toBe('text/html; charset=utf-8');
    expect(assets.get('views/a.js')?.contentType).toBe('text/javascript; charset=utf-8');
    expect(assets.get('main.d.ts')).toBeUndefined();
    expect(assets.get('../package.json')).toBeUndefined();
    const main = assets.get('main.js')!;
    expect(main.etag).toMatch(/^"[\w-]{22}"$/);
    expect(main.gzip.length).toBeGreaterThan(0);
  });

  it('name what is missing when the console was not built', () => {
    const assets = loadConsoleAssetsFrom(join(dir, 'nowhere'));
    expect(assets.problem).toContain('console assets not built');
    expect(assets.problem).toContain('tsc -b');
  });
});
