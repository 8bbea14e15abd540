/**
 * Heartbeat modes keep a broker alive past a short per-broker expiry (5.x
 * `heartbeatTimeoutMillis`) although no registration is sent meanwhile.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLogger, RemotingClient } from '@ns/client';
import { RequestCode, ResponseCode } from '@ns/protocol';
import { loadConfig, NameServer } from '@ns/server';
import type { Clock } from '@ns/server';
import { buildRegistrationPayload, resolveAgentOptions } from '@ns/broker-agent';
import type { NodeRegistration } from '@ns/broker-agent';
import { NameServerCluster, uniq, waitFor } from './name-server-cluster.js';
import { isLive, makeAgent, stopAgents } from './agent-helpers.js';
import { startCaptureServer } from './capture-server.js';
import type { ScriptedNode, ScriptedReply } from './scripted-node.js';
import { startScriptedNode, SUCCESS } from './scripted-node.js';

/** The short per-broker expiry the heartbeats must beat (heartbeats every 200 ms). */
const EXPIRY_MS = 2_000;
let cluster: NameServerCluster;

/**
 * Longest step of StallFreeClock: one late turn of the event loop counts as this much at most.
 * Turns of a loaded 2-core machine come well within it; a stall (seen: > 1.8 s) does not.
 */
const MAX_CLOCK_STEP_MS = 100;

/**
 * The nodes' clock in the keep-alive test: real time, less this process's stalls. The nodes run
 * in this process with the agent, so a stall stops the heartbeats and the nodes' reading of them
 * alike, but on the system clock it still counts towards the expiry: a stall longer than the
 * expiry less one interval let a scan run before the pending heartbeat was read, and expired a
 * broker whose agent had done nothing wrong. Here time advances in steps of at most
 * MAX_CLOCK_STEP_MS per turn of the loop, so the nodes see the heartbeats at their real pace
 * (200 ms apart), but a stall only as one such step. An agent that stops beating still expires
 * after EXPIRY_MS of this clock, which is real time while the process runs (the control broker
 * below shows it).
 */
class StallFreeClock implements Clock {
  #now = Date.now();
  #last = performance.now();
  readonly #timer = setInterval(() => {
    const t = performance.now();
    this.#now += Math.min(t - this.#last, MAX_CLOCK_STEP_MS);
    this.#last = t;
  }, 10);

  now(): number {
    return Math.floor(this.#now + Math.min(performance.now() - this.#last, MAX_CLOCK_STEP_MS));
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** `count` in-process NameServers on `clock` (NameServerCluster's are on the system clock). */
async function startNodesOn(
  clock: Clock,
  count: number,
  extraArgs: readonly string[],
): Promise<{ nodes: { addr: string; server: NameServer }[]; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'ns-agent-clock-'));
  const nodes: { addr: string; server: NameServer }[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.server.close()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < count; i++) {
      const config = loadConfig({
        argv: [
          '--listenPort=0',
          '--bindAddress=127.0.0.1',
          '--httpPort=-1',
          `--kvConfigPath=${join(dir, `kv-${i}.json`)}`,
          ...extraArgs,
        ],
        env: {},
        readFile: (p) => readFileSync(p, 'utf8'),
        homeDir: dir,
      }).config;
      const server = new NameServer({ config, clock, defaultMetrics: false });
      nodes.push({ addr: `127.0.0.1:${(await server.start()).port}`, server });
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { nodes, close };
}

beforeAll(async () => {
  cluster = await NameServerCluster.start(2, ['--scanNotActiveBrokerInterval=100']);
});
afterAll(async () => {
  await cluster.close();
});
afterEach(async () => {
  await stopAgents();
});

/** A broker registered once with the same short expiry and never again: it must expire. */
async function registerOnce(addr: string): Promise<{ brokerAddr: string; client: RemotingClient }> {
  const o = resolveAgentOptions({
    clusterName: uniq('c'),
    brokerName: uniq('b'),
    brokerAddr: '127.0.0.1:39000',
    heartbeatTimeoutMillis: EXPIRY_MS,
    // Only to pass the expiry check: this broker registers once and never beats.
    heartbeat: 'brokerHeartbeat',
  });
  const payload = buildRegistrationPayload(o, new Map(), { counter: 0, timestamp: Date.now() });
  const client = new RemotingClient({ idleTimeoutMs: 0 });
  const response = await client.invoke(addr, payload.chunks[0]!.request);
  expect(response.code).toBe(0);
  return { brokerAddr: o.brokerAddr, client };
}

describe('heartbeats', () => {
  it.each(['queryDataVersion', 'brokerHeartbeat'] as const)(
    '%s heartbeats keep the broker alive well past heartbeatTimeoutMillis',
    async (mode) => {
      const clock = new StallFreeClock();
      let onClock: Awaited<ReturnType<typeof startNodesOn>> | undefined;
      try {
        onClock = await startNodesOn(clock, 2, ['--scanNotActiveBrokerInterval=100']);
        const started = onClock;
        const agent = makeAgent(
          started.nodes.map((n) => n.addr),
          {
            heartbeat: mode,
            heartbeatIntervalMs: 200,
            heartbeatTimeoutMillis: EXPIRY_MS,
            enableActingMaster: true,
            unsafeRegisterPeriodMs: 600_000, // no periodic registration during the test
          },
        );
        const extra: NodeRegistration[] = [];
        agent.on('registered', (r) => {
          if (r.reason !== 'startup') extra.push(r);
        });
        await agent.start();
        const control = await registerOnce(started.nodes[0]!.addr);
        try {
          const { brokerAddr } = agent.options;
          const start = clock.now();
          let alwaysLive = true;
          // Poll for 2.5 expiry periods of the nodes' time: the control broker expires, ours must
          // stay live throughout.
          await waitFor(
            'two and a half expiry periods',
            () => {
              for (const { server } of started.nodes) alwaysLive &&= isLive(server, brokerAddr);
              return clock.now() - start > 2.5 * EXPIRY_MS;
            },
            15_000,
          );
          expect(isLive(started.nodes[0]!.server, control.brokerAddr)).toBe(false);
          expect(alwaysLive).toBe(true);
          // Kept alive by heartbeats, not by re-registering after an expiry.
          expect(extra).toEqual([]);
        } finally {
          await control.client.close();
        }
      } finally {
        await stopAgents();
        await onClock?.close();
        // Also when the nodes failed to start: its timer would hold the test process open.
        clock.stop();
      }
    },
  );

  it('a two-way heartbeat answered slower than its interval is no failure (no re-registration)', async () => {
    // A loaded node: heartbeats answered in 300 ms, every 100 ms. Waiting only an interval for
    // the answer marked the node failing and re-registered with it about every beat.
    const slow = await startCaptureServer((code) =>
      code === RequestCode.BROKER_HEARTBEAT ? 300 : 0,
    );
    try {
      const agent = makeAgent([slow.addr], {
        heartbeat: 'brokerHeartbeat',
        heartbeatAwaitReply: true,
        heartbeatIntervalMs: 100,
        unsafeRegisterPeriodMs: 600_000,
      });
      await agent.start();
      const beats = () =>
        slow.frames.filter((f) => f.command.code === RequestCode.BROKER_HEARTBEAT).length;
      await waitFor('five heartbeats', () => beats() >= 5, 10_000);
      const registers = slow.frames.filter((f) => f.command.code === RequestCode.REGISTER_BROKER);
      expect(registers).toHaveLength(1);
      expect(agent.nodes().every((s) => s.healthy)).toBe(true);
    } finally {
      await stopAgents();
      await slow.close();
    }
  });

  it('a two-way QUERY_DATA_VERSION heartbeat answering changed=true registers at once', async () => {
    const agent = makeAgent(cluster.addrs, {
      heartbeat: 'queryDataVersion',
      heartbeatAwaitReply: true,
      heartbeatIntervalMs: 100,
      unsafeRegisterPeriodMs: 600_000,
    });
    await agent.start();
    const { clusterName, brokerName, brokerAddr, brokerId } = agent.options;
    const got: NodeRegistration[] = [];
    agent.on('registered', (r) => got.push(r));
    // The node forgets the broker while the connection stays open (nothing else would tell us).
    const outcome = cluster.node(0).server.routeInfoManager.unregisterBroker({
      clusterName,
      brokerName,
      brokerAddr,
      brokerId,
    });
    expect(outcome).toBe('unregistered');
    expect(isLive(cluster.node(0).server, brokerAddr)).toBe(false);
    await waitFor(
      're-registration after changed=true',
      () =>
        got.some((r) => r.reason === 'heartbeatChanged') &&
        isLive(cluster.node(0).server, brokerAddr),
    );
    expect(got.map((r) => [r.addr, r.reason])).toContainEqual([
      cluster.node(0).addr,
      'heartbeatChanged',
    ]);
  });
});

/**
 * Two-way heartbeats a node does not answer with SUCCESS: none of them says the node lost us, so
 * none may re-send the registration (each re-sent the whole table at every beat).
 */
describe('heartbeats a node refuses or leaves unanswered', () => {
  let node: ScriptedNode | undefined;
  afterEach(async () => {
    await stopAgents();
    await node?.close();
    node = undefined;
  });

  async function heartbeatAgainst(
    heartbeat: 'brokerHeartbeat' | 'queryDataVersion',
    reply: (code: number) => ScriptedReply,
    requestTimeoutMs = 3_000,
  ) {
    node = await startScriptedNode(reply);
    const logger = createMemoryLogger();
    const agent = makeAgent([node.addr], {
      heartbeat,
      heartbeatAwaitReply: true,
      heartbeatIntervalMs: 100,
      requestTimeoutMs,
      unsafeRegisterPeriodMs: 600_000,
      logger,
    });
    await agent.start();
    return { n: node, agent, logger };
  }

  it.each([
    ['answers REQUEST_CODE_NOT_SUPPORTED', { code: ResponseCode.REQUEST_CODE_NOT_SUPPORTED }],
    ['never answers (Java 4.9.7 and an unknown code)', 'silent'],
  ] as const)(
    'a node that %s to BROKER_HEARTBEAT is heartbeaten with QUERY_DATA_VERSION',
    async (_, onHeartbeat) => {
      const { n, agent } = await heartbeatAgainst(
        'brokerHeartbeat',
        (code) => (code === RequestCode.BROKER_HEARTBEAT ? onHeartbeat : SUCCESS),
        500,
      );
      await waitFor(
        'three QUERY_DATA_VERSION heartbeats',
        () => n.arrivals(RequestCode.QUERY_DATA_VERSION).length >= 3,
        15_000,
      );
      expect(n.arrivals(RequestCode.REGISTER_BROKER)).toHaveLength(1);
      // Three timeouts in a row closed the connection, which makes a NameServer drop the broker.
      expect(n.connections).toBe(1);
      expect(agent.nodes().every((s) => s.healthy)).toBe(true);
    },
  );

  it('a node that answered BROKER_HEARTBEAT keeps getting it after one slow answer', async () => {
    let beats = 0;
    const { n } = await heartbeatAgainst(
      'brokerHeartbeat',
      (code) => {
        if (code !== RequestCode.BROKER_HEARTBEAT) return SUCCESS;
        beats++;
        // One answer past the deadline (a GC pause, a large registration ahead of it).
        return beats === 2 ? { ...SUCCESS, delayMs: 1_500 } : SUCCESS;
      },
      500,
    );
    await waitFor(
      'BROKER_HEARTBEAT answered again after the slow one',
      () => n.arrivals(RequestCode.BROKER_HEARTBEAT).length >= 5,
      15_000,
    );
    expect(n.arrivals(RequestCode.QUERY_DATA_VERSION)).toHaveLength(0);
  });

  it('forceRegister=false still registers with a node whose QUERY_DATA_VERSION answer does not carry its copy', async () => {
    // "unchanged" alone is not enough (Java needRegister): the node's own DataVersion must be
    // there and equal ours. This node answers changed=false with no body.
    node = await startScriptedNode(() => SUCCESS);
    const n = node;
    await makeAgent([n.addr], { forceRegister: false, unsafeRegisterPeriodMs: 100 }).start();
    await waitFor(
      'periodic registrations after the asked ones',
      () =>
        n.arrivals(RequestCode.QUERY_DATA_VERSION).length >= 2 &&
        n.arrivals(RequestCode.REGISTER_BROKER).length >= 3,
      15_000,
    );
  });

  it('a refused QUERY_DATA_VERSION heartbeat is warned about once, nothing more', async () => {
    const { n, agent, logger } = await heartbeatAgainst('queryDataVersion', (code) =>
      code === RequestCode.QUERY_DATA_VERSION ? { code: ResponseCode.NO_PERMISSION } : SUCCESS,
    );
    await waitFor(
      'five heartbeats',
      () => n.arrivals(RequestCode.QUERY_DATA_VERSION).length >= 5,
      15_000,
    );
    expect(n.arrivals(RequestCode.REGISTER_BROKER)).toHaveLength(1);
    expect(agent.nodes().every((s) => s.healthy)).toBe(true);
    const warned = logger.records.filter((r) => r.msg === 'heartbeat refused by the name server');
    expect(warned).toHaveLength(1);
  });

  it("heartbeat 'none' sends no heartbeat of either kind", async () => {
    node = await startScriptedNode(() => SUCCESS);
    const agent = makeAgent([node.addr], {
      heartbeat: 'none',
      heartbeatIntervalMs: 50,
      unsafeRegisterPeriodMs: 600_000,
    });
    await agent.start();
    // Ten heartbeat intervals: a scheduled heartbeat would have gone out in each.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(node.arrivals(RequestCode.REGISTER_BROKER)).toHaveLength(1);
    expect(node.arrivals(RequestCode.QUERY_DATA_VERSION)).toEqual([]);
    expect(node.arrivals(RequestCode.BROKER_HEARTBEAT)).toEqual([]);
  });

  it('register calls made while one is still queued share it: three registerNow() at once send one registration', async () => {
    node = await startScriptedNode(() => SUCCESS);
    const agent = makeAgent([node.addr], { heartbeat: 'none', unsafeRegisterPeriodMs: 600_000 });
    await agent.start();
    const rounds = await Promise.all([
      agent.registerNow(),
      agent.registerNow(),
      agent.registerNow(),
    ]);
    expect(rounds.every((r) => r.results.every((n) => n.ok))).toBe(true);
    expect(node.arrivals(RequestCode.REGISTER_BROKER)).toHaveLength(2);
  });

  it('no heartbeat goes to a node while a registration with it is under way', async () => {
    const held: { registerDelayMs?: number } = {};
    const n = await startScriptedNode((code) =>
      code === RequestCode.REGISTER_BROKER && held.registerDelayMs !== undefined
        ? { ...SUCCESS, delayMs: held.registerDelayMs }
        : SUCCESS,
    );
    node = n;
    const agent = makeAgent([n.addr], {
      heartbeat: 'queryDataVersion',
      heartbeatAwaitReply: true,
      heartbeatIntervalMs: 50,
      unsafeRegisterPeriodMs: 600_000,
    });
    await agent.start();
    await waitFor('a heartbeat', () => n.arrivals(RequestCode.QUERY_DATA_VERSION).length >= 1);
    held.registerDelayMs = 600;
    const round = agent.registerNow();
    await waitFor('the registration', () => n.arrivals(RequestCode.REGISTER_BROKER).length === 2);
    const registerAt = n.arrivals(RequestCode.REGISTER_BROKER)[1]!;
    expect((await round).results[0]!.ok).toBe(true);
    // Frames of one connection arrive in order: a heartbeat sent before the registration began
    // arrived before it. Nothing arrives while the answer is held (600 ms, 12 intervals).
    const during = n
      .arrivals(RequestCode.QUERY_DATA_VERSION)
      .filter((t) => t > registerAt && t < registerAt + 500);
    expect(during).toEqual([]);
  });

  it('no heartbeat goes to a node that is failing (the re-probe registers with it instead)', async () => {
    const n = await startScriptedNode((code) =>
      code === RequestCode.REGISTER_BROKER
        ? { code: ResponseCode.SYSTEM_ERROR, remark: 'refused' }
        : SUCCESS,
    );
    node = n;
    const agent = makeAgent([n.addr], {
      heartbeat: 'queryDataVersion',
      heartbeatIntervalMs: 50,
      unsafeRegisterPeriodMs: 600_000,
    });
    const round = await agent.start();
    expect(round.results[0]!.ok).toBe(false);
    // A refusal is an answer: not retried within the round (the node was healthy until then).
    expect(round.results[0]!.attempts).toBe(1);
    expect(agent.nodes()[0]!.healthy).toBe(false);
    // Ten heartbeat intervals: a heartbeat to the failing node would have gone out in each.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(n.arrivals(RequestCode.QUERY_DATA_VERSION)).toEqual([]);
  });

  it('a node that registers again is healthy with no lastError left from its failure', async () => {
    let refuse = true;
    const n = await startScriptedNode((code) =>
      code === RequestCode.REGISTER_BROKER && refuse
        ? { code: ResponseCode.SYSTEM_ERROR, remark: 'refused' }
        : SUCCESS,
    );
    node = n;
    const agent = makeAgent([n.addr], { heartbeat: 'none', unsafeRegisterPeriodMs: 600_000 });
    await agent.start();
    expect(agent.nodes()[0]!.lastError).toBeInstanceOf(Error);
    refuse = false;
    const round = await agent.registerNow();
    expect(round.results[0]!.ok).toBe(true);
    expect(agent.nodes()[0]!).toMatchObject({ healthy: true, lastError: null });
    expect(agent.nodes()[0]!.lastRegisteredAt).not.toBeNull();
  });

  it('stop() ends the registration retries before it unregisters: nothing registers the broker again after', async () => {
    const n = await startScriptedNode((code) =>
      code === RequestCode.REGISTER_BROKER
        ? { code: ResponseCode.SYSTEM_BUSY, remark: 'busy' }
        : code === RequestCode.UNREGISTER_BROKER
          ? { ...SUCCESS, delayMs: 400 }
          : SUCCESS,
    );
    node = n;
    const agent = makeAgent([n.addr], { heartbeat: 'none', requestTimeoutMs: 5_000 });
    const starting = agent.start(); // retries the busy node until its deadline
    await waitFor(
      'a retried registration',
      () => n.arrivals(RequestCode.REGISTER_BROKER).length >= 2,
    );
    const results = await agent.stop();
    expect(results.map((r) => r.ok)).toEqual([true]);
    await starting.catch(() => undefined);
    const unregisteredAt = n.arrivals(RequestCode.UNREGISTER_BROKER)[0]!;
    expect(n.arrivals(RequestCode.REGISTER_BROKER).filter((t) => t > unregisteredAt)).toEqual([]);
  });

  it('a failed re-probe is not reported as a failed registration (the rounds report the node)', async () => {
    const n = await startScriptedNode((code) =>
      code === RequestCode.REGISTER_BROKER
        ? { code: ResponseCode.SYSTEM_ERROR, remark: 'refused' }
        : SUCCESS,
    );
    node = n;
    // A refused re-probe waits a register period: a short one, so that several run.
    const agent = makeAgent([n.addr], {
      heartbeat: 'none',
      requestTimeoutMs: 500,
      unsafeRegisterPeriodMs: 150,
      reprobeMaxDelayMs: 50,
    });
    const failed: NodeRegistration[] = [];
    agent.on('registrationFailed', (r) => failed.push(r));
    await agent.start();
    const afterStart = n.arrivals(RequestCode.REGISTER_BROKER).length;
    await waitFor(
      'four more registrations (rounds and re-probes)',
      () => n.arrivals(RequestCode.REGISTER_BROKER).length >= afterStart + 4,
    );
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.filter((r) => r.reason === 'recovered')).toEqual([]);
    // One re-probe loop per node: about one round and one re-probe per 150 ms period, not a loop
    // more after each failed re-probe (those would register back to back).
    const before = n.arrivals(RequestCode.REGISTER_BROKER).length;
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(n.arrivals(RequestCode.REGISTER_BROKER).length - before).toBeLessThan(20);
  });

  it('a QUERY_DATA_VERSION heartbeat answered after its deadline is no failure', async () => {
    const { n, agent } = await heartbeatAgainst(
      'queryDataVersion',
      (code) => (code === RequestCode.QUERY_DATA_VERSION ? { ...SUCCESS, delayMs: 500 } : SUCCESS),
      300,
    );
    await waitFor(
      'three heartbeats',
      () => n.arrivals(RequestCode.QUERY_DATA_VERSION).length >= 3,
      15_000,
    );
    expect(n.arrivals(RequestCode.REGISTER_BROKER)).toHaveLength(1);
    expect(agent.nodes().every((s) => s.healthy)).toBe(true);
  });
});
