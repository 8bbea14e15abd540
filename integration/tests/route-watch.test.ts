/**
 * Route watch on real processes: 3 nodes, broker agents, and per node an @ns/client watching
 * (this process) plus an `nsadmin watchTopicRoute --json` process.
 *  - a broker agent killed with SIGKILL: every watcher sees the route without it as soon as the
 *    node has removed it (pushed by the held watch; a polling client would wait up to
 *    pollNameServerInterval, 30 s);
 *  - a topic added on a broker: its watchers see it, pushed the same way.
 * Latencies are measured (change → the client's routeChanged; change → the `time` nsadmin stamps
 * on its line) and printed.
 *
 * What is asserted is that the watch pushed the change: each watcher has it within PUSHED_WITHIN_MS
 * of the change reaching the node, where a watch that does not wake its watchers leaves them
 * until the hold ends (30 s) or the next poll (30 s; nsadmin 5 s where it cannot watch). The
 * issue's 100 ms figure is a latency, measured by the bench (`--only=watch`): on a shared 2-core CI
 * machine a starved scheduler alone took 90-200 ms to tear a killed process down and have the node
 * see the close, and up to ~400 ms end to end with serving workers. So the kill is timed from the
 * node's own log line saying it saw the connection close (not from the SIGKILL), the bound grows by
 * what this process was starved of meanwhile (as broker-expiry.test.ts does), and a measurement
 * over it is repeated with a fresh change (another broker killed, another topic added), up to
 * ATTEMPTS in all: the test fails only when none is within it, which a broken push does every time.
 *
 * Run with single-process nodes and with nodes of two serving workers. With workers, watches are
 * held by the workers (a node's /metrics adds up their counts), while the change is made by the
 * owner: a broker's closed connection or registration reaches it from a worker, and the watchers
 * are woken on every worker once it has replayed the change.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { NameServerClient } from '@ns/client';
import type { TopicRouteData } from '@ns/protocol';
import { startAgentProcess, startInProcessAgent } from '../harness/broker-agent.js';
import type { ManagedProcess, ProcessEvent } from '../harness/managed-process.js';
import { addressList, startNameServers } from '../harness/name-server.js';
import type { NameServerNode } from '../harness/name-server.js';
import { requireBuilt } from '../harness/paths.js';
import { uniqueName, useScope } from '../harness/scope.js';
import type { TestScope } from '../harness/scope.js';
import { waitFor } from '../harness/wait-for.js';

/**
 * Change at the node → every watcher has it, pushed by the watch (see above): far below the hold
 * and poll periods a broken push falls back to, far above a loaded machine's scheduling delays.
 */
const PUSHED_WITHIN_MS = 1_000;
/** Changes measured at most, stopping at the first within the bound. */
const ATTEMPTS = 3;

interface ClientWatch {
  readonly node: NameServerNode;
  readonly client: NameServerClient;
  readonly seen: { topic: string; route: TopicRouteData; at: number }[];
}

/** A client pinned to one node (so each node is tested), watching `topics`. */
function watchOn(scope: TestScope, node: NameServerNode, topics: string[]): ClientWatch {
  const client = new NameServerClient({ namesrvAddr: node.addr, env: {} });
  scope.defer(`close client of ${node.name}`, () => client.close());
  const w: ClientWatch = { node, client, seen: [] };
  client.on('routeChanged', (topic, route) => w.seen.push({ topic, route, at: Date.now() }));
  client.watch(topics);
  return w;
}

function nsadminWatch(scope: TestScope, node: NameServerNode, topics: string[]): ManagedProcess {
  return scope.spawn({
    name: `nsadmin-watch-${node.name}`,
    entry: requireBuilt('nsadmin'),
    args: ['watchTopicRoute', '-n', node.addr, ...topics.flatMap((t) => ['-t', t]), '--json'],
  });
}

const brokersOf = (route: TopicRouteData): string[] =>
  route.queueDatas.map((q) => q.brokerName).sort();
const wireBrokersOf = (e: ProcessEvent): string[] =>
  ((e['route'] as { queueDatas?: { brokerName: string }[] } | undefined)?.queueDatas ?? [])
    .map((q) => q.brokerName)
    .sort();

async function metricsText(node: NameServerNode): Promise<string> {
  return (await fetch(`http://127.0.0.1:${node.httpPort}/metrics`)).text();
}

/** Every client watching, and `held` watches held by every node (clients and nsadmin). */
async function allWatching(
  watches: ClientWatch[],
  nodes: NameServerNode[],
  held: number,
): Promise<void> {
  await waitFor(() => watches.every((w) => w.client.routeWatchState.mode === 'watching'), {
    timeout: 15_000,
    what: 'every client watching',
  });
  for (const n of nodes) {
    await waitFor(
      async () => new RegExp(`^namesrv_route_watchers ${held}$`, 'm').test(await metricsText(n)),
      { timeout: 10_000, what: `${held} watches held on ${n.name}` },
    );
  }
}

/**
 * When the node saw the broker's connection close and removed the broker (its log line; pino ISO
 * time, ms; with serving workers, the owner's): what the kernel took to tear the killed process
 * down is everything before it.
 */
function closeSeenAt(node: NameServerNode, brokerAddr: string): number | undefined {
  for (const line of node.process.stderr.text().split('\n')) {
    if (!line.includes("broker's connection closed") || !line.includes(brokerAddr)) continue;
    let time: string | undefined;
    try {
      time = (JSON.parse(line) as { time?: string }).time;
    } catch {
      continue; // A line still being written (the text ends mid-line): only a diagnostic here.
    }
    if (time !== undefined) return Date.parse(time);
  }
  return undefined;
}

/** The node's own share: mean change → answer written, from its wakeup histogram (ms). */
async function nodeWakeupMs(node: NameServerNode): Promise<string> {
  const text = await metricsText(node);
  const sum = Number(/^namesrv_route_watch_wakeup_seconds_sum (\S+)$/m.exec(text)?.[1]);
  const count = Number(/^namesrv_route_watch_wakeup_seconds_count (\S+)$/m.exec(text)?.[1]);
  return count > 0 ? ((sum / count) * 1000).toFixed(2) : '-';
}

describe.each([1, 2])('route watch across processes (W=%i)', (workers) => {
  it('a SIGKILLed broker agent leaves every watcher’s route at once (pushed), on every node', async () => {
    const scope = useScope();
    const nodes = await startNameServers(scope, 3, uniqueName('ns'), { servingWorkers: workers });
    const cluster = uniqueName('cluster');
    const topics = [uniqueName('topicA'), uniqueName('topicB')];
    // One broker to kill per attempt, and one that survives them all.
    const roles = [...Array.from({ length: ATTEMPTS }, (_, i) => `doomed${i + 1}`), 'survivor'];
    const agents = await Promise.all(
      roles.map((role, i) =>
        startAgentProcess(scope, {
          name: `agent-${role}`,
          clusterName: cluster,
          brokerName: uniqueName(role),
          brokerAddr: `127.0.0.1:${42_000 + i * 10}`,
          topics,
          nameServers: { list: addressList(nodes) },
        }),
      ),
    );
    let alive = agents.map((a) => a.spec.brokerName).sort();

    const clients = nodes.map((n) => watchOn(scope, n, topics));
    const admins = nodes.map((n) => nsadminWatch(scope, n, topics));
    for (const w of clients) {
      await waitFor(
        () =>
          topics.every((t) =>
            w.seen.some((s) => s.topic === t && brokersOf(s.route).length === alive.length),
          ),
        { timeout: 10_000, what: `every broker on both routes on the client of ${w.node.name}` },
      );
    }
    for (const [i, p] of admins.entries()) {
      for (const topic of topics) {
        const e = await p.waitForEvent('current', 15_000, { match: (x) => x['topic'] === topic });
        expect(wireBrokersOf(e)).toEqual(alive);
      }
      // nsadmin reports on stderr once its watch is held.
      await waitFor(() => p.stderr.text().includes(`watching ${nodes[i]!.addr}`), {
        timeout: 10_000,
        what: `nsadmin watching ${nodes[i]!.name}`,
      });
    }
    await allWatching(clients, nodes, 2);

    const measured: string[] = [];
    let pushedInTime = false;
    for (let attempt = 0; attempt < ATTEMPTS && !pushedInTime; attempt++) {
      const doomed = agents[attempt]!;
      const doomedName = doomed.spec.brokerName;
      const remaining = alive.filter((b) => b !== doomedName);
      const eventsBefore = admins.map((p) => p.events().length);
      // How long this process could not run meanwhile (it stamps the clients' arrivals).
      const starved = monitorEventLoopDelay({ resolution: 20 });
      starved.enable();
      const killedAt = Date.now();
      await doomed.process.kill();

      // When each watcher had the route without the broker (the client of node i, nsadmin on
      // node i): the latest of its two topics.
      const clientAt = await Promise.all(
        clients.map(async (w) => {
          const hits = await waitFor(
            () => {
              const gone = topics.map((t) =>
                w.seen.find(
                  (s) =>
                    s.topic === t && s.at >= killedAt && !brokersOf(s.route).includes(doomedName),
                ),
              );
              return gone.every((h) => h !== undefined) ? gone : undefined;
            },
            {
              timeout: 10_000,
              interval: 5,
              what: `${doomedName} gone on the client of ${w.node.name}`,
            },
          );
          for (const h of hits) expect(brokersOf(h.route)).toEqual(remaining);
          return Math.max(...hits.map((h) => h.at));
        }),
      );
      const adminAt = await Promise.all(
        admins.map(async (p, i) => {
          const times: number[] = [];
          for (const topic of topics) {
            const e = await p.waitForEvent('changed', 10_000, {
              fromIndex: eventsBefore[i]!,
              match: (x) => x['topic'] === topic && !wireBrokersOf(x).includes(doomedName),
            });
            expect(wireBrokersOf(e)).toEqual(remaining);
            times.push(Date.parse(e['time'] as string));
          }
          return Math.max(...times);
        }),
      );
      // When each node saw the close and removed the broker (its log line may trail its answers).
      const closeAt = await Promise.all(
        nodes.map((n) =>
          waitFor(() => closeSeenAt(n, doomed.spec.brokerAddr), {
            timeout: 10_000,
            what: `${n.name} logging the close of ${doomedName}'s connection`,
          }),
        ),
      );
      starved.disable();
      const starvedMs = Math.round(starved.max / 1e6);
      const nodeMs = await Promise.all(nodes.map(nodeWakeupMs));
      const pushedClientMs = clientAt.map((t, i) => t - closeAt[i]!);
      const pushedAdminMs = adminAt.map((t, i) => t - closeAt[i]!);
      const bound = PUSHED_WITHIN_MS + starvedMs;
      const line =
        `attempt ${attempt + 1}: node sees the connection close → route without the broker on its watchers: ` +
        `clients ${pushedClientMs.join(', ')} ms; nsadmin ${pushedAdminMs.join(', ')} ms (bound ${bound} ms: ` +
        `${PUSHED_WITHIN_MS} + this process's longest stall ${starvedMs}). ` +
        `SIGKILL → route without the broker: clients ${clientAt.map((t) => t - killedAt).join(', ')} ms; ` +
        `nsadmin ${adminAt.map((t) => t - killedAt).join(', ')} ms, of which SIGKILL → node sees the close ` +
        `(kernel teardown of the killed process) ${closeAt.map((t) => t - killedAt).join(', ')} ms; ` +
        `inside the nodes (change → answer handed to the connection, mean) ${nodeMs.join(', ')} ms`;
      console.info(`[route-watch W=${workers}] ${line}`);
      measured.push(line);
      pushedInTime = Math.max(...pushedClientMs, ...pushedAdminMs) < bound;
      alive = remaining;
    }
    expect(pushedInTime, measured.join('\n')).toBe(true);

    // nsadmin ends cleanly on SIGTERM.
    for (const p of admins) expect(await p.stop()).toEqual({ code: 0, signal: null });
  });

  it('a topic added on a broker reaches its watchers at once (pushed), on every node', async () => {
    const scope = useScope();
    const nodes = await startNameServers(scope, 3, uniqueName('ns'), { servingWorkers: workers });
    const cluster = uniqueName('cluster');
    const existing = [uniqueName('old1'), uniqueName('old2')];
    // One topic to add per attempt, all watched from the start.
    const added = Array.from({ length: ATTEMPTS }, (_, i) => uniqueName(`added${i + 1}`));
    const agent = await startInProcessAgent(scope, 'agent', {
      namesrvAddr: addressList(nodes),
      clusterName: cluster,
      brokerName: uniqueName('broker'),
      brokerAddr: '127.0.0.1:43000',
      topics: existing.map((topicName) => ({ topicName, readQueueNums: 4, writeQueueNums: 4 })),
    });

    const clients = nodes.map((n) => watchOn(scope, n, added));
    const admins = nodes.map((n) => nsadminWatch(scope, n, added));
    for (const [i, p] of admins.entries()) {
      for (const topic of added) {
        await p.waitForEvent('gone', 15_000, { match: (x) => x['topic'] === topic });
      }
      await waitFor(() => p.stderr.text().includes(`watching ${nodes[i]!.addr}`), {
        timeout: 10_000,
        what: `nsadmin watching ${nodes[i]!.name}`,
      });
    }
    await allWatching(clients, nodes, 2);

    const measured: string[] = [];
    let pushedInTime = false;
    for (let attempt = 0; attempt < ATTEMPTS && !pushedInTime; attempt++) {
      const topic = added[attempt]!;
      // How long this process (the agent registering, the clients) could not run meanwhile.
      const starved = monitorEventLoopDelay({ resolution: 20 });
      starved.enable();
      const addedAt = Date.now();
      await agent.addTopic({ topicName: topic, readQueueNums: 4, writeQueueNums: 4 });
      const clientMs = await Promise.all(
        clients.map(async (w) => {
          const hit = await waitFor(() => w.seen.find((s) => s.topic === topic), {
            timeout: 10_000,
            interval: 5,
            what: `${topic} on the client of ${w.node.name}`,
          });
          expect(brokersOf(hit.route)).toEqual([agent.options.brokerName]);
          return hit.at - addedAt;
        }),
      );
      const adminMs = await Promise.all(
        admins.map(async (p) => {
          const e = await p.waitForEvent('changed', 10_000, { match: (x) => x['topic'] === topic });
          expect(wireBrokersOf(e)).toEqual([agent.options.brokerName]);
          return Date.parse(e['time'] as string) - addedAt;
        }),
      );
      starved.disable();
      const starvedMs = Math.round(starved.max / 1e6);
      const nodeMs = await Promise.all(nodes.map(nodeWakeupMs));
      const bound = PUSHED_WITHIN_MS + starvedMs;
      const line =
        `attempt ${attempt + 1}: addTopic → route on watchers: clients ${clientMs.join(', ')} ms; nsadmin ${adminMs.join(', ')} ms ` +
        `(bound ${bound} ms: ${PUSHED_WITHIN_MS} + this process's longest stall ${starvedMs}); inside the nodes (mean) ${nodeMs.join(', ')} ms`;
      console.info(`[route-watch W=${workers}] ${line}`);
      measured.push(line);
      pushedInTime = Math.max(...clientMs, ...adminMs) < bound;
    }
    expect(pushedInTime, measured.join('\n')).toBe(true);
  });
});
