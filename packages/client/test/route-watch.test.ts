/**
 * NameServerClient's route watch against a real in-process node (changes pushed within
 * milliseconds, failover, one watch per connection) and against nodes without it (a silent one
 * like Java 4.9, one answering code 3 like Java 5.x): fallback to polling within one call timeout.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RemotingCommand, TopicRouteData } from '@ns/protocol';
import { RequestCode, ResponseCode } from '@ns/protocol';
import type { LogRecord } from '../src/logger.js';
import { createMemoryLogger } from '../src/logger.js';
import { NameServerClient } from '../src/name-server-client.js';
import type { NameServerClientOptions } from '../src/name-server-client.js';
import { RemotingClient } from '../src/remoting/remoting-client.js';
import { NameServerSelector } from '../src/selector/name-server-selector.js';
import type { RouteWatchState } from '../src/watch/route-watcher.js';
import type { BrokerSpec, RealNameServer } from './helpers/real-name-server.js';
import { registerBroker, startRealNameServer } from './helpers/real-name-server.js';
import type { ScriptedServer, ScriptHandler } from './helpers/scripted-server.js';
import { startScriptedServer, waitFor } from './helpers/scripted-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function realNode(): Promise<RealNameServer> {
  const n = await startRealNameServer();
  cleanups.push(() => n.close());
  return n;
}

async function scripted(handler: ScriptHandler): Promise<ScriptedServer> {
  const s = await startScriptedServer(handler);
  cleanups.push(() => s.close());
  return s;
}

/** A broker whose registration connection stays open until `kill()`. */
async function broker(addrs: string[], spec: BrokerSpec): Promise<{ kill(): void }> {
  const remoting = new RemotingClient();
  cleanups.push(() => remoting.close());
  for (const addr of addrs) await registerBroker(remoting, addr, spec);
  return {
    kill: () => {
      for (const addr of addrs) remoting.closeConnection(addr);
    },
  };
}

interface Watched {
  client: NameServerClient;
  changes: { topic: string; route: TopicRouteData; at: number }[];
  gone: { topic: string; at: number }[];
  states: RouteWatchState[];
}

function watchingClient(options: NameServerClientOptions): Watched {
  const client = new NameServerClient({
    selector: new NameServerSelector({ shuffleOnChange: false, initialIndex: -1 }),
    env: {},
    ...options,
  });
  cleanups.push(() => client.close());
  const w: Watched = { client, changes: [], gone: [], states: [] };
  client.on('routeChanged', (topic, route) =>
    w.changes.push({ topic, route, at: performance.now() }),
  );
  client.on('routeGone', (topic) => w.gone.push({ topic, at: performance.now() }));
  client.on('routeWatchStateChanged', (state) => w.states.push(state));
  return w;
}

const brokerNames = (route: TopicRouteData): string[] =>
  route.queueDatas.map((q) => q.brokerName).sort();

const spec = (name: string, topics: string[], port: number): BrokerSpec => ({
  clusterName: 'C',
  brokerName: name,
  brokerAddr: `127.0.0.1:${port}`,
  topics,
});

describe('route watch against a node that supports it', () => {
  it('delivers the first route, then each change within milliseconds; slows polling', async () => {
    const node = await realNode();
    const a = await broker([node.addr], spec('broker-a', ['T', 'U'], 30911));
    await broker([node.addr], spec('broker-b', ['T'], 31911));
    const w = watchingClient({ namesrvAddr: node.addr, pollNameServerInterval: 30_000 });
    w.client.watch(['T', 'U']);
    await waitFor(() => w.client.routeWatchState.mode === 'watching', 5_000, 'watching');
    expect(w.client.routeWatchState.addr).toBe(node.addr);
    await waitFor(() => w.changes.length === 2, 5_000, 'first routes');
    expect(brokerNames(w.client.cachedTopicRouteData('T')!)).toEqual(['broker-a', 'broker-b']);
    await waitFor(() => node.server.routeWatchStats()?.held === 1, 5_000, 'watch held');

    const killedAt = performance.now();
    a.kill();
    await waitFor(() => w.changes.length === 3 && w.gone.length === 1, 5_000, 'change pushed');
    const change = w.changes[2]!;
    expect(change.topic).toBe('T');
    expect(brokerNames(change.route)).toEqual(['broker-b']);
    expect(w.gone[0]!.topic).toBe('U');
    // On an idle box this is ~1 ms; the bound only absorbs a loaded CI machine. A 30 s poll
    // cannot have delivered it.
    expect(change.at - killedAt).toBeLessThan(3_000);
    // The route of a gone topic stays cached (Java keeps it too).
    expect(brokerNames(w.client.cachedTopicRouteData('U')!)).toEqual(['broker-a']);
    expect(w.client.safetyPollIntervalMs).toBe(120_000);

    // U comes back: reported as a change even though its route equals the cached one.
    await broker([node.addr], spec('broker-a', ['T', 'U'], 30911));
    await waitFor(
      () => w.changes.some((c) => c.topic === 'U' && c !== w.changes[0]),
      5_000,
      'U back',
    );
  });

  it('keeps one watch per connection while topics come in use, and follows them all', async () => {
    const node = await realNode();
    await broker([node.addr], spec('broker-a', ['T1', 'T2', 'T3'], 30911));
    const w = watchingClient({ namesrvAddr: node.addr });
    w.client.watch('T1');
    await waitFor(() => node.server.routeWatchStats()?.held === 1, 5_000, 'first watch held');
    await w.client.getTopicRouteData('T2');
    w.client.watch(['T3']);
    await waitFor(() => w.changes.length === 3, 5_000, 'routes of all three topics');
    await waitFor(
      () => node.server.routeWatchStats()?.heldTopics === 3,
      5_000,
      'watch of 3 topics',
    );
    expect(node.server.routeWatchStats()?.held).toBe(1);

    await broker([node.addr], spec('broker-b', ['T3'], 31911));
    await waitFor(() => w.changes.length === 4, 5_000, 'T3 change');
    expect(w.changes[3]!.topic).toBe('T3');
    expect(brokerNames(w.changes[3]!.route)).toEqual(['broker-a', 'broker-b']);

    w.client.unwatch(['T1', 'T2', 'T3']);
    await waitFor(() => w.client.routeWatchState.mode === 'off', 5_000, 'watch off');
  });

  it('delivers the route of a topic unwatched and watched again in the same turn', async () => {
    const node = await realNode();
    await broker([node.addr], spec('broker-a', ['RA', 'RB', 'RC'], 30911));
    const w = watchingClient({ namesrvAddr: node.addr });
    w.client.watch(['RA', 'RB']);
    await waitFor(() => w.changes.length === 2, 5_000, 'first routes');
    await waitFor(() => node.server.routeWatchStats()?.held === 1, 5_000, 'watch held');

    // unwatch drops RB's cached route; the watch must ask the node for it again (the safety
    // poll, 120 s here, is far beyond the deadline).
    w.client.unwatch(['RA', 'RB']);
    w.client.watch(['RB', 'RC']);
    await waitFor(
      () => w.client.cachedTopicRouteData('RB') !== undefined && w.changes.length === 4,
      5_000,
      'routes of RB and RC',
    );
    expect(
      w.changes
        .slice(2)
        .map((c) => c.topic)
        .sort(),
    ).toEqual(['RB', 'RC']);
    expect(w.client.routeWatchState.mode).toBe('watching');
  });

  it('keeps watching when a routeChanged listener throws, and reports the error', async () => {
    const node = await realNode();
    await broker([node.addr], spec('broker-a', ['T'], 30911));
    const records: LogRecord[] = [];
    const w = watchingClient({ namesrvAddr: node.addr, logger: createMemoryLogger(records) });
    w.client.prependListener('routeChanged', () => {
      throw new Error('listener bug');
    });
    // An async listener's rejection is reported the same way (never an unhandled rejection).
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- what users do, checked here
    w.client.prependListener('routeChanged', async () => {
      await Promise.resolve();
      throw new Error('async listener bug');
    });
    // The lookup that loads the route is not failed by the listener either.
    const route = await w.client.getTopicRouteData('T');
    expect(brokerNames(route)).toEqual(['broker-a']);
    await waitFor(() => node.server.routeWatchStats()?.held === 1, 5_000, 'watch held');

    await broker([node.addr], spec('broker-b', ['T'], 31911));
    await waitFor(() => w.changes.length === 2, 5_000, 'change pushed');
    expect(brokerNames(w.changes[1]!.route)).toEqual(['broker-a', 'broker-b']);
    expect(w.client.routeWatchState).toEqual({
      mode: 'watching',
      addr: node.addr,
      reason: undefined,
    });
    expect(w.states.map((x) => x.mode)).not.toContain('polling');
    const thrown = () => records.filter((r) => r.msg === 'name server client listener threw');
    await waitFor(() => thrown().length === 4, 5_000, 'every listener error reported');
    expect(thrown()).toHaveLength(4);
    expect(thrown()[0]!.level).toBe('error');
    expect(thrown()[0]!.fields).toMatchObject({ event: 'routeChanged' });
  });

  it('reports a topic that does not exist as gone, then its creation as a change', async () => {
    const node = await realNode();
    await broker([node.addr], spec('broker-a', ['Other', 'Other2'], 30911));
    const w = watchingClient({ namesrvAddr: node.addr });
    w.client.watch('Later');
    await waitFor(() => w.gone.length === 1, 5_000, 'gone');
    await waitFor(() => node.server.routeWatchStats()?.held === 1, 5_000, 'watch held');
    await broker([node.addr], spec('broker-b', ['Later', 'Other'], 31911));
    await waitFor(() => w.changes.length === 1, 5_000, 'created');
    expect(brokerNames(w.changes[0]!.route)).toEqual(['broker-b']);
  });

  it('resubscribes on another node when its node goes away, and follows changes there', async () => {
    const n1 = await realNode();
    const n2 = await realNode();
    await broker([n1.addr, n2.addr], spec('broker-a', ['T', 'X'], 30911));
    const w = watchingClient({ namesrvAddr: `${n1.addr};${n2.addr}` });
    w.client.watch('T');
    await waitFor(() => w.client.routeWatchState.mode === 'watching', 5_000, 'watching');
    const first = w.client.routeWatchState.addr!;
    const [dying, other] = first === n1.addr ? [n1, n2] : [n2, n1];
    await waitFor(() => dying.server.routeWatchStats()?.held === 1, 5_000, 'held on first node');

    await dying.close();
    await waitFor(
      () =>
        w.client.routeWatchState.mode === 'watching' &&
        w.client.routeWatchState.addr === other.addr,
      5_000,
      'watching the other node',
    );
    await waitFor(
      () => other.server.routeWatchStats()?.held === 1,
      5_000,
      'held on the other node',
    );
    await broker([other.addr], spec('broker-b', ['T', 'X'], 31911));
    await waitFor(
      () => w.changes.some((c) => brokerNames(c.route).includes('broker-b')),
      5_000,
      'change on the other node',
    );
  });
});

/** A node that answers routes (GET_ROUTEINFO_BY_TOPIC) from `state` and treats 30000 per `watch`. */
async function javaLikeNode(
  state: { brokers: string[] },
  watch: 'silent' | 'not-supported' | 'busy',
): Promise<ScriptedServer> {
  return scripted((req: RemotingCommand, ctx) => {
    if (req.code === RequestCode.GET_ROUTEINFO_BY_TOPIC) {
      ctx.reply(req, { body: routeBody(state.brokers) });
    } else if (req.code === RequestCode.WATCH_TOPIC_ROUTE) {
      if (watch === 'not-supported') {
        ctx.reply(req, {
          code: ResponseCode.REQUEST_CODE_NOT_SUPPORTED,
          remark: ` request type ${req.code} not supported`,
        });
      } else if (watch === 'busy') {
        ctx.reply(req, { code: ResponseCode.SYSTEM_BUSY, remark: 'too many watchers' });
      }
      // silent: Java 4.9 sends nothing for an unknown code.
    }
  });
}

function routeBody(brokers: string[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      brokerDatas: brokers.map((b, i) => ({
        brokerAddrs: { '0': `127.0.0.1:${20911 + i}` },
        brokerName: b,
        cluster: 'C',
      })),
      filterServerTable: {},
      queueDatas: brokers.map((b) => ({
        brokerName: b,
        perm: 6,
        readQueueNums: 4,
        topicSysFlag: 0,
        writeQueueNums: 4,
      })),
    }),
  );
}

describe('route watch against nodes without it: polling', () => {
  it.each([
    ['silent (Java 4.9)', 'silent', /no answer to the watch within 400 ms/],
    ['code 3 (Java 5.x)', 'not-supported', /REQUEST_CODE_NOT_SUPPORTED/],
    ['SYSTEM_BUSY', 'busy', /SYSTEM_BUSY: too many watchers/],
  ] as const)(
    'a %s node: polling within one call timeout, changes still reported',
    async (_label, kind, reason) => {
      const state = { brokers: ['broker-a'] };
      const s = await javaLikeNode(state, kind);
      // A silent node is detected by the call timeout; the others answer, and their answer must
      // not be outlasted by it on a loaded machine (the reason would then read "no answer").
      const timeoutMs = kind === 'silent' ? 400 : 3_000;
      const w = watchingClient({ namesrvAddr: s.addr, timeoutMs, pollNameServerInterval: 150 });
      const startedAt = performance.now();
      w.client.watch('T');
      await waitFor(() => w.client.routeWatchState.mode === 'polling', 5_000, 'polling');
      const fellBackAfter = performance.now() - startedAt;
      expect(w.client.routeWatchState.reason).toMatch(reason);
      expect(w.client.routeWatchState.addr).toBe(s.addr);
      // Detected within one call timeout (plus scheduling slack on a loaded machine).
      expect(fellBackAfter).toBeLessThan(timeoutMs + 1_500);
      expect(w.states.map((x) => x.mode)).toEqual(['probing', 'polling']);
      // One probe, not a loop.
      expect(s.requests.filter((r) => r.code === RequestCode.WATCH_TOPIC_ROUTE)).toHaveLength(1);

      await waitFor(() => w.changes.length === 1, 5_000, 'first route by polling');
      state.brokers = ['broker-a', 'broker-b'];
      await waitFor(() => w.changes.length === 2, 5_000, 'change by polling');
      expect(brokerNames(w.changes[1]!.route)).toEqual(['broker-a', 'broker-b']);
      expect(s.requests.filter((r) => r.code === RequestCode.WATCH_TOPIC_ROUTE)).toHaveLength(1);
    },
  );

  it('stays on a node that leaves the watch unanswered (Java 4.9) instead of hopping nodes', async () => {
    const first = await javaLikeNode({ brokers: ['broker-a'] }, 'silent');
    const second = await javaLikeNode({ brokers: ['broker-a'] }, 'silent');
    const w = watchingClient({
      namesrvAddr: `${first.addr};${second.addr}`,
      // A poll that outlasted it would move the client to the second node: room for a loaded box.
      timeoutMs: 1_000,
      pollNameServerInterval: 100,
    });
    w.client.watch('T');
    await waitFor(() => w.client.routeWatchState.mode === 'polling', 5_000, 'polling');
    const polls = (): number =>
      first.requests.filter((r) => r.code === RequestCode.GET_ROUTEINFO_BY_TOPIC).length;
    const pollsAtFallback = polls();
    await waitFor(() => polls() >= pollsAtFallback + 3, 5_000, 'three polls after the fallback');
    expect(w.client.chosenAddress).toBe(first.addr);
    expect(second.requests).toHaveLength(0);
  });

  it('asks a refusing node again after reconnecting to it', async () => {
    const s = await javaLikeNode({ brokers: ['broker-a'] }, 'not-supported');
    const w = watchingClient({ namesrvAddr: s.addr, pollNameServerInterval: 100 });
    w.client.watch('T');
    await waitFor(() => w.client.routeWatchState.mode === 'polling', 5_000, 'polling');
    const watches = (): number =>
      s.requests.filter((r) => r.code === RequestCode.WATCH_TOPIC_ROUTE).length;
    expect(watches()).toBe(1);
    for (const socket of s.sockets) socket.destroy();
    // The next poll reconnects; the node may have been upgraded: probe again.
    await waitFor(() => watches() === 2, 5_000, 'second probe after reconnect');
  });

  it('polls every pollNameServerInterval once a node refused the watch, not at the safety interval', async () => {
    const s = await javaLikeNode({ brokers: ['broker-a'] }, 'not-supported');
    const w = watchingClient({
      namesrvAddr: s.addr,
      pollNameServerInterval: 50,
      routeWatch: { safetyPollIntervalMs: 600_000 },
    });
    w.client.watch('T');
    await waitFor(() => w.client.routeWatchState.mode === 'polling', 5_000, 'polling');
    const polls = (): number =>
      s.requests.filter((r) => r.code === RequestCode.GET_ROUTEINFO_BY_TOPIC).length;
    const pollsAtFallback = polls();
    await waitFor(() => polls() >= pollsAtFallback + 3, 5_000, 'three polls after the fallback');
  });

  it('polls only when the watch is turned off', async () => {
    const s = await javaLikeNode({ brokers: ['broker-a'] }, 'not-supported');
    const w = watchingClient({
      namesrvAddr: s.addr,
      routeWatch: false,
      pollNameServerInterval: 50,
    });
    w.client.watch('T');
    await waitFor(() => s.requests.length >= 3, 5_000, 'polls');
    expect(s.requests.every((r) => r.code === RequestCode.GET_ROUTEINFO_BY_TOPIC)).toBe(true);
    expect(w.client.routeWatchState.mode).toBe('off');
    expect(w.client.safetyPollIntervalMs).toBe(0);
  });
});
