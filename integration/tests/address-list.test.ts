/**
 * Scenario 4: the address service's list changes — one node removed, one added. A broker agent
 * and a client that both read the list from the service follow within one poll: the agent
 * registers with the added node, the client's list changes, and the client, which was using the
 * removed node, moves to a listed one.
 */
import { describe, expect, it } from 'vitest';
import { NameServerClient } from '@ns/client';
import { fetchAddressList, startAddressService } from '../harness/address-service.js';
import { startInProcessAgent } from '../harness/broker-agent.js';
import { startNameServers } from '../harness/name-server.js';
import { createProbe, getRoute, routeBrokerNames } from '../harness/probe.js';
import { uniqueName, useScope } from '../harness/scope.js';
import { waitFor } from '../harness/wait-for.js';

const POLL_MS = 400;
/** One poll, plus the fetch and a registration round on a loaded 2-core box. */
const FOLLOW_WITHIN_MS = POLL_MS + 1_000;

describe('address service list changes', () => {
  it('agents and clients follow within one poll; a client on the removed node moves', async () => {
    const scope = useScope();
    const nodes = await startNameServers(scope, 3, uniqueName('ns'));
    const [a, b, c] = nodes.map((n) => n.addr) as [string, string, string];
    const service = await startAddressService(scope, { name: uniqueName('addr'), addrs: [a, b] });
    const snapshotDir = await scope.tempDir('snapshots');
    const topic = uniqueName('topic');
    const brokerName = uniqueName('broker');

    const agent = await startInProcessAgent(scope, 'agent', {
      clusterName: uniqueName('cluster'),
      brokerName,
      brokerAddr: '127.0.0.1:45911',
      topics: [{ topicName: topic, readQueueNums: 4, writeQueueNums: 4 }],
      addressService: { url: service.url, pollIntervalMs: POLL_MS, snapshotDir },
      env: {},
    });
    const client = new NameServerClient({
      addressService: { url: service.url, pollIntervalMs: POLL_MS, snapshotDir },
      env: {},
      timeoutMs: 2_000,
    });
    scope.defer('close client', () => client.close());
    await client.start();
    expect([...client.addresses].sort()).toEqual([a, b].sort());

    const probe = createProbe(scope);
    for (const addr of [a, b]) {
      expect(routeBrokerNames(await getRoute(probe, addr, topic))).toEqual([brokerName]);
    }
    expect(await getRoute(probe, c, topic)).toBeNull();
    await client.queryTopicRouteData(topic);
    const used = client.chosenAddress;
    expect([a, b]).toContain(used);
    const kept = used === a ? b : a;

    // Remove the node the client uses, add the third one.
    await service.setList([kept, c]);
    await waitFor(async () => (await fetchAddressList(service.url)) === `${kept};${c}`, {
      timeout: 5_000,
      what: 'the address service to serve the new list',
    });
    const servedAt = Date.now();
    const [agentMs, clientMs] = await Promise.all([
      waitFor(
        async () =>
          routeBrokerNames(await getRoute(probe, c, topic)).includes(brokerName) &&
          Date.now() - servedAt,
        { timeout: 10_000, interval: 20, what: 'the agent to register with the added node' },
      ),
      waitFor(
        () =>
          [...client.addresses].sort().join(';') === [kept, c].sort().join(';') &&
          Date.now() - servedAt,
        { timeout: 10_000, interval: 20, what: "the client's list to change" },
      ),
    ]);
    console.info(
      `[address-list] after the list changed: agent on the added node in ${agentMs} ms, ` +
        `client list updated in ${clientMs} ms (poll ${POLL_MS} ms)`,
    );
    expect(agentMs).toBeLessThanOrEqual(FOLLOW_WITHIN_MS);
    expect(clientMs).toBeLessThanOrEqual(FOLLOW_WITHIN_MS);

    // The client dropped the removed node and answers from a listed one.
    const route = await client.queryTopicRouteData(topic);
    expect(route.brokerDatas.map((bd) => bd.brokerName)).toEqual([brokerName]);
    expect([kept, c]).toContain(client.chosenAddress);
    expect(agent.state).toBe('running');
  });
});
