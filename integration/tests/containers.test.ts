/**
 * The image built from docker/Dockerfile, run as three containers: scenario 1 (identical routes
 * and cluster info on every node) and scenario 2 (client failover when the node in use is
 * killed). Needs a Docker engine; without one the whole file is skipped with one loud line.
 */
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { GenericContainer, Network, Wait, getContainerRuntimeClient } from 'testcontainers';
import type { StartedNetwork, StartedTestContainer } from 'testcontainers';
import { NameServerClient } from '@ns/client';
import { probeDockerEngine } from '../harness/docker-engine.js';
import { REPO_ROOT } from '../harness/paths.js';
import { createProbe } from '../harness/probe.js';
import { RawBroker } from '../harness/raw-broker.js';
import { expectCleanFailover, runFailover } from '../harness/scenarios/failover.js';
import {
  expectIdenticalViews,
  expectSlavesSeeMasters,
  planTwoClusters,
  registerPlan,
} from '../harness/scenarios/route-consistency.js';
import { uniqueName, useScope } from '../harness/scope.js';
import type { TestScope } from '../harness/scope.js';

const engine = await probeDockerEngine();
if (!engine.ok) {
  console.warn(`[containers] SKIPPED: no Docker engine reachable (${engine.reason})`);
}

const NAMESRV_PORT = 9876;
const HTTP_PORT = 9877;
const IMAGE_BUILD_TIMEOUT_MS = 10 * 60_000;

/** A container's address as seen from the host, always in 127.0.0.1 form for local engines. */
function hostAddr(c: StartedTestContainer): string {
  const host = c.getHost() === 'localhost' ? '127.0.0.1' : c.getHost();
  return `${host}:${c.getMappedPort(NAMESRV_PORT)}`;
}

describe.skipIf(!engine.ok)('docker image (testcontainers)', () => {
  const imageTag = `nameserver-ts-it:${process.pid}`;
  let network: StartedNetwork;

  beforeAll(async () => {
    await GenericContainer.fromDockerfile(REPO_ROOT, 'docker/Dockerfile').build(imageTag, {
      deleteOnExit: true,
    });
    network = await new Network().start();
  }, IMAGE_BUILD_TIMEOUT_MS);

  afterAll(async () => {
    await network.stop();
  });

  /** Three name server containers, healthy per the image HEALTHCHECK; logs kept for failures. */
  async function startNodes(scope: TestScope): Promise<StartedTestContainer[]> {
    return Promise.all(
      [1, 2, 3].map(async (i) => {
        const name = uniqueName(`ns-${i}`);
        // A fresh builder per container: GenericContainer's with…() calls mutate it.
        const container = await new GenericContainer(imageTag)
          .withNetwork(network)
          .withNetworkAliases(name)
          .withExposedPorts(NAMESRV_PORT, HTTP_PORT)
          .withWaitStrategy(Wait.forHealthCheck())
          .withLogConsumer((stream: Readable) => {
            stream.on('data', (line: Buffer | string) => {
              scope.note(`[${name}] ${String(line).trimEnd()}`);
            });
          })
          .start();
        scope.defer(`stop container ${name}`, () => container.stop({ timeout: 2_000 }));
        return container;
      }),
    );
  }

  it('scenario 1: every container returns identical routes and cluster info', async () => {
    const scope = useScope();
    const nodes = await startNodes(scope);
    const addrs = nodes.map(hostAddr);
    const plan = planTwoClusters();
    const replies = await registerPlan(scope, plan, addrs);
    expectSlavesSeeMasters(plan, replies, addrs.length);
    await expectIdenticalViews(createProbe(scope), addrs, plan);
  });

  it('scenario 2: the client fails over when its container is killed', async () => {
    const scope = useScope();
    const nodes = await startNodes(scope);
    const addrs = nodes.map(hostAddr);
    const topic = uniqueName('topic');
    await new RawBroker(scope, {
      clusterName: uniqueName('cluster'),
      brokerName: uniqueName('broker'),
      brokerId: 0,
      brokerAddr: '127.0.0.1:43911',
      haServerAddr: '127.0.0.1:43912',
      topics: [topic],
    }).registerToAll(addrs);
    const client = new NameServerClient({ namesrvAddr: addrs, timeoutMs: 3_000 });
    scope.defer('close client', () => client.close());
    const runtime = await getContainerRuntimeClient();
    const report = await runFailover({
      label: 'containers',
      topic,
      client: {
        fetchRoute: (t) => client.queryTopicRouteData(t),
        currentNode: () => client.chosenAddress,
      },
      kill: async (addr) => {
        const victim = nodes[addrs.indexOf(addr)];
        if (victim === undefined) throw new Error(`no container behind ${addr}`);
        await runtime.container.getById(victim.getId()).kill({ signal: 'SIGKILL' });
      },
    });
    expectCleanFailover(report, 3_000);
  });
});
