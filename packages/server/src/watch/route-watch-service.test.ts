/** RouteWatchService on its own, with a fake route cache and transport. */
import { describe, expect, it, vi } from 'vitest';
import {
  createRequest,
  decodeFrame,
  decodeWatchTopicRouteResponseBody,
  encodeTopicRouteData,
  encodeWatchTopicRouteRequestBody,
  encodeWatchTopicRouteRequestHeader,
  RequestCode,
  ResponseCode,
  SerializeType,
} from '@ns/protocol';
import type { RemotingCommand, WatchTopicRouteResponseBody } from '@ns/protocol';
import { HELD as DEFERRED } from './types.js';
import {
  BUMP_ALL_FROM_TOPICS,
  ROUTE_VERSIONS_MAX_ENTRIES,
  RouteVersions,
} from './route-versions.js';
import { MAX_WAKE_DEFER_MILLIS, RouteWatchService, WAKE_CHUNK } from './route-watch-service.js';
import { MAX_WATCH_ANSWER_BODY_BYTES } from './watch-response-builder.js';
import type { RouteWatchLimits, WatchRejectReason, WatchResponseReason } from './types.js';

const NOOP = (): void => undefined;

/** Lets the service's setImmediate wakeup run. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function routeOf(broker: string) {
  return {
    queueDatas: [
      { brokerName: broker, readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 },
    ],
    brokerDatas: [{ cluster: 'c', brokerName: broker, brokerAddrs: new Map([[0, `${broker}:1`]]) }],
    filterServerTable: new Map<string, string[]>(),
  };
}

interface Fixture {
  service: RouteWatchService;
  /** topic → broker name hosting it (absent = no route). */
  routes: Map<string, string>;
  replies: { connectionId: number; response: RemotingCommand }[];
  bodyFetches: { topic: string; standardJson: boolean }[];
  limits: { -readonly [K in keyof RouteWatchLimits]: RouteWatchLimits[K] };
  responded: Map<WatchResponseReason, number>;
  rejected: WatchRejectReason[];
  wakeups: number[];
  closed: Set<number>;
  serving: { value: boolean };
  /** Changes `topics`' routes and notifies the service. */
  change(topics: Record<string, string | null>): void;
}

function fixture(
  epoch = 'epoch-1',
  maxVersionEntries?: number,
  extra: { deferWakeWhile?: () => boolean; now?: () => number } = {},
): Fixture {
  const routes = new Map<string, string>();
  const replies: Fixture['replies'] = [];
  const bodyFetches: Fixture['bodyFetches'] = [];
  const responded = new Map<WatchResponseReason, number>();
  const rejected: WatchRejectReason[] = [];
  const wakeups: number[] = [];
  const closed = new Set<number>();
  const serving = { value: true };
  const limits = {
    maxWatchers: 10_000,
    maxTopics: 100,
    maxHeldTopics: 1_000_000,
    maxHoldMillis: 30_000,
    idleTimeoutMillis: 0,
  };
  const service = new RouteWatchService({
    routeBody: (topic, standardJson) => {
      bodyFetches.push({ topic, standardJson });
      const broker = routes.get(topic);
      return broker === undefined ? null : encodeTopicRouteData(routeOf(broker), { standardJson });
    },
    reply: (connectionId, response) => {
      if (closed.has(connectionId)) return false;
      replies.push({ connectionId, response });
      return true;
    },
    limits: () => ({ ...limits }),
    isServing: () => serving.value,
    metrics: {
      watchResponded: (reason, count) =>
        responded.set(reason, (responded.get(reason) ?? 0) + count),
      watchWakeup: (s) => wakeups.push(s),
      watchRejected: (reason) => rejected.push(reason),
    },
    logger: { debug: NOOP, warn: NOOP, error: NOOP },
    epoch,
    ...(maxVersionEntries === undefined ? {} : { maxVersionEntries }),
    ...extra,
  });
  return {
    service,
    routes,
    replies,
    bodyFetches,
    limits,
    responded,
    rejected,
    wakeups,
    closed,
    serving,
    change(topics) {
      for (const [topic, broker] of Object.entries(topics)) {
        if (broker === null) routes.delete(topic);
        else routes.set(topic, broker);
      }
      service.onRouteChanged(new Set(Object.keys(topics)));
    },
  };
}

let opaque = 100;

function watchRequest(
  topics: Record<string, number>,
  init: {
    epoch?: string;
    holdMillis?: number;
    version?: number;
    serializeType?: SerializeType;
    oneway?: boolean;
  } = {},
): RemotingCommand {
  return createRequest({
    code: RequestCode.WATCH_TOPIC_ROUTE,
    opaque: opaque++,
    version: init.version ?? 407,
    serializeType: init.serializeType ?? SerializeType.JSON,
    oneway: init.oneway ?? false,
    extFields: encodeWatchTopicRouteRequestHeader({
      ...(init.epoch === undefined ? {} : { epoch: init.epoch }),
      ...(init.holdMillis === undefined ? {} : { holdMillis: init.holdMillis }),
    }),
    body: encodeWatchTopicRouteRequestBody({ topics: new Map(Object.entries(topics)) }),
  });
}

function handle(f: Fixture, req: RemotingCommand, connectionId = 1) {
  return f.service.handle(req, { connectionId, remoteAddress: '127.0.0.1:1' });
}

/** The response as the client gets it (from the encoded frame when there is one). */
function received(response: RemotingCommand): RemotingCommand {
  return response.encodedFrame === undefined
    ? response
    : decodeFrame(response.encodedFrame.subarray(4));
}

function bodyOf(response: RemotingCommand): WatchTopicRouteResponseBody {
  const r = received(response);
  expect(r.code).toBe(ResponseCode.SUCCESS);
  return decodeWatchTopicRouteResponseBody(r.body!);
}

function summary(response: RemotingCommand): Record<string, string | null> {
  const b = bodyOf(response);
  const out: Record<string, string | null> = {};
  for (const r of b.routes) out[r.topic] = r.route.brokerDatas[0]!.brokerName;
  for (const g of b.gone) out[g.topic] = null;
  return out;
}

function versionsOf(response: RemotingCommand): Record<string, number> {
  const b = bodyOf(response);
  return Object.fromEntries([...b.routes, ...b.gone].map((e) => [e.topic, e.version]));
}

function immediate(f: Fixture, req: RemotingCommand, connectionId = 1): RemotingCommand {
  const res = handle(f, req, connectionId);
  if (res === DEFERRED) throw new Error('expected an immediate answer, got HELD');
  return res;
}

describe('RouteVersions', () => {
  it('starts every topic at 1, bumps per change, raises a floor for all', () => {
    const v = new RouteVersions('e');
    expect(v.version('A')).toBe(1);
    const a = v.bump(['A', 'B']);
    expect(a).toBeGreaterThan(1);
    expect(v.version('A')).toBe(a);
    expect(v.version('C')).toBe(1);
    const all = v.bumpAll();
    expect(all).toBeGreaterThan(a);
    for (const t of ['A', 'B', 'C']) expect(v.version(t)).toBe(all);
    expect(v.size).toBe(0);
    expect(v.bump(['C'])).toBeGreaterThan(all);
  });

  it('past maxEntries changed topics, raises the floor: same epoch, versions only grow', () => {
    const v = new RouteVersions('e', 3);
    const a = v.bump(['A', 'B']);
    const c = v.bump(['C']);
    expect(v.size).toBe(3);
    expect(v.version('A')).toBe(a);
    expect(v.version('C')).toBe(c);
    // The fourth entry: every topic, changed or not, moves above everything handed out.
    const reset = v.bump(['D']);
    expect(v.size).toBe(0);
    expect(reset).toBeGreaterThan(c);
    for (const t of ['A', 'B', 'C', 'D', 'never-seen']) expect(v.version(t)).toBe(reset);
    expect(v.epoch).toBe('e');
    // Counting starts over: the next change is above the floor and has its own entry.
    const e = v.bump(['E']);
    expect(e).toBeGreaterThan(reset);
    expect(v.size).toBe(1);
    expect(v.version('A')).toBe(reset);
  });

  it('stays bounded under topic-name churn; no topic ever goes back', () => {
    const max = 100;
    const v = new RouteVersions('e', max);
    let last = v.version('steady');
    let largest = 0;
    for (let i = 0; i < 2_000; i++) {
      // A topic appears and disappears (two changes), and a live one changes now and then.
      v.bump([`churn-${i}`]);
      v.bump([`churn-${i}`]);
      if (i % 37 === 0) v.bump(['steady']);
      largest = Math.max(largest, v.size);
      const now = v.version('steady');
      expect(now).toBeGreaterThanOrEqual(last);
      last = now;
      expect(v.version(`churn-${i}`)).toBeGreaterThan(1);
    }
    expect(largest).toBe(max);
  });

  it('defaults to ROUTE_VERSIONS_MAX_ENTRIES', () => {
    const v = new RouteVersions('e');
    const names = Array.from({ length: ROUTE_VERSIONS_MAX_ENTRIES }, (_, i) => `t${i}`);
    v.bump(names);
    expect(v.size).toBe(ROUTE_VERSIONS_MAX_ENTRIES);
    const floor = v.bump(['one-more']);
    expect(v.size).toBe(0);
    expect(v.version('t0')).toBe(floor);
  });

  it('draws a different random epoch per table', () => {
    expect(new RouteVersions().epoch).not.toBe(new RouteVersions().epoch);
    expect(new RouteVersions().epoch).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('RouteWatchService', () => {
  it('answers at once what the client does not hold, routes and gone topics, with the epoch', () => {
    const f = fixture();
    f.routes.set('A', 'broker-a');
    const res = immediate(f, watchRequest({ A: 0, Missing: 0 }));
    expect(received(res).extFields).toEqual({ epoch: 'epoch-1' });
    expect(summary(res)).toEqual({ A: 'broker-a', Missing: null });
    expect(versionsOf(res)).toEqual({ A: 1, Missing: 1 });
    expect(f.responded.get('immediate')).toBe(1);
  });

  it('holds a watch that is up to date and wakes it with exactly the changed topic', async () => {
    const f = fixture();
    f.routes.set('A', 'broker-a');
    f.routes.set('B', 'broker-b');
    const first = immediate(f, watchRequest({ A: 0, B: 0 }));
    const held = versionsOf(first);
    expect(handle(f, watchRequest(held, { epoch: 'epoch-1' }))).toBe(DEFERRED);
    expect(f.service.stats().held).toBe(1);

    f.change({ Unwatched: 'broker-x' });
    await nextTurn();
    expect(f.replies).toHaveLength(0);

    f.change({ B: 'broker-c' });
    expect(f.replies).toHaveLength(0); // woken on the next turn, not inside the change
    await nextTurn();
    expect(f.replies).toHaveLength(1);
    const woken = f.replies[0]!.response;
    expect(summary(woken)).toEqual({ B: 'broker-c' });
    expect(versionsOf(woken)['B']).toBeGreaterThan(held['B']!);
    expect(f.service.stats().held).toBe(0);
    expect(f.responded.get('changed')).toBe(1);
    expect(f.wakeups).toHaveLength(1);
    expect(f.wakeups[0]).toBeGreaterThanOrEqual(0);
  });

  it('after a version reset (name churn), a watch gets its topics once more, never older', async () => {
    const f = fixture('epoch-1', 4);
    f.routes.set('A', 'broker-a');
    f.routes.set('B', 'broker-b');
    let versions = versionsOf(immediate(f, watchRequest({ A: 0, B: 0, Missing: 0 })));
    expect(handle(f, watchRequest(versions, { epoch: 'epoch-1' }))).toBe(DEFERRED);

    // Topics nobody watches come and go: past 4 entries every version moves to one new floor.
    for (let i = 0; i < 5; i++) {
      f.change({ [`churn-${i}`]: 'broker-x' });
      f.change({ [`churn-${i}`]: null });
    }
    // The fifth name reset the table; its disappearance is the one entry since.
    expect(f.service.stats().versionedTopics).toBe(1);
    await nextTurn();
    // No route of the held watch changed: it is not woken for the new numbers.
    expect(f.replies).toHaveLength(0);
    expect(f.service.stats().held).toBe(1);

    // A real change still wakes it, with a version above everything it holds.
    f.change({ B: 'broker-c' });
    await nextTurn();
    expect(f.replies).toHaveLength(1);
    const woken = f.replies[0]!.response;
    expect(summary(woken)).toEqual({ B: 'broker-c' });
    expect(versionsOf(woken)['B']).toBeGreaterThan(versions['B']!);
    versions = { ...versions, ...versionsOf(woken) };

    // Asking again, it gets the other topics once (same routes, same epoch, newer versions) ...
    const again = immediate(f, watchRequest(versions, { epoch: 'epoch-1' }));
    expect(received(again).extFields).toEqual({ epoch: 'epoch-1' });
    expect(summary(again)).toEqual({ A: 'broker-a', Missing: null });
    for (const [topic, version] of Object.entries(versionsOf(again))) {
      expect(version).toBeGreaterThan(versions[topic]!);
    }
    versions = { ...versions, ...versionsOf(again) };
    // ... and with those, it is up to date again.
    expect(handle(f, watchRequest(versions, { epoch: 'epoch-1' }))).toBe(DEFERRED);
  });

  it('a change of BUMP_ALL_FROM_TOPICS topics raises the floor; the watches of changed topics still wake', async () => {
    const f = fixture();
    f.routes.set('A', 'broker-a');
    f.routes.set('B', 'broker-b');
    const vA = versionsOf(immediate(f, watchRequest({ A: 0 }), 1));
    const vB = versionsOf(immediate(f, watchRequest({ B: 0 }), 2));
    expect(handle(f, watchRequest(vA, { epoch: 'epoch-1' }), 1)).toBe(DEFERRED);
    expect(handle(f, watchRequest(vB, { epoch: 'epoch-1' }), 2)).toBe(DEFERRED);
    expect(f.service.stats().versionedTopics).toBe(0);

    // A broker name of that many topics changed its addresses (B's route did not change).
    const bulk: Record<string, string> = { A: 'broker-a2' };
    for (let i = 1; i < BUMP_ALL_FROM_TOPICS; i++) bulk[`bulk-${i}`] = 'broker-x';
    f.change(bulk);
    // One floor for all, not an entry per topic.
    expect(f.service.stats().versionedTopics).toBe(0);
    await nextTurn();
    // The watch of A is woken with A; the watch of B is not woken.
    expect(f.replies.map((r) => r.connectionId)).toEqual([1]);
    expect(summary(f.replies[0]!.response)).toEqual({ A: 'broker-a2' });
    expect(versionsOf(f.replies[0]!.response)['A']).toBeGreaterThan(vA['A']!);
    expect(f.service.stats().held).toBe(1);
    // B's watcher, asking again (after its hold), gets B once: same route, a newer version.
    f.service.connectionClosed(2);
    const again = immediate(f, watchRequest(vB, { epoch: 'epoch-1' }), 2);
    expect(summary(again)).toEqual({ B: 'broker-b' });
    expect(versionsOf(again)['B']).toBeGreaterThan(vB['B']!);
  });

  it('reports a watched topic that disappears as gone, and its return as a route', async () => {
    const f = fixture();
    f.routes.set('A', 'broker-a');
    let versions = versionsOf(immediate(f, watchRequest({ A: 0 })));
    expect(handle(f, watchRequest(versions, { epoch: 'epoch-1' }))).toBe(DEFERRED);
    f.change({ A: null });
    await nextTurn();
    expect(summary(f.replies[0]!.response)).toEqual({ A: null });
    versions = versionsOf(f.replies[0]!.response);
    expect(handle(f, watchRequest(versions, { epoch: 'epoch-1' }))).toBe(DEFERRED);
    f.change({ A: 'broker-b' });
    await nextTurn();
    expect(summary(f.replies[1]!.response)).toEqual({ A: 'broker-b' });
  });

  it('coalesces several changes in one turn into one answer per watch', async () => {
    const f = fixture();
    for (const t of ['A', 'B', 'C']) f.routes.set(t, 'x');
    const v = versionsOf(immediate(f, watchRequest({ A: 0, B: 0, C: 0 })));
    handle(f, watchRequest(v, { epoch: 'epoch-1' }));
    f.change({ A: 'y' });
    f.change({ C: 'z' });
    await nextTurn();
    expect(f.replies).toHaveLength(1);
    expect(summary(f.replies[0]!.response)).toEqual({ A: 'y', C: 'z' });
  });

  it('wakes only the watches of changed topics, encoding each route once per flavour', async () => {
    const f = fixture();
    f.routes.set('A', 'broker-a');
    f.routes.set('B', 'broker-b');
    const v = versionsOf(immediate(f, watchRequest({ A: 0, B: 0 })));
    // More woken watches than one chunk answers in a turn.
    const n = 2 * WAKE_CHUNK + 100;
    for (let i = 0; i < n; i++) {
      // Half follow A, half follow B; among A's, half want legacy JSON (old clients), half
      // ROCKETMQ binary headers.
      const topic = i % 2 === 0 ? 'A' : 'B';
      const req = watchRequest(
        { [topic]: v[topic]! },
        {
          epoch: 'epoch-1',
          version: i % 4 === 0 ? 317 : 407,
          serializeType: i % 8 < 4 ? SerializeType.JSON : SerializeType.ROCKETMQ,
        },
      );
      expect(handle(f, req, 1000 + i)).toBe(DEFERRED);
    }
    f.bodyFetches.length = 0;
    f.change({ A: 'broker-a2' });
    await nextTurn();
    // One chunk per turn, so route lookups get served between chunks.
    expect(f.replies).toHaveLength(WAKE_CHUNK);
    await waitFor('every watch of A answered', () => f.replies.length === n / 2);
    await nextTurn();
    expect(f.replies).toHaveLength(n / 2);
    expect(f.responded.get('changed')).toBe(n / 2);
    expect(new Set(f.replies.map((r) => r.connectionId % 2))).toEqual(new Set([0]));
    // One route body per flavour for 250 watches.
    expect(f.bodyFetches).toEqual(
      expect.arrayContaining([
        { topic: 'A', standardJson: true },
        { topic: 'A', standardJson: false },
      ]),
    );
    expect(f.bodyFetches).toHaveLength(2);
    // Each watcher gets its own opaque on a shared frame.
    const opaques = new Set(f.replies.map((r) => received(r.response).opaque));
    expect(opaques.size).toBe(n / 2);
    for (const { response } of f.replies) expect(summary(response)).toEqual({ A: 'broker-a2' });
    expect(f.service.stats().held).toBe(n / 2);
  });

  it('answers an expired hold with nothing changed', async () => {
    const f = fixture();
    f.routes.set('A', 'a');
    const v = versionsOf(immediate(f, watchRequest({ A: 0 })));
    const started = Date.now();
    expect(handle(f, watchRequest(v, { epoch: 'epoch-1', holdMillis: 60 }))).toBe(DEFERRED);
    await waitFor('hold expiry', () => f.replies.length === 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    expect(bodyOf(f.replies[0]!.response)).toEqual({ routes: [], gone: [] });
    expect(f.responded.get('timeout')).toBe(1);
    expect(f.service.stats().held).toBe(0);
  });

  it('caps the hold at the maximum and under half of the idle timeout; 0 answers at once', async () => {
    const f = fixture();
    f.routes.set('A', 'a');
    const v = versionsOf(immediate(f, watchRequest({ A: 0 })));
    f.limits.maxHoldMillis = 50;
    expect(handle(f, watchRequest(v, { epoch: 'epoch-1', holdMillis: 600_000 }))).toBe(DEFERRED);
    await waitFor('capped hold expiry', () => f.replies.length === 1, 2000);
    f.limits.maxHoldMillis = 30_000;
    f.limits.idleTimeoutMillis = 100;
    expect(handle(f, watchRequest(v, { epoch: 'epoch-1' }))).toBe(DEFERRED);
    await waitFor('idle-capped hold expiry', () => f.replies.length === 2, 2000);
    const zero = immediate(f, watchRequest(v, { epoch: 'epoch-1', holdMillis: 0 }));
    expect(bodyOf(zero)).toEqual({ routes: [], gone: [] });
  });

  it('holds a watch for just under half the idle timeout, so the idle close never comes first', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const f = fixture();
      f.routes.set('A', 'a');
      const v = versionsOf(immediate(f, watchRequest({ A: 0 })));
      f.limits.idleTimeoutMillis = 10_001;
      expect(handle(f, watchRequest(v, { epoch: 'epoch-1' }))).toBe(DEFERRED);
      vi.advanceTimersByTime(4_999);
      expect(f.replies).toHaveLength(0);
      vi.advanceTimersByTime(1);
      expect(f.replies).toHaveLength(1);
      expect(bodyOf(f.replies[0]!.response)).toEqual({ routes: [], gone: [] });
      expect(f.responded.get('timeout')).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a change already held by a watch does not wake it (only versions newer than held do)', async () => {
    const f = fixture();
    f.routes.set('A', 'a');
    const v = versionsOf(immediate(f, watchRequest({ A: 0 })));
    expect(handle(f, watchRequest(v, { epoch: 'epoch-1' }), 2)).toBe(DEFERRED);
    f.change({ A: 'b' });
    // Before the wakeup runs, another client reads the new version and watches from it.
    const now = versionsOf(immediate(f, watchRequest({ A: 0 }), 3));
    expect(now['A']).toBeGreaterThan(v['A']!);
    expect(handle(f, watchRequest(now, { epoch: 'epoch-1' }), 3)).toBe(DEFERRED);
    await waitFor('the older watch woken', () => f.replies.length >= 1);
    for (let i = 0; i < 3; i++) await nextTurn();
    expect(f.replies.map((r) => r.connectionId)).toEqual([2]);
    expect(summary(f.replies[0]!.response)).toEqual({ A: 'b' });
    expect(f.service.stats().held).toBe(1);
  });

  it('counts topics, not colons inside escaped names, against routeWatchMaxTopics', () => {
    const f = fixture();
    f.limits.maxTopics = 1;
    // One topic whose name has an escaped quote followed by colons: still one topic.
    const name = 'a":b":c';
    const res = immediate(f, watchRequest({ [name]: 0 }));
    expect(received(res).code).toBe(ResponseCode.SUCCESS);
    expect(f.rejected).toEqual([]);
  });

  it('replaces the held watch of a connection, answering the old one first', () => {
    const f = fixture();
    f.routes.set('A', 'a');
    f.routes.set('B', 'b');
    const v = versionsOf(immediate(f, watchRequest({ A: 0, B: 0 })));
    const old = watchRequest({ A: v['A']! }, { epoch: 'epoch-1' });
    expect(handle(f, old)).toBe(DEFERRED);
    // The same connection now follows B too (held at 0): answered at once with B.
    const res = immediate(f, watchRequest({ A: v['A']!, B: 0 }, { epoch: 'epoch-1' }));
    expect(f.replies).toHaveLength(1);
    expect(received(f.replies[0]!.response).opaque).toBe(old.opaque);
    expect(bodyOf(f.replies[0]!.response)).toEqual({ routes: [], gone: [] });
    expect(summary(res)).toEqual({ B: 'b' });
    expect(f.responded.get('superseded')).toBe(1);
    // Another connection's watch is untouched.
    expect(handle(f, watchRequest(v, { epoch: 'epoch-1' }), 2)).toBe(DEFERRED);
    expect(handle(f, watchRequest(v, { epoch: 'epoch-1' }), 3)).toBe(DEFERRED);
    expect(f.service.stats().held).toBe(2);
  });

  it('forgets the watch of a closed connection', async () => {
    const f = fixture();
    f.routes.set('A', 'a');
    const v = versionsOf(immediate(f, watchRequest({ A: 0 })));
    handle(f, watchRequest(v, { epoch: 'epoch-1' }), 7);
    f.service.connectionClosed(7);
    expect(f.service.stats()).toEqual({ held: 0, heldTopics: 0, versionedTopics: 0 });
    f.change({ A: 'b' });
    await nextTurn();
    expect(f.replies).toHaveLength(0);
  });

  it('treats versions of another epoch as nothing held', () => {
    const f = fixture('epoch-2');
    f.routes.set('A', 'a');
    const res = immediate(f, watchRequest({ A: 999 }, { epoch: 'epoch-1' }));
    expect(summary(res)).toEqual({ A: 'a' });
    expect(received(res).extFields?.['epoch']).toBe('epoch-2');
  });

  it('wakes every watch with all its topics on a change of every route', async () => {
    const f = fixture();
    f.routes.set('A', 'a');
    f.routes.set('B', 'b');
    const v = versionsOf(immediate(f, watchRequest({ A: 0, B: 0 })));
    handle(f, watchRequest({ A: v['A']! }, { epoch: 'epoch-1' }), 1);
    handle(f, watchRequest(v, { epoch: 'epoch-1' }), 2);
    f.service.onRouteChanged('all');
    await nextTurn();
    expect(f.replies.map((r) => [r.connectionId, summary(r.response)])).toEqual([
      [1, { A: 'a' }],
      [2, { A: 'a', B: 'b' }],
    ]);
  });

  it('refuses bad requests and requests over the limits with clear remarks', () => {
    const f = fixture();
    const refused = (req: RemotingCommand, connectionId = 1): RemotingCommand => {
      const res = immediate(f, req, connectionId);
      expect(res.code).not.toBe(ResponseCode.SUCCESS);
      return res;
    };
    f.limits.maxTopics = 2;
    const tooMany = refused(watchRequest({ A: 0, B: 0, C: 0 }));
    expect(tooMany.code).toBe(ResponseCode.INVALID_PARAMETER);
    expect(tooMany.remark).toBe('WATCH_TOPIC_ROUTE: 3 topics, more than routeWatchMaxTopics=2');
    const none = refused(watchRequest({}));
    expect(none.remark).toBe('WATCH_TOPIC_ROUTE: no topics to watch');
    const noBody = refused({ ...watchRequest({ A: 0 }), body: null });
    expect(noBody.remark).toMatch(/no body/);
    const badBody = refused({
      ...watchRequest({ A: 0 }),
      body: Buffer.from('{"topics":{"A":-1}}'),
    });
    expect(badBody.code).toBe(ResponseCode.INVALID_PARAMETER);
    expect(badBody.remark).toMatch(/topics\["A"\]: expected a version >= 0/);
    const badHold = refused(watchRequest({ A: 0 }, { holdMillis: -5 }));
    expect(badHold.remark).toBe(
      'WatchTopicRouteRequestHeader: field "holdMillis" is -5, expected >= 0',
    );

    f.limits.maxTopics = 100;
    f.limits.maxWatchers = 1;
    const v = versionsOf(immediate(f, watchRequest({ A: 0 })));
    expect(handle(f, watchRequest(v, { epoch: 'epoch-1' }), 1)).toBe(DEFERRED);
    const busy = refused(watchRequest(v, { epoch: 'epoch-1' }), 2);
    expect(busy.code).toBe(ResponseCode.SYSTEM_BUSY);
    expect(busy.remark).toBe(
      'WATCH_TOPIC_ROUTE: 1 watches already held by this serving process (its share of routeWatchMaxWatchers); poll instead',
    );
    // Replacing the held watch of the same connection is not a new one.
    expect(handle(f, watchRequest(v, { epoch: 'epoch-1' }), 1)).toBe(DEFERRED);

    f.serving.value = false;
    const notReady = refused(watchRequest({ A: 0 }), 3);
    expect(notReady.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(notReady.remark).toBe('name server not ready');
    expect(f.rejected).toEqual([
      'max_topics',
      'bad_request',
      'bad_request',
      'bad_request',
      'bad_request',
      'max_watchers',
      'not_ready',
    ]);
  });

  it('refuses topic names longer than a retry topic can be, and watches past the held-topics share', () => {
    const f = fixture();
    const long = 'T'.repeat(263);
    const tooLong = immediate(f, watchRequest({ [long]: 0 }));
    expect(tooLong.code).toBe(ResponseCode.INVALID_PARAMETER);
    expect(tooLong.remark).toBe(
      'WATCH_TOPIC_ROUTE: a topic name of 263 characters, more than 262 (the longest retry topic name)',
    );
    // '%RETRY%' and a group of 255 characters: longer than a topic may be, looked up all the same.
    const retry = '%RETRY%' + 'G'.repeat(255);
    expect(immediate(f, watchRequest({ [retry]: 0 })).code).toBe(ResponseCode.SUCCESS);

    f.limits.maxHeldTopics = 3;
    const v = versionsOf(immediate(f, watchRequest({ A: 0, B: 0, C: 0, D: 0 })));
    const at = (...topics: string[]) =>
      watchRequest(Object.fromEntries(topics.map((t) => [t, v[t]!])), { epoch: 'epoch-1' });
    expect(handle(f, at('A', 'B'), 1)).toBe(DEFERRED);
    const busy = immediate(f, at('C', 'D'), 2);
    expect(busy.code).toBe(ResponseCode.SYSTEM_BUSY);
    expect(busy.remark).toBe(
      'WATCH_TOPIC_ROUTE: the held watches of this serving process follow 2 topics, 2 more would pass its share of routeWatchMaxHeldTopics (3); poll instead',
    );
    expect(handle(f, at('C'), 2)).toBe(DEFERRED);
    // A connection replacing its own watch frees what the old one held first.
    expect(handle(f, at('A', 'D'), 1)).toBe(DEFERRED);
    expect(f.rejected).toEqual(['bad_request', 'max_held_topics']);
  });

  it('refuses a body larger than its limits allow before parsing it, and counts keys before building them', () => {
    const f = fixture();
    f.limits.maxTopics = 10;
    // 10 names of at most 262 characters, each escaped in full: 16,104 bytes at most.
    const names = Array.from({ length: 40_000 }, (_, i) => `"t${i}":0`).join(',');
    const huge = immediate(f, {
      ...watchRequest({ A: 0 }),
      body: Buffer.from(`{"topics":{${names}}}`),
    });
    expect(huge.code).toBe(ResponseCode.INVALID_PARAMETER);
    expect(huge.remark).toMatch(
      /^WATCH_TOPIC_ROUTE: a body of \d+ bytes, more than 16104 \(routeWatchMaxTopics=10 names of at most 262 characters\)$/,
    );
    // Within the size, too many keys: refused by the count. Colons inside names are no keys.
    const keys = (n: number) => Array.from({ length: n }, (_, i) => `"a:${i}":0`).join(',');
    expect(
      immediate(f, { ...watchRequest({ A: 0 }), body: Buffer.from(`{"topics":{${keys(11)}}}`) })
        .remark,
    ).toBe('WATCH_TOPIC_ROUTE: 11 topics, more than routeWatchMaxTopics=10');
    const ten = immediate(f, {
      ...watchRequest({ A: 0 }),
      body: Buffer.from(`{"topics":{${keys(10)}}}`),
    });
    expect(ten.code).toBe(ResponseCode.SUCCESS);
    expect(f.rejected).toEqual(['max_topics', 'max_topics']);
  });

  it('answers at most MAX_WATCH_ANSWER_BODY_BYTES of routes at once; the next watch gets the rest', () => {
    const f = fixture();
    f.limits.maxTopics = 1_000;
    // Routes of about 30 KB each (a large cluster): 1,000 of them would be 30 MB, past a client's
    // 16 MiB frame limit.
    const broker = 'b'.repeat(10_000);
    const topics: Record<string, number> = {};
    for (let i = 0; i < 1_000; i++) topics[`T${i}`] = 0;
    f.change(Object.fromEntries(Object.keys(topics).map((t) => [t, broker])));
    const first = immediate(f, watchRequest(topics));
    expect(first.body!.length).toBeLessThanOrEqual(MAX_WATCH_ANSWER_BODY_BYTES);
    const got = versionsOf(first);
    const n = Object.keys(got).length;
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(1_000);
    // The client's next watch, with what it holds now: answered at once with the rest.
    let held = { ...topics, ...got };
    let rounds = 1;
    while (Object.values(held).some((v) => v === 0)) {
      const next = immediate(f, watchRequest(held, { epoch: 'epoch-1' }));
      expect(next.body!.length).toBeLessThanOrEqual(MAX_WATCH_ANSWER_BODY_BYTES);
      held = { ...held, ...versionsOf(next) };
      expect(++rounds).toBeLessThan(20);
    }
    expect(rounds).toBeGreaterThan(1);
  });

  it('never holds a one-way watch', () => {
    const f = fixture();
    f.routes.set('A', 'a');
    const v = versionsOf(immediate(f, watchRequest({ A: 0 })));
    const res = handle(f, watchRequest(v, { epoch: 'epoch-1', oneway: true }));
    expect(res).not.toBe(DEFERRED);
    expect(f.service.stats().held).toBe(0);
  });

  it('answers every held watch at shutdown and holds nothing afterwards', async () => {
    const f = fixture();
    f.routes.set('A', 'a');
    const v = versionsOf(immediate(f, watchRequest({ A: 0 })));
    handle(f, watchRequest(v, { epoch: 'epoch-1' }), 1);
    handle(f, watchRequest(v, { epoch: 'epoch-1' }), 2);
    f.change({ A: 'b' }); // pending wakeup, cancelled by close()
    f.service.close();
    expect(f.replies.map((r) => bodyOf(r.response))).toEqual([
      { routes: [], gone: [] },
      { routes: [], gone: [] },
    ]);
    expect(f.responded.get('shutdown')).toBe(2);
    await nextTurn();
    expect(f.replies).toHaveLength(2);
    // The change made before close() is still answered, at once.
    const after = immediate(f, watchRequest(v, { epoch: 'epoch-1' }));
    expect(summary(after)).toEqual({ A: 'b' });
    const nothingNew = immediate(f, watchRequest(versionsOf(after), { epoch: 'epoch-1' }));
    expect(bodyOf(nothingNew)).toEqual({ routes: [], gone: [] });
    expect(f.service.stats().held).toBe(0);
  });

  it('versions nothing before its first answer (a node nobody watches pays nothing)', () => {
    const f = fixture();
    f.change({ A: 'a', B: 'b' });
    expect(f.service.stats().versionedTopics).toBe(0);
    // Nor at shutdown, when the node's topics all go.
    const g = fixture();
    g.service.close();
    g.change({ A: 'a', B: 'b' });
    expect(g.service.stats().versionedTopics).toBe(0);
    expect(g.responded.get('shutdown') ?? 0).toBe(0);
    immediate(f, watchRequest({ A: 0 }));
    f.change({ A: 'c' });
    expect(f.service.stats().versionedTopics).toBe(1);
  });
});

describe('wakeups while a write is applied in slices', () => {
  /** A watch held on A and B at their current versions, on connection 1. */
  function holdAB(f: Fixture): void {
    f.routes.set('A', 'b1');
    f.routes.set('B', 'b1');
    const v = versionsOf(immediate(f, watchRequest({ A: 0, B: 0 })));
    expect(handle(f, watchRequest(v, { epoch: 'epoch-1', holdMillis: 30_000 }))).toBe(DEFERRED);
  }

  it('wait for the write to end, then answer each watch once with all it changed', async () => {
    let writing = true;
    // A clock that stands still: however slow this machine, the 50 ms bound is never reached.
    const f = fixture('epoch-1', undefined, { deferWakeWhile: () => writing, now: () => 1000 });
    holdAB(f);
    // Two slices of one write, each flushing its changes, with turns of the loop in between.
    f.change({ A: 'b2' });
    await new Promise((r) => setTimeout(r, 10));
    f.change({ B: 'b2' });
    await new Promise((r) => setTimeout(r, 10));
    expect(f.replies).toHaveLength(0);
    writing = false;
    await waitFor('the wakeup', () => f.replies.length === 1);
    expect(summary(f.replies[0]!.response)).toEqual({ A: 'b2', B: 'b2' });
  });

  it(`wakes anyway once a write has kept it waiting ${MAX_WAKE_DEFER_MILLIS} ms`, async () => {
    let t = 1000;
    const f = fixture('epoch-1', undefined, { deferWakeWhile: () => true, now: () => t });
    holdAB(f);
    f.change({ A: 'b2' });
    await new Promise((r) => setTimeout(r, 10));
    expect(f.replies).toHaveLength(0);
    t += MAX_WAKE_DEFER_MILLIS;
    await waitFor('the wakeup', () => f.replies.length === 1);
    expect(summary(f.replies[0]!.response)).toEqual({ A: 'b2' });
  });

  it('close() while a wakeup waits answers the watch, and the wakeup never comes', async () => {
    const f = fixture('epoch-1', undefined, { deferWakeWhile: () => true, now: () => 1000 });
    holdAB(f);
    f.change({ A: 'b2' });
    await new Promise((r) => setTimeout(r, 5));
    f.service.close();
    expect(f.replies).toHaveLength(1);
    expect(bodyOf(f.replies[0]!.response).routes).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 20));
    expect(f.replies).toHaveLength(1);
  });
});
