/**
 * Route lookups (GET_ROUTEINFO_BY_TOPIC, JSON header, version 407) against a node with W serving
 * processes holding `topics` topics on 2 clusters × 4 broker groups (master + slave), side by
 * side with a baseline of the same number of processes at every load; then the same lookups
 * while the 8 masters re-register back-to-back. main.ts runs this once per W.
 */
import {
  createResponse,
  decodeFrame,
  encodeCommand,
  encodeTopicRouteData,
  ResponseCode,
} from '../lib/ns.js';
import { exactQuantile } from '../lib/histogram.js';
import { mergeRounds, runLevel } from '../lib/load-runner.js';
import type { LevelResult, Timing } from '../lib/load-runner.js';
import { startBaseline, startNameServer } from '../lib/processes.js';
import type { ProbedProcess } from '../lib/processes.js';
import { generatorsFor } from '../lib/profile.js';
import type { Profile } from '../lib/profile.js';
import { checkRoute } from '../lib/route-check.js';
import { RpcConnection } from '../lib/rpc.js';
import {
  benchBrokers,
  expectedRoute,
  OPAQUE_BASE,
  registerBody,
  registerFrame,
  routeRequestFrame,
  topicNames,
} from '../lib/workload.js';
import type { BrokerSpec } from '../lib/workload.js';
import type { Log } from '../lib/log.js';
import { HostProbe } from '../lib/host-stall.js';
import { servingPids, waitedMs, waitsOf } from '../lib/proc.js';
import { scrapeStalls } from '../lib/stalls.js';

/** Long enough that no broker expires during a run; nothing re-registers except the churn test. */
const KEEP_ALIVE_MS = 600_000;
const TIMESTAMP = 1_700_000_000_000;

export interface RouteNode {
  server: ProbedProcess;
  /** Serving processes (servingWorkers). */
  workers: number;
  brokers: BrokerSpec[];
  topics: string[];
  /** One registration connection per broker, kept open (closing one removes the broker). */
  conns: RpcConnection[];
  requests: Buffer[];
  expectedBodies: Buffer[];
  registerMs: number;
}

export async function setupRouteNode(
  profile: Profile,
  log: Log,
  workers: number,
): Promise<RouteNode> {
  const server = await startNameServer({ workers });
  const brokers = benchBrokers(2, 4, true);
  const topics = topicNames('bench-topic', profile.route.topics);
  const body = registerBody(topics, 1, TIMESTAMP);
  const conns: RpcConnection[] = [];
  const t0 = performance.now();
  for (const b of brokers) {
    const conn = await RpcConnection.connect('127.0.0.1', server.port);
    conns.push(conn);
    const resp = await conn.send(
      registerFrame(b, body, { opaque: OPAQUE_BASE, heartbeatTimeoutMillis: KEEP_ALIVE_MS }),
    );
    if (resp.code !== ResponseCode.SUCCESS) {
      throw new Error(
        `REGISTER_BROKER ${b.brokerName}/${b.brokerId}: code ${resp.code} ${resp.remark ?? ''}`,
      );
    }
  }
  const registerMs = performance.now() - t0;
  log(
    `node W=${workers} (pid ${server.pid}): ${brokers.length} registrations of ${topics.length} topics in ${registerMs.toFixed(0)} ms`,
  );

  const step = Math.max(1, Math.floor(topics.length / profile.route.sampleTopics));
  const sample = topics.filter((_, i) => i % step === 0).slice(0, profile.route.sampleTopics);
  const check = await RpcConnection.connect('127.0.0.1', server.port);
  const requests: Buffer[] = [];
  const expectedBodies: Buffer[] = [];
  for (const t of sample) {
    const req = routeRequestFrame(t);
    expectedBodies.push(checkRoute(t, await check.send(Buffer.from(req)), brokers));
    requests.push(req);
  }
  check.destroy();
  log(`node: ${sample.length} sampled routes verified (${expectedBodies[0]!.length} B body)`);
  return { server, workers, brokers, topics, conns, requests, expectedBodies, registerMs };
}

/**
 * When no node can be started: the route levels against the baseline alone, answering with a
 * route body built by the protocol encoder (the same 8-group route the node would return), so
 * the harness and the baseline figures still come out.
 */
export function syntheticRouteNode(
  profile: Profile,
): Pick<RouteNode, 'requests' | 'expectedBodies' | 'topics' | 'brokers'> {
  const brokers = benchBrokers(2, 4, true);
  const topics = topicNames('bench-topic', profile.route.topics).slice(
    0,
    profile.route.sampleTopics,
  );
  const body = encodeTopicRouteData(expectedRoute(brokers), { standardJson: true });
  return {
    brokers,
    topics,
    requests: topics.map((t) => routeRequestFrame(t)),
    expectedBodies: [body],
  };
}

/** Facts of the route workload, the same for every W. */
export interface RouteWorkload {
  topics: number;
  brokerGroups: number;
  sampledTopics: number;
  responseBodyBytes: number;
  responseFrameBytes: number;
  timing: Timing;
}

/** One W: every load against the node and against the baseline of W processes. */
export interface RouteRun {
  workers: number;
  levels: LevelResult[];
}

export interface RouteResults extends RouteWorkload {
  /** The node's default servingWorkers (0 = auto) on this machine. */
  autoWorkers: number;
  skipped: { workers: number; reason: string }[];
  runs: RouteRun[];
}

/** The timing of one round: each level runs node, baseline, baseline, node at half the window. */
export function routeTiming(profile: Profile): Timing {
  return {
    warmupMs: profile.route.warmupMs,
    durationMs: Math.round(profile.route.durationMs / 2),
    drainMs: 2000,
  };
}

/**
 * Every load of the profile against the node (W serving processes) and against a baseline of W
 * processes, back to back. `node.server` absent: the baseline alone (the node did not start).
 */
export async function runRouteLevels(
  node: Pick<RouteNode, 'requests' | 'expectedBodies' | 'topics' | 'brokers'> & {
    server?: ProbedProcess;
  },
  profile: Profile,
  log: Log,
  opts: { workers: number; cores: number; generators?: number },
): Promise<{ run: RouteRun; workload: RouteWorkload }> {
  // The baseline answers with the node's own response to the first sampled topic: same size.
  const firstReq = decodeFrame(node.requests[0]!.subarray(4));
  const responseFrame = encodeCommand(
    createResponse(firstReq, { code: ResponseCode.SUCCESS, body: node.expectedBodies[0]! }),
  );
  const baseline = await startBaseline(responseFrame, opts.workers);
  log(`baseline W=${opts.workers} pid ${baseline.pid}`);
  // Each level runs node, baseline, baseline, node (half the window each): a drift in what
  // else the shared machine is doing then weighs on both sides alike.
  const timing = routeTiming(profile);
  const levels: LevelResult[] = [];
  try {
    for (const load of profile.route.loads) {
      const level = {
        ...load,
        generators: generatorsFor(
          opts.cores,
          opts.workers,
          load.connections,
          profile.route.maxGenerators,
          opts.generators,
        ),
      };
      const node_: [string, ProbedProcess, Buffer[]] | undefined =
        node.server === undefined ? undefined : ['node', node.server, node.expectedBodies];
      const base: [string, ProbedProcess, Buffer[]] = [
        'baseline',
        baseline,
        [node.expectedBodies[0]!],
      ];
      const order = node_ === undefined ? [base, base] : [node_, base, base, node_];
      const rounds = new Map<string, LevelResult[]>();
      for (const [name, target, bodies] of order) {
        const r = await runLevel(name, target, level, timing, node.requests, bodies);
        rounds.set(name, [...(rounds.get(name) ?? []), r]);
      }
      for (const [name, rs] of rounds) {
        const r = mergeRounds(rs);
        levels.push(r);
        log(
          `route W=${opts.workers} ${name.padEnd(8)} ${r.label.padEnd(7)} ${r.qps.toFixed(0).padStart(7)} req/s ` +
            `(rounds ${(r.roundsQps ?? []).map((q) => q.toFixed(0)).join(', ')})  ` +
            `p50 ${(r.latency.p50Us / 1000).toFixed(3)} ms  p99 ${(r.latency.p99Us / 1000).toFixed(3)} ms  ` +
            `cpu ${r.serverCpuPct.toFixed(0)}% (${r.serverCpuUsPerRequest.toFixed(1)} µs/req)  ` +
            `gen ${r.generators}× cpu ${r.generatorCpuPct.toFixed(0)}% loop ${r.generatorEluMaxPct.toFixed(0)}%  ` +
            `machine ${r.machineBusyPct.toFixed(0)}%  errors ${r.errorCount}`,
        );
      }
    }
  } finally {
    await baseline.stop();
  }
  return {
    run: { workers: opts.workers, levels },
    workload: {
      topics: node.topics.length,
      brokerGroups: new Set(node.brokers.map((b) => b.brokerName)).size,
      sampledTopics: node.requests.length,
      responseBodyBytes: node.expectedBodies[0]!.length,
      responseFrameBytes: responseFrame.length,
      timing,
    },
  };
}

export interface ChurnRun {
  mode: 'quiet' | 'unchanged' | 'changed';
  lookups: LevelResult;
  /** Longest event-loop stall of the serving processes / the owner over the mode, ms (/metrics). */
  servingStallMs: number | undefined;
  ownerStallMs: number | undefined;
  /**
   * The machine's own stalls over the mode (bench/lib/host-stall.ts): an idle canary process's
   * longest gap, and the hypervisor's steal time, ms. A serving stall of about the canary's gap
   * with steal beside it was the VM being descheduled, not the node's work.
   */
  hostGapMs: number | undefined;
  stealMs: number | undefined;
  /**
   * Share of the mode the busiest serving loop's thread was runnable but not running (run_delay,
   * /proc/<pid>/task/<pid>/schedstat), %: how much of a lookup's wait was the machine's other
   * threads and processes holding its cores, not the node's own work.
   */
  servingWaitPct: number | undefined;
  registrations: number;
  registrationsPerSec: number;
  registrationRttP50Ms: number;
  registrationRttMaxMs: number;
  registrationErrors: number;
}

/** Churn per W. */
export interface ChurnResults {
  topicsPerBroker: number;
  masters: number;
  load: string;
  runs: { workers: number; modes: ChurnRun[] }[];
}

/**
 * Route lookups (profile.churn.load, 16×1 in the full run) while the 8 masters re-register
 * continuously, taking turns (one registration in flight at a time, back-to-back: 80–280 a second
 * on the 2-core machine, several hundred times the 0.27 a second of 8 brokers on the default 30 s
 * period): with the same DataVersion (a periodic heartbeat) or a bumped one every time.
 * Registrations stop when the measuring window ends.
 */
export async function runChurn(
  node: RouteNode,
  profile: Profile,
  log: Log,
  opts: { cores: number; generators?: number },
): Promise<ChurnRun[]> {
  const timing: Timing = {
    warmupMs: profile.route.warmupMs,
    durationMs: profile.churn.durationMs,
    drainMs: 10_000,
  };
  const load = profile.churn.load;
  const level = {
    ...load,
    generators: generatorsFor(
      opts.cores,
      node.workers,
      load.connections,
      profile.route.maxGenerators,
      opts.generators,
    ),
  };
  const httpPort = node.server.httpPort;
  const masters = node.brokers
    .map((b, i) => ({ b, conn: node.conns[i]! }))
    .filter((x) => x.b.brokerId === 0);
  const body1 = registerBody(node.topics, 1, TIMESTAMP);
  const body2 = registerBody(node.topics, 2, TIMESTAMP);
  const frames = masters.map(({ b }) => [
    registerFrame(b, body1, { opaque: OPAQUE_BASE, heartbeatTimeoutMillis: KEEP_ALIVE_MS }),
    registerFrame(b, body2, { opaque: OPAQUE_BASE, heartbeatTimeoutMillis: KEEP_ALIVE_MS }),
  ]);
  const out: ChurnRun[] = [];
  const host = await HostProbe.start();
  try {
    for (const mode of ['quiet', 'unchanged', 'changed'] as const) {
      let stop = mode === 'quiet';
      const rtts: number[] = [];
      let regErrors = 0;
      // Resets the stall gauges: the scrape after the mode reads its own longest stall.
      if (httpPort !== null) await scrapeStalls(httpPort);
      await host.read();
      const pids = servingPids(node.server.pid, node.workers);
      const waitsBefore = waitsOf(pids);
      const t0 = performance.now();
      const stopTimer = setTimeout(() => (stop = true), timing.warmupMs + timing.durationMs);
      const loop = (async () => {
        // Bounded in count as well as time.
        for (let i = 0; !stop && i < 100_000; i++) {
          const m = i % masters.length;
          // 'changed' alternates DataVersion 2, 1, 2, … per broker: always differs from the stored one.
          const frame =
            frames[m]![mode === 'changed' ? (Math.floor(i / masters.length) + 1) % 2 : 0]!;
          const s = performance.now();
          const resp = await masters[m]!.conn.send(frame);
          rtts.push(performance.now() - s);
          if (resp.code !== ResponseCode.SUCCESS) regErrors++;
        }
        // Leave every broker at DataVersion 1, as registered, whatever the loop ended on.
        if (mode === 'changed') {
          for (const [m, { conn }] of masters.entries()) await conn.send(frames[m]![0]!);
        }
      })();
      let lookups: LevelResult;
      try {
        lookups = await runLevel(
          'node',
          node.server,
          level,
          timing,
          node.requests,
          node.expectedBodies,
        );
      } finally {
        stop = true;
        clearTimeout(stopTimer);
        await loop;
      }
      const secs = (performance.now() - t0) / 1000;
      const waited = waitedMs(waitsBefore, waitsOf(pids));
      const stalls = httpPort === null ? undefined : await scrapeStalls(httpPort);
      const hostStall = await host.read();
      const run: ChurnRun = {
        mode,
        lookups,
        servingStallMs: stalls?.servingMs,
        ownerStallMs: stalls?.ownerMs,
        hostGapMs: hostStall.canaryGapMs,
        stealMs: hostStall.stealMs,
        servingWaitPct: waited === undefined ? undefined : waited / 10 / secs,
        registrations: rtts.length,
        registrationsPerSec: rtts.length / secs,
        registrationRttP50Ms: rtts.length > 0 ? exactQuantile(rtts, 0.5) : 0,
        registrationRttMaxMs: rtts.length > 0 ? Math.max(...rtts) : 0,
        registrationErrors: regErrors,
      };
      out.push(run);
      log(
        `churn W=${node.workers} ${mode.padEnd(9)} lookups ${lookups.qps.toFixed(0)} req/s p99 ${(lookups.latency.p99Us / 1000).toFixed(2)} ms ` +
          `max ${(lookups.latency.maxUs / 1000).toFixed(1)} ms; ${run.registrations} registrations ` +
          `(${run.registrationsPerSec.toFixed(1)}/s, rtt p50 ${run.registrationRttP50Ms.toFixed(1)} ms); ` +
          `longest serving stall ${run.servingStallMs?.toFixed(1) ?? '–'} ms; ` +
          `serving loop waited for a CPU ${run.servingWaitPct?.toFixed(1) ?? '–'} % of the time; ` +
          `host: canary gap ${run.hostGapMs?.toFixed(1) ?? '–'} ms, steal ${run.stealMs?.toFixed(0) ?? '–'} ms`,
      );
    }
  } finally {
    host.stop();
  }
  return out;
}

export async function closeRouteNode(node: RouteNode): Promise<void> {
  for (const c of node.conns) c.destroy();
  await node.server.stop();
}
