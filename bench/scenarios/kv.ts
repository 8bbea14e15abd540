/**
 * KV config writes (issue 16 item 4): what a PUT_KV_CONFIG costs the event loop of the process
 * that serves clients, on a node (servingWorkers = 1, so the registry owner and the serving side
 * share that loop) whose KV table already holds N entries.
 *
 * Per size: the kvConfig.json is written with N entries before the node starts; then, on one
 * connection, one request at a time: GET_KV_CONFIG (the floor: a request that touches no file),
 * PUT_KV_CONFIG of new keys, GET_KV_CONFIG again with a pause of the put's median round trip
 * between requests (a request reaching a loop that idled in between runs with cold caches and
 * costs more; this is the fair floor for the put), and DELETE_KV_CONFIG of missing keys. The node's own event-loop
 * utilization and main-thread CPU time (the probe, lib/probe.mjs) before and after each phase
 * give its loop's active time and its main thread's CPU per request (helper threads, such as
 * the KV persistence thread, are not counted: they do not hold up lookups); the round trip is what the admin tool sees (it includes the disk). Every response
 * is checked, and the file on disk is read back at the end: every put must be in it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequest, encodeCommand, RequestCode, ResponseCode, Version } from '../lib/ns.js';
import { startNameServer } from '../lib/processes.js';
import type { ProbedProcess } from '../lib/processes.js';
import type { Profile } from '../lib/profile.js';
import { RpcConnection } from '../lib/rpc.js';
import { OPAQUE_BASE } from '../lib/workload.js';
import type { Log } from '../lib/log.js';

export interface KvPhase {
  requests: number;
  /**
   * The node's event-loop active time per request (ms): its loop was not waiting for events. On
   * a busy machine this includes time the loop was ready but waiting for a core.
   */
  loopMsPerRequest: number;
  /** CPU time of the node's main thread per request (ms; /proc, 10 ms ticks over the phase). */
  mainThreadCpuMsPerRequest: number | null;
  roundTripMedianMs: number;
  roundTripP90Ms: number;
}

export interface KvSizeResult {
  entries: number;
  get: KvPhase;
  /**
   * GET_KV_CONFIG again, pausing the put's median round trip between requests: what a request
   * costs a loop that idles between requests (cold caches), the fair floor for the put.
   */
  getPaced: KvPhase;
  put: KvPhase;
  deleteMissing: KvPhase;
}

export interface KvResults {
  sizes: KvSizeResult[];
}

const NAMESPACE = 'BENCH_KV';

function kvFrame(code: number, extFields: Record<string, string>): Buffer {
  return encodeCommand(
    createRequest({ code, opaque: OPAQUE_BASE, extFields, version: Version.V4_9_7 }),
  );
}

/** Java's kvConfig.json with `n` entries in one namespace. */
function kvFile(n: number): string {
  const table: Record<string, string> = {};
  for (let i = 0; i < n; i++)
    table[`preloaded-key-${i}`] = `preloaded-value-${i}-${'x'.repeat(24)}`;
  return JSON.stringify({ configTable: { [NAMESPACE]: table } });
}

const cpu = (p: KvPhase): string => p.mainThreadCpuMsPerRequest?.toFixed(3) ?? '–';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

async function phase(
  server: ProbedProcess,
  conn: RpcConnection,
  requests: number,
  frameOf: (i: number) => Buffer,
  expectCode: (i: number) => number,
  what: string,
  pauseMs = 0,
): Promise<KvPhase> {
  const times: number[] = [];
  const before = await server.probe();
  for (let i = 0; i < requests; i++) {
    if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    const t0 = performance.now();
    const resp = await conn.send(frameOf(i));
    times.push(performance.now() - t0);
    if (resp.code !== expectCode(i)) {
      throw new Error(`${what} #${i}: code ${resp.code} (${resp.remark ?? ''})`);
    }
  }
  const after = await server.probe();
  times.sort((a, b) => a - b);
  return {
    requests,
    loopMsPerRequest: (after.eluActiveMs - before.eluActiveMs) / requests,
    mainThreadCpuMsPerRequest:
      after.mainThreadCpuMs === null || before.mainThreadCpuMs === null
        ? null
        : (after.mainThreadCpuMs - before.mainThreadCpuMs) / requests,
    roundTripMedianMs: percentile(times, 0.5),
    roundTripP90Ms: percentile(times, 0.9),
  };
}

export async function runKv(profile: Profile, log: Log): Promise<KvResults> {
  const sizes: KvSizeResult[] = [];
  for (const entries of profile.kv.entries) {
    const dir = mkdtempSync(join(tmpdir(), 'ns-bench-kv-'));
    const path = join(dir, 'kvConfig.json');
    writeFileSync(path, kvFile(entries));
    const server = await startNameServer({ workers: 1, kvConfigPath: path });
    let conn: RpcConnection | undefined;
    try {
      conn = await RpcConnection.connect('127.0.0.1', server.port);
      const n = profile.kv.requests;
      // Warm-up: the first requests compile the handlers.
      for (let i = 0; i < 20; i++) {
        await conn.send(kvFrame(RequestCode.GET_KV_CONFIG, { namespace: NAMESPACE, key: 'x' }));
      }
      const get = await phase(
        server,
        conn,
        n,
        (i) =>
          kvFrame(RequestCode.GET_KV_CONFIG, {
            namespace: NAMESPACE,
            key: `preloaded-key-${i % entries}`,
          }),
        () => ResponseCode.SUCCESS,
        'GET_KV_CONFIG',
      );
      const put = await phase(
        server,
        conn,
        n,
        (i) =>
          kvFrame(RequestCode.PUT_KV_CONFIG, {
            namespace: NAMESPACE,
            key: `bench-put-${i}`,
            value: `v${i}`,
          }),
        () => ResponseCode.SUCCESS,
        'PUT_KV_CONFIG',
      );
      const getPaced = await phase(
        server,
        conn,
        n,
        (i) =>
          kvFrame(RequestCode.GET_KV_CONFIG, {
            namespace: NAMESPACE,
            key: `preloaded-key-${i % entries}`,
          }),
        () => ResponseCode.SUCCESS,
        'GET_KV_CONFIG (paced)',
        put.roundTripMedianMs,
      );
      const deleteMissing = await phase(
        server,
        conn,
        n,
        (i) => kvFrame(RequestCode.DELETE_KV_CONFIG, { namespace: NAMESPACE, key: `absent-${i}` }),
        () => ResponseCode.SUCCESS,
        'DELETE_KV_CONFIG',
      );
      // Every acknowledged put is on disk.
      const file = JSON.parse(readFileSync(path, 'utf8')) as {
        configTable: Record<string, Record<string, string>>;
      };
      const onDisk = file.configTable[NAMESPACE] ?? {};
      for (let i = 0; i < n; i++) {
        if (onDisk[`bench-put-${i}`] !== `v${i}`) {
          throw new Error(`acknowledged put bench-put-${i} is not in ${path}`);
        }
      }
      const result: KvSizeResult = { entries, get, getPaced, put, deleteMissing };
      sizes.push(result);
      log(
        `kv ${entries} entries: loop ms per request get ${get.loopMsPerRequest.toFixed(3)}, ` +
          `get paced ${getPaced.loopMsPerRequest.toFixed(3)}, ` +
          `put ${put.loopMsPerRequest.toFixed(3)}, delete-missing ${deleteMissing.loopMsPerRequest.toFixed(3)}; ` +
          `main-thread CPU ms per request get ${cpu(get)}, get paced ${cpu(getPaced)}, put ${cpu(put)}, delete-missing ${cpu(deleteMissing)}; ` +
          `round trip median get ${get.roundTripMedianMs.toFixed(2)}, put ${put.roundTripMedianMs.toFixed(2)}, ` +
          `delete-missing ${deleteMissing.roundTripMedianMs.toFixed(2)} ms`,
      );
    } finally {
      conn?.socket.destroy();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { sizes };
}
