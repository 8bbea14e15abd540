/**
 * Scenario 2: the node a NameServerClient is using is SIGKILLed while the client fetches a route
 * in a tight loop. The client must fail over: at most the call in flight fails, then the next
 * node answers. Failed calls and the gap are printed and asserted.
 *
 * Run with single-process nodes and with nodes of two serving workers. With workers, SIGKILL hits
 * the node's owner process (a crash of the node); the client's connection is held by a worker,
 * which exits when its channel to the owner closes, so the client moves on. The route it reads was
 * registered over another connection, possibly on another worker.
 */
import { describe, it } from 'vitest';
import { NameServerClient } from '@ns/client';
import { startNameServers, stopNameServer } from '../harness/name-server.js';
import { RawBroker } from '../harness/raw-broker.js';
import { expectCleanFailover, runFailover } from '../harness/scenarios/failover.js';
import { uniqueName, useScope } from '../harness/scope.js';

/** Kill → answer from another node: one failed call plus a connect, on a loaded 2-core box. */
const MAX_GAP_MS = 1_500;

describe.each([1, 2])('client failover (W=%i)', (workers) => {
  it('SIGKILL of the node in use costs at most the call in flight', async () => {
    const scope = useScope();
    const nodes = await startNameServers(scope, 3, uniqueName('ns'), { servingWorkers: workers });
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
      label: `processes W=${workers}`,
      topic,
      client: {
        fetchRoute: (t) => client.queryTopicRouteData(t),
        currentNode: () => client.chosenAddress,
      },
      kill: async (addr) => {
        const node = nodes.find((n) => n.addr === addr);
        if (node === undefined) throw new Error(`client uses ${addr}, not one of our nodes`);
        // Resolves once the node is gone: its owner and, with serving workers, every worker.
        await stopNameServer(node, { crash: true });
      },
    });
    expectCleanFailover(report, MAX_GAP_MS);
  });
});
