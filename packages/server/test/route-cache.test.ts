/**
 * The encoded-route cache's invalidation: small change sets are applied at once, large ones
 * (LAZY_INVALIDATION_TOPICS and up) swept in the background while every lookup still gets the
 * current route.
 */
import { describe, expect, it } from 'vitest';
import {
  createRequest,
  createResponse,
  prepareFrame,
  preparedFrameBytes,
  RequestCode,
  ResponseCode,
  SerializeType,
} from '@ns/protocol';
import { frameOf, LAZY_INVALIDATION_TOPICS, RouteBodyCache } from '../src/handlers/route-cache.js';

/** A route table stand-in: each topic's route is its name and a version the test bumps. */
function routes(n: number) {
  const version = new Map<string, number>();
  for (let i = 0; i < n; i++) version.set(`t${i}`, 1);
  let builds = 0;
  const cache = new RouteBodyCache((topic) => {
    const v = version.get(topic);
    if (v === undefined) return null;
    builds++;
    return Buffer.from(`${topic}@${v}`);
  }, false);
  const read = (topic: string): string | undefined => cache.get(topic, true, false)?.toString();
  return {
    cache,
    version,
    read,
    get builds() {
      return builds;
    },
  };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('RouteBodyCache invalidation', () => {
  it('drops the topics of a small change at once', () => {
    const r = routes(10);
    expect(r.read('t1')).toBe('t1@1');
    r.version.set('t1', 2);
    r.cache.invalidate(new Set(['t1']));
    expect(r.cache.isSweeping).toBe(false);
    expect(r.read('t1')).toBe('t1@2');
  });

  it('sweeps a large change in the background; no lookup meanwhile gets a stale route', async () => {
    const n = LAZY_INVALIDATION_TOPICS * 3;
    const r = routes(n + 10);
    for (let i = 0; i < n + 10; i++) r.read(`t${i}`);
    const changed = new Set<string>();
    for (let i = 0; i < n; i++) {
      changed.add(`t${i}`);
      r.version.set(`t${i}`, 2);
    }
    r.cache.invalidate(changed);
    // Not swept in the call that announced it.
    expect(r.cache.isSweeping).toBe(true);
    expect(r.cache.size).toBe(n + 10);
    // Right away, before any sweep: changed topics are rebuilt, the others are not.
    const builds = r.builds;
    expect(r.read(`t${n - 1}`)).toBe(`t${n - 1}@2`);
    expect(r.read(`t${n + 5}`)).toBe(`t${n + 5}@1`);
    expect(r.builds).toBe(builds + 1);
    // A rebuilt entry is current: not rebuilt again while the sweep goes on.
    expect(r.read(`t${n - 1}`)).toBe(`t${n - 1}@2`);
    expect(r.builds).toBe(builds + 1);
    // A second large change while the first is being swept.
    r.version.set(`t${n - 1}`, 3);
    r.version.set('t0', 3);
    const again = new Set(changed);
    r.cache.invalidate(again);
    let turns = 0;
    for (; r.cache.isSweeping; turns++) {
      // Every lookup in between is current.
      for (const i of [0, 1, n - 1, n - 2, n + 1]) {
        expect(r.read(`t${i}`)).toBe(`t${i}@${r.version.get(`t${i}`)}`);
      }
      await nextTurn();
    }
    // Swept in several turns, not one.
    expect(turns).toBeGreaterThan(3);
    for (let i = 0; i < n + 10; i += 997) {
      expect(r.read(`t${i}`)).toBe(`t${i}@${r.version.get(`t${i}`)}`);
    }
  });

  it("'all' drops everything, sweeps pending included", () => {
    const r = routes(LAZY_INVALIDATION_TOPICS + 1);
    r.read('t0');
    const all = new Set([...r.version.keys()]);
    r.cache.invalidate(all);
    expect(r.cache.isSweeping).toBe(true);
    r.cache.invalidate('all');
    expect(r.cache.isSweeping).toBe(false);
    expect(r.cache.size).toBe(0);
  });

  it('a topic gone since a large change is answered as gone', () => {
    const r = routes(LAZY_INVALIDATION_TOPICS);
    r.read('t7');
    r.version.delete('t7');
    r.cache.invalidate(new Set(r.version.keys()).add('t7'));
    expect(r.cache.get('t7', true, false)).toBeNull();
    expect(r.cache.size).toBe(0);
  });
});

describe('RouteBodyCache entries and their frames', () => {
  it('keeps one copy of a body: the first frame prepared takes it over', () => {
    const r = routes(1);
    const entry = r.cache.entry('t0', true, false)!;
    const encoded = entry.body;
    const prepare = (serializeType: SerializeType) => () =>
      prepareFrame(
        createResponse(
          createRequest({ code: RequestCode.GET_ROUTEINFO_BY_TOPIC, opaque: 7, serializeType }),
          { code: ResponseCode.SUCCESS, body: entry.body },
        ),
      );
    const json = frameOf(entry, 'json', prepare(SerializeType.JSON));
    // Same bytes, now inside the frame (the buffer they were encoded into is let go).
    expect(entry.body.toString()).toBe('t0@1');
    expect(entry.body).not.toBe(encoded);
    expect(entry.body.buffer).toBe(json.tail.buffer);
    expect(r.read('t0')).toBe('t0@1');
    // Prepared once per serialize type; a second type copies the body, which stays where it is.
    expect(frameOf(entry, 'json', prepare(SerializeType.JSON))).toBe(json);
    const binary = frameOf(entry, 'rocketmq', prepare(SerializeType.ROCKETMQ));
    expect(entry.body.buffer).toBe(json.tail.buffer);
    expect(preparedFrameBytes(binary, 9).subarray(-4).toString()).toBe('t0@1');
    expect(r.builds).toBe(1);
  });
});
