/**
 * Scenario 3a: a broker agent process killed with SIGKILL (no UNREGISTER_BROKER) leaves every
 * node's routes as soon as its connections close, long before any heartbeat timeout; the other
 * broker stays.
 */
import { describe, expect, it } from 'vitest';
import { startAgentProcess } from '../harness/broker-agent.js';
import { addressList, startNameServers } from '../harness/name-server.js';
import { createProbe, getRoute, routeBrokerNames } from '../harness/probe.js';
import { uniqueName, useScope } from '../harness/scope.js';
import { waitFor } from '../harness/wait-for.js';

/** Connection close is immediate; this bound only absorbs scheduling on a loaded 2-core box. */
const LEAVE_WITHIN_MS = 1_500;

describe('broker agent crash', () => {
  it('a SIGKILLed agent leaves every node at once (connection close)', async () => {
    const scope = useScope();
    const nodes = await startNameServers(scope, 3, uniqueName('ns'));
    const addrs = nodes.map((n) => n.addr);
    const cluster = uniqueName('cluster');
    const topic = uniqueName('topic');
    const [doomed, survivor] = await Promise.all(
      ['doomed', 'survivor'].map((role, i) =>
        startAgentProcess(scope, {
          name: `agent-${role}`,
          clusterName: cluster,
          brokerName: uniqueName(role),
          brokerAddr: `127.0.0.1:${41_000 + i * 10}`,
          topics: [topic],
          nameServers: { list: addressList(nodes) },
        }),
      ),
    );
    expect(doomed!.registered['ok']).toBe(3);
    expect(survivor!.registered['ok']).toBe(3);
    const probe = createProbe(scope);
    const both = [doomed!.spec.brokerName, survivor!.spec.brokerName].sort();
    for (const addr of addrs)
      expect(routeBrokerNames(await getRoute(probe, addr, topic))).toEqual(both);

    const killedAt = Date.now();
    await doomed!.process.kill();
    const leftAfter = await Promise.all(
      addrs.map(async (addr) => {
        await waitFor(
          async () =>
            !routeBrokerNames(await getRoute(probe, addr, topic)).includes(doomed!.spec.brokerName),
          { timeout: 10_000, interval: 10, what: `killed broker gone from ${addr}` },
        );
        return Date.now() - killedAt;
      }),
    );
    console.info(`[broker-crash] killed agent left the nodes after ${leftAfter.join(', ')} ms`);
    for (const ms of leftAfter) expect(ms).toBeLessThan(LEAVE_WITHIN_MS);
    for (const addr of addrs) {
      expect(routeBrokerNames(await getRoute(probe, addr, topic))).toEqual([
        survivor!.spec.brokerName,
      ]);
    }
  });
});
