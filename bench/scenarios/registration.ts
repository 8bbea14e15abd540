/**
 * REGISTER_BROKER cost by body size and serving-process count W, each registration alone on an
 * idle node:
 *
 * - first: a new broker with new topics;
 * - unchanged: the same body again (same DataVersion: the periodic heartbeat);
 * - changed 1 %: DataVersion bumped, 1 % of the topics with other queue numbers;
 * - changed 100 %: DataVersion bumped, every topic with other queue numbers;
 * - 1 % replaced: DataVersion bumped, every 100th topic deleted and a new one in its place (topics
 *   created and deleted on the broker): the kept table is rebuilt in the body's order;
 * - a slave joins: the same broker name, id 1, on a connection of its own: every topic's route
 *   changes (its BrokerData lists one more address), none of its QueueData;
 * - the slave's connection closes: the round trip is until a lookup no longer lists the slave;
 * - WIPE_WRITE_PERM_OF_BROKER, then ADD_WRITE_PERM_OF_BROKER, of the broker name (an operator
 *   draining a broker before maintenance, then opening it again): every topic's perm rewritten.
 *
 * Each size starts with a warm-up: one more broker goes through every phase first, its figures kept
 * apart (the row's warm-up rtt) and out of the medians. V8 compiles the registration paths while
 * they run their first times (the first changed-1 % registration of 10,000 topics took 11-13 ms, the
 * tenth 4-5 ms); a node in service has run them for every broker's every period, so the medians
 * are of a warm node, and the warm-up rtt says what a node's first registrations cost.
 *
 * Each registration is measured 300 ms after the one before it answered, once the background
 * slices that one left (route digest, route cache sweep) are done. Per registration: the round
 * trip as the broker sees it; the owner's event-loop active time and
 * CPU (probes bracketing it); and the longest event-loop stall of the serving processes (and of
 * the owner, when workers serve) over the registration, from the node's stall gauges (two /metrics
 * scrapes bracketing it: the first resets them). With W = 1 the serving loop is the owner's, so the
 * stall is the registration's own work; with W > 1 it is what replaying its op batch cost the
 * workers. An idle bracket (no registration) gives the floor the scrapes and probes themselves
 * leave, reported next to it.
 */
import { exactQuantile } from '../lib/histogram.js';
import {
  createRequest,
  decodeTopicRouteData,
  encodeCommand,
  RequestCode,
  ResponseCode,
  Version,
} from '../lib/ns.js';
import { servingPids, waitedMs, waitsOf } from '../lib/proc.js';
import { startNameServer } from '../lib/processes.js';
import type { ProbedProcess, ProbeSample } from '../lib/processes.js';
import type { Profile } from '../lib/profile.js';
import { RpcConnection } from '../lib/rpc.js';
import { scrapeStalls } from '../lib/stalls.js';
import type { Stalls } from '../lib/stalls.js';
import {
  OPAQUE_BASE,
  registerBody,
  registerFrame,
  routeRequestFrame,
  topicNames,
} from '../lib/workload.js';
import type { Log } from '../lib/log.js';
import { REG_PHASE_LABEL, REG_PHASES } from '../lib/registration-phases.js';
import type { RegPhase } from '../lib/registration-phases.js';

export { REG_PHASE_LABEL, REG_PHASES };
export type { RegPhase };

export interface RegSample {
  rttMs: number;
  loopMs: number;
  cpuMs: number;
  stalls: Stalls | undefined;
  /** The decode threads' time for it (namesrv_register_body_decode_seconds), ms. */
  decodeMs: number | undefined;
  /**
   * How long a serving process's event-loop thread waited, runnable, for a CPU meanwhile (the
   * most of the serving processes; see mainThreadRunDelayMs), ms.
   */
  servingWaitMs: number | undefined;
}

export interface RegRow {
  workers: number;
  topics: number;
  phase: RegPhase;
  /** Topics whose config differs from what the node held before this registration. */
  topicsChanged: number;
  reps: number;
  bodyBytes: number;
  rttP50Ms: number;
  rttMaxMs: number;
  /** The warm-up broker's round trip for this phase (not in the medians; absent in older results). */
  warmUpRttMs?: number | undefined;
  /** Owner event-loop active time per registration (probe overhead subtracted), median and max. */
  loopP50Ms: number;
  loopMaxMs: number;
  /** Owner process CPU (all threads, incl. GC helpers) per registration, median. */
  cpuP50Ms: number;
  /** Decode-thread time of the serving side per registration, median (absent in older results). */
  decodeP50Ms?: number | undefined;
  /** Longest serving-loop stall during the registration (median over reps, and max), ms. */
  servingStallP50Ms: number | undefined;
  servingStallMaxMs: number | undefined;
  /** Longest owner-loop stall during it (W > 1 only), median over reps. */
  ownerStallP50Ms: number | undefined;
  /**
   * Time a serving loop's thread waited for a CPU during the registration (median and max over
   * reps; absent in older results): how much of the stalls the machine, not the node, made.
   */
  servingWaitP50Ms?: number | undefined;
  servingWaitMaxMs?: number | undefined;
}

export interface RegistrationRun {
  workers: number;
  probeOverheadMs: number;
  /** Longest serving stall over an idle bracket (scrape, probes, scrape), median: the floor. */
  idleServingStallMs: number | undefined;
  rows: RegRow[];
}

export interface RegistrationResults {
  runs: RegistrationRun[];
}

const TIMESTAMP = 1_700_000_000_000;

function loopMs(a: ProbeSample, b: ProbeSample): number {
  return b.eluActiveMs - a.eluActiveMs;
}

function cpuMs(a: ProbeSample, b: ProbeSample): number {
  return (b.cpu.user - a.cpu.user + (b.cpu.system - a.cpu.system)) / 1000;
}

async function stallsOf(server: ProbedProcess): Promise<Stalls | undefined> {
  return server.httpPort === null ? undefined : scrapeStalls(server.httpPort);
}

async function measureOne(
  server: ProbedProcess,
  workers: number,
  conn: RpcConnection,
  frame: Buffer | null,
): Promise<RegSample> {
  const pids = servingPids(server.pid, workers);
  const before = await stallsOf(server); // resets the gauges
  const waitsBefore = waitsOf(pids);
  const a = await server.probe();
  const t0 = performance.now();
  const resp = frame === null ? null : await conn.send(frame, 120_000);
  const rttMs = performance.now() - t0;
  const b = await server.probe();
  const waitsAfter = waitsOf(pids);
  const stalls = await stallsOf(server);
  if (resp !== null && resp.code !== ResponseCode.SUCCESS) {
    throw new Error(`REGISTER_BROKER failed: code ${resp.code} ${resp.remark ?? ''}`);
  }
  return {
    rttMs,
    loopMs: loopMs(a, b),
    cpuMs: cpuMs(a, b),
    stalls,
    decodeMs: decodeMsOf(before, stalls),
    servingWaitMs: waitedMs(waitsBefore, waitsAfter),
  };
}

/** The decode threads' time between two scrapes, ms. */
function decodeMsOf(before: Stalls | undefined, after: Stalls | undefined): number | undefined {
  return before === undefined || after === undefined
    ? undefined
    : after.decodeTotalMs - before.decodeTotalMs;
}

/**
 * Closes `leaving` (a slave's connection) and measures until a lookup of `topic` through `other`
 * no longer lists `addr`: the node's whole removal, as a client sees it.
 */
async function measureDeparture(
  server: ProbedProcess,
  workers: number,
  leaving: RpcConnection,
  other: RpcConnection,
  topic: string,
  addr: string,
): Promise<RegSample> {
  const pids = servingPids(server.pid, workers);
  await stallsOf(server); // resets the gauges
  const waitsBefore = waitsOf(pids);
  const a = await server.probe();
  const t0 = performance.now();
  leaving.destroy();
  const deadline = t0 + 30_000;
  let opaque = OPAQUE_BASE + 1;
  for (;;) {
    const resp = await other.send(routeRequestFrame(topic, opaque++), 10_000);
    if (resp.code !== ResponseCode.SUCCESS) {
      throw new Error(`route lookup after the slave left: code ${resp.code} ${resp.remark ?? ''}`);
    }
    const route = decodeTopicRouteData(resp.body!);
    const listed = route.brokerDatas.some((b) => [...b.brokerAddrs.values()].includes(addr));
    if (!listed) break;
    if (performance.now() > deadline) throw new Error(`slave ${addr} still listed after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const rttMs = performance.now() - t0;
  const b = await server.probe();
  const waitsAfter = waitsOf(pids);
  const stalls = await stallsOf(server);
  return {
    rttMs,
    loopMs: loopMs(a, b),
    cpuMs: cpuMs(a, b),
    stalls,
    decodeMs: undefined,
    servingWaitMs: waitedMs(waitsBefore, waitsAfter),
  };
}

/** WIPE_WRITE_PERM_OF_BROKER or ADD_WRITE_PERM_OF_BROKER of `brokerName` (admin writes). */
function permFrame(phase: 'wipePerm' | 'addPerm', brokerName: string, opaque: number): Buffer {
  return encodeCommand(
    createRequest({
      code:
        phase === 'wipePerm'
          ? RequestCode.WIPE_WRITE_PERM_OF_BROKER
          : RequestCode.ADD_WRITE_PERM_OF_BROKER,
      opaque,
      extFields: { brokerName },
      version: Version.V4_9_7,
    }),
  );
}

/** Time for the background slices a large registration leaves (1 ms each, between reads). */
const SETTLE_MS = 300;

function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}

function median(values: (number | undefined)[]): number | undefined {
  const v = values.filter((x): x is number => x !== undefined);
  return v.length === 0 ? undefined : exactQuantile(v, 0.5);
}

function max(values: (number | undefined)[]): number | undefined {
  const v = values.filter((x): x is number => x !== undefined);
  return v.length === 0 ? undefined : Math.max(...v);
}

async function runOne(profile: Profile, log: Log, workers: number): Promise<RegistrationRun> {
  const server = await startNameServer({ workers });
  log(`registration W=${workers}: node pid ${server.pid}`);
  const conns: RpcConnection[] = [];
  try {
    // What two back-to-back probes cost the loop, to subtract from every bracket; and the stall
    // an empty bracket shows (scrapes and probes only).
    const overheads: number[] = [];
    const idleStalls: (number | undefined)[] = [];
    const idleConn = await RpcConnection.connect('127.0.0.1', server.port);
    conns.push(idleConn);
    for (let i = 0; i < 7; i++) {
      const s = await measureOne(server, workers, idleConn, null);
      overheads.push(s.loopMs);
      idleStalls.push(s.stalls?.servingMs);
    }
    const probeOverheadMs = exactQuantile(overheads, 0.5);
    const rows: RegRow[] = [];
    for (const { topics: n, reps } of profile.registration.sizes) {
      const samples: Record<RegPhase, RegSample[]> = {
        first: [],
        unchanged: [],
        changed1: [],
        renamed1: [],
        changed100: [],
        slaveJoin: [],
        slaveLeave: [],
        wipePerm: [],
        addPerm: [],
      };
      const changed: Record<RegPhase, number> = {
        first: n,
        unchanged: 0,
        changed1: 0,
        renamed1: 0,
        changed100: n,
        slaveJoin: n,
        slaveLeave: n,
        wipePerm: n,
        addPerm: n,
      };
      const warmUp: Partial<Record<RegPhase, RegSample>> = {};
      let bodyBytes = 0;
      // Broker 0 is the warm-up (see the top of this file); brokers 1..reps are measured.
      for (let r = 0; r <= reps; r++) {
        // A new broker with its own topics each time, so every "first" is truly first.
        const broker = {
          clusterName: 'RegCluster',
          brokerName: `reg-${n}-${r}`,
          brokerAddr: `10.9.${r}.${n % 250}:10911`,
          haServerAddr: `10.9.${r}.${n % 250}:10912`,
          brokerId: 0,
        };
        const record = (phase: RegPhase, sample: RegSample): void => {
          if (r === 0) warmUp[phase] = sample;
          else samples[phase].push(sample);
        };
        const topics = topicNames(`reg${n}-r${r}`, n);
        // 1 % of the topics (every 100th) go from 4 to 8 queues; then all of them to 6.
        const onePct = (i: number): number => (i % 100 === 0 ? 8 : 4);
        changed.changed1 = topics.filter((_, i) => onePct(i) !== 4).length;
        // 1 % of the topics (every 100th, offset by 50) replaced by a topic of a new name in the
        // same place: as many removed as added.
        const renamed = topics.map((t, i) => (i % 100 === 50 ? `${t}-renamed` : t));
        changed.renamed1 = 2 * topics.filter((_, i) => i % 100 === 50).length;
        const bodies: Record<Exclude<RegPhase, 'slaveLeave' | 'wipePerm' | 'addPerm'>, Buffer> = {
          first: registerBody(topics, 1, TIMESTAMP),
          unchanged: Buffer.alloc(0),
          changed1: registerBody(topics, 2, TIMESTAMP, onePct),
          changed100: registerBody(topics, 3, TIMESTAMP, () => 6),
          renamed1: registerBody(renamed, 4, TIMESTAMP, () => 6),
          slaveJoin: Buffer.alloc(0),
        };
        bodies.unchanged = bodies.first;
        bodies.slaveJoin = bodies.renamed1;
        const slave = { ...broker, brokerAddr: `10.9.${r}.${n % 250}:10921`, brokerId: 1 };
        let slaveConn: RpcConnection | null = null;
        bodyBytes = bodies.first.length;
        const conn = await RpcConnection.connect('127.0.0.1', server.port);
        conns.push(conn);
        for (const phase of REG_PHASES) {
          if (phase === 'slaveLeave') {
            await settle();
            record(
              phase,
              await measureDeparture(
                server,
                workers,
                slaveConn!,
                conn,
                topics[0]!,
                slave.brokerAddr,
              ),
            );
            continue;
          }
          if (phase === 'wipePerm' || phase === 'addPerm') {
            await settle();
            record(
              phase,
              await measureOne(
                server,
                workers,
                conn,
                permFrame(phase, broker.brokerName, OPAQUE_BASE),
              ),
            );
            continue;
          }
          let via = conn;
          if (phase === 'slaveJoin') {
            slaveConn = await RpcConnection.connect('127.0.0.1', server.port);
            conns.push(slaveConn);
            via = slaveConn;
          }
          const frame = registerFrame(phase === 'slaveJoin' ? slave : broker, bodies[phase], {
            opaque: OPAQUE_BASE,
            heartbeatTimeoutMillis: 600_000,
          });
          // The work a registration leaves for later (the digest's and the route cache's
          // background slices) is done before the next one is measured: each alone on an idle
          // node, as the row says.
          await settle();
          record(phase, await measureOne(server, workers, via, frame));
        }
      }
      for (const phase of REG_PHASES) {
        const s = samples[phase];
        const loops = s.map((x) => Math.max(0, x.loopMs - probeOverheadMs));
        const row: RegRow = {
          workers,
          topics: n,
          phase,
          topicsChanged: changed[phase],
          reps,
          bodyBytes,
          rttP50Ms: exactQuantile(
            s.map((x) => x.rttMs),
            0.5,
          ),
          rttMaxMs: Math.max(...s.map((x) => x.rttMs)),
          warmUpRttMs: warmUp[phase]?.rttMs,
          loopP50Ms: exactQuantile(loops, 0.5),
          loopMaxMs: Math.max(...loops),
          cpuP50Ms: exactQuantile(
            s.map((x) => x.cpuMs),
            0.5,
          ),
          decodeP50Ms: median(s.map((x) => x.decodeMs)),
          servingStallP50Ms: median(s.map((x) => x.stalls?.servingMs)),
          servingStallMaxMs: max(s.map((x) => x.stalls?.servingMs)),
          ownerStallP50Ms: median(s.map((x) => x.stalls?.ownerMs)),
          servingWaitP50Ms: median(s.map((x) => x.servingWaitMs)),
          servingWaitMaxMs: max(s.map((x) => x.servingWaitMs)),
        };
        rows.push(row);
        log(
          `register W=${workers} ${String(n).padStart(6)} topics ${phase.padEnd(10)} rtt p50 ${row.rttP50Ms.toFixed(1)} ms (warm-up ${row.warmUpRttMs?.toFixed(1) ?? '–'})  ` +
            `owner loop p50 ${row.loopP50Ms.toFixed(1)} ms  cpu p50 ${row.cpuP50Ms.toFixed(1)} ms  ` +
            `decode p50 ${row.decodeP50Ms?.toFixed(1) ?? '–'} ms  ` +
            `serving stall p50 ${row.servingStallP50Ms?.toFixed(1) ?? '–'} ms (max ${row.servingStallMaxMs?.toFixed(1) ?? '–'})  ` +
            `waited for a CPU p50 ${row.servingWaitP50Ms?.toFixed(1) ?? '–'} ms (max ${row.servingWaitMaxMs?.toFixed(1) ?? '–'})` +
            (row.ownerStallP50Ms === undefined
              ? ''
              : `  owner stall p50 ${row.ownerStallP50Ms.toFixed(1)} ms`),
        );
      }
    }
    return { workers, probeOverheadMs, idleServingStallMs: median(idleStalls), rows };
  } finally {
    for (const c of conns) c.destroy();
    await server.stop();
  }
}

/** One node per W (profile.registration.workers); a W that fails is reported and skipped. */
export async function runRegistration(
  profile: Profile,
  log: Log,
  workerCounts: readonly number[],
  onFailure: (workers: number, err: unknown) => void,
): Promise<RegistrationResults> {
  const runs: RegistrationRun[] = [];
  for (const w of workerCounts) {
    try {
      runs.push(await runOne(profile, log, w));
    } catch (err) {
      onFailure(w, err);
    }
  }
  return { runs };
}
