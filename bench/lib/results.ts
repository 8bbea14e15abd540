/** The shape of bench/results/latest.json. */
import type { LevelResult } from './load-runner.js';
import type { ChurnResults, RouteResults } from '../scenarios/route.js';
import type { RegistrationResults } from '../scenarios/registration.js';
import type { MemoryResults } from '../scenarios/memory.js';
import type { OpsResults } from '../scenarios/ops.js';
import type { DeadBrokerResults } from '../scenarios/dead-broker.js';
import type { FailoverResults } from '../scenarios/failover.js';
import type { CodecCase } from '../scenarios/codec.js';
import type { WatchResults } from '../scenarios/watch.js';
import type { HostileResults } from '../scenarios/hostile.js';
import type { FloodResults } from '../scenarios/flood.js';
import type { KvResults } from '../scenarios/kv.js';

export interface Machine {
  cores: number;
  cpuModel: string;
  totalMemGiB: number;
  node: string;
  platform: string;
  /** 1/5/15-minute load averages when the run started and ended: other work on the box. */
  loadAvgStart: number[];
  loadAvgEnd: number[];
  /** The whole machine's CPU busy over the run, % of all cores (everything on it, from /proc). */
  busyPctDuringRun?: number;
}

export interface TargetCheck {
  name: string;
  target: string;
  measured: string;
  /** null when the run did not measure it (smoke sizes, failed scenario, another machine). */
  met: boolean | null;
  /** A figure the issue asks to report, with no limit to meet. */
  reportOnly?: boolean;
}

export interface BenchResults {
  profile: 'full' | 'smoke';
  date: string;
  gitCommit: string;
  durationSec: number;
  machine: Machine;
  route?: RouteResults;
  churn?: ChurnResults;
  registration?: RegistrationResults;
  memory?: MemoryResults;
  ops?: OpsResults;
  deadBroker?: DeadBrokerResults;
  failover?: FailoverResults;
  codec?: CodecCase[];
  watch?: WatchResults;
  hostile?: HostileResults;
  flood?: FloodResults;
  kv?: KvResults;
  targets: TargetCheck[];
  /** Scenarios that threw, with the message: the harness or the node broke. */
  failures: { scenario: string; message: string }[];
  notes: string[];
}

export type { LevelResult };
