import { describe, expect, it } from 'vitest';
import { checkConsistency, DEFAULT_EXPLAIN_LIMIT } from './consistency-check.js';
import type { TopicListStore } from './consistency-check.js';
import type { DigestTopics } from './route-digest.js';

/** A node's /digest claiming `n` broker names, each with a topics hash that says `salt`. */
function digestOf(n: number, salt: string): unknown {
  return {
    format: 1,
    digest: salt === 'a' ? '00000001' : '00000002',
    topicCount: 0,
    clusters: [],
    brokerGroups: Array.from({ length: n }, (_, i) => ({
      brokerName: `b${i}`,
      cluster: 'c',
      brokerAddrs: {},
      topicCount: 1,
      topicsHash: salt === 'a' ? '0000000a' : '0000000b',
    })),
    brokers: [],
  };
}

describe('checkConsistency', () => {
  it('names the differing topics of at most explainLimit broker names, one broker name at a time', async () => {
    const nodes = [
      { node: 'a:9876', adminUrl: 'http://a:9877' },
      { node: 'b:9876', adminUrl: 'http://b:9877' },
    ];
    let topicReads = 0;
    let inFlight = 0;
    let peak = 0;
    const fetchJson = async (url: string): Promise<unknown> => {
      const salt = url.startsWith('http://a:') ? 'a' : 'b';
      if (url.endsWith('/digest')) return digestOf(500, salt);
      topicReads++;
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight--;
      const brokerName = new URL(url).searchParams.get('brokerName');
      return { format: 1, brokerName, topics: [] };
    };
    const result = await checkConsistency(nodes, fetchJson);
    // Nodes that claim 500 differing broker names cost 16 topic-list reads per node, not 500,
    // and never more than one per node at once.
    expect(topicReads).toBe(DEFAULT_EXPLAIN_LIMIT * nodes.length);
    expect(peak).toBeLessThanOrEqual(nodes.length);
    expect(result.report?.differences).toHaveLength(500);
    const limited = await checkConsistency(nodes, fetchJson, { explainLimit: 1 });
    expect(limited.report?.differences).toHaveLength(500);
    expect(topicReads).toBe(DEFAULT_EXPLAIN_LIMIT * nodes.length + nodes.length);
  });

  it('says why a topic difference was not explained: the limit, the deadline, an unreadable list', async () => {
    const nodes = [
      { node: 'a:9876', adminUrl: 'http://a:9877' },
      { node: 'b:9876', adminUrl: 'http://b:9877' },
    ];
    let clock = 0;
    const fetchJson = (url: string): Promise<unknown> => {
      const salt = url.startsWith('http://a:') ? 'a' : 'b';
      if (url.endsWith('/digest')) return Promise.resolve(digestOf(4, salt));
      const brokerName = new URL(url).searchParams.get('brokerName');
      if (brokerName === 'b0' && salt === 'b') return Promise.reject(new Error('GET …: timeout'));
      // Each topic list read takes 0.5 s of the check's clock.
      clock += 500;
      return Promise.resolve({ format: 1, brokerName, topics: [] });
    };
    const result = await checkConsistency(nodes, fetchJson, {
      deadlineMs: 2_000,
      now: () => clock,
      explainLimit: 4,
    });
    const why = result.report?.differences.map((d) =>
      d.kind === 'topics-differ' ? (d.unexplained ?? 'explained') : d.kind,
    );
    // b0: b's list failed; b1, b2: read (the clock passes the 2 s deadline with b2's); b3: past it.
    expect(why).toEqual(['unreadable', 'explained', 'explained', 'deadline']);
    expect(result.failures.map((f) => f.node)).toEqual(['b:9876']);
    const limited = await checkConsistency(nodes, fetchJson, { explainLimit: 1 });
    expect(
      limited.report?.differences.map((d) => (d.kind === 'topics-differ' ? d.unexplained : null)),
    ).toEqual(['unreadable', 'limit', 'limit', 'limit']);
  });

  describe('with kept topic lists (topicLists)', () => {
    const nodes = [
      { node: 'a:9876', adminUrl: 'http://a:9877' },
      { node: 'b:9876', adminUrl: 'http://b:9877' },
    ];
    /** Node b's topicsHash of broker name b0; a test changes it as b's topics change. */
    let hashOnB = '0000000b';
    const digest = (salt: 'a' | 'b') => ({
      format: 1,
      digest: salt === 'a' ? '00000001' : '00000002',
      topicCount: 1,
      clusters: [],
      brokerGroups: [
        {
          brokerName: 'b0',
          cluster: 'c',
          brokerAddrs: {},
          topicCount: 1,
          topicsHash: salt === 'a' ? '0000000a' : hashOnB,
        },
      ],
      brokers: [],
    });
    const topicReads: string[] = [];
    const fetchJson = (url: string): Promise<unknown> => {
      const salt = url.startsWith('http://a:') ? 'a' : 'b';
      if (url.endsWith('/digest')) return Promise.resolve(digest(salt));
      topicReads.push(salt);
      const perm = salt === 'a' ? 6 : hashOnB === '0000000b' ? 4 : 2;
      return Promise.resolve({
        format: 1,
        brokerName: 'b0',
        topics: [{ topic: 'T', readQueueNums: 4, writeQueueNums: 4, perm, topicSysFlag: 0 }],
      });
    };
    /** A store that keeps lists under the hash the digest said (no hashing of its own). */
    function mapStore(): TopicListStore & { puts: number } {
      const kept = new Map<string, DigestTopics>();
      return {
        puts: 0,
        get: (url, name, hash) => kept.get(`${url}|${name}|${hash}`),
        put(url, name, hash, topics) {
          this.puts++;
          kept.set(`${url}|${name}|${hash}`, topics);
        },
      };
    }
    const permsOf = (r: Awaited<ReturnType<typeof checkConsistency>>) =>
      r.report?.differences.flatMap((d) =>
        d.kind === 'topics-differ'
          ? (d.topics ?? []).map((t) => t.values.map((v) => v.queue?.perm))
          : [],
      );

    const topicsOf = (r: Awaited<ReturnType<typeof checkConsistency>>) => {
      const d = r.report?.differences.find((x) => x.kind === 'topics-differ');
      return d?.kind === 'topics-differ' ? d.topics : undefined;
    };

    it('reads a broker name’s list again only when the node’s topicsHash for it changed', async () => {
      topicReads.length = 0;
      hashOnB = '0000000b';
      const store = mapStore();
      const first = await checkConsistency(nodes, fetchJson, { topicLists: store });
      expect(topicReads.sort()).toEqual(['a', 'b']);
      expect(permsOf(first)).toEqual([[6, 4]]);
      // Same hashes: the second check reads no list and says the same.
      const second = await checkConsistency(nodes, fetchJson, { topicLists: store });
      expect(topicReads).toHaveLength(2);
      expect(second.report).toEqual(first.report);
      // Nor walks the lists again to name the topics: the same lists explain the same way.
      expect(topicsOf(second)).toBe(topicsOf(first));
      // b's topics changed: b's list is read again, a's is not.
      hashOnB = '0000000c';
      const third = await checkConsistency(nodes, fetchJson, { topicLists: store });
      expect(topicReads.sort()).toEqual(['a', 'b', 'b']);
      expect(permsOf(third)).toEqual([[6, 2]]);
      expect(topicsOf(third)).not.toBe(topicsOf(first));
      expect(store.puts).toBe(3);
      // Without a store every check reads every list, as before.
      await checkConsistency(nodes, fetchJson);
      expect(topicReads).toHaveLength(5);
    });

    it('explains from kept lists past the deadline, and keeps what a failed read did not give', async () => {
      topicReads.length = 0;
      hashOnB = '0000000b';
      const store = mapStore();
      await checkConsistency(nodes, fetchJson, { topicLists: store });
      let clock = 0;
      const late = await checkConsistency(
        nodes,
        (url) => {
          clock += 10_000;
          return fetchJson(url);
        },
        { topicLists: store, deadlineMs: 1, now: () => clock },
      );
      // The digests took past the deadline; both lists were kept, so no read was needed.
      expect(permsOf(late)).toEqual([[6, 4]]);
      expect(topicReads).toHaveLength(2);
      // A changed hash past the deadline: not read, and said so.
      hashOnB = '0000000c';
      clock = 0;
      const changed = await checkConsistency(
        nodes,
        (url) => {
          clock += 10_000;
          return fetchJson(url);
        },
        { topicLists: store, deadlineMs: 1, now: () => clock },
      );
      expect(
        changed.report?.differences.map((d) => (d.kind === 'topics-differ' ? d.unexplained : null)),
      ).toEqual(['deadline']);
      expect(topicReads).toHaveLength(2);
    });
  });
});
