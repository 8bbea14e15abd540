/**
 * Route watch at scale: `connections` watching connections (watch-child.ts, its own process), each
 * holding a WATCH_TOPIC_ROUTE of `topicsPerWatch` topics chosen from `topics`. A "keeper" broker
 * hosts every topic; a "mover" broker hosts the first `moverTopics` of them. One wave = the mover's
 * registration connection is destroyed (its routes lose it) or it registers again (they regain
 * it): every watcher of one of its topics is woken, the others stay held.
 *
 * Measured:
 * - per wave: change → the last affected watcher's answer received (wake all), p50/p99 over the
 *   watchers, and node CPU (user + system) over the wave divided by the watchers woken;
 * - GET_ROUTEINFO_BY_TOPIC of other topics at 16×1 from a generator process: p99 quiet, and while
 *   waves run back to back.
 * The wave's CPU includes handling the change itself (a connection close, or a 10%-of-topics
 * registration), not only the wakeups.
 */
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { exactQuantile } from '../lib/histogram.js';
import { runLevel } from '../lib/load-runner.js';
import type { LevelResult, Timing } from '../lib/load-runner.js';
import type { Log } from '../lib/log.js';
import { ResponseCode } from '../lib/ns.js';
import { forkTs, startNameServer } from '../lib/processes.js';
import type { ProbedProcess, ProbeSample } from '../lib/processes.js';
import type { Profile } from '../lib/profile.js';
import { RpcConnection } from '../lib/rpc.js';
import {
  OPAQUE_BASE,
  registerBody,
  registerFrame,
  routeRequestFrame,
  topicNames,
} from '../lib/workload.js';
import type { BrokerSpec } from '../lib/workload.js';
import type { FromWatchChild, ToWatchChild, WatchChildConfig } from './watch-child.js';

const CHILD = fileURLToPath(new URL('./watch-child.ts', import.meta.url));
const TIMESTAMP = 1_700_000_000_000;
const KEEP_ALIVE_MS = 600_000;

export interface WatchWave {
  change: 'mover removed' | 'mover registered';
  woken: number;
  /** Change → last affected watcher's answer received. */
  allWokenMs: number;
  p50Ms: number;
  p99Ms: number;
  /** Node CPU (user + system) from just before the change to the last answer. */
  nodeCpuMs: number;
  cpuPerWakeupUs: number;
  /** CPU of the watcher process receiving and checking the answers (same 2 cores). */
  watchersCpuMs: number;
}

export interface WatchResults {
  connections: number;
  topicsPerWatch: number;
  topics: number;
  moverTopics: number;
  /** Watchers following at least one of the mover's topics (woken by every wave). */
  affected: number;
  /** Node heap after GC per held watch, its connection included (bytes). */
  heapPerWatchBytes: number;
  waves: WatchWave[];
  allWokenMedianMs: number;
  cpuPerWakeupMedianUs: number;
  lookupsQuiet: LevelResult;
  lookupsDuringWaves: LevelResult;
  /** Waves completed inside the lookup window. */
  wavesDuringLookups: number;
  errors: string[];
}

function broker(name: string, i: number): BrokerSpec {
  return {
    clusterName: 'WatchCluster',
    brokerName: name,
    brokerAddr: `10.9.0.${i}:10911`,
    haServerAddr: `10.9.0.${i}:10912`,
    brokerId: 0,
  };
}

class ChildLink {
  readonly proc: ChildProcess;
  private readonly inbox: FromWatchChild[] = [];
  private waiter: ((m: FromWatchChild) => void) | undefined;

  constructor(proc: ChildProcess) {
    this.proc = proc;
    proc.on('message', (m: FromWatchChild) => {
      if (this.waiter !== undefined) {
        const w = this.waiter;
        this.waiter = undefined;
        w(m);
      } else this.inbox.push(m);
    });
  }

  send(m: ToWatchChild): void {
    this.proc.send(m);
  }

  next<T extends FromWatchChild['type']>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<FromWatchChild, { type: T }>> {
    return new Promise((resolve, reject) => {
      const take = (m: FromWatchChild): void => {
        clearTimeout(timer);
        this.proc.off('exit', onExit);
        if (m.type === 'fatal') reject(new Error(`watch child failed: ${m.message}`));
        else if (m.type !== type)
          reject(new Error(`watch child: expected '${type}', got '${m.type}'`));
        else resolve(m as Extract<FromWatchChild, { type: T }>);
      };
      const onExit = (code: number | null): void => {
        clearTimeout(timer);
        reject(new Error(`watch child exited (code ${code}) before '${type}'`));
      };
      const timer = setTimeout(() => {
        this.waiter = undefined;
        this.proc.off('exit', onExit);
        reject(new Error(`watch child: no '${type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.proc.once('exit', onExit);
      const queued = this.inbox.shift();
      if (queued !== undefined) take(queued);
      else this.waiter = take;
    });
  }
}

const wallNow = (): number => performance.timeOrigin + performance.now();
const cpuMs = (a: ProbeSample, b: ProbeSample): number =>
  (b.cpu.user - a.cpu.user + (b.cpu.system - a.cpu.system)) / 1000;

export async function runWatch(profile: Profile, log: Log): Promise<WatchResults> {
  const p = profile.watch;
  const server: ProbedProcess = await startNameServer({
    // One serving process (the owner serves itself): the probe samples only the owner, so with
    // serving workers (the automatic choice on more than 2 cores) the watches would live in
    // processes whose CPU and heap it never sees.
    workers: 1,
    exposeGc: true,
    args: [
      // Holds outlast the run: every answer in a wave is a wakeup, not an expiry.
      '--routeWatchMaxHoldMillis=600000',
      '--serverChannelMaxIdleTimeSeconds=0',
      `--routeWatchMaxWatchers=${p.connections + 100}`,
      // Every watcher connects from 127.0.0.1: above the default 2,000 per address the node
      // closes them at accept and the setup never completes.
      `--maxConnectionsPerAddress=${p.connections + 100}`,
    ],
  });
  const conns: RpcConnection[] = [];
  const connect = async (): Promise<RpcConnection> => {
    const c = await RpcConnection.connect('127.0.0.1', server.port);
    conns.push(c);
    return c;
  };
  let link: ChildLink | undefined;
  try {
    const topics = topicNames('watch', p.topics);
    const keeper = broker('keeper', 1);
    const mover = broker('mover', 2);
    const keeperBody = registerBody(topics, 1, TIMESTAMP);
    const moverFrame = registerFrame(
      mover,
      registerBody(topics.slice(0, p.moverTopics), 1, TIMESTAMP),
      {
        opaque: OPAQUE_BASE,
        heartbeatTimeoutMillis: KEEP_ALIVE_MS,
      },
    );
    const registered = await (
      await connect()
    ).send(
      registerFrame(keeper, keeperBody, {
        opaque: OPAQUE_BASE,
        heartbeatTimeoutMillis: KEEP_ALIVE_MS,
      }),
    );
    if (registered.code !== ResponseCode.SUCCESS)
      throw new Error(`keeper: code ${registered.code}`);
    let moverConn = await connect();
    if ((await moverConn.send(moverFrame)).code !== ResponseCode.SUCCESS) {
      throw new Error('mover registration failed');
    }
    let isMoverRegistered = true;

    const heapBefore = (await server.probe(true)).mem.heapUsed;
    link = new ChildLink(forkTs(CHILD));
    const config: WatchChildConfig = {
      port: server.port,
      connections: p.connections,
      topicsPerWatch: p.topicsPerWatch,
      topics,
      moverTopics: p.moverTopics,
      moverBroker: mover.brokerName,
      holdMillis: 600_000,
    };
    const setupStarted = performance.now();
    link.send({ type: 'start', config });
    const { affected } = await link.next('ready', 120_000);
    const heapHeld = (await server.probe(true)).mem.heapUsed;
    const heapPerWatchBytes = (heapHeld - heapBefore) / p.connections;
    log(
      `watch: ${p.connections} connections × ${p.topicsPerWatch} topics held in ` +
        `${((performance.now() - setupStarted) / 1000).toFixed(1)} s; ${affected} follow the mover's ${p.moverTopics} topics; ` +
        `node heap ${(heapPerWatchBytes / 1024).toFixed(2)} KiB per held watch and connection`,
    );

    const errors: string[] = [];
    const l = link;
    const wave = async (): Promise<WatchWave> => {
      const expectMover = !isMoverRegistered;
      l.send({ type: 'arm', expectMover });
      await l.next('armed', 10_000);
      const p0 = await server.probe();
      const t0 = wallNow();
      if (isMoverRegistered) {
        moverConn.socket.destroy();
      } else {
        moverConn = await connect();
        const resp = await moverConn.send(moverFrame);
        if (resp.code !== ResponseCode.SUCCESS) throw new Error(`mover: code ${resp.code}`);
      }
      isMoverRegistered = !isMoverRegistered;
      const woken = await l.next('woken', 60_000).catch(async (err: unknown) => {
        // Say what the child saw: which watchers were never answered, and any stray answers.
        l.send({ type: 'status' });
        const status = await l.next('status', 5_000).then(
          (m) => m.text,
          () => 'no status from the watch child',
        );
        throw new Error(`${err instanceof Error ? err.message : String(err)}; ${status}`);
      });
      const p1 = await server.probe();
      errors.push(...woken.errors);
      const lat = woken.times.map((t) => t - t0);
      const nodeCpuMs = cpuMs(p0, p1);
      l.send({ type: 'resubscribe' });
      await l.next('ready', 60_000);
      return {
        change: expectMover ? 'mover registered' : 'mover removed',
        woken: woken.times.length,
        allWokenMs: Math.max(...lat),
        p50Ms: exactQuantile(lat, 0.5),
        p99Ms: exactQuantile(lat, 0.99),
        nodeCpuMs,
        cpuPerWakeupUs: (nodeCpuMs * 1000) / Math.max(1, woken.times.length),
        watchersCpuMs: woken.cpuMs,
      };
    };

    const waves: WatchWave[] = [];
    for (let i = 0; i < p.waves; i++) {
      const w = await wave();
      waves.push(w);
      log(
        `watch wave ${i + 1} (${w.change}): ${w.woken} woken, all in ${w.allWokenMs.toFixed(1)} ms ` +
          `(p50 ${w.p50Ms.toFixed(1)}, p99 ${w.p99Ms.toFixed(1)}); node CPU ${w.nodeCpuMs.toFixed(1)} ms = ` +
          `${w.cpuPerWakeupUs.toFixed(1)} µs per wakeup; watcher process CPU ${w.watchersCpuMs.toFixed(0)} ms`,
      );
    }

    // Lookups of topics the mover does not host (their routes never change here).
    const lookupTopics = topics.slice(p.moverTopics, p.moverTopics + p.lookupTopics);
    const probeConn = await connect();
    const requests = lookupTopics.map((t) => routeRequestFrame(t));
    const expectedBodies: Buffer[] = [];
    for (const t of lookupTopics) {
      const resp = await probeConn.send(routeRequestFrame(t));
      if (resp.code !== ResponseCode.SUCCESS || resp.body === null) {
        throw new Error(`lookup of ${t}: code ${resp.code}`);
      }
      expectedBodies.push(resp.body);
    }
    const timing: Timing = { warmupMs: p.lookupWarmupMs, durationMs: p.lookupMs, drainMs: 10_000 };
    const level = { connections: 16, inflight: 1, generators: 1 };
    const lookupsQuiet = await runLevel('node', server, level, timing, requests, expectedBodies);
    let stop = false;
    let wavesDuringLookups = 0;
    const stopTimer = setTimeout(() => (stop = true), timing.warmupMs + timing.durationMs);
    const loop = (async () => {
      await new Promise((r) => setTimeout(r, timing.warmupMs));
      // Bounded in count as well as time.
      for (let i = 0; !stop && i < 1000; i++) {
        await wave();
        wavesDuringLookups++;
      }
    })();
    let lookupsDuringWaves: LevelResult;
    try {
      lookupsDuringWaves = await runLevel('node', server, level, timing, requests, expectedBodies);
    } finally {
      stop = true;
      clearTimeout(stopTimer);
      await loop;
    }
    log(
      `watch: lookups at 16×1 p99 ${(lookupsQuiet.latency.p99Us / 1000).toFixed(2)} ms quiet, ` +
        `${(lookupsDuringWaves.latency.p99Us / 1000).toFixed(2)} ms during ${wavesDuringLookups} waves ` +
        `(${lookupsQuiet.qps.toFixed(0)} vs ${lookupsDuringWaves.qps.toFixed(0)} req/s)`,
    );
    if (errors.length > 0)
      log(`watch: ${errors.length} wrong answers: ${errors.slice(0, 3).join(' | ')}`);
    return {
      connections: p.connections,
      topicsPerWatch: p.topicsPerWatch,
      topics: p.topics,
      moverTopics: p.moverTopics,
      affected,
      heapPerWatchBytes,
      waves,
      allWokenMedianMs: exactQuantile(
        waves.map((w) => w.allWokenMs),
        0.5,
      ),
      cpuPerWakeupMedianUs: exactQuantile(
        waves.map((w) => w.cpuPerWakeupUs),
        0.5,
      ),
      lookupsQuiet,
      lookupsDuringWaves,
      wavesDuringLookups,
      errors,
    };
  } finally {
    if (link !== undefined && link.proc.exitCode === null) {
      link.send({ type: 'stop' });
      const exited = new Promise((r) => link!.proc.once('exit', r));
      const t = setTimeout(() => link!.proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    }
    for (const c of conns) c.destroy();
    await server.stop();
  }
}
