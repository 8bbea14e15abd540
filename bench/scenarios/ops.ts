/**
 * The operator's views on a large table: `topics` topics × `groups` broker groups (masters).
 *
 * - Route digest: node CPU time (process.cpuUsage through the probe) of the first GET /digest,
 *   which builds the digest of the whole table, as a share of the CPU the registrations that
 *   filled the table took; then of a /digest after one group's write permission was wiped
 *   (every topic of that group changed) and of a /digest with nothing changed.
 * - HTTP: the console's requests (a page of topics, a search, the digest, the full list the
 *   console never asks for) timed side by side with /healthz in interleaved rounds, so the
 *   ratio to /healthz is what the view itself costs on this machine.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createRequest, encodeCommand, RequestCode, ResponseCode } from '../lib/ns.js';
import { startNameServer } from '../lib/processes.js';
import type { ProbedProcess } from '../lib/processes.js';
import type { Profile } from '../lib/profile.js';
import { RpcConnection } from '../lib/rpc.js';
import {
  benchBrokers,
  OPAQUE_BASE,
  registerBody,
  registerFrame,
  topicNames,
} from '../lib/workload.js';
import type { Log } from '../lib/log.js';

export interface OpsHttpCase {
  path: string;
  bytes: number;
  medianMs: number;
  p90Ms: number;
  /** median / median of /healthz measured in the same rounds. */
  vsHealthz: number;
}

export interface OpsResults {
  topics: number;
  groups: number;
  registrationCpuMs: number;
  firstDigestCpuMs: number;
  /** firstDigestCpuMs / registrationCpuMs. */
  firstDigestVsRegistration: number;
  changedGroupDigestCpuMs: number;
  unchangedDigestCpuMs: number;
  http: OpsHttpCase[];
}

function cpuMs(p: { cpu: { user: number; system: number } }): number {
  return (p.cpu.user + p.cpu.system) / 1000;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Node CPU spent serving one GET (probe before and after; the probe itself is tiny). */
async function cpuOf(server: ProbedProcess, url: string): Promise<number> {
  const before = cpuMs(await server.probe());
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`ops: GET ${url}: HTTP ${res.status}`);
  await res.arrayBuffer();
  return cpuMs(await server.probe()) - before;
}

export async function runOps(profile: Profile, log: Log): Promise<OpsResults> {
  const { topics: n, groups, rounds } = profile.ops;
  const httpPort = await freePort();
  const server = await startNameServer({
    args: [`--httpPort=${httpPort}`, '--httpBindAddress=127.0.0.1'],
  });
  const base = `http://127.0.0.1:${httpPort}`;
  const conns: RpcConnection[] = [];
  try {
    const brokers = benchBrokers(1, groups, false, 'ops');
    const topics = topicNames('ops-topic', n);
    const body = registerBody(topics, 1, 1_700_000_000_000);
    const beforeRegistration = cpuMs(await server.probe());
    for (const b of brokers) {
      const conn = await RpcConnection.connect('127.0.0.1', server.port);
      conns.push(conn);
      const resp = await conn.send(
        registerFrame(b, body, { opaque: OPAQUE_BASE, heartbeatTimeoutMillis: 600_000 }),
        120_000,
      );
      if (resp.code !== ResponseCode.SUCCESS) throw new Error(`ops: register: code ${resp.code}`);
    }
    const registrationCpuMs = cpuMs(await server.probe()) - beforeRegistration;
    const firstDigestCpuMs = await cpuOf(server, `${base}/digest`);
    const unchangedDigestCpuMs = await cpuOf(server, `${base}/digest`);
    const wipe = await conns[0]!.send(
      encodeCommand(
        createRequest({
          code: RequestCode.WIPE_WRITE_PERM_OF_BROKER,
          opaque: OPAQUE_BASE + 1,
          extFields: { brokerName: brokers[0]!.brokerName },
        }),
      ),
      30_000,
    );
    if (wipe.code !== ResponseCode.SUCCESS) throw new Error(`ops: wipe: code ${wipe.code}`);
    const changedGroupDigestCpuMs = await cpuOf(server, `${base}/digest`);

    const needle = topics[Math.floor(n * 0.6)]!.slice(-5);
    const paths = [
      '/healthz',
      '/topics?q=&offset=0&limit=100',
      `/topics?q=${needle}&offset=0&limit=100`,
      // ops-topic-01xxxx: a broad search (a fifth of the table), a page deep into its result.
      `/topics?q=topic-01&offset=${Math.floor(n / 20)}&limit=100`,
      '/digest',
      '/brokers',
      '/topics',
    ];
    const times = new Map<string, number[]>(paths.map((p) => [p, []]));
    const bytes = new Map<string, number>();
    for (let r = 0; r < rounds; r++) {
      for (const p of paths) {
        const t0 = performance.now();
        const res = await fetch(base + p);
        const len = (await res.arrayBuffer()).byteLength;
        times.get(p)!.push(performance.now() - t0);
        if (res.status !== 200) throw new Error(`ops: GET ${p}: HTTP ${res.status}`);
        bytes.set(p, len);
      }
    }
    const pct = (xs: number[], q: number): number => {
      const s = [...xs].sort((a, b) => a - b);
      return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
    };
    const healthz = pct(times.get('/healthz')!, 0.5);
    const http = paths.map((p) => ({
      path: p,
      bytes: bytes.get(p)!,
      medianMs: pct(times.get(p)!, 0.5),
      p90Ms: pct(times.get(p)!, 0.9),
      vsHealthz: pct(times.get(p)!, 0.5) / healthz,
    }));
    const res: OpsResults = {
      topics: n,
      groups,
      registrationCpuMs,
      firstDigestCpuMs,
      firstDigestVsRegistration: firstDigestCpuMs / registrationCpuMs,
      changedGroupDigestCpuMs,
      unchangedDigestCpuMs,
      http,
    };
    log(
      `ops ${n} topics × ${groups} groups: first digest ${firstDigestCpuMs.toFixed(0)} ms CPU ` +
        `(${(res.firstDigestVsRegistration * 100).toFixed(0)} % of the registrations' ${registrationCpuMs.toFixed(0)} ms), ` +
        `after a group changed ${changedGroupDigestCpuMs.toFixed(0)} ms, unchanged ${unchangedDigestCpuMs.toFixed(1)} ms; ` +
        http.map((h) => `${h.path} ${h.medianMs.toFixed(1)} ms`).join(', '),
    );
    return res;
  } finally {
    for (const c of conns) c.destroy();
    await server.stop();
  }
}
