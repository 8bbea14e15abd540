/**
 * Scenario 1: three nodes, two clusters, four broker groups (master + slave each). Every node
 * answers identical routes and cluster info, and slaves learn their master's HA address.
 *
 * Run with single-process nodes and with nodes of two serving workers. With workers, the views
 * are read on a connection to every worker of every node, opened before the registrations: each
 * registration's answer waits until every worker reflects it, so the reads that follow it at once
 * must all see it (read-your-writes across the connections a client may open).
 */
import { describe, expect, it } from 'vitest';
import { startNameServers } from '../harness/name-server.js';
import {
  expectIdenticalViewsFrom,
  expectSlavesSeeMasters,
  planTwoClusters,
  registerPlan,
} from '../harness/scenarios/route-consistency.js';
import { uniqueName, useScope } from '../harness/scope.js';
import { readersOf } from '../harness/serving-workers.js';

describe.each([1, 2])('three nodes, two clusters, four master/slave groups (W=%i)', (workers) => {
  it('every node returns identical routes and cluster info; slaves see their master', async () => {
    const scope = useScope();
    const nodes = await startNameServers(scope, 3, uniqueName('ns'), { servingWorkers: workers });
    const addrs = nodes.map((n) => n.addr);
    const readers = await readersOf(scope, nodes);
    expect(readers).toHaveLength(nodes.length * workers);
    const plan = planTwoClusters();
    const replies = await registerPlan(scope, plan, addrs);
    expectSlavesSeeMasters(plan, replies, addrs.length);
    await expectIdenticalViewsFrom(readers, plan);
  });
});
