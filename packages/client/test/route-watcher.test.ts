/** RouteWatcher's loop with a fake host: generations, versions per node and epoch, backoff. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createResponse,
  decodeWatchTopicRouteRequestBody,
  decodeWatchTopicRouteRequestHeader,
  encodeWatchTopicRouteResponseBody,
  encodeWatchTopicRouteResponseHeader,
  RequestCode,
  ResponseCode,
  createRequest,
} from '@ns/protocol';
import type { RemotingCommand, WatchTopicRouteResponseBody } from '@ns/protocol';
import { RemotingClosedError } from '../src/errors.js';
import { NOOP_LOGGER } from '../src/logger.js';
import type { RemotingRequest } from '../src/remoting/remoting-client.js';
import { MAX_TIMER_MS } from '../src/timer-limit.js';
import { RouteWatcher } from '../src/watch/route-watcher.js';
import type { RouteWatchState } from '../src/watch/route-watcher.js';
import { waitFor } from './helpers/scripted-server.js';
import { routeOf as route } from './helpers/route-data.js';

interface Call {
  readonly topics: Map<string, number>;
  readonly holdMillis: number | undefined;
  readonly epoch: string | undefined;
  readonly timeoutMs: number;
  readonly held: boolean;
  resolve(addr: string, response: RemotingCommand): void;
  reject(err: unknown): void;
}

const watchers: RouteWatcher[] = [];
afterEach(() => {
  for (const w of watchers.splice(0)) w.close();
});

function answer(epoch: string, body: WatchTopicRouteResponseBody): RemotingCommand {
  const req = createRequest({ code: RequestCode.WATCH_TOPIC_ROUTE, opaque: 1 });
  return createResponse(req, {
    code: ResponseCode.SUCCESS,
    extFields: encodeWatchTopicRouteResponseHeader({ epoch }),
    body: encodeWatchTopicRouteResponseBody(body, { standardJson: true }),
  });
}

function setup(
  topics: string[],
  node: { addr: string | undefined },
  options = { holdMs: 20_000, refusedRetryMs: 60_000 },
) {
  const calls: Call[] = [];
  const routes: [string, string][] = [];
  const gone: string[] = [];
  const states: RouteWatchState[] = [];
  const watcher = new RouteWatcher(
    {
      topics: () => topics,
      currentNode: () => node.addr,
      invoke: (request: RemotingRequest, timeoutMs: number, held: boolean) =>
        new Promise((resolve, reject) => {
          const header = decodeWatchTopicRouteRequestHeader(
            request.extFields as Record<string, string>,
          );
          calls.push({
            topics: decodeWatchTopicRouteRequestBody(request.body!).topics,
            holdMillis: header.holdMillis,
            epoch: header.epoch,
            timeoutMs,
            held,
            resolve: (addr, response) => resolve({ addr, response }),
            reject,
          });
        }),
      route: (topic, r) => routes.push([topic, r.brokerDatas[0]!.brokerName]),
      gone: (topic) => gone.push(topic),
      stateChanged: (s) => states.push(s),
      callTimeoutMs: 500,
      logger: NOOP_LOGGER,
    },
    options,
  );
  watchers.push(watcher);
  return { watcher, calls, routes, gone, states };
}

describe('RouteWatcher', () => {
  it("moves a held watch at once when the client's calls leave its node (hung node)", async () => {
    const node = { addr: 'n1:9876' as string | undefined };
    const t = setup(['A'], node);
    t.watcher.start();
    expect(t.calls[0]!.held).toBe(false); // a probe: its timeout only says "no watch here"
    t.calls[0]!.resolve(
      'n1:9876',
      answer('e1', { routes: [{ topic: 'A', version: 3, route: route('a') }], gone: [] }),
    );
    await waitFor(() => t.calls.length === 2, 2000, 'held watch');
    expect(t.calls[1]!.held).toBe(true); // its timeout makes calls leave the node
    t.watcher.nodeLeft('n2:9876'); // not the watched node: nothing
    expect(t.calls).toHaveLength(2);
    // n1 timed out a lookup: calls moved to n2; the watch held on n1 follows now, not in 20 s.
    node.addr = 'n2:9876';
    t.watcher.nodeLeft('n1:9876');
    expect(t.calls).toHaveLength(3);
    expect(t.calls[2]!.holdMillis).toBe(0); // n2's support is unknown: probed
    // The old watch's late failure does not drive the loop.
    t.calls[1]!.reject(new RemotingClosedError('n1:9876'));
    t.calls[2]!.resolve(
      'n2:9876',
      answer('e2', { routes: [{ topic: 'A', version: 1, route: route('b') }], gone: [] }),
    );
    await waitFor(() => t.calls.length === 4, 2000, 'held watch on n2');
    expect(t.watcher.state).toEqual({ mode: 'watching', addr: 'n2:9876', reason: undefined });
    expect(t.routes).toEqual([
      ['A', 'a'],
      ['A', 'b'],
    ]);
  });

  it('probes with hold 0, then holds with the versions and epoch it received', async () => {
    const node = { addr: undefined as string | undefined };
    const t = setup(['A', 'B'], node);
    t.watcher.start();
    expect(t.calls).toHaveLength(1);
    expect(t.calls[0]!.holdMillis).toBe(0);
    expect(t.calls[0]!.timeoutMs).toBe(500);
    expect(t.calls[0]!.epoch).toBeUndefined();
    expect([...t.calls[0]!.topics]).toEqual([
      ['A', 0],
      ['B', 0],
    ]);
    node.addr = 'n1:9876';
    t.calls[0]!.resolve(
      'n1:9876',
      answer('e1', {
        routes: [{ topic: 'A', version: 3, route: route('a') }],
        gone: [{ topic: 'B', version: 2 }],
      }),
    );
    await waitFor(() => t.calls.length === 2, 2000, 'held watch');
    expect(t.routes).toEqual([['A', 'a']]);
    expect(t.gone).toEqual(['B']);
    expect(t.watcher.state).toEqual({ mode: 'watching', addr: 'n1:9876', reason: undefined });
    expect(t.calls[1]!.holdMillis).toBe(20_000);
    expect(t.calls[1]!.timeoutMs).toBe(20_500);
    expect(t.calls[1]!.epoch).toBe('e1');
    expect([...t.calls[1]!.topics]).toEqual([
      ['A', 3],
      ['B', 2],
    ]);
  });

  it('replaces a held watch when topics change, applying but not following the old answer', async () => {
    const node = { addr: 'n1:9876' as string | undefined };
    const topics = ['A'];
    const t = setup(topics, node);
    t.watcher.start();
    t.calls[0]!.resolve(
      'n1:9876',
      answer('e1', { routes: [{ topic: 'A', version: 3, route: route('a') }], gone: [] }),
    );
    await waitFor(() => t.calls.length === 2, 2000, 'held watch');
    topics.push('B');
    t.watcher.topicsChanged();
    t.watcher.topicsChanged(); // coalesced
    await waitFor(() => t.calls.length === 3, 2000, 'replacing watch');
    await new Promise((resolve) => setImmediate(resolve));
    expect(t.calls).toHaveLength(3);
    expect([...t.calls[2]!.topics]).toEqual([
      ['A', 3],
      ['B', 0],
    ]);
    // The node answers the replaced watch (here with a change that raced it): applied, no new request.
    t.calls[1]!.resolve(
      'n1:9876',
      answer('e1', { routes: [{ topic: 'A', version: 4, route: route('a2') }], gone: [] }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(t.calls).toHaveLength(3);
    expect(t.routes).toEqual([
      ['A', 'a'],
      ['A', 'a2'],
    ]);
    // The current one carries the same change again (sent with version 3): not re-applied.
    t.calls[2]!.resolve(
      'n1:9876',
      answer('e1', {
        routes: [
          { topic: 'A', version: 4, route: route('a2') },
          { topic: 'B', version: 5, route: route('b') },
        ],
        gone: [],
      }),
    );
    await waitFor(() => t.calls.length === 4, 2000, 'next watch');
    expect(t.routes).toEqual([
      ['A', 'a'],
      ['A', 'a2'],
      ['B', 'b'],
    ]);
  });

  it('asks for a topic watched again from version 0, its old version forgotten with it', async () => {
    const node = { addr: 'n1:9876' as string | undefined };
    const topics = ['A', 'T'];
    const t = setup(topics, node);
    t.watcher.start();
    t.calls[0]!.resolve(
      'n1:9876',
      answer('e1', {
        routes: [
          { topic: 'A', version: 5, route: route('a') },
          { topic: 'T', version: 3, route: route('t') },
        ],
        gone: [],
      }),
    );
    await waitFor(() => t.calls.length === 2, 2000, 'held watch');
    topics.splice(1, 1); // unwatch T
    t.watcher.topicsChanged();
    await waitFor(() => t.calls.length === 3, 2000, 'watch without T');
    expect([...t.calls[2]!.topics]).toEqual([['A', 5]]);
    // The answer to the watch that still had T carries a change of it: not applied any more.
    t.calls[1]!.resolve(
      'n1:9876',
      answer('e1', { routes: [{ topic: 'T', version: 4, route: route('t2') }], gone: [] }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    topics.push('T'); // watched again
    t.watcher.topicsChanged();
    await waitFor(() => t.calls.length === 4, 2000, 'watch with T again');
    expect([...t.calls[3]!.topics]).toEqual([
      ['A', 5],
      ['T', 0],
    ]);
    expect(t.routes).toEqual([
      ['A', 'a'],
      ['T', 't'],
    ]);
  });

  it('asks for a topic forgotten and watched again in the same turn from version 0', async () => {
    const node = { addr: 'n1:9876' as string | undefined };
    const topics = ['A', 'T'];
    const t = setup(topics, node);
    t.watcher.start();
    t.calls[0]!.resolve(
      'n1:9876',
      answer('e1', {
        routes: [
          { topic: 'A', version: 5, route: route('a') },
          { topic: 'T', version: 3, route: route('t') },
        ],
        gone: [],
      }),
    );
    await waitFor(() => t.calls.length === 2, 2000, 'held watch');
    // unwatch(['T']) then watch(['T']) before the next request is built: the set looks the same,
    // but the client's cached route of T is gone, so the node must answer T again.
    topics.splice(1, 1);
    t.watcher.topicForgotten('T');
    t.watcher.topicsChanged();
    topics.push('T');
    t.watcher.topicsChanged();
    await waitFor(() => t.calls.length === 3, 2000, 'replacing watch');
    expect([...t.calls[2]!.topics]).toEqual([
      ['A', 5],
      ['T', 0],
    ]);
  });

  it('sends a changed topic set at once while waiting after quick empty answers', async () => {
    // Fake timeouts only: the wait after quick empty answers never ends by itself here, so the
    // request that follows the topic change can only come from the change.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    const node = { addr: 'n1:9876' as string | undefined };
    const topics = ['A', 'T'];
    const t = setup(topics, node);
    try {
      t.watcher.start();
      t.calls[0]!.resolve(
        'n1:9876',
        answer('e1', {
          routes: [
            { topic: 'A', version: 5, route: route('a') },
            { topic: 'T', version: 3, route: route('t') },
          ],
          gone: [],
        }),
      );
      await turn();
      // Two quick empty answers: the first is followed at once, the second waits.
      t.calls[1]!.resolve('n1:9876', answer('e1', { routes: [], gone: [] }));
      await turn();
      expect(t.calls).toHaveLength(3);
      t.calls[2]!.resolve('n1:9876', answer('e1', { routes: [], gone: [] }));
      await turn();
      expect(t.calls).toHaveLength(3);
      expect(vi.getTimerCount()).toBe(1);
      // T is unwatched and watched again, B is new: asked for now, T from 0.
      topics.splice(1, 1);
      t.watcher.topicForgotten('T');
      t.watcher.topicsChanged();
      topics.push('T', 'B');
      await turn();
      expect(t.calls).toHaveLength(4);
      expect([...t.calls[3]!.topics].sort()).toEqual([
        ['A', 5],
        ['B', 0],
        ['T', 0],
      ]);
      expect(t.watcher.state.mode).toBe('watching');
    } finally {
      t.watcher.close();
      vi.useRealTimers();
    }
  });

  it('keeps the timeout of a held watch within the Node.js timer limit for the longest hold', async () => {
    const node = { addr: 'n1:9876' as string | undefined };
    const t = setup(['A'], node, { holdMs: MAX_TIMER_MS, refusedRetryMs: 60_000 });
    t.watcher.start();
    t.calls[0]!.resolve(
      'n1:9876',
      answer('e1', { routes: [{ topic: 'A', version: 1, route: route('a') }], gone: [] }),
    );
    await waitFor(() => t.calls.length === 2, 2000, 'held watch');
    expect(t.calls[1]!.holdMillis).toBe(MAX_TIMER_MS);
    // hold + call timeout would be past the limit, and the remoting client refuses that.
    expect(t.calls[1]!.timeoutMs).toBe(MAX_TIMER_MS);
  });

  it('starts versions over on another epoch (a restarted node)', async () => {
    const node = { addr: 'n1:9876' as string | undefined };
    const t = setup(['A'], node);
    t.watcher.start();
    t.calls[0]!.resolve(
      'n1:9876',
      answer('e1', { routes: [{ topic: 'A', version: 9, route: route('a') }], gone: [] }),
    );
    await waitFor(() => t.calls.length === 2, 2000, 'held watch');
    // Restarted node: new epoch, low versions, but every topic answered.
    t.calls[1]!.resolve(
      'n1:9876',
      answer('e2', { routes: [{ topic: 'A', version: 1, route: route('a9') }], gone: [] }),
    );
    await waitFor(() => t.calls.length === 3, 2000, 'next watch');
    expect(t.routes.at(-1)).toEqual(['A', 'a9']);
    expect(t.calls[2]!.epoch).toBe('e2');
    expect(t.calls[2]!.topics.get('A')).toBe(1);
  });

  it('backs off after failures and after repeated quick empty answers', async () => {
    const node = { addr: 'n1:9876' as string | undefined };
    const t = setup(['A'], node);
    t.watcher.start();
    t.calls[0]!.resolve(
      'n1:9876',
      answer('e1', { routes: [{ topic: 'A', version: 3, route: route('a') }], gone: [] }),
    );
    await waitFor(() => t.calls.length === 2, 2000, 'held watch');
    // The connection dies: retried at once (failover), then with growing waits.
    t.calls[1]!.reject(new RemotingClosedError('n1:9876'));
    await waitFor(() => t.calls.length === 3, 2000, 'first retry');
    expect(t.watcher.state.mode).toBe('polling');
    const failedAt = Date.now();
    t.calls[2]!.reject(new RemotingClosedError('n1:9876'));
    await waitFor(() => t.calls.length === 4, 2000, 'second retry');
    expect(Date.now() - failedAt).toBeGreaterThanOrEqual(90);
    // Quick empty answers: the first is followed at once, the next ones wait.
    t.calls[3]!.resolve('n1:9876', answer('e1', { routes: [], gone: [] }));
    await waitFor(() => t.calls.length === 5, 2000, 'after quick empty');
    const quickAt = Date.now();
    t.calls[4]!.resolve('n1:9876', answer('e1', { routes: [], gone: [] }));
    await waitFor(() => t.calls.length === 6, 2000, 'after second quick empty');
    expect(Date.now() - quickAt).toBeGreaterThanOrEqual(200);
  });

  it('treats a node whose answer is not a watch answer as refusing, without retrying at once', async () => {
    const node = { addr: 'n1:9876' as string | undefined };
    const t = setup(['A'], node);
    t.watcher.start();
    const req = createRequest({ code: RequestCode.WATCH_TOPIC_ROUTE, opaque: 1 });
    t.calls[0]!.resolve(
      'n1:9876',
      createResponse(req, { code: ResponseCode.SUCCESS, body: Buffer.from('not json') }),
    );
    await waitFor(() => t.watcher.state.mode === 'polling', 2000, 'polling');
    expect(t.watcher.state.reason).toMatch(/^undecodable answer: /);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(t.calls).toHaveLength(1);
    expect(t.routes).toEqual([]);
  });

  it('does nothing without topics, and stops on close', async () => {
    const t = setup([], { addr: undefined });
    t.watcher.start();
    expect(t.calls).toHaveLength(0);
    expect(t.watcher.state.mode).toBe('off');
    t.watcher.close();
    t.watcher.topicsChanged();
    await new Promise((resolve) => setImmediate(resolve));
    expect(t.calls).toHaveLength(0);
  });
});
