import { describe, expect, it } from 'vitest';
import { checkConsistency, DEFAULT_EXPLAIN_LIMIT } from './consistency-check.js';

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
});
