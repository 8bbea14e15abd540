import { createServer as createHttpServer } from 'node:http';
import { connect, createServer } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { ClusterInfo, RouteDigest, TopicRouteData } from '@ns/protocol';
import { createMetrics } from '../metrics.js';
import { SECURE_PROFILE } from '../security/access-policy.js';
import { parseClassPolicy } from '../security/policy-spec.js';
import { createBrowserHostPolicy } from '../security/browser-hosts.js';
import type { AdminBrokerView, AdminViews, HttpLogger } from './admin-views.js';
import { HttpAdminError, HttpAdminServer } from './http-admin-server.js';
import type { HttpAdminServerOptions } from './http-admin-server.js';
import { startupReadiness } from './readiness.js';

interface LogLine {
  level: string;
  obj: object;
  msg: string;
}

function captureLogger(): HttpLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (obj: object, msg: string): void => {
      lines.push({ level, obj, msg });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const NOW = 1_700_000_000_000;

const route: TopicRouteData = {
  queueDatas: [
    { brokerName: 'broker-a', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 },
  ],
  brokerDatas: [
    {
      cluster: 'DefaultCluster',
      brokerName: 'broker-a',
      brokerAddrs: new Map([
        [0, '127.0.0.1:10911'],
        [1, '127.0.0.1:10921'],
      ]),
    },
  ],
  filterServerTable: new Map(),
};

const clusterInfo: ClusterInfo = {
  brokerAddrTable: new Map([['broker-a', route.brokerDatas[0]!]]),
  clusterAddrTable: new Map([['DefaultCluster', ['broker-a']]]),
};

const brokers: AdminBrokerView[] = [
  {
    clusterName: 'DefaultCluster',
    brokerName: 'broker-a',
    brokerId: 1,
    brokerAddr: '127.0.0.1:10921',
    haServerAddr: '127.0.0.1:10922',
    lastUpdateTimestamp: NOW - 30_000,
    heartbeatTimeoutMillis: 120_000,
    dataVersion: { counter: 2, timestamp: NOW - 60_000 },
  },
  {
    clusterName: 'DefaultCluster',
    brokerName: 'broker-a',
    brokerId: 0,
    brokerAddr: '127.0.0.1:10911',
    lastUpdateTimestamp: NOW - 1500,
  },
];

const kvTables = new Map<string, Map<string, string>>([
  [
    'ORDER_TOPIC_CONFIG',
    new Map([
      ['TopicB', 'broker-a:4;broker-b:4'],
      ['TopicA', 'broker-a:8'],
    ]),
  ],
  ['EMPTY', new Map()],
  ['ns with/slash', new Map([['k', 'v']])],
]);

const digest: RouteDigest = {
  format: 1,
  digest: '0123abcd',
  topicCount: 2,
  clusters: [{ clusterName: 'DefaultCluster', brokerNames: ['broker-a'] }],
  brokerGroups: [
    {
      brokerName: 'broker-a',
      cluster: 'DefaultCluster',
      brokerAddrs: { '0': '127.0.0.1:10911' },
      topicCount: 2,
      topicsHash: '89abcdef',
    },
  ],
  brokers: [],
};

function views(over: Partial<AdminViews> = {}): AdminViews {
  const all: AdminViews = {
    clusterInfo: () => clusterInfo,
    brokers: () => brokers,
    topics: () => new Set(['TopicTest', '%RETRY%group', 'BenchmarkTest']),
    topicRoute: (topic) => (topic === 'TopicTest' || topic === '%RETRY%group' ? route : null),
    onRouteChanged: () => () => undefined,
    orderTopicConf: (topic) => (topic === 'TopicTest' ? 'broker-a:4' : null),
    routeDigest: () => digest,
    digestTopics: (brokerName) =>
      Promise.resolve(
        // eslint-disable-next-line require-yield
        (function* () {
          return brokerName === 'broker-a'
            ? {
                format: 1,
                brokerName,
                topics: [
                  {
                    topic: 'TopicTest',
                    readQueueNums: 4,
                    writeQueueNums: 4,
                    perm: 6,
                    topicSysFlag: 0,
                  },
                ],
              }
            : null;
        })(),
      ),
    kvConfig: () =>
      new Map([
        ['ORDER_TOPIC_CONFIG', new Map([['TopicTest', 'broker-a:4']])],
        ['EMPTY', new Map()],
      ]),
    kvVersion: () => 0,
    config: () => [
      {
        key: 'listenPort',
        value: 9876,
        defaultValue: 9876,
        source: { kind: 'default', detail: 'default' },
        live: false,
        description: 'TCP port',
      },
    ],
    consistencyNodes: () => '',
    hasTopic: (topic) => [...all.topics()].includes(topic),
    ...over,
  };
  return all;
}

async function waitUntil(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const servers: HttpAdminServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(over: Partial<HttpAdminServerOptions> = {}) {
  const logger = captureLogger();
  const metrics = createMetrics(
    { brokerCount: () => 2, topicCount: () => 3 },
    { defaultMetrics: false },
  );
  const server = new HttpAdminServer({
    host: '127.0.0.1',
    port: 0,
    views: views(),
    metrics,
    isReady: () => true,
    logger,
    now: () => NOW,
    ...over,
  });
  servers.push(server);
  const address = await server.start();
  const base = `http://127.0.0.1:${address.port}`;
  const get = async (path: string, method: 'GET' | 'HEAD' | 'POST' | 'DELETE' = 'GET') => {
    const res = await request(base + path, { method });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text };
  };
  return { server, address, logger, metrics, get };
}

describe('HttpAdminServer', () => {
  it('binds 127.0.0.1 on an ephemeral port and reports it', async () => {
    const { address } = await start();
    expect(address.host).toBe('127.0.0.1');
    expect(address.port).toBeGreaterThan(0);
  });

  it('names the configured wildcard 0.0.0.0, not the :: its dual-stack socket bound', async () => {
    const { address, logger, get } = await start({ host: '0.0.0.0' });
    expect(address.host).toBe('0.0.0.0');
    const line = logger.lines.find((l) => l.msg === 'HTTP admin server listening');
    expect(line?.obj).toEqual({ host: '0.0.0.0', port: address.port });
    expect((await get('/healthz')).status).toBe(200);
  });

  it('/healthz answers 200', async () => {
    const { get } = await start();
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(res.text)).toEqual({ status: 'ok' });
  });

  it('/readyz follows isReady()', async () => {
    let ready = false;
    const { get } = await start({ isReady: () => ready });
    expect((await get('/readyz')).status).toBe(503);
    ready = true;
    const res = await get('/readyz');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ status: 'ready' });
  });

  it('/metrics serves the Prometheus text of the registry', async () => {
    const { get, metrics } = await start();
    metrics.observeRequest(105, 0, 0.0001);
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.text).toContain(
      'namesrv_requests_total{code="GET_ROUTEINFO_BY_TOPIC",result="SUCCESS"} 1',
    );
    expect(res.text).toMatch(/^namesrv_brokers 2$/m);
    expect(res.text).toMatch(/^namesrv_topics 3$/m);
  });

  it('/clusters renders ClusterInfo as standard JSON (quoted ids)', async () => {
    const { get } = await start();
    const res = await get('/clusters');
    expect(res.status).toBe(200);
    expect(res.text).toContain('"brokerAddrs":{"0":"127.0.0.1:10911","1":"127.0.0.1:10921"}');
    expect(JSON.parse(res.text)).toEqual({
      brokerAddrTable: {
        'broker-a': {
          cluster: 'DefaultCluster',
          brokerName: 'broker-a',
          brokerAddrs: { '0': '127.0.0.1:10911', '1': '127.0.0.1:10921' },
        },
      },
      clusterAddrTable: { DefaultCluster: ['broker-a'] },
    });
  });

  it('/brokers lists live brokers sorted, with the age of the last update', async () => {
    const { get } = await start();
    const body = JSON.parse((await get('/brokers')).text);
    expect(body.brokers.map((b: { brokerId: number }) => b.brokerId)).toEqual([0, 1]);
    expect(body.brokers[0]).toEqual({
      clusterName: 'DefaultCluster',
      brokerName: 'broker-a',
      brokerId: 0,
      brokerAddr: '127.0.0.1:10911',
      haServerAddr: null,
      lastUpdateTimestamp: NOW - 1500,
      lastUpdateAgeMillis: 1500,
      heartbeatTimeoutMillis: null,
      dataVersion: null,
      brokerVersion: null,
    });
    expect(body.brokers[1].lastUpdateAgeMillis).toBe(30_000);
    expect(body.brokers[1].dataVersion).toEqual({ counter: 2, timestamp: NOW - 60_000 });
  });

  it('/topics lists topics sorted', async () => {
    const { get } = await start();
    expect(JSON.parse((await get('/topics')).text)).toEqual({
      topicList: ['%RETRY%group', 'BenchmarkTest', 'TopicTest'],
    });
  });

  it('/topics/:topic/route returns the route, percent-decoding the topic, or 404', async () => {
    const { get } = await start();
    const ok = await get('/topics/TopicTest/route');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text)).toEqual({
      queueDatas: [
        { brokerName: 'broker-a', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 },
      ],
      brokerDatas: [
        {
          cluster: 'DefaultCluster',
          brokerName: 'broker-a',
          brokerAddrs: { '0': '127.0.0.1:10911', '1': '127.0.0.1:10921' },
        },
      ],
      filterServerTable: {},
    });
    expect((await get('/topics/%25RETRY%25group/route')).status).toBe(200);
    const miss = await get('/topics/Nope/route');
    expect(miss.status).toBe(404);
    expect(JSON.parse(miss.text)).toEqual({
      error: 'No topic route info in name server for the topic: Nope',
    });
    expect((await get('/topics/%E0%A4%A/route')).status).toBe(400);
  });

  it('/kv lists every namespace with its entries, both sorted, empty namespaces included', async () => {
    const { get } = await start({ views: views({ kvConfig: () => kvTables }) });
    const res = await get('/kv');
    expect(res.status).toBe(200);
    expect(res.text).toBe(
      '{"configTable":{"EMPTY":{},"ORDER_TOPIC_CONFIG":{"TopicA":"broker-a:8","TopicB":"broker-a:4;broker-b:4"},"ns with/slash":{"k":"v"}}}',
    );
  });

  it('/kv/:namespace returns one namespace, percent-decoding it, or 404 with the Java remark', async () => {
    const { get } = await start({ views: views({ kvConfig: () => kvTables }) });
    const ok = await get('/kv/ORDER_TOPIC_CONFIG');
    expect(ok.status).toBe(200);
    expect(ok.text).toBe(
      '{"namespace":"ORDER_TOPIC_CONFIG","table":{"TopicA":"broker-a:8","TopicB":"broker-a:4;broker-b:4"}}',
    );
    expect(JSON.parse((await get('/kv/EMPTY')).text)).toEqual({ namespace: 'EMPTY', table: {} });
    expect(JSON.parse((await get('/kv/ns%20with%2Fslash')).text)).toEqual({
      namespace: 'ns with/slash',
      table: { k: 'v' },
    });
    const miss = await get('/kv/Nope');
    expect(miss.status).toBe(404);
    expect(JSON.parse(miss.text)).toEqual({ error: 'No config item, Namespace: Nope' });
    const bad = await get('/kv/%E0%A4%A');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toEqual({
      error: 'malformed percent-encoding in namespace "%E0%A4%A"',
    });
    expect((await get('/kv/a/b')).status).toBe(404);
  });

  it('/kv and /kv/:namespace: the former object JSON byte for byte, built once per KV version', async () => {
    // Keys JavaScript orders as array indices come first, by value, as the object did.
    const keys = ['b', '10', '2', '4294967294', '4294967295', '01', 'é', '\u{1F600}', 'a"q', '0'];
    const big = new Map<string, string | null>(keys.map((k, i) => [k, `v${i}`]));
    big.set('gone', null);
    for (let i = 0; i < 5000; i++) big.set(`key-${i}`, `value-${i}`);
    const table = new Map([
      ['big', big],
      ['7', new Map([['x', 'y']])],
      ['EMPTY', new Map()],
    ]);
    let keyWalks = 0;
    const counted = new Map(
      [...table].map(([ns, m]) => {
        const c = new Map(m);
        const keysOf = c.keys.bind(c);
        c.keys = () => {
          keyWalks++;
          return keysOf();
        };
        return [ns, c];
      }),
    );
    let version = 1;
    const { get } = await start({
      views: views({ kvConfig: () => counted, kvVersion: () => version }),
    });
    const asObject = (m: ReadonlyMap<string, string | null>): Record<string, string> => {
      const out: Record<string, string> = {};
      for (const k of [...m.keys()].sort()) {
        const v = m.get(k);
        if (v !== null && v !== undefined)
          Object.defineProperty(out, k, { value: v, enumerable: true });
      }
      return out;
    };
    const configTable: Record<string, unknown> = {};
    for (const ns of [...table.keys()].sort()) configTable[ns] = asObject(table.get(ns)!);
    const all = JSON.stringify({ configTable });
    const one = JSON.stringify({ namespace: 'big', table: asObject(big) });
    expect((await get('/kv')).text).toBe(all);
    expect((await get('/kv/big')).text).toBe(one);
    const walks = keyWalks;
    expect((await get('/kv')).text).toBe(all);
    expect((await get('/kv/big')).text).toBe(one);
    expect(keyWalks).toBe(walks);
    counted.get('big')!.set('b', 'changed');
    version++;
    expect(JSON.parse((await get('/kv/big')).text).table.b).toBe('changed');
    expect(keyWalks).toBeGreaterThan(walks);
  });

  it('a KV namespace or key named __proto__ is data, not a prototype', async () => {
    const weird = new Map([['__proto__', new Map([['__proto__', 'x']])]]);
    const { get } = await start({
      views: views({ kvConfig: () => weird }),
    });
    const all = JSON.parse((await get('/kv')).text);
    expect(Object.hasOwn(all.configTable, '__proto__')).toBe(true);
    expect(Object.hasOwn(all.configTable['__proto__'], '__proto__')).toBe(true);
    const one = JSON.parse((await get('/kv/__proto__')).text);
    expect(Object.hasOwn(one.table, '__proto__')).toBe(true);
  });

  it('/topics?q=&offset=&limit= pages a case-insensitive search, each topic with its brokers', async () => {
    const { get } = await start();
    const page = JSON.parse((await get('/topics?q=topic&limit=1')).text);
    expect(page).toEqual({
      total: 3,
      matched: 1,
      offset: 0,
      limit: 1,
      topics: [
        {
          topic: 'TopicTest',
          brokerNames: ['broker-a'],
          readQueueNums: 4,
          writeQueueNums: 4,
          perms: [6],
        },
      ],
    });
    const second = JSON.parse((await get('/topics?offset=1&limit=1')).text);
    expect(second.topics.map((t: { topic: string }) => t.topic)).toEqual(['BenchmarkTest']);
    expect(second.topics[0].brokerNames).toEqual([]);
    const past = JSON.parse((await get('/topics?offset=99')).text);
    expect(past).toMatchObject({ matched: 3, offset: 3, topics: [] });
    const bad = await get('/topics?limit=-1');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).error).toBe('limit: expected a non-negative integer, got "-1"');
    for (const raw of ['0x10', '1e3', '%207', '1.0', '0b1']) {
      const other = await get(`/topics?offset=${raw}`);
      expect(other.status, raw).toBe(400);
      expect(JSON.parse(other.text).error).toMatch(/^offset: expected a non-negative integer/);
    }
  });

  it('/topics of many topics is the whole sorted list, encoded in steps as JSON.stringify would', async () => {
    const topics = new Set(Array.from({ length: 5000 }, (_, i) => `T\u00e9"${(i * 7919) % 5003}`));
    const { get } = await start({ views: views({ topics: () => topics }) });
    const res = await get('/topics');
    expect(res.text).toBe(JSON.stringify({ topicList: [...topics].sort() }));
    const page = JSON.parse((await get('/topics?q=T%C3%89%2212&limit=500')).text);
    expect(page.matched).toBe([...topics].filter((t) => t.includes('"12')).length);
  });

  it('the sorted topic list is rebuilt after a route change, not before', async () => {
    const topics = new Set(['b', 'a']);
    let fire: ((t: ReadonlySet<string> | 'all') => void) | null = null;
    const { get } = await start({
      views: views({
        topics: () => topics,
        onRouteChanged: (listener) => {
          fire = listener;
          return () => undefined;
        },
      }),
    });
    expect(JSON.parse((await get('/topics')).text).topicList).toEqual(['a', 'b']);
    topics.add('c');
    expect(JSON.parse((await get('/topics')).text).topicList).toEqual(['a', 'b']);
    fire!(new Set(['c']));
    expect(JSON.parse((await get('/topics')).text).topicList).toEqual(['a', 'b', 'c']);
  });

  it('/topics/:topic has the route and the order config', async () => {
    const { get } = await start();
    const body = JSON.parse((await get('/topics/TopicTest')).text);
    expect(body.topic).toBe('TopicTest');
    expect(body.orderTopicConf).toBe('broker-a:4');
    expect(body.route.queueDatas).toHaveLength(1);
    expect((await get('/topics/Nope')).status).toBe(404);
    // The query form answers the same, for names a browser would rewrite as a path (`..`).
    expect((await get('/topics?name=TopicTest')).text).toBe((await get('/topics/TopicTest')).text);
    expect((await get('/topics?name=..')).status).toBe(404);
  });

  it('/kv lists every namespace sorted, /kv/:namespace one of them', async () => {
    const { get } = await start();
    expect(JSON.parse((await get('/kv')).text)).toEqual({
      configTable: { EMPTY: {}, ORDER_TOPIC_CONFIG: { TopicTest: 'broker-a:4' } },
    });
    expect(JSON.parse((await get('/kv/ORDER_TOPIC_CONFIG')).text)).toEqual({
      namespace: 'ORDER_TOPIC_CONFIG',
      table: { TopicTest: 'broker-a:4' },
    });
    expect((await get('/kv/NOPE')).status).toBe(404);
  });

  it('/config lists the effective configuration with sources', async () => {
    const { get } = await start();
    expect(JSON.parse((await get('/config')).text).config[0]).toEqual({
      key: 'listenPort',
      value: 9876,
      defaultValue: 9876,
      source: { kind: 'default', detail: 'default' },
      live: false,
      description: 'TCP port',
    });
  });

  it('admin reads protected (the secure profile): /kv, /kv/:namespace and /config answer 403 naming the signed request; route views and health stay open', async () => {
    const { get } = await start({ accessPolicy: SECURE_PROFILE });
    for (const [path, remoting] of [
      ['/kv', 'nsadmin getKvList -s <namespace>'],
      ['/kv/ORDER_TOPIC_CONFIG', 'nsadmin getKvList -s <namespace>'],
      ['/kv/NOPE', 'nsadmin getKvList -s <namespace>'],
      ['/config', 'nsadmin getNamesrvConfig'],
    ] as const) {
      const res = await get(path);
      expect(res.status, path).toBe(403);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      const body = JSON.parse(res.text) as { error: string; requestClass: string };
      expect(body.requestClass).toBe('admin-read');
      expect(body.error).toContain('admin-read data, which aclAdminRead=signed protects');
      expect(body.error).toContain('send a signed remoting request');
      expect(body.error).toContain(remoting);
      expect(res.text).not.toContain('broker-a:4');
      expect(res.text).not.toContain('listenPort');
    }
    for (const path of [
      '/clusters',
      '/brokers',
      '/topics',
      '/topics?q=topic',
      '/topics/TopicTest/route',
      '/digest',
      '/healthz',
      '/readyz',
      '/metrics',
      '/',
    ]) {
      expect((await get(path)).status, path).toBe(200);
    }
    // The topic view keeps its route but leaves out the KV value (GET_KV_CONFIG is admin-read).
    const topic = await get('/topics/TopicTest');
    expect(topic.status).toBe(200);
    const body = JSON.parse(topic.text);
    expect(body.route.queueDatas).toHaveLength(1);
    expect(body.orderTopicConf).toBeNull();
    expect(body.orderTopicConfHidden).toContain('aclAdminRead=signed');
    expect(topic.text).not.toContain('broker-a:4');
  });

  it('route reads protected too: every route view answers 403; health, metrics and the console do not', async () => {
    const { get } = await start({
      accessPolicy: { ...SECURE_PROFILE, 'route-read': parseClassPolicy('signed,address')! },
    });
    for (const path of [
      '/clusters',
      '/brokers',
      '/topics',
      '/topics?q=topic',
      '/topics/TopicTest',
      '/topics/TopicTest/route',
      '/digest',
      '/digest/topics?brokerName=broker-a',
      '/consistency?nodes=127.0.0.1:1',
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(403);
      expect(JSON.parse(res.text)).toMatchObject({ requestClass: 'route-read' });
      expect(res.text).toContain('aclRouteRead=signed,address protects');
      expect(res.text).not.toContain('broker-a');
    }
    for (const path of ['/healthz', '/readyz', '/metrics', '/']) {
      expect((await get(path)).status, path).toBe(200);
    }
    expect((await get('/console/')).status).toBe(404); // not built here: not refused either
    expect((await get('/nope')).status).toBe(404);
  });

  it('a policy set to open serves its views (aclEnable=true with aclAdminRead=open)', async () => {
    const { get } = await start({
      accessPolicy: { ...SECURE_PROFILE, 'admin-read': { kind: 'open' } },
    });
    expect((await get('/kv')).status).toBe(200);
    expect((await get('/config')).status).toBe(200);
    expect(JSON.parse((await get('/topics/TopicTest')).text).orderTopicConf).toBe('broker-a:4');
  });

  it('/digest and /digest/topics serve the route digest and its detail', async () => {
    const { get } = await start();
    expect(JSON.parse((await get('/digest')).text)).toEqual(digest);
    const topics = JSON.parse((await get('/digest/topics?brokerName=broker-a')).text);
    expect(topics.topics.map((t: { topic: string }) => t.topic)).toEqual(['TopicTest']);
    expect((await get('/digest/topics?brokerName=nope')).status).toBe(404);
    expect((await get('/digest/topics')).status).toBe(400);
  });

  // A review read /kv and /config, and drove /consistency, from a page whose own name it had
  // pointed at the node (Chromium, default settings).
  it('refuses a request that names a foreign host for a data view, browser or not; not health or metrics', async () => {
    const { address } = await start({
      browserHosts: createBrowserHostPolicy({
        allowed: 'ns.example.com',
        hostname: 'h',
        consistencyNodes: () => '',
      }),
    });
    const ask = async (path: string, headers: Record<string, string>) => {
      const res = await request(`http://127.0.0.1:${address.port}${path}`, { headers });
      return { status: res.statusCode, text: await res.body.text(), headers: res.headers };
    };
    const browser = { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors' };
    for (const path of [
      '/kv',
      '/config',
      '/topics',
      '/clusters',
      '/consistency?nodes=127.0.0.1:1',
    ]) {
      const refused = await ask(path, { host: 'attacker.test', ...browser });
      expect(refused.status, path).toBe(403);
      expect(refused.text).toContain("by the name 'attacker.test'");
      expect(refused.text).toContain('httpAllowedHosts');
    }
    expect((await ask('/kv', { host: 'ns.example.com:9877', ...browser })).status).toBe(200);
    // Over plain HTTP a rebinding page's GET carries no Sec-Fetch-* nor Origin: like curl's.
    expect((await ask('/kv', { host: 'attacker.test' })).status).toBe(403);
    expect((await ask('/kv', { host: 'ns.example.com' })).status).toBe(200);
    expect((await ask('/healthz', { host: 'attacker.test', ...browser })).status).toBe(200);
    expect((await ask('/metrics', { host: 'attacker.test', ...browser })).status).toBe(200);
    const json = await ask('/kv', { host: '127.0.0.1', ...browser });
    expect(json.status).toBe(200);
    expect(json.headers['x-content-type-options']).toBe('nosniff');
  });

  // A review asked for a search and closed the connection at once, 20,000 times: every search
  // ran to its end for nobody and real requests waited for minutes.
  it('drops the view of a client that left (the queue keeps nothing for nobody)', async () => {
    const big = new Set(Array.from({ length: 200_000 }, (_, i) => `Topic_${i}`));
    let routesLooked = 0;
    const { server, address } = await start({
      views: views({
        topics: () => big,
        topicRoute: () => {
          routesLooked++;
          return null;
        },
      }),
    });
    const slices = (server as unknown as { slices: { size: number } }).slices;
    const sockets: Socket[] = [];
    for (let i = 0; i < 20; i++) {
      const socket = connect(address.port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write(`GET /topics?q=Topic_${i} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      sockets.push(socket);
    }
    await waitUntil(() => slices.size === 20);
    for (const socket of sockets) socket.destroy();
    await waitUntil(() => slices.size === 0);
    // Each search would have looked up its page's routes: none finished.
    expect(routesLooked).toBe(0);
    // Still answering afterwards.
    const res = await request(`http://127.0.0.1:${address.port}/topics?q=Topic_199999`);
    expect(res.statusCode).toBe(200);
    expect(((await res.body.json()) as { matched: number }).matched).toBe(1);
  });

  it('/consistency compares the listed nodes, reading their /digest', async () => {
    const peer = await start();
    const other: RouteDigest = { ...digest, digest: 'ffffffff', brokerGroups: [], clusters: [] };
    const lacking = await start({ views: views({ routeDigest: () => other }) });
    const { get } = await start();
    const nodes = `http://127.0.0.1:${peer.address.port};http://127.0.0.1:${lacking.address.port}`;
    const res = await get(`/consistency?nodes=${encodeURIComponent(nodes)}`);
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text);
    expect(body.failures).toEqual([]);
    expect(body.digests).toHaveLength(2);
    expect(body.report.agree).toBe(false);
    expect(body.report.differences[0]).toMatchObject({
      kind: 'brokerName-missing',
      brokerName: 'broker-a',
      missingOn: [`http://127.0.0.1:${lacking.address.port}`],
    });
  });

  it('/consistency reports unreachable nodes and refuses bad lists', async () => {
    const { get } = await start({ consistencyFetch: { timeoutMs: 2000, maxBytes: 1 << 20 } });
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    const body = JSON.parse((await get(`/consistency?nodes=http://127.0.0.1:${port}`)).text);
    expect(body.report).toBeNull();
    expect(body.failures[0].error).toContain(`GET http://127.0.0.1:${port}/digest`);
    expect(body.failures[0].error).toContain('ECONNREFUSED');
    const bad = await get('/consistency?nodes=a:1,b:1');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).error).toContain("separate nodes with ';'");
    const none = await get('/consistency');
    expect(none.status).toBe(400);
    expect(JSON.parse(none.text).error).toContain('consistencyNodes');
  });

  it('/consistency under aclEnable compares only consistencyNodes, never an ad-hoc list', async () => {
    const peer = await start();
    const configured = `http://127.0.0.1:${peer.address.port}`;
    const requests: string[] = [];
    // Any HTTP service the node could be made to probe.
    const probe = createHttpServer((req, res) => {
      requests.push(req.url ?? '');
      res.end('{}');
    });
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    try {
      const probed = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
      const { get } = await start({
        adHocConsistencyNodes: false,
        views: views({ consistencyNodes: () => configured }),
      });
      const adHoc = await get(`/consistency?nodes=${encodeURIComponent(probed)}`);
      expect(adHoc.status).toBe(403);
      expect(JSON.parse(adHoc.text).error).toContain('only its consistencyNodes');
      expect(requests).toEqual([]);
      // The configured list, given or not (the console passes it), is compared.
      expect((await get(`/consistency?nodes=${encodeURIComponent(configured)}`)).status).toBe(200);
      expect((await get('/consistency')).status).toBe(200);
    } finally {
      await new Promise<void>((resolve) => probe.close(() => resolve()));
    }
  });

  it('/consistency runs one check at a time: the same list meanwhile shares it, another is answered 503', async () => {
    // A peer that has accepted the first check's /digest read and not answered yet.
    const sockets: Socket[] = [];
    const slow = createServer((socket) => {
      sockets.push(socket);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const port = (slow.address() as AddressInfo).port;
    const { get, logger } = await start({
      consistencyFetch: { timeoutMs: 10_000, maxBytes: 1 << 20 },
    });
    const first = get(`/consistency?nodes=http://127.0.0.1:${port}`);
    for (const deadline = Date.now() + 10_000; sockets.length === 0;) {
      if (Date.now() > deadline) throw new Error('the first check never reached the peer');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const shared = get(`/consistency?nodes=http://127.0.0.1:${port}`);
    const joined = () => logger.lines.some((l) => l.msg === 'consistency check shared');
    for (const deadline = Date.now() + 10_000; !joined();) {
      if (Date.now() > deadline) throw new Error('the second request never joined the check');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const second = await get(`/consistency?nodes=http://127.0.0.1:${port};127.0.0.1:1`);
    expect(second.status).toBe(503);
    expect(JSON.parse(second.text).error).toContain('already running');
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => slow.close(() => resolve()));
    expect((await first).status).toBe(200);
    expect(await shared).toEqual(await first);
    // One check, one read of the peer.
    expect(sockets).toHaveLength(1);
    // Free again once the first check answered.
    expect((await get(`/consistency?nodes=http://127.0.0.1:${port}`)).status).toBe(200);
  });

  it('/consistency names a peer that is not a nameserver-ts admin port', async () => {
    const notANode = await start({ views: views({ routeDigest: () => ({ nope: 1 }) as never }) });
    const { get } = await start();
    const body = JSON.parse(
      (await get(`/consistency?nodes=http://127.0.0.1:${notANode.address.port}`)).text,
    );
    expect(body.failures[0].error).toMatch(/digest: expected an integer|format/);
  });

  it('/console/ serves the console files gzipped with ETags and a CSP; 404 when not built', async () => {
    const index = Buffer.from('<!doctype html><title>x</title>');
    const assets = {
      problem: null,
      get: (p: string) =>
        p === 'index.html'
          ? {
              contentType: 'text/html; charset=utf-8',
              body: index,
              gzip: gzipSync(index),
              etag: '"abc"',
            }
          : undefined,
    };
    const { get } = await start({ console: assets });
    const res = await get('/console/');
    expect(res.status).toBe(200);
    expect(res.text).toBe(index.toString());
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers.etag).toBe('"abc"');
    expect((await get('/console')).status).toBe(301);
    expect((await get('/console/nope.js')).status).toBe(404);
    const unbuilt = await start({
      console: { problem: 'console assets not built', get: () => undefined },
    });
    const missing = await unbuilt.get('/console/');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text).error).toBe('console assets not built');
  });

  it('404 for unknown paths, 405 for other methods, HEAD without a body', async () => {
    const { get } = await start();
    const notFound = await get('/nope');
    expect(notFound.status).toBe(404);
    expect(JSON.parse(notFound.text).endpoints).toContain('/metrics');
    const post = await get('/healthz', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    const head = await get('/topics', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
    expect((await get('/healthz?verbose=1')).status).toBe(200);
  });

  it('a failing view answers 500 and is logged; the server keeps serving', async () => {
    const { get, logger } = await start({
      views: views({
        topics: () => {
          throw new Error('boom');
        },
      }),
    });
    const res = await get('/topics');
    expect(res.status).toBe(500);
    expect(JSON.parse(res.text)).toEqual({ error: 'internal error' });
    expect(
      logger.lines.some((l) => l.level === 'error' && l.msg === 'HTTP admin view failed'),
    ).toBe(true);
    expect((await get('/healthz')).status).toBe(200);
  });

  it('a topic named __proto__ is data, not a prototype', async () => {
    const weird: TopicRouteData = {
      ...route,
      filterServerTable: new Map([['__proto__', ['x:1']]]),
    };
    const { get } = await start({ views: views({ topicRoute: () => weird }) });
    const body = JSON.parse((await get('/topics/__proto__/route')).text);
    expect(Object.hasOwn(body.filterServerTable, '__proto__')).toBe(true);
  });

  it('start() rejects with a typed error when the port is taken; close() is idempotent', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const server = new HttpAdminServer({
        host: '127.0.0.1',
        port,
        views: views(),
        metrics: { scrape: () => Promise.resolve({ contentType: 'text/plain', body: '' }) },
        isReady: () => true,
        logger: captureLogger(),
      });
      const err = await server.start().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(HttpAdminError);
      expect((err as HttpAdminError).code).toBe('NS_HTTP_LISTEN_FAILED');
      expect((err as Error).message).toContain(`127.0.0.1:${port}`);
      await server.close();
      await server.close();
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('close() releases the port and drops keep-alive connections', async () => {
    const { server, address, get } = await start();
    expect((await get('/healthz')).status).toBe(200);
    await server.close();
    await server.close();
    await expect(request(`http://127.0.0.1:${address.port}/healthz`)).rejects.toThrow();
    const again = await server.start().then(
      () => null,
      (e: unknown) => e,
    );
    expect((again as HttpAdminError).code).toBe('NS_HTTP_STATE');
  });

  it('close() during a pending start() still releases the port', async () => {
    const server = new HttpAdminServer({
      host: '127.0.0.1',
      port: 0,
      views: views(),
      metrics: { scrape: () => Promise.resolve({ contentType: 'text/plain', body: '' }) },
      isReady: () => true,
      logger: captureLogger(),
    });
    const started = server.start();
    const closed = server.close();
    const { port } = await started;
    await closed;
    await expect(request(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});

describe('startupReadiness', () => {
  it('is ready at once without needWaitForService', () => {
    expect(
      startupReadiness({
        needWaitForService: false,
        waitSecondsForService: 45,
        startedAt: 0,
        now: () => 0,
      })(),
    ).toBe(true);
  });

  it('waits waitSecondsForService after start, then stays ready', () => {
    let now = 1000;
    const isReady = startupReadiness({
      needWaitForService: true,
      waitSecondsForService: 45,
      startedAt: 1000,
      now: () => now,
    });
    expect(isReady()).toBe(false);
    now = 45_999;
    expect(isReady()).toBe(false);
    now = 46_000;
    expect(isReady()).toBe(true);
    now = 0;
    expect(isReady()).toBe(true);
  });
});

describe('HttpAdminServer connection bounds', () => {
  /** A raw connection to the port; `closed` settles when the server ends it. */
  async function rawConnection(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return { socket, closed };
  }

  function within<T>(what: string, p: Promise<T>, ms: number): Promise<T> {
    return Promise.race([
      p,
      new Promise<T>((_, reject) =>
        setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref(),
      ),
    ]);
  }

  it('closes a connection that sends nothing, or part of a request, once idle', async () => {
    const { address } = await start({ connectionLimits: { idleTimeoutMillis: 300 } });
    const silent = await rawConnection(address.port);
    const partial = await rawConnection(address.port);
    partial.socket.write('GET /metr');
    await within('the silent connection closed', silent.closed, 5000);
    await within('the half-sent request closed', partial.closed, 5000);
  });

  it('holds at most maxConnectionsPerAddress connections from one address', async () => {
    const { address, get } = await start({ connectionLimits: { maxConnectionsPerAddress: 2 } });
    const held = [await rawConnection(address.port), await rawConnection(address.port)];
    const third = await rawConnection(address.port);
    await within('the third from one address closed', third.closed, 5000);
    // Its place is back once the server has seen one of the two go.
    held[0]!.socket.destroy();
    await held[0]!.closed;
    const deadline = Date.now() + 5000;
    for (;;) {
      const status = await get('/healthz').then(
        (r) => r.status,
        (err: unknown) => err,
      );
      if (status === 200) break;
      if (Date.now() > deadline) throw new Error(`no place back: ${String(status)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    held[1]!.socket.destroy();
  });

  it('answers pipelined requests one at a time, shares a scrape, and closes a connection pipelining too many', async () => {
    let running = 0;
    let most = 0;
    let scrapes = 0;
    // While set, a scrape waits for it: the test decides when a scrape ends.
    let gate: Promise<void> | null = null;
    const scrape = async () => {
      scrapes++;
      running++;
      most = Math.max(most, running);
      await (gate ?? new Promise((r) => setTimeout(r, 5)));
      running--;
      return { contentType: 'text/plain', body: 'x 1\n' };
    };
    const { address, get, logger } = await start({ metrics: { scrape } });
    const one = await rawConnection(address.port);
    let answered = '';
    one.socket.on('data', (c: Buffer) => (answered += c.toString('latin1')));
    one.socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(10));
    const deadline = Date.now() + 5000;
    while ((answered.match(/HTTP\/1\.1 200/g) ?? []).length < 10) {
      if (Date.now() > deadline) throw new Error(`answered: ${answered.length} bytes`);
      await new Promise((r) => setTimeout(r, 10));
    }
    // Node dispatched all ten at once: ten scrapes ran together.
    expect(most).toBe(1);
    one.socket.destroy();
    // Two connections asking together share one scrape: the first one's is held open until
    // the second has joined it.
    scrapes = 0;
    let open!: () => void;
    gate = new Promise<void>((resolve) => (open = resolve));
    const shared = () => logger.lines.some((l) => l.msg === 'metrics scrape shared');
    const both = Promise.all([get('/metrics'), get('/metrics')]);
    for (const until = Date.now() + 10_000; !shared();) {
      if (Date.now() > until) throw new Error(`no request joined the scrape (scrapes: ${scrapes})`);
      await new Promise((r) => setTimeout(r, 10));
    }
    gate = null;
    open();
    await both;
    expect(scrapes).toBe(1);
    const flood = await rawConnection(address.port);
    flood.socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(1000));
    await within('the flooding connection closed', flood.closed, 5000);
    // Once per connection: the parser went on dispatching the rest of that read after the
    // socket was destroyed, and each request logged the warning again (ipv6 review: 1,900
    // lines from one 190 KB write).
    await new Promise((r) => setTimeout(r, 50));
    const warnings = logger.lines.filter((l) => l.msg.includes('pipelined too many requests'));
    expect(warnings).toHaveLength(1);
  });
});
