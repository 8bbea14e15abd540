/** Messages between the orchestrator and a load-generator process (structured-clone IPC). */
import type { HistogramSnapshot } from './histogram.js';

export interface LoadConfig {
  host: string;
  port: number;
  connections: number;
  /** Requests in flight per connection. */
  inflight: number;
  warmupMs: number;
  durationMs: number;
  /** How long to wait for in-flight responses after the window before counting them as timeouts. */
  drainMs: number;
  /** Hard bound on requests this process sends (the loop also stops by time). */
  maxRequests: number;
  /** Request frames (length prefix included) carrying opaque OPAQUE_BASE. */
  requests: Uint8Array[];
  /** Expected response body per request; a single entry applies to every request. */
  expectedBodies: Uint8Array[];
  /** Where each connection starts in `requests`, so connections do not ask in lock-step. */
  startOffset: number;
  /**
   * Also record the latency of requests sent in the window and answered during the drain (a
   * stall that outlasts the window then shows in the histogram instead of vanishing from it).
   * `completed` still counts answers inside the window only.
   */
  recordDrain?: boolean;
}

export interface LoadResult {
  /** Responses received inside the measurement window (all checked). */
  completed: number;
  sent: number;
  windowMs: number;
  histogram: HistogramSnapshot;
  errors: Record<string, number>;
  errorSamples: string[];
  /** process.cpuUsage() delta over the window, µs. */
  cpuUserUs: number;
  cpuSystemUs: number;
  /** Event-loop utilization of the generator over the window (0..1). */
  elu: number;
}

export type ToWorker = { type: 'run'; config: LoadConfig } | { type: 'go' };
export type FromWorker =
  { type: 'ready' } | { type: 'result'; result: LoadResult } | { type: 'fatal'; message: string };
