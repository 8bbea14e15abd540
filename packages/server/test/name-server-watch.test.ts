/**
 * The route watch on a real NameServer over TCP: a held watch is answered when a broker's
 * connection dies, metrics count it, and a shutdown answers held watches before closing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRequest,
  decodeWatchTopicRouteResponseBody,
  encodeWatchTopicRouteRequestBody,
  encodeWatchTopicRouteRequestHeader,
  RequestCode,
  ResponseCode,
} from '@ns/protocol';
import type { RemotingCommand, WatchTopicRouteResponseBody } from '@ns/protocol';
import { loadConfig } from '../src/config/index.js';
import { NameServer } from '../src/name-server.js';
import { registerRequest } from './handlers-harness.js';
import { RawClient, waitFor } from './transport-helpers.js';

let dir = '';
const servers: NameServer[] = [];
const clients: RawClient[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ns-watch-'));
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const s of servers.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(argv: string[] = []): Promise<{ server: NameServer; port: number }> {
  const config = loadConfig({
    argv: ['--bindAddress=127.0.0.1', '--listenPort=0', '--httpPort=-1', ...argv],
    env: {},
    readFile: (p) => readFileSync(p, 'utf8'),
    homeDir: dir,
  }).config;
  const server = new NameServer({ config, defaultMetrics: false });
  servers.push(server);
  const { port } = await server.start();
  return { server, port };
}

async function connect(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.push(c);
  return c;
}

let opaque = 1;
function watchRequest(topics: Record<string, number>, epoch?: string): RemotingCommand {
  return createRequest({
    code: RequestCode.WATCH_TOPIC_ROUTE,
    opaque: opaque++,
    extFields: encodeWatchTopicRouteRequestHeader(epoch === undefined ? {} : { epoch }),
    body: encodeWatchTopicRouteRequestBody({ topics: new Map(Object.entries(topics)) }),
  });
}

function decode(res: RemotingCommand): WatchTopicRouteResponseBody {
  expect(res.code).toBe(ResponseCode.SUCCESS);
  return decodeWatchTopicRouteResponseBody(res.body!);
}

async function registerOn(port: number, brokerName: string, topics: string[]): Promise<RawClient> {
  const broker = await connect(port);
  const res = await broker.request(
    registerRequest({
      brokerName,
      brokerAddr: `10.0.0.${brokerName.length}:10911`,
      topics: topics.map((name) => ({ name })),
    }),
  );
  expect(res.code).toBe(ResponseCode.SUCCESS);
  return broker;
}

describe('route watch on a running node', () => {
  it('answers a held watch as soon as a broker connection dies', async () => {
    const { server, port } = await start();
    const doomed = await registerOn(port, 'broker-a', ['T1', 'T2']);
    await registerOn(port, 'broker-bb', ['T1']);
    const watcher = await connect(port);
    const first = await watcher.request(watchRequest({ T1: 0, T2: 0 }));
    const epoch = first.extFields!['epoch']!;
    const versions = Object.fromEntries(decode(first).routes.map((r) => [r.topic, r.version]));
    expect(Object.keys(versions).sort()).toEqual(['T1', 'T2']);

    const held = watcher.request(watchRequest(versions, epoch), 10_000);
    await waitFor('watch held', () => heldCount(server) === 1);
    const killedAt = performance.now();
    doomed.destroy();
    const woken = decode(await held);
    const ms = performance.now() - killedAt;
    expect(
      woken.routes.map((r) => [r.topic, r.route.brokerDatas.map((b) => b.brokerName)]),
    ).toEqual([['T1', ['broker-bb']]]);
    expect(woken.gone.map((g) => g.topic)).toEqual(['T2']);
    // A loose bound (shared 2-core CI box); the integration test and the benchmark measure it.
    expect(ms).toBeLessThan(3_000);

    const text = (await server.metrics.scrape()).body;
    expect(text).toMatch(/^namesrv_route_watch_responses_total\{reason="changed"\} 1$/m);
    expect(text).toMatch(/^namesrv_route_watch_responses_total\{reason="immediate"\} 1$/m);
    expect(text).toMatch(/^namesrv_route_watch_wakeup_seconds_count 1$/m);
    expect(text).toMatch(/^namesrv_route_watchers 0$/m);
    // Counted once answered, with the code it was answered with: the held one and the immediate.
    expect(text).toMatch(
      /^namesrv_requests_total\{code="WATCH_TOPIC_ROUTE",result="SUCCESS"\} 2$/m,
    );
  });

  it('answers held watches at shutdown, before the connection ends', async () => {
    const { server, port } = await start();
    await registerOn(port, 'broker-a', ['T1', 'T2']);
    const watcher = await connect(port);
    const first = await watcher.request(watchRequest({ T1: 0 }));
    const version = decode(first).routes[0]!.version;
    const held = watcher.request(watchRequest({ T1: version }, first.extFields!['epoch']), 10_000);
    await waitFor('watch held', () => heldCount(server) === 1);
    await server.close();
    expect(decode(await held)).toEqual({ routes: [], gone: [] });
    await watcher.closed;
  });

  it('a held watch counts nothing among the requests waiting for answers (frame budget)', async () => {
    // Budget 400 KB: two held watches of 1,000 topics (~126 KB frames each) would be past half.
    const { server, port } = await start([
      '--maxFrameLength=400000',
      '--maxPartialFrameBytes=400000',
    ]);
    const topics = Array.from({ length: 1000 }, (_, i) => `T${String(i).padStart(120, '0')}`);
    await registerOn(port, 'broker-a', topics);
    const budget = server.servingNode!.pool.frameBudget;
    const watchers: RawClient[] = [];
    for (let k = 0; k < 2; k++) {
      const watcher = await connect(port);
      watchers.push(watcher);
      const first = await watcher.request(
        watchRequest(Object.fromEntries(topics.map((t) => [t, 0]))),
      );
      const versions = Object.fromEntries(decode(first).routes.map((r) => [r.topic, r.version]));
      void watcher.request(watchRequest(versions, first.extFields!['epoch']), 40_000).catch(() => {
        // Answered at shutdown or dropped with the connection.
      });
      await waitFor('held', () => (server.routeWatchStats()?.held ?? 0) === k + 1);
    }
    expect(budget.answeringBytes).toBe(0);
    // The watching connection still answers its other requests.
    const lookup = createRequest({
      code: RequestCode.GET_ROUTEINFO_BY_TOPIC,
      opaque: opaque++,
      extFields: { topic: topics[0]! },
    });
    expect((await watchers[0]!.request(lookup, 3000)).code).toBe(ResponseCode.SUCCESS);
  });

  it('answers REQUEST_CODE_NOT_SUPPORTED with routeWatchEnable=false', async () => {
    const { port } = await start(['--routeWatchEnable=false']);
    const c = await connect(port);
    const res = await c.request(watchRequest({ T1: 0 }));
    expect(res.code).toBe(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
  });
});

function heldCount(server: NameServer): number {
  return server.routeWatchStats()?.held ?? 0;
}
