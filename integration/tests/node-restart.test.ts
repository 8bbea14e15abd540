/**
 * Scenario 6: a node that restarts empty (crash, fresh data directory, same address) is
 * repopulated by the running broker agents within 2 s of listening again, with their default
 * 30 s registration period: the agents notice the closed connection and re-register.
 */
import { describe, expect, it } from 'vitest';
import { startAgentProcess } from '../harness/broker-agent.js';
import { addressList, restartNameServer, startNameServers } from '../harness/name-server.js';
import {
  canonicalClusterInfo,
  canonicalRoute,
  createProbe,
  getClusterInfo,
  getRoute,
  routeBrokerNames,
} from '../harness/probe.js';
import { uniqueName, useScope } from '../harness/scope.js';
import { waitFor } from '../harness/wait-for.js';

const REPOPULATED_WITHIN_MS = 2_000;

describe('node restarted empty', () => {
  it('is repopulated by the agents within 2 s and then agrees with the other nodes', async () => {
    const scope = useScope();
    const nodes = await startNameServers(scope, 3, uniqueName('ns'));
    const cluster = uniqueName('cluster');
    const topic = uniqueName('topic');
    const agents = await Promise.all(
      [0, 1].map((i) =>
        startAgentProcess(scope, {
          name: `agent-${i}`,
          clusterName: cluster,
          brokerName: uniqueName(`broker${i}`),
          brokerAddr: `127.0.0.1:${42_000 + i * 10}`,
          topics: [topic],
          nameServers: { list: addressList(nodes) },
        }),
      ),
    );
    const names = agents.map((a) => a.spec.brokerName).sort();
    const probe = createProbe(scope);

    const restarted = await restartNameServer(scope, nodes[1]!, { crash: true, emptyData: true });
    const listeningAt = Date.now();
    expect(restarted.addr).toBe(nodes[1]!.addr);
    await waitFor(
      async () => {
        const got = routeBrokerNames(await getRoute(probe, restarted.addr, topic));
        return got.length === names.length;
      },
      { timeout: 10_000, interval: 20, what: 'both brokers back on the restarted node' },
    );
    const repopulatedMs = Date.now() - listeningAt;
    console.info(`[node-restart] restarted node repopulated ${repopulatedMs} ms after listening`);
    expect(repopulatedMs).toBeLessThanOrEqual(REPOPULATED_WITHIN_MS);
    expect(routeBrokerNames(await getRoute(probe, restarted.addr, topic))).toEqual(names);

    // And it now answers what the nodes that never restarted answer. Compared decoded with
    // sorted lists: the restarted node saw the brokers in the order they reconnected, and Java
    // HashMap buckets keep insertion order, so list order may legitimately differ.
    const addrs = [nodes[0]!.addr, restarted.addr, nodes[2]!.addr];
    const routes = await Promise.all(
      addrs.map(async (a) => canonicalRoute(await getRoute(probe, a, topic))),
    );
    expect(routes[1]).toEqual(routes[0]);
    expect(routes[2]).toEqual(routes[0]);
    const infos = await Promise.all(
      addrs.map(async (a) => canonicalClusterInfo(await getClusterInfo(probe, a))),
    );
    expect(infos[1]).toEqual(infos[0]);
    expect(infos[2]).toEqual(infos[0]);
  });
});
