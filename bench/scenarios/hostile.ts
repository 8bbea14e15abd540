/**
 * Hostile peers (issue 16): what well-behaved clients see while someone who can reach the port
 * attacks the node. One node, one set of well-behaved lookups (GET_ROUTEINFO_BY_TOPIC from a
 * generator process, every answer checked), run once quiet, then once during each attack, then
 * quiet again; lookup p99 and max side by side. Attacks (no credentials needed for any):
 *  - close: many broker names, each in its own cluster, registered without bodies on one
 *    connection, which then closes (again and again);
 *  - churn: broker names registered with a topic, then unregistered or dropped with their
 *    connection, never the same name twice;
 *  - bomb: compressed REGISTER_BROKER bodies (the issue's: 254 KiB that would inflate to 255 MiB),
 *    which the node stops inflating and refuses at maxInflatedRegisterBodyBytes (64 MiB by
 *    default); the smoke profile's 8 MiB bomb is under that limit, so it is inflated whole and
 *    answered as an undecodable body;
 *  - kv: PUT_KV_CONFIG of new keys, pipelined, on a node whose KV table already holds many;
 *  - partial: connections that send part of a large frame and then nothing;
 *  - drip: connections that send a request one byte at a time;
 *  - pipeline: connections that send requests without ever reading an answer.
 * The attacks run in the orchestrator process, the lookups in a generator process, the node in
 * its own: on 2 cores they compete for CPU, as they would on a real small box.
 */
import * as net from 'node:net';
import { deflateSync } from 'node:zlib';
import {
  bodyCrc32,
  createRequest,
  encodeCommand,
  FrameDecoder,
  RequestCode,
  ResponseCode,
  Version,
} from '../lib/ns.js';
import { runLevel } from '../lib/load-runner.js';
import type { LevelResult, LevelSpec, Timing } from '../lib/load-runner.js';
import { startNameServer } from '../lib/processes.js';
import type { ProbedProcess } from '../lib/processes.js';
import type { Profile } from '../lib/profile.js';
import { checkRoute } from '../lib/route-check.js';
import { RpcConnection } from '../lib/rpc.js';
import {
  benchBrokers,
  OPAQUE_BASE,
  registerBody,
  registerFrame,
  routeRequestFrame,
  topicNames,
} from '../lib/workload.js';
import type { Log } from '../lib/log.js';

export interface HostileRun {
  attack: string;
  /** What the attack did, with its sizes. */
  what: string;
  lookups: LevelResult;
  /** Highest node RSS sampled during the run, MiB. */
  nodeRssMaxMiB: number;
  /** Longest event-loop block inside the node during the run, ms (10 ms resolution). */
  nodeLoopDelayMaxMs: number;
  /** Longest garbage-collection pause inside the node during the run, ms. */
  nodeGcPauseMaxMs: number;
  /** Attack counters (requests sent, answered, connections the node closed, …). */
  attackStats: Record<string, number>;
}

export interface HostileResults {
  topics: number;
  level: LevelSpec;
  timing: Timing;
  runs: HostileRun[];
}

const KEEP_ALIVE_MS = 600_000;
const MiB = 1024 * 1024;

/** Sends exact bytes and counts what comes back, never failing on its own. */
class AttackConn {
  readonly socket: net.Socket;
  frames = 0;
  codes = new Map<number, number>();
  isClosed = false;
  private readonly decoder = new FrameDecoder({ maxFrameLength: 64 * MiB });
  private waiters: (() => void)[] = [];

  private constructor(socket: net.Socket, read: boolean) {
    this.socket = socket;
    socket.setNoDelay(true);
    if (read) {
      socket.on('data', (chunk: Buffer) => {
        try {
          for (const f of this.decoder.push(chunk)) {
            this.frames++;
            const hl = f.readUInt32BE(0) & 0xffffff;
            const m = /"code":(-?\d+)/.exec(f.toString('latin1', 4, 4 + Math.min(hl, 200)));
            const code = m === null ? -1 : Number(m[1]);
            this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
          }
        } catch {
          socket.destroy();
        }
        this.wake();
      });
    } else {
      socket.pause();
    }
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.isClosed = true;
      this.wake();
    });
  }

  static open(port: number, read = true): Promise<AttackConn> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => resolve(new AttackConn(socket, read)));
      socket.once('error', reject);
    });
  }

  /** Resolves once `n` frames came back in all, the connection closed, or `stop` resolved. */
  async waitFrames(n: number, stop: Promise<void>): Promise<void> {
    let stopped = false;
    void stop.then(() => {
      stopped = true;
      this.wake();
    });
    while (this.frames < n && !this.isClosed && !stopped) {
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

function request(code: number, extFields: Record<string, string>, body?: Buffer): Buffer {
  return encodeCommand(
    createRequest({
      code,
      opaque: OPAQUE_BASE,
      extFields,
      version: Version.V4_9_7,
      ...(body === undefined ? {} : { body }),
    }),
  );
}

function bodylessRegister(prefix: string, i: number): Buffer {
  return request(RequestCode.REGISTER_BROKER, {
    brokerName: `${prefix}-${i}`,
    brokerAddr: `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}:10911`,
    clusterName: `${prefix}-cluster-${i}`,
    haServerAddr: '',
    brokerId: '0',
    bodyCrc32: '0',
    compressed: 'false',
    heartbeatTimeoutMillis: String(KEEP_ALIVE_MS),
  });
}

/** Resolves on the socket's next 'drain' or 'close', or `stop`; leaves no listener behind. */
function drainOrClose(socket: net.Socket, stop: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
    void stop.then(done);
  });
}

function delay(ms: number, stop: Promise<void>): Promise<void> {
  return Promise.race([new Promise<void>((r) => setTimeout(r, ms)), stop]);
}

interface Attack {
  name: string;
  what: string;
  /** Set-up before the lookups start (not measured). */
  prepare?(port: number): Promise<void>;
  /** Runs until `stop` resolves; returns its counters. */
  run(port: number, stop: Promise<void>, isStopped: () => boolean): Promise<Record<string, number>>;
}

/** Registers `n` bodyless broker names (each in its own cluster) on a new connection. */
async function registerNames(
  port: number,
  prefix: string,
  n: number,
  stop: Promise<void>,
): Promise<AttackConn> {
  const conn = await AttackConn.open(port);
  for (let i = 0; i < n; i += 1000) {
    const frames: Buffer[] = [];
    for (let k = i; k < Math.min(n, i + 1000); k++) frames.push(bodylessRegister(prefix, k));
    conn.socket.write(Buffer.concat(frames));
  }
  await conn.waitFrames(n, stop);
  return conn;
}

function attacks(profile: Profile, bomb: Buffer): Attack[] {
  const h = profile.hostile;
  let preparedClose: AttackConn | null = null;
  return [
    {
      name: 'quadratic close',
      what: `${h.closeNames.toLocaleString('en')} bodyless broker names, each in its own cluster, registered on one connection, which then closes (the first close early in the window, then register and close again)`,
      async prepare(port) {
        preparedClose = await registerNames(
          port,
          'hostile-close-0',
          h.closeNames,
          new Promise(() => undefined),
        );
      },
      async run(port, stop, isStopped) {
        let registered = preparedClose?.frames ?? 0;
        let closes = 0;
        // The first close lands inside the measured window.
        await delay(h.warmupMs + Math.min(500, h.durationMs / 4), stop);
        preparedClose?.destroy();
        preparedClose = null;
        closes++;
        for (let round = 1; !isStopped(); round++) {
          const conn = await registerNames(port, `hostile-close-${round}`, h.closeNames, stop);
          registered += conn.frames;
          conn.destroy();
          closes++;
        }
        return { registered, closes };
      },
    },
    {
      name: 'broker-name churn',
      what: `broker names registered with two topics (JSON body, ${h.churnNamesPerRound} per round), half unregistered, half dropped with their connection; never the same name twice`,
      async run(port, stop, isStopped) {
        let registered = 0;
        let unregistered = 0;
        let round = 0;
        while (!isStopped()) {
          const conn = await AttackConn.open(port);
          const frames: Buffer[] = [];
          const unregisters: Buffer[] = [];
          for (let i = 0; i < h.churnNamesPerRound; i++) {
            const name = `hostile-churn-${round}-${i}`;
            const b = {
              clusterName: `hostile-churn-cluster-${i % 10}`,
              brokerName: name,
              brokerAddr: `10.9.${round & 255}.${i & 255}:${10000 + (i >> 8)}`,
              haServerAddr: '',
              brokerId: 0,
            };
            frames.push(
              registerFrame(b, registerBody([`${name}-t`, 'hostile-churn-shared'], 1, 1), {
                opaque: OPAQUE_BASE,
                heartbeatTimeoutMillis: KEEP_ALIVE_MS,
              }),
            );
            if (i % 2 === 0) {
              unregisters.push(
                request(RequestCode.UNREGISTER_BROKER, {
                  brokerName: b.brokerName,
                  brokerAddr: b.brokerAddr,
                  clusterName: b.clusterName,
                  brokerId: '0',
                }),
              );
            }
          }
          conn.socket.write(Buffer.concat(frames));
          await conn.waitFrames(frames.length, stop);
          registered += conn.frames;
          conn.socket.write(Buffer.concat(unregisters));
          await conn.waitFrames(frames.length + unregisters.length, stop);
          unregistered += conn.frames - frames.length;
          conn.destroy();
          round++;
        }
        return { registered, unregistered, rounds: round };
      },
    },
    {
      name: 'decompression bomb',
      what: `compressed REGISTER_BROKER bodies of ${(bomb.length / 1024).toFixed(0)} KiB that inflate to ${(h.bombInflatedBytes / MiB).toFixed(0)} MiB, one at a time`,
      async run(port, stop, isStopped) {
        const conn = await AttackConn.open(port);
        const frame = request(
          RequestCode.REGISTER_BROKER,
          {
            brokerName: 'hostile-bomb',
            brokerAddr: '10.66.0.1:10911',
            clusterName: 'hostile-bomb',
            haServerAddr: '',
            brokerId: '0',
            bodyCrc32: String(bodyCrc32(bomb)),
            compressed: 'true',
          },
          bomb,
        );
        let sent = 0;
        while (!isStopped() && !conn.isClosed) {
          conn.socket.write(frame);
          sent++;
          await conn.waitFrames(sent, stop);
        }
        conn.destroy();
        return {
          sent,
          answered: conn.frames,
          refused: conn.frames - (conn.codes.get(ResponseCode.SUCCESS) ?? 0),
        };
      },
    },
    {
      name: 'KV put flood',
      what: `PUT_KV_CONFIG of new keys, 32 in flight, on a node whose KV table holds ${h.kvPrefill.toLocaleString('en')} entries at start`,
      async run(port, stop, isStopped) {
        const conn = await AttackConn.open(port);
        let sent = 0;
        while (!isStopped() && !conn.isClosed) {
          const batch: Buffer[] = [];
          for (let k = 0; k < 32; k++) {
            batch.push(
              request(RequestCode.PUT_KV_CONFIG, {
                namespace: 'hostile-kv',
                key: `flood-${sent + k}`,
                value: 'v'.repeat(32),
              }),
            );
          }
          conn.socket.write(Buffer.concat(batch));
          sent += batch.length;
          await conn.waitFrames(sent, stop);
        }
        conn.destroy();
        return { sent, acknowledged: conn.codes.get(ResponseCode.SUCCESS) ?? 0 };
      },
    },
    {
      name: 'partial-frame flood',
      what: `${h.partialConnections} connections, each sending ${(h.partialBytes / 1024).toFixed(0)} KiB of a frame that claims 16 MiB, then nothing (reopened when closed)`,
      async run(port, stop, isStopped) {
        const head = Buffer.alloc(8);
        head.writeInt32BE(16 * MiB - 16, 0);
        head.writeUInt32BE(64, 4);
        const piece = Buffer.concat([head, Buffer.alloc(h.partialBytes - 8, 0x20)]);
        const open = new Set<AttackConn>();
        let opened = 0;
        let closedByNode = 0;
        while (!isStopped()) {
          while (open.size < h.partialConnections && !isStopped()) {
            const c = await AttackConn.open(port, false).catch(() => null);
            if (c === null) break;
            opened++;
            open.add(c);
            c.socket.write(piece);
            c.socket.once('close', () => {
              open.delete(c);
              if (!isStopped()) closedByNode++;
            });
          }
          await delay(100, stop);
        }
        const held = open.size;
        for (const c of open) c.destroy();
        return { opened, closedByNode, heldAtEnd: held };
      },
    },
    {
      name: 'slow drip',
      what: `${h.dripConnections} connections, each sending route requests one byte every ${h.dripIntervalMs} ms`,
      async run(port, stop, isStopped) {
        const frame = routeRequestFrame('hostile-drip');
        let bytes = 0;
        let closedByNode = 0;
        const conns: AttackConn[] = [];
        for (let c = 0; c < h.dripConnections; c++) {
          const conn = await AttackConn.open(port).catch(() => null);
          if (conn !== null) conns.push(conn);
        }
        let at = 0;
        while (!isStopped()) {
          for (const conn of conns) {
            if (conn.isClosed) continue;
            conn.socket.write(frame.subarray(at, at + 1));
            bytes++;
          }
          at = (at + 1) % frame.length;
          await delay(h.dripIntervalMs, stop);
        }
        let answered = 0;
        for (const conn of conns) {
          answered += conn.frames;
          if (conn.isClosed) closedByNode++;
          conn.destroy();
        }
        return { connections: conns.length, bytes, answered, closedByNode };
      },
    },
    {
      name: 'pipelined request flood',
      what: `${h.pipelineConnections} connections writing route requests as fast as the socket takes them, never reading an answer (reopened when closed)`,
      async run(port, stop, isStopped) {
        const frame = routeRequestFrame('bench-topic-000000');
        const batch = Buffer.concat(Array.from({ length: 256 }, () => frame));
        let written = 0;
        let opened = 0;
        let closedByNode = 0;
        const one = async (): Promise<void> => {
          while (!isStopped()) {
            const conn = await AttackConn.open(port, false).catch(() => null);
            if (conn === null) return;
            opened++;
            while (!isStopped() && !conn.isClosed) {
              written += 256;
              if (!conn.socket.write(batch)) {
                // The node stopped reading: wait (it may also close us).
                await drainOrClose(conn.socket, stop);
              }
            }
            if (conn.isClosed && !isStopped()) closedByNode++;
            conn.destroy();
          }
        };
        await Promise.all(Array.from({ length: h.pipelineConnections }, one));
        return { opened, requestsWritten: written, closedByNode };
      },
    },
  ];
}

/**
 * Samples the node every 250 ms until `stop`: the highest RSS (MiB) and the longest event-loop
 * block (ms, measured inside the node) over the run.
 */
async function sampleNode(
  server: ProbedProcess,
  stop: Promise<void>,
): Promise<{ rssMaxMiB: number; loopDelayMaxMs: number; gcPauseMaxMs: number }> {
  let rssMaxMiB = 0;
  let loopDelayMaxMs = 0;
  let gcPauseMaxMs = 0;
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  // Start the node's loop-delay window here.
  await server.probe(false, 30_000, true).catch(() => undefined);
  for (;;) {
    await delay(250, stop);
    try {
      const p = await server.probe(false, 30_000, true);
      rssMaxMiB = Math.max(rssMaxMiB, p.mem.rss / MiB);
      loopDelayMaxMs = Math.max(loopDelayMaxMs, p.loopDelayMaxMs);
      gcPauseMaxMs = Math.max(gcPauseMaxMs, p.gcPauseMaxMs);
    } catch {
      break;
    }
    if (stopped) break;
  }
  return { rssMaxMiB, loopDelayMaxMs, gcPauseMaxMs };
}

function kvConfigJson(entries: number): string {
  const table: Record<string, string> = {};
  for (let i = 0; i < entries; i++) table[`prefill-${i}`] = `value-${i}`;
  return JSON.stringify({ configTable: { 'hostile-kv': table } });
}

export async function runHostile(profile: Profile, log: Log): Promise<HostileResults> {
  const h = profile.hostile;
  const server = await startNameServer({ kvConfigJson: kvConfigJson(h.kvPrefill) });
  const conns: RpcConnection[] = [];
  try {
    // The well-behaved side: two broker groups holding the topics the clients look up.
    const brokers = benchBrokers(1, 2, true, 'hostile-good');
    const topics = topicNames('bench-topic', h.topics);
    const body = registerBody(topics, 1, 1_700_000_000_000);
    for (const b of brokers) {
      const conn = await RpcConnection.connect('127.0.0.1', server.port);
      conns.push(conn);
      const resp = await conn.send(
        registerFrame(b, body, { opaque: OPAQUE_BASE, heartbeatTimeoutMillis: KEEP_ALIVE_MS }),
      );
      if (resp.code !== ResponseCode.SUCCESS)
        throw new Error(`register ${b.brokerName}: ${resp.code}`);
    }
    const check = await RpcConnection.connect('127.0.0.1', server.port);
    conns.push(check);
    const sample = topics.slice(0, 64);
    const requests: Buffer[] = [];
    const expectedBodies: Buffer[] = [];
    for (const t of sample) {
      const req = routeRequestFrame(t);
      expectedBodies.push(checkRoute(t, await check.send(Buffer.from(req)), brokers));
      requests.push(req);
    }
    const timing: Timing = { warmupMs: h.warmupMs, durationMs: h.durationMs, drainMs: 60_000 };
    const level: LevelSpec = { ...h.lookup, generators: 1 };
    const quiet: Attack = {
      name: 'quiet',
      what: 'no attack',
      run: () => Promise.resolve({}),
    };
    const runs: HostileRun[] = [];
    const bomb = buildBomb(h.bombInflatedBytes);
    for (const attack of [quiet, ...attacks(profile, bomb), { ...quiet, name: 'quiet (after)' }]) {
      if (!server.isRunning) throw new Error(`the node exited before "${attack.name}"`);
      await attack.prepare?.(server.port);
      let stopped = false;
      let signal = (): void => undefined;
      const stop = new Promise<void>((r) => {
        signal = r;
      });
      const attackDone = attack.run(server.port, stop, () => stopped);
      const sampled = sampleNode(server, stop);
      let lookups: LevelResult;
      try {
        lookups = await runLevel('node', server, level, timing, requests, expectedBodies, {
          recordDrain: true,
        });
      } finally {
        stopped = true;
        signal();
      }
      const attackStats = await attackDone;
      const node = await sampled;
      const run: HostileRun = {
        attack: attack.name,
        what: attack.what,
        lookups,
        nodeRssMaxMiB: node.rssMaxMiB,
        nodeLoopDelayMaxMs: node.loopDelayMaxMs,
        nodeGcPauseMaxMs: node.gcPauseMaxMs,
        attackStats,
      };
      runs.push(run);
      log(
        `hostile ${attack.name.padEnd(24)} lookups ${lookups.qps.toFixed(0).padStart(6)} req/s  ` +
          `p99 ${(lookups.latency.p99Us / 1000).toFixed(2)} ms  max ${(lookups.latency.maxUs / 1000).toFixed(1)} ms  ` +
          `errors ${lookups.errorCount}  node loop block ≤ ${run.nodeLoopDelayMaxMs.toFixed(0)} ms ` +
          `(gc ≤ ${run.nodeGcPauseMaxMs.toFixed(0)} ms)  ` +
          `rss ≤ ${run.nodeRssMaxMiB.toFixed(0)} MiB  ${JSON.stringify(attackStats)}`,
      );
      // Let the node finish what the attack left queued before the next run.
      await new Promise((r) => setTimeout(r, 500));
    }
    return { topics: h.topics, level, timing, runs };
  } finally {
    for (const c of conns) c.destroy();
    await server.stop();
  }
}

/** The compressed bomb: zeros deflate about 1,000:1. Built once per run (it takes a second). */
export function buildBomb(inflatedBytes: number): Buffer {
  return deflateSync(Buffer.alloc(inflatedBytes), { level: 9 });
}
