import type { FloodProfile } from '../scenarios/flood.js';

/** Sizes and durations of a run: the full benchmark and the CI smoke run. */
export interface Profile {
  name: 'full' | 'smoke';
  route: {
    topics: number;
    /** Topics the generators cycle through (each with its expected response body). */
    sampleTopics: number;
    warmupMs: number;
    durationMs: number;
    levels: { connections: number; inflight: number; generators: number }[];
  };
  registration: { sizes: { topics: number; reps: number }[] };
  churn: { durationMs: number };
  memory: { topics: number; groups: number };
  dead: {
    closeReps: number;
    heartbeatBrokers: number;
    heartbeatTimeoutMillis: number;
    scanIntervalMs: number;
  };
  failover: { nodes: number; afterKillMs: number };
  codec: { warmupMs: number; measureMs: number; registerTopics: number };
  flood: FloodProfile;
}

export const FULL: Profile = {
  name: 'full',
  route: {
    topics: 10_000,
    sampleTopics: 1024,
    warmupMs: 1000,
    durationMs: 5000,
    levels: [
      { connections: 1, inflight: 1, generators: 1 },
      { connections: 16, inflight: 1, generators: 1 },
      { connections: 64, inflight: 1, generators: 1 },
      { connections: 16, inflight: 8, generators: 1 },
      // The same 64 connections from two generator processes: shows whether one generator
      // process was the limit (it competes with the server for the 2 cores).
      { connections: 64, inflight: 1, generators: 2 },
    ],
  },
  registration: {
    sizes: [
      { topics: 1000, reps: 10 },
      { topics: 10_000, reps: 5 },
      { topics: 50_000, reps: 3 },
    ],
  },
  churn: { durationMs: 5000 },
  memory: { topics: 40_000, groups: 8 },
  dead: { closeReps: 5, heartbeatBrokers: 3, heartbeatTimeoutMillis: 2000, scanIntervalMs: 500 },
  failover: { nodes: 3, afterKillMs: 3000 },
  codec: { warmupMs: 500, measureMs: 2000, registerTopics: 10_000 },
  flood: {
    connections: 2000,
    sendBytes: 15 * 1024 * 1024,
    // Past the 30 s frame deadline: the waiting connections are closed and reopened at once.
    durationMs: 40_000,
    probeIntervalMs: 5,
    reconnect: true,
  },
};

export const SMOKE: Profile = {
  name: 'smoke',
  route: {
    topics: 500,
    sampleTopics: 64,
    warmupMs: 200,
    durationMs: 1000,
    levels: [
      { connections: 1, inflight: 1, generators: 1 },
      { connections: 16, inflight: 1, generators: 1 },
      { connections: 16, inflight: 8, generators: 1 },
    ],
  },
  registration: { sizes: [{ topics: 1000, reps: 2 }] },
  churn: { durationMs: 1000 },
  memory: { topics: 2000, groups: 8 },
  dead: { closeReps: 2, heartbeatBrokers: 1, heartbeatTimeoutMillis: 1000, scanIntervalMs: 200 },
  failover: { nodes: 3, afterKillMs: 1500 },
  codec: { warmupMs: 50, measureMs: 200, registerTopics: 1000 },
  flood: {
    connections: 50,
    sendBytes: 1024 * 1024,
    durationMs: 1500,
    probeIntervalMs: 5,
    reconnect: true,
  },
};
