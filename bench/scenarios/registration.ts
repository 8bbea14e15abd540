/**
 * REGISTER_BROKER cost by body size: first registration (new broker, new topics), unchanged
 * re-registration (same DataVersion: the periodic heartbeat) and changed re-registration
 * (DataVersion bumped, same topics). Each registration runs alone on an idle node, bracketed by
 * two probes of the node's own counters, so the event-loop time it cost is measured inside the
 * server rather than inferred from the round trip.
 */
import { exactQuantile } from '../lib/histogram.js';
import { ResponseCode } from '../lib/ns.js';
import { startNameServer } from '../lib/processes.js';
import type { ProbedProcess, ProbeSample } from '../lib/processes.js';
import type { Profile } from '../lib/profile.js';
import { RpcConnection } from '../lib/rpc.js';
import { OPAQUE_BASE, registerBody, registerFrame, topicNames } from '../lib/workload.js';
import type { Log } from '../lib/log.js';

export type RegPhase = 'first' | 'unchanged' | 'changed';

export interface RegSample {
  rttMs: number;
  loopMs: number;
  cpuMs: number;
}

export interface RegRow {
  topics: number;
  phase: RegPhase;
  reps: number;
  bodyBytes: number;
  rttP50Ms: number;
  rttMaxMs: number;
  /** Event-loop active time per registration (probe overhead subtracted), median and max. */
  loopP50Ms: number;
  loopMaxMs: number;
  /** Whole-process CPU (all threads, incl. GC helpers) per registration, median. */
  cpuP50Ms: number;
}

export interface RegistrationResults {
  probeOverheadMs: number;
  rows: RegRow[];
}

const TIMESTAMP = 1_700_000_000_000;

function loopMs(a: ProbeSample, b: ProbeSample): number {
  return b.eluActiveMs - a.eluActiveMs;
}

function cpuMs(a: ProbeSample, b: ProbeSample): number {
  return (b.cpu.user - a.cpu.user + (b.cpu.system - a.cpu.system)) / 1000;
}

async function measureOne(
  server: ProbedProcess,
  conn: RpcConnection,
  frame: Buffer,
): Promise<RegSample> {
  const a = await server.probe();
  const t0 = performance.now();
  const resp = await conn.send(frame, 60_000);
  const rttMs = performance.now() - t0;
  const b = await server.probe();
  if (resp.code !== ResponseCode.SUCCESS) {
    throw new Error(`REGISTER_BROKER failed: code ${resp.code} ${resp.remark ?? ''}`);
  }
  return { rttMs, loopMs: loopMs(a, b), cpuMs: cpuMs(a, b) };
}

export async function runRegistration(profile: Profile, log: Log): Promise<RegistrationResults> {
  const server = await startNameServer();
  log(`registration: node pid ${server.pid}`);
  const conns: RpcConnection[] = [];
  try {
    // What two back-to-back probes cost the loop, to subtract from every bracket.
    const overheads: number[] = [];
    for (let i = 0; i < 7; i++) {
      const a = await server.probe();
      const b = await server.probe();
      overheads.push(loopMs(a, b));
    }
    const probeOverheadMs = exactQuantile(overheads, 0.5);
    const rows: RegRow[] = [];
    for (const { topics: n, reps } of profile.registration.sizes) {
      const samples: Record<RegPhase, RegSample[]> = { first: [], unchanged: [], changed: [] };
      let bodyBytes = 0;
      for (let r = 0; r < reps; r++) {
        // A new broker with its own topics each time, so every "first" is truly first.
        const broker = {
          clusterName: 'RegCluster',
          brokerName: `reg-${n}-${r}`,
          brokerAddr: `10.9.${r}.${n % 250}:10911`,
          haServerAddr: `10.9.${r}.${n % 250}:10912`,
          brokerId: 0,
        };
        const topics = topicNames(`reg${n}-r${r}`, n);
        const body1 = registerBody(topics, 1, TIMESTAMP);
        const body2 = registerBody(topics, 2, TIMESTAMP);
        bodyBytes = body1.length;
        const frame1 = registerFrame(broker, body1, {
          opaque: OPAQUE_BASE,
          heartbeatTimeoutMillis: 600_000,
        });
        const frame2 = registerFrame(broker, body2, {
          opaque: OPAQUE_BASE,
          heartbeatTimeoutMillis: 600_000,
        });
        const conn = await RpcConnection.connect('127.0.0.1', server.port);
        conns.push(conn);
        samples.first.push(await measureOne(server, conn, frame1));
        samples.unchanged.push(await measureOne(server, conn, frame1));
        samples.changed.push(await measureOne(server, conn, frame2));
      }
      for (const phase of ['first', 'unchanged', 'changed'] as const) {
        const s = samples[phase];
        const loops = s.map((x) => Math.max(0, x.loopMs - probeOverheadMs));
        const row: RegRow = {
          topics: n,
          phase,
          reps,
          bodyBytes,
          rttP50Ms: exactQuantile(
            s.map((x) => x.rttMs),
            0.5,
          ),
          rttMaxMs: Math.max(...s.map((x) => x.rttMs)),
          loopP50Ms: exactQuantile(loops, 0.5),
          loopMaxMs: Math.max(...loops),
          cpuP50Ms: exactQuantile(
            s.map((x) => x.cpuMs),
            0.5,
          ),
        };
        rows.push(row);
        log(
          `register ${String(n).padStart(6)} topics ${phase.padEnd(9)} rtt p50 ${row.rttP50Ms.toFixed(1)} ms  ` +
            `loop p50 ${row.loopP50Ms.toFixed(1)} ms (max ${row.loopMaxMs.toFixed(1)})  cpu p50 ${row.cpuP50Ms.toFixed(1)} ms`,
        );
      }
    }
    return { probeOverheadMs, rows };
  } finally {
    for (const c of conns) c.destroy();
    await server.stop();
  }
}
