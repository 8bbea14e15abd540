/**
 * Scenario 3a: a broker agent process killed with SIGKILL (no UNREGISTER_BROKER) leaves every
 * node's routes as soon as its connections close, long before any heartbeat timeout; the other
 * broker stays.
 *
 * Run with single-process nodes and with nodes of two serving workers. With workers, the agent's
 * connection is held by one worker, which tells the owner it closed; the owner drops the broker
 * and every worker must stop listing it. So routes are read on every worker of every node.
 */
import { describe, expect, it } from 'vitest';
import { startAgentProcess } from '../harness/broker-agent.js';
import { addressList, startNameServers } from '../harness/name-server.js';
import { getRoute, routeBrokerNames } from '../harness/probe.js';
import { uniqueName, useScope } from '../harness/scope.js';
import { readersOf } from '../harness/serving-workers.js';
import { waitFor } from '../harness/wait-for.js';

/**
 * Connection close is immediate (10–40 ms measured); the bound only absorbs scheduling on a
 * loaded 2-core box, and is still far from the 120 s heartbeat timeout that would be the other
 * way out.
 */
const LEAVE_WITHIN_MS = 5_000;

describe.each([1, 2])('broker agent crash (W=%i)', (workers) => {
  it('a SIGKILLed agent leaves every node at once (connection close)', async () => {
    const scope = useScope();
    const nodes = await startNameServers(scope, 3, uniqueName('ns'), { servingWorkers: workers });
    const readers = await readersOf(scope, nodes);
    expect(readers).toHaveLength(nodes.length * workers);
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
    const both = [doomed!.spec.brokerName, survivor!.spec.brokerName].sort();
    // The registrations were answered: every process of every node lists both brokers.
    for (const r of readers) {
      expect(routeBrokerNames(await getRoute(r.client, r.addr, topic)), r.label).toEqual(both);
    }

    const killedAt = Date.now();
    await doomed!.process.kill();
    const leftAfter = await Promise.all(
      readers.map(async (r) => {
        await waitFor(
          async () =>
            !routeBrokerNames(await getRoute(r.client, r.addr, topic)).includes(
              doomed!.spec.brokerName,
            ),
          { timeout: 10_000, interval: 10, what: `killed broker gone from ${r.label}` },
        );
        return Date.now() - killedAt;
      }),
    );
    console.info(
      `[broker-crash W=${workers}] killed agent left the nodes after ${leftAfter.join(', ')} ms`,
    );
    for (const ms of leftAfter) expect(ms).toBeLessThan(LEAVE_WITHIN_MS);
    for (const r of readers) {
      expect(routeBrokerNames(await getRoute(r.client, r.addr, topic)), r.label).toEqual([
        survivor!.spec.brokerName,
      ]);
    }
  });
});
