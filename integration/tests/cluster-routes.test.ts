/**
 * Scenario 1: three nodes, two clusters, four broker groups (master + slave each). Every node
 * answers identical routes and cluster info, and slaves learn their master's HA address.
 */
import { describe, it } from 'vitest';
import { startNameServers } from '../harness/name-server.js';
import { createProbe } from '../harness/probe.js';
import {
  expectIdenticalViews,
  expectSlavesSeeMasters,
  planTwoClusters,
  registerPlan,
} from '../harness/scenarios/route-consistency.js';
import { uniqueName, useScope } from '../harness/scope.js';

describe('three nodes, two clusters, four master/slave groups', () => {
  it('every node returns identical routes and cluster info; slaves see their master', async () => {
    const scope = useScope();
    const nodes = await startNameServers(scope, 3, uniqueName('ns'));
    const addrs = nodes.map((n) => n.addr);
    const plan = planTwoClusters();
    const replies = await registerPlan(scope, plan, addrs);
    expectSlavesSeeMasters(plan, replies, addrs.length);
    await expectIdenticalViews(createProbe(scope), addrs, plan);
  });
});
