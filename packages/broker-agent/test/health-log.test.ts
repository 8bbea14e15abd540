/**
 * How loud a failing NameServer is: one warn when it starts failing, one when it is healthy again,
 * and nothing above debug for each retry, re-probe or failed round in between.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '@ns/client';
import type { LogRecord } from '@ns/client';
import { makeAgent, stopAgents } from './agent-helpers.js';
import { NameServerCluster, waitFor } from './name-server-cluster.js';

let cluster: NameServerCluster;

beforeAll(async () => {
  cluster = await NameServerCluster.start(2);
});

afterAll(async () => {
  await stopAgents();
  await cluster.close();
});

const about = (records: readonly LogRecord[], addr: string) =>
  records.filter((r) => r.fields['addr'] === addr);

describe('NameServer health logging', () => {
  it('logs ok → failing and failing → ok once each at warn, retries at debug only', async () => {
    const logger = createMemoryLogger();
    const agent = makeAgent(cluster.addrs, { logger, requestTimeoutMs: 1_000 });
    await agent.start();
    // On a loaded machine a first request can outlast the 1 s timeout: the node is then failing
    // (its warn logged) until it answers again. Count from a start where both are healthy, or
    // the outage below would find the node already failing and log no warn of its own.
    await waitFor('both nodes healthy', () => agent.nodes().every((n) => n.healthy), 10_000);
    const down = cluster.node(1).addr;
    const before = logger.records.length;

    await cluster.kill(1);
    await waitFor(
      'the agent to see node 1 failing',
      () => agent.nodes().some((n) => n.addr === down && !n.healthy),
      10_000,
    );
    // A full round while it is down (retries until the deadline), and several re-probes.
    const round = await agent.registerNow();
    expect(round.results.find((r) => r.addr === down)?.ok).toBe(false);
    await waitFor(
      'three failed re-probes of node 1',
      () =>
        about(logger.records.slice(before), down).filter((r) => r.msg === 're-probe failed')
          .length >= 3,
      10_000,
    );

    await cluster.restart(1);
    await waitFor(
      'node 1 healthy again',
      () => agent.nodes().some((n) => n.addr === down && n.healthy),
      10_000,
    );

    const outage = about(logger.records.slice(before), down);
    const loud = outage.filter((r) => r.level === 'warn' || r.level === 'error');
    expect(loud.map((r) => r.msg)).toEqual([
      'name server failing; re-registering as soon as it answers',
      'name server healthy again',
    ]);
    expect(loud[1]!.fields['downMs']).toBeGreaterThan(0);
    // At info: at most the one closed connection; never a line per retry.
    const info = outage.filter((r) => r.level === 'info' && r.msg !== 'registered');
    expect(info.map((r) => r.msg)).toEqual(info.length === 0 ? [] : ['remoting connection closed']);
    expect(
      outage.filter((r) => r.msg === 'registration failed').every((r) => r.level === 'debug'),
    ).toBe(true);
  }, 40_000);
});
