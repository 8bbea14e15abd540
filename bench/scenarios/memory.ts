/**
 * Memory of a node holding `topics` topics × `groups` broker groups (masters only: slaves add
 * no (topic, broker) entries), per serving-process count W:
 *
 * - the owner's heap after two full GCs (it runs with --expose-gc), before and after the
 *   registrations and after the lookups, as before the serving split;
 * - the whole node's resident memory from /proc: the RSS of the owner and every serving worker,
 *   summed (pages they share are counted once per process) and as PSS (shared pages split among
 *   the sharers: what the node really adds to the machine). Workers are not GC'd on demand.
 *
 * "After lookups": every topic's route looked up once on every serving process (one connection
 * per worker, each asking for every topic), which fills whatever each keeps per route.
 */
import { ResponseCode } from '../lib/ns.js';
import { startNameServer } from '../lib/processes.js';
import type { ProbeSample } from '../lib/processes.js';
import { treeMemory } from '../lib/proc.js';
import type { TreeMemory } from '../lib/proc.js';
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
  /** The whole node (owner + workers), from /proc; undefined off Linux. */
  nodeRssSumMiB: number | undefined;
  nodePssSumMiB: number | undefined;
  /** RSS of each process, owner first. */
  processRssMiB: number[];
}

export interface MemoryRun {
  workers: number;
  topics: number;
  groups: number;
  entries: number;
  empty: MemoryPoint;
  registered: MemoryPoint;
  afterLookups: MemoryPoint;
  /** Owner heap per (topic, broker) entry. */
  heapBytesPerEntry: number;
  heapBytesPerEntryAfterLookups: number;
  /** Owner RSS per entry. */
  rssBytesPerEntry: number;
}

export interface MemoryResults {
  runs: MemoryRun[];
}

const MiB = 1024 * 1024;

function point(p: ProbeSample, tree: TreeMemory | undefined): MemoryPoint {
  return {
    rssMiB: p.mem.rss / MiB,
    heapUsedMiB: p.mem.heapUsed / MiB,
    heapTotalMiB: p.mem.heapTotal / MiB,
    externalMiB: p.mem.external / MiB,
    nodeRssSumMiB: tree === undefined ? undefined : tree.rssSumBytes / MiB,
    nodePssSumMiB:
      tree === undefined || Number.isNaN(tree.pssSumBytes) ? undefined : tree.pssSumBytes / MiB,
    processRssMiB: tree?.rssBytes.map((b) => b / MiB) ?? [],
  };
}

async function runOne(profile: Profile, log: Log, workers: number): Promise<MemoryRun> {
  const { topics: n, groups } = profile.memory;
  const server = await startNameServer({ exposeGc: true, workers });
  const conns: RpcConnection[] = [];
  try {
    const emptyProbe = await server.probe(true);
    if (!emptyProbe.hasGc) throw new Error('memory probe: the node runs without --expose-gc');
    const empty = point(emptyProbe, treeMemory(server.pid));
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
    const registered = point(await server.probe(true), treeMemory(server.pid));
    // One connection per serving process (least-connections placement spreads them; the
    // registration connections above were spread the same way, so W more land one per worker),
    // each asking for every topic, 64 in flight.
    const lookupConns: RpcConnection[] = [];
    for (let i = 0; i < workers; i++)
      lookupConns.push(await RpcConnection.connect('127.0.0.1', server.port));
    conns.push(...lookupConns);
    await Promise.all(
      lookupConns.map(async (q) => {
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
      }),
    );
    const afterLookups = point(await server.probe(true), treeMemory(server.pid));
    const entries = n * brokers.length;
    const res: MemoryRun = {
      workers,
      topics: n,
      groups: brokers.length,
      entries,
      empty,
      registered,
      afterLookups,
      heapBytesPerEntry: ((registered.heapUsedMiB - empty.heapUsedMiB) * MiB) / entries,
      heapBytesPerEntryAfterLookups:
        ((afterLookups.heapUsedMiB - empty.heapUsedMiB) * MiB) / entries,
      rssBytesPerEntry: ((registered.rssMiB - empty.rssMiB) * MiB) / entries,
    };
    const f = (x: number | undefined): string => (x === undefined ? '–' : x.toFixed(0));
    log(
      `memory W=${workers} ${n} topics × ${brokers.length} groups: owner heap ${empty.heapUsedMiB.toFixed(1)} → ` +
        `${registered.heapUsedMiB.toFixed(1)} MiB (${res.heapBytesPerEntry.toFixed(0)} B/entry); ` +
        `node RSS ${f(empty.nodeRssSumMiB)} → ${f(registered.nodeRssSumMiB)} → ${f(afterLookups.nodeRssSumMiB)} MiB after lookups ` +
        `(PSS ${f(afterLookups.nodePssSumMiB)} MiB; per process ${afterLookups.processRssMiB.map((x) => x.toFixed(0)).join(' + ')})`,
    );
    return res;
  } finally {
    for (const c of conns) c.destroy();
    await server.stop();
  }
}

export async function runMemory(
  profile: Profile,
  log: Log,
  workerCounts: readonly number[],
  onFailure: (workers: number, err: unknown) => void,
): Promise<MemoryResults> {
  const runs: MemoryRun[] = [];
  for (const w of workerCounts) {
    try {
      runs.push(await runOne(profile, log, w));
    } catch (err) {
      onFailure(w, err);
    }
  }
  return { runs };
}
