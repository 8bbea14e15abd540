/** Split registration: a 60 000-topic broker against three real NameServers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NameServerCluster } from './name-server-cluster.js';
import { makeAgent, queueNums, routeAddr, stopAgents, topics } from './agent-helpers.js';

let cluster: NameServerCluster;

beforeAll(async () => {
  cluster = await NameServerCluster.start(3);
});
afterAll(async () => {
  await stopAgents();
  await cluster.close();
});

describe('split registration', () => {
  it('registers 60 000 topics in chunks of 800; every topic is routable on every node', async () => {
    const table = topics('split', 60_000);
    const agent = makeAgent(cluster.addrs, { topics: table, requestTimeoutMs: 20_000 });
    const t0 = performance.now();
    const round = await agent.start();
    const ms = performance.now() - t0;
    expect(round.chunkCount).toBe(75);
    for (const r of round.results) {
      expect(r.ok).toBe(true);
      expect(r.chunks).toBe(75);
    }
    const { brokerName, brokerAddr } = agent.options;
    for (const { server } of cluster.nodes) {
      let routable = 0;
      for (const t of table) {
        if (routeAddr(server, t.topicName, brokerName) === brokerAddr) routable++;
      }
      expect(routable).toBe(60_000);
      // The node ends with the real DataVersion, not a transitional one.
      const live = server.routeInfoManager
        .getBrokerLiveViews()
        .find((v) => v.brokerAddr === brokerAddr);
      expect(live?.dataVersion).toEqual(agent.dataVersion);
    }
    console.info(`[measure] 60 000 topics × 3 nodes registered in ${ms.toFixed(0)} ms`);

    // A change to a topic carried by a late chunk applies too (a same-version chunk would not).
    const last = table[table.length - 1]!;
    const changed = table.map((t) => (t === last ? { ...t, writeQueueNums: 9 } : t));
    await agent.updateTopics(changed);
    for (const { server } of cluster.nodes) {
      expect(queueNums(server, last.topicName, brokerName)).toBe(9);
    }
  }, 120_000);
});
