import { describe, expect, it, vi } from 'vitest';
import type { TopicRouteData } from '@ns/protocol';
import { NOOP_LOGGER } from '../src/logger.js';
import { TopicRouteCache } from '../src/topic-route-cache.js';
import { TopicNotExistError } from '../src/topic-not-exist-error.js';
import { routeOf as route } from './helpers/route-data.js';

/** A cache whose fetches wait until the test settles them. */
function setup() {
  const fetches: { resolve(r: TopicRouteData): void; reject(e: unknown): void }[] = [];
  const changes: [string, string][] = [];
  const gone: string[] = [];
  const cache = new TopicRouteCache(
    () =>
      new Promise<TopicRouteData>((resolve, reject) => {
        fetches.push({ resolve, reject });
      }),
    {
      onChanged: (topic, r) => changes.push([topic, r.brokerDatas[0]!.brokerName]),
      onRefreshFailed: () => undefined,
      onGone: (topic) => gone.push(topic),
    },
    NOOP_LOGGER,
  );
  return { cache, fetches, changes, gone };
}

describe('TopicRouteCache and the route watch', () => {
  it('does not let a poll answered before a change overwrite the route the watch delivered since', async () => {
    const { cache, fetches, changes } = setup();
    cache.add('A');
    cache.applyWatched('A', route('old'));
    const refresh = cache.refreshAll();
    // The node changes the route: the watch delivers it while the poll is still on its way, and
    // the poll's answer, older, arrives after.
    cache.applyWatched('A', route('new'));
    fetches[0]!.resolve(route('old'));
    await refresh;
    expect(cache.cached('A')?.brokerDatas[0]?.brokerName).toBe('new');
    expect(changes).toEqual([
      ['A', 'old'],
      ['A', 'new'],
    ]);
    // Without a watch answer in between, a poll applies as always.
    const next = cache.refreshAll();
    fetches[1]!.resolve(route('polled'));
    await next;
    expect(cache.cached('A')?.brokerDatas[0]?.brokerName).toBe('polled');
  });

  it('does not take a TOPIC_NOT_EXIST answered before the watch delivered a route for gone', async () => {
    const { cache, fetches, gone } = setup();
    cache.add('A');
    const refresh = cache.refreshAll();
    cache.applyWatched('A', route('created'));
    fetches[0]!.reject(new TopicNotExistError('A', 'No topic route info', 'n1:9876'));
    await refresh;
    expect(gone).toEqual([]);
    expect(cache.cached('A')?.brokerDatas[0]?.brokerName).toBe('created');
  });

  it('a topic forgotten while fetched and used again gets a fetch of its own; the old answer is not applied', async () => {
    const { cache, fetches, changes } = setup();
    cache.add('A');
    cache.applyWatched('A', route('b1'));
    const refresh = cache.refreshAll();
    cache.forget('A');
    // Used (watched) again while the first fetch is still out: a new fetch, not that one.
    const again = cache.get('A');
    expect(fetches).toHaveLength(2);
    // The old answer comes last but belongs to the use that ended.
    fetches[1]!.resolve(route('b2'));
    expect((await again).brokerDatas[0]?.brokerName).toBe('b2');
    fetches[0]!.resolve(route('b1'));
    await refresh;
    expect(cache.cached('A')?.brokerDatas[0]?.brokerName).toBe('b2');
    expect(changes).toEqual([
      ['A', 'b1'],
      ['A', 'b2'],
    ]);
  });

  it('a topic watched again after forget is not overwritten by a fetch that began before', async () => {
    const { cache, fetches, changes } = setup();
    cache.add('A');
    cache.applyWatched('A', route('b1'));
    const refresh = cache.refreshAll();
    cache.forget('A');
    cache.add('A');
    // The new watch delivers the current route; the old fetch then answers with an older one.
    cache.applyWatched('A', route('b2'));
    fetches[0]!.resolve(route('b1'));
    await refresh;
    expect(cache.cached('A')?.brokerDatas[0]?.brokerName).toBe('b2');
    expect(changes).toEqual([
      ['A', 'b1'],
      ['A', 'b2'],
    ]);
  });
});

describe('TopicRouteCache', () => {
  it('answers a lookup from the cache, and fetches again when forced', async () => {
    const { cache, fetches } = setup();
    const first = cache.get('A');
    fetches[0]!.resolve(route('b1'));
    await first;
    expect((await cache.get('A')).brokerDatas[0]?.brokerName).toBe('b1');
    expect(fetches).toHaveLength(1);
    const forced = cache.get('A', true);
    expect(fetches).toHaveLength(2);
    fetches[1]!.resolve(route('b2'));
    expect((await forced).brokerDatas[0]?.brokerName).toBe('b2');
  });

  it('reports a gone topic once, and its next route as a change even when it equals the last one', async () => {
    const { cache, fetches, changes, gone } = setup();
    const first = cache.get('A');
    fetches[0]!.resolve(route('b1'));
    await first;
    cache.markGone('A');
    cache.markGone('A');
    expect(gone).toEqual(['A']);
    // Its last route stays cached meanwhile (Java keeps it).
    expect(cache.cached('A')?.brokerDatas[0]?.brokerName).toBe('b1');
    cache.apply('A', route('b1'));
    expect(changes).toEqual([
      ['A', 'b1'],
      ['A', 'b1'],
    ]);
    // Back: gone again is reported again.
    cache.markGone('A');
    expect(gone).toEqual(['A', 'A']);
  });

  it('a lookup joins the fetch under way; one that ended for a forgotten use leaves the new one alone', async () => {
    const { cache, fetches } = setup();
    const old = cache.get('A');
    cache.forget('A');
    const fresh = cache.get('A');
    expect(fetches).toHaveLength(2);
    fetches[0]!.resolve(route('b1'));
    await old;
    // The fetch of the new use is still the one a further lookup joins.
    const joined = cache.get('A');
    expect(fetches).toHaveLength(2);
    fetches[1]!.resolve(route('b2'));
    expect((await fresh).brokerDatas[0]?.brokerName).toBe('b2');
    expect((await joined).brokerDatas[0]?.brokerName).toBe('b2');
  });

  it('a refresh skips a topic forgotten while it runs', async () => {
    const fetched: string[] = [];
    const cache: TopicRouteCache = new TopicRouteCache(
      (topic) => {
        fetched.push(topic);
        if (topic === 'A') cache.forget('B');
        return Promise.resolve(route(topic));
      },
      { onChanged: () => undefined, onRefreshFailed: () => undefined },
      NOOP_LOGGER,
    );
    cache.add('A');
    cache.add('B');
    cache.add('C');
    await cache.refreshAll();
    expect(fetched).toEqual(['A', 'C']);
  });

  it('does not start a periodic refresh while the previous one is still under way', async () => {
    vi.useFakeTimers();
    try {
      const { cache, fetches } = setup();
      cache.add('A');
      cache.start(1000);
      await vi.advanceTimersByTimeAsync(1000);
      expect(fetches).toHaveLength(1);
      // The node does not answer for three more periods: no second refresh on top.
      await vi.advanceTimersByTimeAsync(3000);
      expect(fetches).toHaveLength(1);
      fetches[0]!.resolve(route('b1'));
      await vi.advanceTimersByTimeAsync(1000);
      expect(fetches).toHaveLength(2);
      cache.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('setInterval changes the period of a started cache only; a stopped one stays stopped', async () => {
    vi.useFakeTimers();
    try {
      const { cache, fetches } = setup();
      cache.add('A');
      cache.setInterval(1000);
      expect(cache.intervalMs).toBe(0);
      await vi.advanceTimersByTimeAsync(5000);
      expect(fetches).toHaveLength(0);
      cache.start(10_000);
      cache.setInterval(1000);
      expect(cache.intervalMs).toBe(1000);
      await vi.advanceTimersByTimeAsync(1000);
      expect(fetches).toHaveLength(1);
      cache.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
