import type { FloodProfile } from '../scenarios/flood.js';

/** Sizes and durations of a run: the full benchmark and the CI smoke run. */
import { availableParallelism } from 'node:os';

/** One load level: connections × requests in flight per connection. */
export interface LoadSpec {
  connections: number;
  inflight: number;
}

export interface Profile {
  name: 'full' | 'smoke';
  route: {
    topics: number;
    /** Topics the generators cycle through (each with its expected response body). */
    sampleTopics: number;
    warmupMs: number;
    durationMs: number;
    loads: LoadSpec[];
    /**
     * Serving-process counts W to measure (the node's automatic choice is added); those the
     * machine has no room for are skipped, except 1 and 2 (see planWorkers).
     */
    workers: number[];
    /** At most this many generator processes per level. */
    maxGenerators: number;
  };
  registration: { sizes: { topics: number; reps: number }[]; workers: number[] };
  churn: { durationMs: number; load: LoadSpec };
  memory: { topics: number; groups: number };
  /** The operator's views (digest, console requests) on a table of this size. */
  ops: { topics: number; groups: number; rounds: number };
  dead: {
    closeReps: number;
    heartbeatBrokers: number;
    heartbeatTimeoutMillis: number;
    scanIntervalMs: number;
  };
  failover: { nodes: number; afterKillMs: number };
  codec: { warmupMs: number; measureMs: number; registerTopics: number };
  watch: {
    connections: number;
    topicsPerWatch: number;
    topics: number;
    /** The first `moverTopics` topics are also hosted by the broker that comes and goes. */
    moverTopics: number;
    waves: number;
    lookupTopics: number;
    lookupWarmupMs: number;
    lookupMs: number;
  };
  hostile: {
    warmupMs: number;
    durationMs: number;
    /** The well-behaved lookups. */
    lookup: { connections: number; inflight: number };
    topics: number;
    closeNames: number;
    churnNamesPerRound: number;
    /**
     * Size the bomb would inflate to. Past maxInflatedRegisterBodyBytes (64 MiB by default) the
     * node stops inflating and refuses it; a smaller bomb is inflated whole (and is undecodable).
     */
    bombInflatedBytes: number;
    kvPrefill: number;
    partialConnections: number;
    partialBytes: number;
    dripConnections: number;
    dripIntervalMs: number;
    pipelineConnections: number;
  };
  flood: FloodProfile;
  /** KV writes: a node whose KV table holds each of `entries`, `requests` of each kind. */
  kv: { entries: number[]; requests: number };
}

export const FULL: Profile = {
  name: 'full',
  route: {
    topics: 10_000,
    sampleTopics: 1024,
    warmupMs: 1000,
    durationMs: 5000,
    // The loads of the Java reference figures (lib/java.ts).
    loads: [
      { connections: 16, inflight: 1 },
      { connections: 64, inflight: 1 },
      { connections: 256, inflight: 1 },
      { connections: 64, inflight: 8 },
    ],
    workers: [1, 2, 4, 8],
    maxGenerators: 8,
  },
  registration: {
    sizes: [
      { topics: 10_000, reps: 5 },
      { topics: 50_000, reps: 3 },
    ],
    workers: [1, 2],
  },
  churn: { durationMs: 5000, load: { connections: 16, inflight: 1 } },
  memory: { topics: 40_000, groups: 8 },
  ops: { topics: 50_000, groups: 8, rounds: 30 },
  dead: { closeReps: 5, heartbeatBrokers: 3, heartbeatTimeoutMillis: 2000, scanIntervalMs: 500 },
  failover: { nodes: 3, afterKillMs: 3000 },
  codec: { warmupMs: 500, measureMs: 2000, registerTopics: 10_000 },
  watch: {
    connections: 5000,
    topicsPerWatch: 20,
    topics: 1000,
    moverTopics: 100,
    waves: 6,
    lookupTopics: 64,
    lookupWarmupMs: 500,
    lookupMs: 5000,
  },
  // The sizes: 40,000 names on one connection, a 254 KiB bomb, 20,000 KV entries.
  hostile: {
    warmupMs: 500,
    durationMs: 5000,
    lookup: { connections: 4, inflight: 1 },
    topics: 1000,
    closeNames: 40_000,
    churnNamesPerRound: 1000,
    bombInflatedBytes: 255 * 1024 * 1024,
    kvPrefill: 20_000,
    partialConnections: 200,
    partialBytes: 256 * 1024,
    dripConnections: 100,
    dripIntervalMs: 20,
    pipelineConnections: 4,
  },
  flood: {
    connections: 2000,
    sendBytes: 15 * 1024 * 1024,
    // Past the 30 s frame deadline: the waiting connections are closed and reopened at once.
    durationMs: 40_000,
    probeIntervalMs: 5,
    reconnect: true,
    minAfterConnectedMs: 35_000,
  },
  kv: { entries: [5000, 20_000], requests: 500 },
};

export const SMOKE: Profile = {
  name: 'smoke',
  route: {
    topics: 500,
    sampleTopics: 64,
    warmupMs: 150,
    durationMs: 600,
    loads: [
      { connections: 4, inflight: 1 },
      { connections: 4, inflight: 4 },
    ],
    workers: [1, 2],
    maxGenerators: 2,
  },
  registration: { sizes: [{ topics: 1000, reps: 1 }], workers: [1, 2] },
  churn: { durationMs: 500, load: { connections: 4, inflight: 1 } },
  memory: { topics: 1000, groups: 8 },
  ops: { topics: 2000, groups: 2, rounds: 3 },
  dead: { closeReps: 2, heartbeatBrokers: 1, heartbeatTimeoutMillis: 1000, scanIntervalMs: 200 },
  failover: { nodes: 3, afterKillMs: 1500 },
  codec: { warmupMs: 50, measureMs: 200, registerTopics: 1000 },
  watch: {
    connections: 200,
    topicsPerWatch: 5,
    topics: 100,
    moverTopics: 10,
    waves: 2,
    lookupTopics: 16,
    lookupWarmupMs: 100,
    lookupMs: 500,
  },
  hostile: {
    warmupMs: 100,
    durationMs: 500,
    lookup: { connections: 2, inflight: 1 },
    topics: 100,
    closeNames: 2000,
    churnNamesPerRound: 100,
    bombInflatedBytes: 8 * 1024 * 1024,
    kvPrefill: 200,
    partialConnections: 10,
    partialBytes: 16 * 1024,
    dripConnections: 5,
    dripIntervalMs: 10,
    pipelineConnections: 1,
  },
  flood: {
    connections: 50,
    sendBytes: 1024 * 1024,
    durationMs: 1500,
    probeIntervalMs: 5,
    reconnect: true,
  },
  kv: { entries: [500], requests: 20 },
};

/** What `servingWorkers=0` resolves to on a machine (packages/server name-server.ts). */
export function autoWorkers(cores: number): number {
  return Math.max(1, Math.min(8, cores - 1));
}

export interface WorkerPlan {
  /** W values to run, ascending. */
  run: number[];
  skipped: { workers: number; reason: string }[];
  /** The node's default (servingWorkers = 0) on this machine; in `run` unless left out. */
  auto: number;
}

/**
 * Which W to measure on `cores` cores: 1 and 2 always; a larger W only when its serving
 * processes, the owner and at least one core for the load generators fit (W + 2 ≤ cores), since
 * beyond that the node and the generators fight over cores and the figure says nothing about W;
 * and the node's automatic choice, which is what a user gets. `forced` (--workers=…) runs
 * exactly those.
 */
export function planWorkers(
  wanted: readonly number[],
  options: { cores?: number; forced?: readonly number[]; includeAuto?: boolean } = {},
): WorkerPlan {
  const cores = options.cores ?? availableParallelism();
  const auto = autoWorkers(cores);
  if (options.forced !== undefined) {
    return { run: [...new Set(options.forced)].sort((a, b) => a - b), skipped: [], auto };
  }
  const run = new Set<number>();
  const skipped: WorkerPlan['skipped'] = [];
  const candidates = options.includeAuto === false ? wanted : [...wanted, auto];
  for (const w of [...new Set(candidates)].sort((a, b) => a - b)) {
    if (w <= 2 || w === auto || w + 2 <= cores) run.add(w);
    else
      skipped.push({
        workers: w,
        reason: `needs ${w + 2} cores (${w} serving workers, the owner, ≥ 1 for the load generators); this machine has ${cores}`,
      });
  }
  return { run: [...run], skipped, auto };
}

/**
 * Generator processes for a level against W serving processes: the cores the node leaves free
 * (cores − W − 1), at least 1, at most `max` and the connection count. On 2 cores that is one:
 * a second generator process only takes CPU from the server (measured before: the baseline lost
 * 15 % at 64×1 with two generators).
 */
export function generatorsFor(
  cores: number,
  workers: number,
  connections: number,
  max: number,
  forced?: number,
): number {
  const n = forced ?? Math.min(max, Math.max(1, cores - workers - 1));
  return Math.max(1, Math.min(n, connections));
}
