/** What the agent reports about registrations, per node and per round. */
import type { DataVersion, RegisterBrokerResult } from '@ns/protocol';

/** Why a registration was sent. */
export type RegistrationReason =
  | 'startup'
  | 'periodic'
  | 'topicsChanged'
  | 'manual'
  | 'recovered'
  | 'heartbeatChanged'
  | 'nodeAdded';

/** The outcome of registering with one NameServer. */
export interface NodeRegistration {
  readonly addr: string;
  readonly reason: RegistrationReason;
  /** True when the node holds our registration now (sent, or skipped as unchanged). */
  readonly ok: boolean;
  /** forceRegister=false: QUERY_DATA_VERSION said the node's copy is current; nothing was sent. */
  readonly skipped: boolean;
  /** Milliseconds from the start of this node's work to its outcome. */
  readonly latencyMs: number;
  /** Requests sent, retries and chunks included. */
  readonly attempts: number;
  /** REGISTER_BROKER chunks sent successfully. */
  readonly chunks: number;
  readonly dataVersion: DataVersion;
  /** The (last chunk's) decoded response; null when skipped or failed. */
  readonly result: RegisterBrokerResult | null;
  readonly error: Error | null;
}

/** One round: every known NameServer, in parallel. */
export interface RegistrationRound {
  readonly reason: RegistrationReason;
  readonly dataVersion: DataVersion;
  readonly topicCount: number;
  /** REGISTER_BROKER requests per node (1 unless split). */
  readonly chunkCount: number;
  readonly startedAt: number;
  readonly durationMs: number;
  readonly results: readonly NodeRegistration[];
}

/** The outcome of UNREGISTER_BROKER to one node at stop(). */
export interface NodeUnregistration {
  readonly addr: string;
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly error: Error | null;
}

/** Slave view: the master this broker replicates from, as the NameServers report it. */
export interface MasterInfo {
  readonly masterAddr: string | null;
  readonly haServerAddr: string | null;
}
