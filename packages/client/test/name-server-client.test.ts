import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { TopicRouteData } from '@ns/protocol';
import { RequestCode, ResponseCode } from '@ns/protocol';
import { AddressListHolder } from '../src/address/name-server-address-provider.js';
import type { NameServerAddressProvider } from '../src/address/name-server-address-provider.js';
import {
  InvalidOptionError,
  NoNameServerError,
  RemotingClosedError,
  RemotingConnectError,
  RemotingTimeoutError,
  ResponseError,
} from '../src/errors.js';
import { NameServerClient } from '../src/name-server-client.js';
import type { NameServerClientOptions } from '../src/name-server-client.js';
import { RemotingClient } from '../src/remoting/remoting-client.js';
import { NameServerSelector } from '../src/selector/name-server-selector.js';
import { isTopicNotExist, TopicNotExistError } from '../src/topic-not-exist-error.js';
import type { ScriptedServer, ScriptHandler } from './helpers/scripted-server.js';
import { startScriptedServer, waitFor } from './helpers/scripted-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function node(handler: ScriptHandler): Promise<ScriptedServer> {
  const s = await startScriptedServer(handler);
  cleanups.push(() => s.close());
  return s;
}

/** Three nodes answering 106 with their own index in the remark. */
async function threeNodes(): Promise<ScriptedServer[]> {
  const nodes: ScriptedServer[] = [];
  for (let i = 0; i < 3; i++) {
    nodes.push(
      await node((req, ctx) => {
        ctx.reply(req, { remark: `node${i}` });
      }),
    );
  }
  return nodes;
}

function client(options: NameServerClientOptions): NameServerClient {
  const c = new NameServerClient({
    // Deterministic: no shuffle; index starts at -1 so the first pick is list[0].
    selector: new NameServerSelector({ shuffleOnChange: false, initialIndex: -1 }),
    env: {},
    // These tests count requests of node choice and polling; the route watch has its own file.
    routeWatch: false,
    ...options,
  });
  cleanups.push(() => c.close());
  return c;
}

class MutableProvider implements NameServerAddressProvider {
  readonly kind = 'function' as const;
  readonly holder = new AddressListHolder();
  constructor(list: readonly string[]) {
    this.holder.set(list);
  }
  current(): readonly string[] {
    return this.holder.current();
  }
  start(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  onChange(listener: Parameters<AddressListHolder['onChange']>[0]): () => void {
    return this.holder.onChange(listener);
  }
}

const ask = async (c: NameServerClient): Promise<string> =>
  (await c.invokeAnyOk({ code: RequestCode.GET_BROKER_CLUSTER_INFO })).response.remark ?? '';

describe('NameServerClient node choice', () => {
  it('sticks to one node, and after it dies the next call succeeds on the next index', async () => {
    const nodes = await threeNodes();
    const c = client({ namesrvAddr: nodes.map((n) => n.addr) });
    expect(await ask(c)).toBe('node0');
    expect(await ask(c)).toBe('node0');
    expect(c.chosenAddress).toBe(nodes[0]!.addr);

    await nodes[0]!.close();
    await waitFor(() => !c.remoting.isConnected(nodes[0]!.addr), 2_000, 'close noticed');
    expect(await ask(c)).toBe('node1');
    expect(await ask(c)).toBe('node1');
    expect(nodes[1]!.sockets).toHaveLength(1);
  });

  it('moves to the next index when the node in use closed its connection, though it still listens (Java: channel not OK)', async () => {
    const nodes = await threeNodes();
    const c = client({ namesrvAddr: nodes.map((n) => n.addr) });
    expect(await ask(c)).toBe('node0');
    for (const socket of nodes[0]!.sockets) socket.destroy();
    await waitFor(() => !c.remoting.hasConnection(nodes[0]!.addr), 2_000, 'close noticed');
    expect(await ask(c)).toBe('node1');
    expect(c.chosenAddress).toBe(nodes[1]!.addr);
    expect(nodes[0]!.sockets).toHaveLength(1);
  });

  it('sends concurrent first calls to one node over one connection', async () => {
    const nodes = await threeNodes();
    const c = client({ namesrvAddr: nodes.map((n) => n.addr) });
    const answers = await Promise.all(Array.from({ length: 10 }, () => ask(c)));
    expect(new Set(answers)).toEqual(new Set(['node0']));
    expect(nodes[0]!.sockets).toHaveLength(1);
    expect(nodes[1]!.sockets).toHaveLength(0);
  });

  it('tries the following indexes within one call when connects fail', async () => {
    const nodes = await threeNodes();
    await nodes[0]!.close();
    await nodes[1]!.close();
    const c = client({ namesrvAddr: nodes.map((n) => n.addr) });
    expect(await ask(c)).toBe('node2');
  });

  it('fails with the last connect error when no node is reachable', async () => {
    const nodes = await threeNodes();
    for (const n of nodes) await n.close();
    const c = client({ namesrvAddr: nodes.map((n) => n.addr) });
    const err = await ask(c).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemotingConnectError);
    expect((err as RemotingConnectError).retriable).toBe(true);
  });

  it('does not retry a timeout on another node within the call, but moves on at the next call', async () => {
    const silent = await node(() => undefined);
    const live = await node((req, ctx) => {
      ctx.reply(req, { remark: 'live' });
    });
    // The timeout also bounds the live node's answer, on a fresh connection: 60 ms left no room
    // for a stall on a loaded 2-core machine.
    const c = client({ namesrvAddr: [silent.addr, live.addr], timeoutMs: 1_500 });
    await expect(ask(c)).rejects.toBeInstanceOf(RemotingTimeoutError);
    expect(live.requests).toHaveLength(0);
    expect(await ask(c)).toBe('live');
  });

  it('tries the next node within a read when a node closes the connection before answering', async () => {
    // A node at maxConnections accepts and closes at once: nothing ever arrives on the connection.
    const full = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => full.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => full.close(() => resolve())));
    const fullAddr = `127.0.0.1:${(full.address() as AddressInfo).port}`;
    const good = await node((req, ctx) => {
      ctx.reply(req, { remark: 'good' });
    });
    const c = client({ namesrvAddr: [fullAddr, good.addr] });
    expect(await ask(c)).toBe('good');
    expect(c.chosenAddress).toBe(good.addr);
  });

  it('does not send a write to the next node after a close, nor a read once the node had answered', async () => {
    // Drops the connection on every PUT_KV_CONFIG and on the second request of a connection.
    const closer = await node((req, ctx) => {
      if (req.code === RequestCode.PUT_KV_CONFIG || closer.requests.length > 1) {
        ctx.socket.destroy();
      } else {
        ctx.reply(req, { remark: 'closer' });
      }
    });
    const good = await node((req, ctx) => {
      ctx.reply(req, { remark: 'good' });
    });
    const write = client({ namesrvAddr: [closer.addr, good.addr] });
    const err = await write
      .invokeAny({
        code: RequestCode.PUT_KV_CONFIG,
        extFields: { namespace: 'n', key: 'k', value: 'v' },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemotingClosedError);
    expect((err as RemotingClosedError).nothingReceived).toBe(true);
    expect(good.requests).toHaveLength(0);

    // The node may have processed a read that got no answer on a connection that carried
    // answers: the old rule (surface it, move on at the next call) holds.
    closer.requests.length = 0;
    const read = client({ namesrvAddr: [closer.addr, good.addr] });
    expect(await ask(read)).toBe('closer');
    const closed = await ask(read).catch((e: unknown) => e);
    expect(closed).toBeInstanceOf(RemotingClosedError);
    expect((closed as RemotingClosedError).nothingReceived).toBe(false);
    expect(good.requests).toHaveLength(0);
    expect(await ask(read)).toBe('good');
  });

  it('moves off the node in use at once when the list changes without it', async () => {
    const nodes = await threeNodes();
    const provider = new MutableProvider([nodes[0]!.addr, nodes[1]!.addr]);
    const c = client({ addressProvider: provider });
    const changes: (readonly string[])[] = [];
    c.on('addressesChanged', (list) => changes.push(list));
    expect(await ask(c)).toBe('node0');

    provider.holder.set([nodes[1]!.addr, nodes[2]!.addr]);
    expect(changes).toHaveLength(1);
    expect(c.chosenAddress).toBeUndefined();
    expect(c.remoting.hasConnection(nodes[0]!.addr)).toBe(false);
    const next = await ask(c);
    expect(['node1', 'node2']).toContain(next);
    expect(nodes[0]!.requests).toHaveLength(1);
  });

  it('loads the first list a provider fetches without an addressesChanged event', async () => {
    const nodes = await threeNodes();
    // Empty until started, like an address service or a function: its first fetch is a change
    // from [] for the provider, not for the client.
    class FetchingProvider extends MutableProvider {
      override start(): Promise<void> {
        this.holder.set([nodes[0]!.addr]);
        return Promise.resolve();
      }
    }
    const provider = new FetchingProvider([]);
    const c = client({ addressProvider: provider });
    const changes: (readonly string[])[] = [];
    c.on('addressesChanged', (list) => changes.push(list));
    expect(await ask(c)).toBe('node0');
    expect(changes).toEqual([]);
    provider.holder.set([nodes[1]!.addr]);
    expect(changes).toEqual([[nodes[1]!.addr]]);
  });

  it('sends to an explicit address when asked', async () => {
    const nodes = await threeNodes();
    const c = client({ namesrvAddr: [nodes[0]!.addr, nodes[1]!.addr] });
    const { addr, response } = await c.invokeAny(
      { code: RequestCode.GET_BROKER_CLUSTER_INFO },
      { addr: nodes[2]!.addr },
    );
    expect(addr).toBe(nodes[2]!.addr);
    expect(response.remark).toBe('node2');
  });

  it('raises NoNameServerError for an empty list from a provider', async () => {
    const c = client({ addressProvider: new MutableProvider([]) });
    await expect(ask(c)).rejects.toBeInstanceOf(NoNameServerError);
  });

  it('turns error responses into ResponseError with code and remark', async () => {
    const s = await node((req, ctx) => {
      ctx.reply(req, { code: ResponseCode.SYSTEM_ERROR, remark: 'disable' });
    });
    const c = client({ namesrvAddr: s.addr });
    const err = await ask(c).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResponseError);
    expect((err as ResponseError).responseCode).toBe(ResponseCode.SYSTEM_ERROR);
    expect((err as ResponseError).remark).toBe('disable');
    expect((err as ResponseError).retriable).toBe(false);
  });
});

// Hand-written bodies in the two shapes a 4.9.7 server sends (standard and legacy JSON).
function routeBody(queues: [string, number][], legacy = false): Buffer {
  const brokers = queues.map(([name]) =>
    legacy
      ? `{"brokerAddrs":{0:"127.0.0.1:1${name.length}911"},"brokerName":"${name}","cluster":"C"}`
      : `{"brokerAddrs":{"0":"127.0.0.1:1${name.length}911"},"brokerName":"${name}","cluster":"C"}`,
  );
  const qds = queues.map(
    ([name, n]) =>
      `{"brokerName":"${name}","perm":6,"readQueueNums":${n},"topicSysFlag":0,"writeQueueNums":${n}}`,
  );
  return Buffer.from(
    `{"brokerDatas":[${brokers.join(',')}],"filterServerTable":{},"queueDatas":[${qds.join(',')}]}`,
  );
}

/** A provider whose start() (the address list loading) ends only when `release` is called. */
function providerLoadingUntilReleased(list: readonly string[]) {
  let release: () => void = () => undefined;
  const loaded = new Promise<void>((resolve) => {
    release = resolve;
  });
  class LoadingProvider extends MutableProvider {
    override start(): Promise<void> {
      return loaded;
    }
  }
  return { provider: new LoadingProvider(list), release: () => release() };
}

describe('NameServerClient close', () => {
  it('starts nothing when closed while its address list was still loading', async () => {
    const s = await node((req, ctx) => {
      ctx.reply(req, {});
    });
    const { provider, release } = providerLoadingUntilReleased([s.addr]);
    const c = client({
      addressProvider: provider,
      pollNameServerInterval: 20,
    });
    const failures: unknown[] = [];
    c.on('routeRefreshFailed', (_topic, err) => failures.push(err));
    c.watch('T'); // a topic in use: the route refresh would poll it
    const starting = c.start();
    const closing = c.close();
    release();
    await Promise.all([starting, closing]);
    // The watch's own first fetch may fail as the client closes; a route refresh started after
    // close() would then fail every 20 ms.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const settled = failures.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(failures).toHaveLength(settled);
    expect(settled).toBeLessThanOrEqual(1);
    expect(s.requests).toHaveLength(0);
  });
});

describe('NameServerClient close (what it owns)', () => {
  it('leaves a RemotingClient and an address provider the caller gave open (they may be shared)', async () => {
    const s = await node((req, ctx) => {
      ctx.reply(req, { remark: 'up' });
    });
    const remoting = new RemotingClient();
    cleanups.push(() => remoting.close());
    let providerClosed = false;
    class SharedProvider extends MutableProvider {
      override close(): Promise<void> {
        providerClosed = true;
        return Promise.resolve();
      }
    }
    const provider = new SharedProvider([s.addr]);
    const c = client({ addressProvider: provider, remoting });
    expect(await ask(c)).toBe('up');
    await c.close();
    expect(providerClosed).toBe(false);
    const answer = await remoting.invoke(
      s.addr,
      { code: RequestCode.GET_BROKER_CLUSTER_INFO },
      { timeoutMs: 2_000 },
    );
    expect(answer.remark).toBe('up');
  });

  it('stops refreshing the topics in use once closed', async () => {
    const s = await node((req, ctx) => {
      ctx.reply(req, { body: routeBody([['broker-a', 4]]) });
    });
    const c = client({ namesrvAddr: s.addr, pollNameServerInterval: 20 });
    const failures: unknown[] = [];
    c.on('routeRefreshFailed', (_topic, err) => failures.push(err));
    await c.getTopicRouteData('T');
    const before = s.requests.length;
    await waitFor(() => s.requests.length >= before + 2, 3_000, 'two periodic refreshes');
    await c.close();
    // Ten refresh periods: a refresh left running would fail (client closed) in each of them;
    // one refresh already under way as close() ran may fail once.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(failures.length).toBeLessThanOrEqual(1);
  });
});

describe('NameServerClient options', () => {
  it('refuses a zero timeout or poll interval, naming the option', () => {
    for (const [option, value] of [
      ['timeoutMs', { timeoutMs: 0 }],
      ['pollNameServerInterval', { pollNameServerInterval: 0 }],
    ] as const) {
      let thrown: unknown;
      try {
        client({ namesrvAddr: '127.0.0.1:9876', ...value });
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(InvalidOptionError);
      expect((thrown as InvalidOptionError).option).toBe(option);
    }
  });
});

describe('NameServerClient start', () => {
  it('fails a call after its own timeout while the address source has not answered', async () => {
    const s = await node((req, ctx) => {
      ctx.reply(req, {});
    });
    const { provider, release } = providerLoadingUntilReleased([s.addr]);
    const c = client({ addressProvider: provider });
    await expect(c.invokeAny({ code: 106 }, { timeoutMs: 100 })).rejects.toThrow(
      /has not answered within 100 ms/,
    );
    release();
    const answered = await c.invokeAny({ code: 106 }, { timeoutMs: 1_000 });
    expect(answered.addr).toBe(s.addr);
  });
});

describe('NameServerClient routes', () => {
  async function routeNode(state: { body: Buffer | null }): Promise<ScriptedServer> {
    return node((req, ctx) => {
      if (req.code !== RequestCode.GET_ROUTEINFO_BY_TOPIC) return;
      if (state.body === null) {
        ctx.reply(req, {
          code: ResponseCode.TOPIC_NOT_EXIST,
          remark: `No topic route info in name server for the topic: ${req.extFields?.topic ?? ''}`,
        });
      } else {
        ctx.reply(req, { body: state.body });
      }
    });
  }

  it('caches routes, refreshes topics in use and emits routeChanged only on a real change', async () => {
    const state = {
      body: routeBody([
        ['broker-a', 4],
        ['broker-b', 4],
      ]) as Buffer | null,
    };
    const s = await routeNode(state);
    const c = client({ namesrvAddr: s.addr, pollNameServerInterval: 40 });
    const changes: { topic: string; route: TopicRouteData; previous?: TopicRouteData }[] = [];
    c.on('routeChanged', (topic, route, previous) =>
      changes.push({ topic, route, ...(previous === undefined ? {} : { previous }) }),
    );

    const route = await c.getTopicRouteData('T');
    expect(route.queueDatas.map((q) => q.brokerName)).toEqual(['broker-a', 'broker-b']);
    expect(route.brokerDatas[0]!.brokerAddrs.get(0)).toBe('127.0.0.1:18911');
    expect(changes).toHaveLength(1);
    expect(changes[0]!.previous).toBeUndefined();
    expect(await c.getTopicRouteData('T')).toBe(route);
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0]!.extFields).toEqual({ topic: 'T' });
    expect(c.topicsInUse()).toEqual(['T']);

    // Same route, other list order and legacy JSON: refreshed but not a change.
    state.body = routeBody(
      [
        ['broker-b', 4],
        ['broker-a', 4],
      ],
      true,
    );
    const before = s.requests.length;
    await waitFor(() => s.requests.length >= before + 2, 3_000, 'two periodic refreshes');
    expect(changes).toHaveLength(1);

    state.body = routeBody([
      ['broker-a', 8],
      ['broker-b', 4],
    ]);
    await waitFor(() => changes.length === 2, 3_000, 'routeChanged after refresh');
    expect(changes[1]!.topic).toBe('T');
    expect(changes[1]!.previous).toBe(route);
    expect(
      changes[1]!.route.queueDatas.find((q) => q.brokerName === 'broker-a')?.writeQueueNums,
    ).toBe(8);
    expect(c.cachedTopicRouteData('T')).toBe(changes[1]!.route);
  });

  it('keeps the cached route when a refresh fails, and reports it', async () => {
    const state = { body: routeBody([['broker-a', 4]]) as Buffer | null };
    const s = await routeNode(state);
    const c = client({ namesrvAddr: s.addr });
    const failures: unknown[] = [];
    c.on('routeRefreshFailed', (_topic, err) => failures.push(err));
    const route = await c.getTopicRouteData('T');
    state.body = null;
    await c.refreshTopicRoutes();
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(TopicNotExistError);
    expect(c.cachedTopicRouteData('T')).toBe(route);
    c.forgetTopic('T');
    expect(c.topicsInUse()).toEqual([]);
    expect(c.cachedTopicRouteData('T')).toBeUndefined();
  });

  it('surfaces TOPIC_NOT_EXIST as a distinguishable, non-retriable TopicNotExistError', async () => {
    const s = await routeNode({ body: null });
    const c = client({ namesrvAddr: s.addr });
    const err = await c.getTopicRouteData('Missing').catch((e: unknown) => e);
    expect(isTopicNotExist(err)).toBe(true);
    expect(err).toBeInstanceOf(ResponseError);
    expect((err as TopicNotExistError).topic).toBe('Missing');
    expect((err as TopicNotExistError).responseCode).toBe(ResponseCode.TOPIC_NOT_EXIST);
    expect((err as TopicNotExistError).retriable).toBe(false);
    expect(c.cachedTopicRouteData('Missing')).toBeUndefined();
  });

  it('reports a failed fetch that watch() and a refresh shared once, not once each', async () => {
    const held: { req: Parameters<ScriptHandler>[0]; ctx: Parameters<ScriptHandler>[1] }[] = [];
    const s = await node((req, ctx) => {
      held.push({ req, ctx });
    });
    const c = client({ namesrvAddr: s.addr });
    const failures: unknown[] = [];
    c.on('routeRefreshFailed', (_topic, err) => failures.push(err));
    c.watch('T');
    await waitFor(() => held.length === 1, 3_000, 'the watch fetch');
    const refresh = c.refreshTopicRoutes(); // shares the fetch under way
    const { req, ctx } = held[0]!;
    ctx.reply(req, { code: ResponseCode.SYSTEM_ERROR, remark: 'busy' });
    await refresh;
    // Both handlers of the shared rejection are promise callbacks: all have run by the next turn.
    await new Promise((resolve) => setImmediate(resolve));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(ResponseError);
    expect(s.requests).toHaveLength(1);
  });

  it('shares one in-flight fetch between concurrent lookups of a cold topic', async () => {
    const s = await routeNode({ body: routeBody([['broker-a', 4]]) });
    const c = client({ namesrvAddr: s.addr });
    const [a, b] = await Promise.all([c.getTopicRouteData('T'), c.getTopicRouteData('T')]);
    expect(a).toBe(b);
    expect(s.requests).toHaveLength(1);
  });
});
