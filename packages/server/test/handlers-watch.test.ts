/**
 * WATCH_TOPIC_ROUTE through the real Dispatcher, RouteInfoManager and KV manager: every reason a
 * route can change (registration, connection close, KV order config, the orderMessageEnable flip)
 * reaches a held watch, and the answers carry what GET_ROUTEINFO_BY_TOPIC would send.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeFrame,
  decodeWatchTopicRouteResponseBody,
  encodeWatchTopicRouteRequestBody,
  RequestCode,
  ResponseCode,
} from '@ns/protocol';
import type { RemotingCommand, WatchTopicRouteResponseBody } from '@ns/protocol';
import { createHarness, register, request } from './handlers-harness.js';
import type { Harness, HarnessOptions } from './handlers-harness.js';

const WATCHER = 1;
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function harness(options: HarnessOptions = {}): Harness {
  return createHarness({ deferredReplies: true, ...options });
}

function watch(
  h: Harness,
  topics: Record<string, number>,
  ext: Record<string, string> = {},
  connectionId = WATCHER,
): RemotingCommand | null {
  return h.dispatch(
    request(RequestCode.WATCH_TOPIC_ROUTE, {
      ext,
      body: encodeWatchTopicRouteRequestBody({ topics: new Map(Object.entries(topics)) }),
    }),
    { connectionId },
  );
}

function decoded(res: RemotingCommand): { epoch: string; body: WatchTopicRouteResponseBody } {
  const r = res.encodedFrame === undefined ? res : decodeFrame(res.encodedFrame.subarray(4));
  expect(r.code).toBe(ResponseCode.SUCCESS);
  return { epoch: r.extFields!['epoch']!, body: decodeWatchTopicRouteResponseBody(r.body!) };
}

/** topic → broker names in its route (null = gone). */
function brokers(res: RemotingCommand): Record<string, string[] | null> {
  const { body } = decoded(res);
  const out: Record<string, string[] | null> = {};
  for (const r of body.routes) out[r.topic] = r.route.queueDatas.map((q) => q.brokerName).sort();
  for (const g of body.gone) out[g.topic] = null;
  return out;
}

/** Watches `topics` from scratch, then holds a watch with the versions received. */
function holdWatch(h: Harness, topics: string[]): { epoch: string } {
  const first = watch(h, Object.fromEntries(topics.map((t) => [t, 0])));
  expect(first).not.toBeNull();
  const { epoch, body } = decoded(first!);
  const versions = Object.fromEntries(
    [...body.routes, ...body.gone].map((e) => [e.topic, e.version]),
  );
  expect(watch(h, versions, { epoch })).toBeNull();
  return { epoch };
}

function setUpTwoBrokers(h: Harness): void {
  register(h, {
    brokerName: 'broker-a',
    brokerAddr: '10.0.0.1:10911',
    connectionId: 10,
    topics: [{ name: 'T1' }, { name: 'T2' }],
  });
  register(h, {
    brokerName: 'broker-b',
    brokerAddr: '10.0.0.2:10911',
    connectionId: 11,
    topics: [{ name: 'T1' }, { name: 'T3' }],
  });
}

describe('WATCH_TOPIC_ROUTE through the dispatcher', () => {
  it('is served only with a reply channel and routeWatchEnable', () => {
    expect(createHarness().dispatcher.supportedCodes).not.toContain(RequestCode.WATCH_TOPIC_ROUTE);
    expect(harness().dispatcher.supportedCodes).toContain(RequestCode.WATCH_TOPIC_ROUTE);
    const off = harness({ config: { routeWatchEnable: false } });
    const res = watch(off, { T1: 0 });
    expect(res?.code).toBe(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
    expect(res?.remark).toBe(` request type ${RequestCode.WATCH_TOPIC_ROUTE} not supported`);
    const silent = harness({
      config: { routeWatchEnable: false, replyToUnknownRequestCode: false },
    });
    expect(watch(silent, { T1: 0 })).toBeNull();
  });

  it('answers with the route bytes GET_ROUTEINFO_BY_TOPIC sends, in the request flavour', () => {
    const h = harness();
    setUpTwoBrokers(h);
    for (const version of [407, 317]) {
      const res = h.dispatch(
        request(RequestCode.WATCH_TOPIC_ROUTE, {
          version,
          body: encodeWatchTopicRouteRequestBody({ topics: new Map([['T1', 0]]) }),
        }),
      )!;
      const route = h.send(RequestCode.GET_ROUTEINFO_BY_TOPIC, { ext: { topic: 'T1' }, version });
      const r = decodeFrame(res.encodedFrame!.subarray(4));
      expect(r.body!.toString('utf8')).toContain(`{"route":${route.body!.toString('utf8')},`);
    }
  });

  it('counts a held watch in the request durations with its handling time, not its wait', async () => {
    const h = harness();
    setUpTwoBrokers(h);
    holdWatch(h, ['T1']);
    await new Promise((r) => setTimeout(r, 400));
    h.routes.onConnectionClosed(10);
    await nextTurn();
    expect(h.replies).toHaveLength(1);
    const watches = h.metrics.filter((m) => m.requestCode === RequestCode.WATCH_TOPIC_ROUTE);
    expect(watches).toHaveLength(2);
    // Held 400 ms: a duration well under that was taken when the watch was held.
    expect(watches[1]!.seconds).toBeLessThan(0.3);
  });

  it('a closed broker connection wakes the watch: route without that broker, topic gone', async () => {
    const h = harness();
    setUpTwoBrokers(h);
    holdWatch(h, ['T1', 'T2', 'T3']);
    // Held: only the first (immediate) watch has been answered and counted so far.
    expect(h.metrics.filter((m) => m.requestCode === RequestCode.WATCH_TOPIC_ROUTE)).toHaveLength(
      1,
    );

    h.routes.onConnectionClosed(10);
    await nextTurn();
    expect(h.replies).toHaveLength(1);
    expect(h.replies[0]!.connectionId).toBe(WATCHER);
    expect(brokers(h.replies[0]!.response)).toEqual({ T1: ['broker-b'], T2: null });
  });

  it('a new topic on a broker wakes the watchers of that topic only', async () => {
    const h = harness();
    setUpTwoBrokers(h);
    holdWatch(h, ['T9']); // does not exist yet: held at "gone"
    const other = watch(h, { T3: 0 }, {}, 2)!;
    const { epoch, body } = decoded(other);
    expect(watch(h, { T3: body.routes[0]!.version }, { epoch }, 2)).toBeNull();

    register(h, {
      brokerName: 'broker-a',
      brokerAddr: '10.0.0.1:10911',
      connectionId: 10,
      counter: 2,
      topics: [{ name: 'T1' }, { name: 'T2' }, { name: 'T9' }],
    });
    await nextTurn();
    expect(h.replies.map((r) => [r.connectionId, brokers(r.response)])).toEqual([
      [WATCHER, { T9: ['broker-a'] }],
    ]);
  });

  it('an ORDER_TOPIC_CONFIG change and an orderMessageEnable flip reach the watchers', async () => {
    const h = harness({ config: { orderMessageEnable: true } });
    setUpTwoBrokers(h);
    const { epoch } = holdWatch(h, ['T1', 'T2']);
    h.send(RequestCode.PUT_KV_CONFIG, {
      ext: { namespace: 'ORDER_TOPIC_CONFIG', key: 'T1', value: 'broker-a:4;broker-b:4' },
    });
    await nextTurn();
    expect(h.replies).toHaveLength(1);
    const woken = decoded(h.replies[0]!.response).body;
    expect(woken.routes.map((r) => [r.topic, r.route.orderTopicConf])).toEqual([
      ['T1', 'broker-a:4;broker-b:4'],
    ]);

    const versions = { T1: woken.routes[0]!.version, T2: 0 };
    // T2 is held at 0: answered at once; hold again with both current versions.
    const again = decoded(watch(h, versions, { epoch })!).body;
    versions.T2 = again.routes[0]!.version;
    expect(watch(h, versions, { epoch })).toBeNull();
    expect(
      h.send(RequestCode.UPDATE_NAMESRV_CONFIG, { body: 'orderMessageEnable=false\n' }).code,
    ).toBe(ResponseCode.SUCCESS);
    await nextTurn();
    expect(h.replies).toHaveLength(2);
    const flipped = decoded(h.replies[1]!.response).body;
    expect(flipped.routes.map((r) => [r.topic, r.route.orderTopicConf])).toEqual([
      ['T1', undefined],
      ['T2', undefined],
    ]);
  });

  it('drops the held watch when its connection closes', async () => {
    const h = harness();
    setUpTwoBrokers(h);
    holdWatch(h, ['T1']);
    expect(h.dispatcher.routeWatch?.service.stats().held).toBe(1);
    h.dispatcher.routeWatch?.connectionClosed(WATCHER);
    expect(h.dispatcher.routeWatch?.service.stats().held).toBe(0);
    h.routes.onConnectionClosed(10);
    await nextTurn();
    expect(h.replies).toHaveLength(0);
  });

  it('refuses watches while the node waits for brokers (needWaitForService)', () => {
    const h = harness({ config: { needWaitForService: true, waitSecondsForService: 45 } });
    const res = watch(h, { T1: 0 });
    expect(res?.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res?.remark).toBe('name server not ready');
    h.clock.t += 45_000;
    expect(watch(h, { T1: 0 })?.code).toBe(ResponseCode.SUCCESS);
  });
});
