/**
 * Scenario 2: the node a NameServerClient is using is SIGKILLed while the client fetches a route
 * in a tight loop. The client must fail over: at most the call in flight fails, then the next
 * node answers. Failed calls and the gap are printed and asserted.
 */
import { describe, it } from 'vitest';
import { NameServerClient } from '@ns/client';
import { startNameServers } from '../harness/name-server.js';
import { RawBroker } from '../harness/raw-broker.js';
import { expectCleanFailover, runFailover } from '../harness/scenarios/failover.js';
import { uniqueName, useScope } from '../harness/scope.js';

/** Kill → answer from another node: one failed call plus a connect, on a loaded 2-core box. */
const MAX_GAP_MS = 1_500;

describe('client failover', () => {
  it('SIGKILL of the node in use costs at most the call in flight', async () => {
    const scope = useScope();
    const nodes = await startNameServers(scope, 3, uniqueName('ns'));
    const addrs = nodes.map((n) => n.addr);
    const topic = uniqueName('topic');
    await new RawBroker(scope, {
      clusterName: uniqueName('cluster'),
      brokerName: uniqueName('broker'),
      brokerId: 0,
      brokerAddr: '127.0.0.1:44911',
      haServerAddr: '127.0.0.1:44912',
      topics: [topic],
    }).registerToAll(addrs);
    const client = new NameServerClient({ namesrvAddr: addrs, timeoutMs: 3_000 });
    scope.defer('close client', () => client.close());

    const report = await runFailover({
      label: 'processes',
      topic,
      client: {
        fetchRoute: (t) => client.queryTopicRouteData(t),
        currentNode: () => client.chosenAddress,
      },
      kill: async (addr) => {
        const node = nodes.find((n) => n.addr === addr);
        if (node === undefined) throw new Error(`client uses ${addr}, not one of our nodes`);
        await node.process.kill();
      },
    });
    expectCleanFailover(report, MAX_GAP_MS);
  });
});
