/**
 * Partial-frame flood against a node with default settings (issue 12, "Limits"): a separate
 * attacker process opens `connections` connections from four loopback addresses, each announcing
 * a 16 MiB frame and sending 15 MiB of it (and, with `reconnect`, opening a connection again
 * whenever the node closes one), for `durationMs`. Meanwhile a well-behaved client asks the node
 * for a route every `probeIntervalMs`, checking every answer, and the node's resident memory is
 * sampled from /proc/<pid>/status.
 *
 * Measured: the node's peak RSS (sampled, and VmHWM), the probes' latency percentiles, probes
 * that failed (wrong answer, error, 5 s timeout), and what the attacker saw (connections
 * opened and closed by the node). Before the defences, 400 such connections took a node to
 * 5.1 GiB and a probe timed out.
 *
 * Linux only (/proc and the 127.0.0.x source addresses of the loopback interface).
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Histogram } from '../lib/histogram.js';
import type { LatencySummary } from '../lib/histogram.js';
import type { Log } from '../lib/log.js';
import { startNameServer } from '../lib/processes.js';
import type { ProbedProcess } from '../lib/processes.js';
import { routeBrokerNames } from '../lib/route-check.js';
import { RpcConnection } from '../lib/rpc.js';
import { OPAQUE_BASE, registerBody, registerFrame, routeRequestFrame } from '../lib/workload.js';

export interface FloodProfile {
  connections: number;
  /** Bytes each connection sends of its announced frame. */
  sendBytes: number;
  durationMs: number;
  probeIntervalMs: number;
  reconnect: boolean;
  /**
   * Keep the flood going at least this long after the attacker has opened its whole first wave
   * (its `connected` message), so that every first-wave frame reaches the frame deadline within
   * the run even when the machine is slow to open 2,000 connections. At most 3 × durationMs in all.
   */
  minAfterConnectedMs?: number;
}

export interface AttackerStats {
  opened: number;
  closedByNode: number;
  completedSends: number;
  bytesWritten: number;
  open: number;
  connectErrors: number;
}

export interface FloodResults {
  connections: number;
  sendMiB: number;
  announcedMiB: number;
  durationMs: number;
  reconnect: boolean;
  /** RSS of the node before the flood. */
  baselineRssMiB: number;
  /** Highest RSS sampled (every 50 ms) during the flood. */
  peakRssMiB: number;
  /** The kernel's high-water mark of the node's RSS (VmHWM) at the end. */
  hwmRssMiB: number;
  probes: number;
  probeFailures: number;
  probeFailureSamples: string[];
  latency: LatencySummary;
  attacker: AttackerStats;
  /** The node still answered after the flood stopped. */
  answersAfter: boolean;
  /** Share of the flood's wall time the node's event loop was busy (event-loop utilization). */
  nodeEventLoopBusy: number;
  /** CPU seconds the node used during the flood, per wall second (1 = one core). */
  nodeCpuPerSec: number;
}

/** The largest frame a default node accepts: 16 MiB including the 4-byte length field. */
const ANNOUNCED_LENGTH = 16 * 1024 * 1024 - 4;
const SOURCE_ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
const TOPIC = 'flood-topic';
const ATTACKER = new URL('../lib/flood-attacker.mjs', import.meta.url);
const PROBE_TIMEOUT_MS = 5000;

function rssMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = new RegExp(`${field}:\\s+(\\d+)\\s+kB`).exec(status)?.[1];
  return kb === undefined ? NaN : Number(kb) / 1024;
}

async function registerBroker(node: ProbedProcess): Promise<RpcConnection> {
  const broker = await RpcConnection.connect('127.0.0.1', node.port);
  const spec = {
    clusterName: 'FloodCluster',
    brokerName: 'flood-broker',
    brokerAddr: '10.9.0.1:10911',
    haServerAddr: '10.9.0.1:10912',
    brokerId: 0,
  };
  // Two topics: a 5.x-rules node refuses a first registration carrying exactly one topic.
  const res = await broker.send(
    registerFrame(spec, registerBody([TOPIC, `${TOPIC}-2`], 1, 1_700_000_000_000), {
      opaque: OPAQUE_BASE,
    }),
  );
  if (res.code !== 0) throw new Error(`flood: registration failed with code ${res.code}`);
  return broker;
}

export async function runFlood(profile: FloodProfile, log: Log): Promise<FloodResults> {
  const node = await startNameServer();
  const attacker = { stats: null as AttackerStats | null };
  let broker: RpcConnection | undefined;
  let prober: RpcConnection | undefined;
  try {
    broker = await registerBroker(node);
    prober = await RpcConnection.connect('127.0.0.1', node.port);
    const frame = routeRequestFrame(TOPIC);
    const failures: string[] = [];
    let failureCount = 0;
    const slowBySecond = new Map<number, number>();
    let floodStart = 0;
    const probe = async (h: Histogram | null): Promise<void> => {
      const started = performance.now();
      try {
        const res = await prober!.send(frame, PROBE_TIMEOUT_MS);
        if (!routeBrokerNames(res).has('flood-broker')) {
          throw new Error(`code ${res.code}, no flood-broker in the route`);
        }
        const ms = performance.now() - started;
        h?.record(ms * 1000);
        if (h !== null && ms > 10) {
          const sec = Math.floor((started - floodStart) / 1000);
          slowBySecond.set(sec, (slowBySecond.get(sec) ?? 0) + 1);
        }
      } catch (err) {
        failureCount++;
        if (failures.length < 5) failures.push(err instanceof Error ? err.message : String(err));
      }
    };
    for (let i = 0; i < 200; i++) await probe(null); // warm-up
    if (failureCount > 0) throw new Error(`flood: probes failed before the flood: ${failures[0]}`);
    const baselineRssMiB = rssMiB(node.pid, 'VmRSS');
    log(
      `flood: ${profile.connections} connections × ${(profile.sendBytes / 1048576).toFixed(0)} MiB of a 16 MiB frame for ${profile.durationMs} ms${profile.reconnect ? ', reconnecting' : ''}; node RSS ${baselineRssMiB.toFixed(0)} MiB before`,
    );

    const child = fork(
      fileURLToPath(ATTACKER),
      [
        JSON.stringify({
          port: node.port,
          connections: profile.connections,
          sendBytes: profile.sendBytes,
          announcedLength: ANNOUNCED_LENGTH,
          addresses: SOURCE_ADDRESSES,
          reconnect: profile.reconnect,
        }),
      ],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let connectedAt: number | undefined;
    child.on('message', (m: { type?: string } & AttackerStats) => {
      if (m.type === 'stats' || m.type === 'connected') attacker.stats = m;
      if (m.type === 'connected') connectedAt = performance.now();
    });

    const before = await node.probe();
    const wallStart = performance.now();
    let peakRssMiB = baselineRssMiB;
    const sampler = setInterval(() => {
      try {
        peakRssMiB = Math.max(peakRssMiB, rssMiB(node.pid, 'VmRSS'));
      } catch {
        // the node is gone: the probes will say so
      }
    }, 50);
    const histogram = new Histogram();
    floodStart = performance.now();
    const until = performance.now() + profile.durationMs;
    const hardStop = performance.now() + 3 * profile.durationMs;
    const minAfterConnected = profile.minAfterConnectedMs ?? 0;
    const going = (): boolean => {
      const now = performance.now();
      if (now < until) return true;
      if (minAfterConnected === 0 || now >= hardStop) return false;
      return connectedAt === undefined || now < connectedAt + minAfterConnected;
    };
    let probes = 0;
    while (going()) {
      await probe(histogram);
      probes++;
      await new Promise((r) => setTimeout(r, profile.probeIntervalMs));
    }
    clearInterval(sampler);
    peakRssMiB = Math.max(peakRssMiB, rssMiB(node.pid, 'VmRSS'));
    const hwmRssMiB = rssMiB(node.pid, 'VmHWM');
    const after = await node.probe();
    log(
      `flood: node memory at the end: heap ${(after.mem.heapUsed / 1048576).toFixed(0)} MiB, ` +
        `array buffers ${(after.mem.arrayBuffers / 1048576).toFixed(0)} MiB`,
    );
    const wallSec = (performance.now() - wallStart) / 1000;
    const active = after.eluActiveMs - before.eluActiveMs;
    const idle = after.eluIdleMs - before.eluIdleMs;
    const nodeEventLoopBusy = active / Math.max(1, active + idle);
    const nodeCpuPerSec =
      (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1e6 / wallSec;
    child.send({ type: 'stop' });
    await exited;
    let answersAfter = true;
    try {
      const res = await prober.send(frame, PROBE_TIMEOUT_MS);
      answersAfter = routeBrokerNames(res).has('flood-broker');
    } catch {
      answersAfter = false;
    }
    const latency = histogram.summary();
    if (slowBySecond.size > 0) {
      log(
        `flood: lookups over 10 ms by second of the flood: ${[...slowBySecond].map(([sec, n]) => `${sec}s:${n}`).join(' ')}`,
      );
    }
    const stats = attacker.stats ?? {
      opened: 0,
      closedByNode: 0,
      completedSends: 0,
      bytesWritten: 0,
      open: 0,
      connectErrors: 0,
    };
    log(
      `flood: node RSS peak ${peakRssMiB.toFixed(0)} MiB (VmHWM ${hwmRssMiB.toFixed(0)} MiB); ` +
        `${probes} probes, ${failureCount} failed, p50 ${(latency.p50Us / 1000).toFixed(2)} ms, ` +
        `p99 ${(latency.p99Us / 1000).toFixed(2)} ms, max ${(latency.maxUs / 1000).toFixed(1)} ms; ` +
        `attacker opened ${stats.opened}, ${stats.closedByNode} closed by the node, ` +
        `${stats.completedSends} sent all ${(profile.sendBytes / 1048576).toFixed(0)} MiB, ` +
        `${(stats.bytesWritten / 1048576).toFixed(0)} MiB written; node event loop busy ` +
        `${(nodeEventLoopBusy * 100).toFixed(0)} %, ${nodeCpuPerSec.toFixed(2)} CPU s/s`,
    );
    return {
      connections: profile.connections,
      sendMiB: profile.sendBytes / 1048576,
      announcedMiB: (ANNOUNCED_LENGTH + 4) / 1048576,
      durationMs: Math.round(wallSec * 1000),
      reconnect: profile.reconnect,
      baselineRssMiB,
      peakRssMiB,
      hwmRssMiB,
      probes,
      probeFailures: failureCount,
      probeFailureSamples: failures,
      latency,
      attacker: stats,
      answersAfter,
      nodeEventLoopBusy,
      nodeCpuPerSec,
    };
  } finally {
    prober?.destroy();
    broker?.destroy();
    await node.stop();
  }
}
