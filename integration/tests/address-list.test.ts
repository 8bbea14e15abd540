/**
 * Scenario 4: the address service's list changes — one node removed, one added. A broker agent
 * and a client that both read the list from the service follow it at their next poll: the agent
 * registers with the added node (a `nodeAdded` registration, which only a list change sends), the
 * client's list changes, and the client, which was using the removed node, moves to a listed one.
 *
 * Asserted is the mechanism, not the speed: one poll (400 ms here) plus a registration round took
 * 1.3-1.6 s on a loaded 2-core machine. Both must follow within FOLLOW_WITHIN_MS, a few seconds,
 * which only the configured 400 ms poll can do (the default poll is 2 minutes, the agent's periodic
 * registration 30 s, and neither sends a `nodeAdded` registration). The times are printed.
 */
import { describe, expect, it } from 'vitest';
import { NameServerClient } from '@ns/client';
import type { NodeRegistration } from '@ns/broker-agent';
import { fetchAddressList, startAddressService } from '../harness/address-service.js';
import { startInProcessAgent } from '../harness/broker-agent.js';
import { startNameServers } from '../harness/name-server.js';
import { createProbe, getRoute, routeBrokerNames } from '../harness/probe.js';
import { uniqueName, useScope } from '../harness/scope.js';
import { waitFor } from '../harness/wait-for.js';

const POLL_MS = 400;
/** Following the list at the next poll, with room for a loaded 2-core machine (see above). */
const FOLLOW_WITHIN_MS = POLL_MS + 5_000;

describe('address service list changes', () => {
  it('agents and clients follow at their next poll; a client on the removed node moves', async () => {
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
    const nodeAdded: NodeRegistration[] = [];
    agent.on('registered', (r) => {
      if (r.reason === 'nodeAdded') nodeAdded.push(r);
    });
    await service.setList([kept, c]);
    await waitFor(async () => (await fetchAddressList(service.url)) === `${kept};${c}`, {
      timeout: 5_000,
      what: 'the address service to serve the new list',
    });
    const servedAt = Date.now();
    const [agentMs, clientMs] = await Promise.all([
      waitFor(() => nodeAdded.some((r) => r.addr === c && r.ok) && { ms: Date.now() - servedAt }, {
        timeout: FOLLOW_WITHIN_MS,
        interval: 20,
        what: "the agent's nodeAdded registration with the added node",
      }),
      waitFor(
        () =>
          [...client.addresses].sort().join(';') === [kept, c].sort().join(';') && {
            ms: Date.now() - servedAt,
          },
        { timeout: FOLLOW_WITHIN_MS, interval: 20, what: "the client's list to change" },
      ),
    ]);
    console.info(
      `[address-list] after the list changed: agent registered with the added node in ${agentMs.ms} ms, ` +
        `client list updated in ${clientMs.ms} ms (poll ${POLL_MS} ms)`,
    );
    // Registered with the added node only (the kept one already had it), and the node has it.
    expect([...new Set(nodeAdded.map((r) => r.addr))]).toEqual([c]);
    expect(routeBrokerNames(await getRoute(probe, c, topic))).toEqual([brokerName]);

    // The client dropped the removed node and answers from a listed one.
    const route = await client.queryTopicRouteData(topic);
    expect(route.brokerDatas.map((bd) => bd.brokerName)).toEqual([brokerName]);
    expect([kept, c]).toContain(client.chosenAddress);
    expect(agent.state).toBe('running');
  });
});
