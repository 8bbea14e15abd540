/**
 * Memory of a node holding `topics` topics × `groups` broker groups (masters only: slaves add
 * no (topic, broker) entries). The node runs with --expose-gc and reports process.memoryUsage()
 * after two full GCs, before and after the registrations, and again after every topic's route
 * was looked up once (which fills any route cache).
 */
import { ResponseCode } from '../lib/ns.js';
import { startNameServer } from '../lib/processes.js';
import type { ProbeSample } from '../lib/processes.js';
import type { Profile } from '../lib/profile.js';
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

export interface MemoryPoint {
  rssMiB: number;
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
}

export interface MemoryResults {
  topics: number;
  groups: number;
  entries: number;
  empty: MemoryPoint;
  registered: MemoryPoint;
  afterLookups: MemoryPoint;
  heapBytesPerEntry: number;
  heapBytesPerEntryAfterLookups: number;
  rssBytesPerEntry: number;
}

const MiB = 1024 * 1024;

function point(p: ProbeSample): MemoryPoint {
  return {
    rssMiB: p.mem.rss / MiB,
    heapUsedMiB: p.mem.heapUsed / MiB,
    heapTotalMiB: p.mem.heapTotal / MiB,
    externalMiB: p.mem.external / MiB,
  };
}

export async function runMemory(profile: Profile, log: Log): Promise<MemoryResults> {
  const { topics: n, groups } = profile.memory;
  const server = await startNameServer({ exposeGc: true });
  const conns: RpcConnection[] = [];
  try {
    const empty = await server.probe(true);
    if (!empty.hasGc) throw new Error('memory probe: the node runs without --expose-gc');
    const brokers = benchBrokers(2, groups / 2, false, 'mem');
    const topics = topicNames('mem-topic', n);
    const body = registerBody(topics, 1, 1_700_000_000_000);
    for (const b of brokers) {
      const conn = await RpcConnection.connect('127.0.0.1', server.port);
      conns.push(conn);
      const resp = await conn.send(
        registerFrame(b, body, { opaque: OPAQUE_BASE, heartbeatTimeoutMillis: 600_000 }),
        120_000,
      );
      if (resp.code !== ResponseCode.SUCCESS)
        throw new Error(`memory: registration failed: code ${resp.code}`);
    }
    const registered = await server.probe(true);
    // Every topic once, 64 in flight.
    const q = await RpcConnection.connect('127.0.0.1', server.port);
    conns.push(q);
    let next = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < topics.length) {
          const t = topics[next++]!;
          const resp = await q.send(routeRequestFrame(t));
          if (resp.code !== ResponseCode.SUCCESS)
            throw new Error(`memory: route of ${t}: code ${resp.code}`);
        }
      }),
    );
    const afterLookups = await server.probe(true);
    const entries = n * brokers.length;
    const res: MemoryResults = {
      topics: n,
      groups: brokers.length,
      entries,
      empty: point(empty),
      registered: point(registered),
      afterLookups: point(afterLookups),
      heapBytesPerEntry: (registered.mem.heapUsed - empty.mem.heapUsed) / entries,
      heapBytesPerEntryAfterLookups: (afterLookups.mem.heapUsed - empty.mem.heapUsed) / entries,
      rssBytesPerEntry: (registered.mem.rss - empty.mem.rss) / entries,
    };
    log(
      `memory ${n} topics × ${brokers.length} groups: heap ${res.empty.heapUsedMiB.toFixed(1)} → ` +
        `${res.registered.heapUsedMiB.toFixed(1)} MiB (${res.heapBytesPerEntry.toFixed(0)} B/entry), ` +
        `after lookups ${res.afterLookups.heapUsedMiB.toFixed(1)} MiB, rss ${res.registered.rssMiB.toFixed(0)} MiB`,
    );
    return res;
  } finally {
    for (const c of conns) c.destroy();
    await server.stop();
  }
}
