/**
 * Scenario 2, shared by the process suite and the container suite: a client fetches a route in a
 * tight loop; the node it is using is SIGKILLed mid-loop. Measures how many calls failed after
 * the kill and the gap between the last success before it and the first success after it, and
 * checks every later answer came from another node.
 */
import { expect } from 'vitest';

/** What the scenario needs from a client, so it does not depend on one client's API shape. */
export interface LoopingClient {
  /** One route lookup through the client's own node selection. */
  fetchRoute(topic: string): Promise<unknown>;
  /** The node the client is using now (after the last call). */
  currentNode(): string | undefined;
}

export interface CallRecord {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly node: string | undefined;
  readonly error: string | null;
  /** For a failed call: the node the error names (the client's errors carry `addr`). */
  readonly failedNode: string | undefined;
}

export interface FailoverReport {
  readonly killedNode: string;
  readonly callsBeforeKill: number;
  readonly callsAfterKill: number;
  /** Calls that failed and ended after the kill (the one in flight included). */
  readonly failedCalls: number;
  /**
   * Failures beyond the one in flight. The loop is sequential, so exactly one call is in flight
   * when the client first sees the connection die (the process exits some time after SIGKILL is
   * sent); any failure that starts after that first failure is one too many.
   */
  readonly failedBeyondInFlight: number;
  /** Each failure as `<node the error names> <error>`. */
  readonly failures: readonly string[];
  /**
   * Failures of calls to nodes that stayed up. SIGKILL of one node must not make calls to the
   * others fail; when one does, this says which node and why (a timeout means that node, or this
   * process, did not get to answer within the client timeout).
   */
  readonly failuresElsewhere: readonly string[];
  /** Longest time between two consecutive successful answers around the kill (ms). */
  readonly gapMs: number;
  /** Node gone → first answer from another node (ms; negative if one came before it was reaped). */
  readonly recoveryMs: number;
  /** Nodes that answered calls started after the killed node was gone. */
  readonly nodesAfterKill: readonly string[];
}

export interface FailoverOptions {
  readonly client: LoopingClient;
  readonly topic: string;
  /** Crash the node at `addr` (SIGKILL, or a container kill). */
  readonly kill: (addr: string) => Promise<void>;
  /** Successful calls before the kill (warm-up). */
  readonly warmupCalls?: number;
  /** Keep looping this long after the kill. */
  readonly afterKillMs?: number;
  readonly label: string;
}

export async function runFailover(options: FailoverOptions): Promise<FailoverReport> {
  const { client, topic } = options;
  const warmup = options.warmupCalls ?? 20;
  const afterKillMs = options.afterKillMs ?? 2_000;
  const records: CallRecord[] = [];
  let stopAt = Number.POSITIVE_INFINITY;

  const loop = (async () => {
    while (Date.now() < stopAt) {
      const startedAt = Date.now();
      try {
        await client.fetchRoute(topic);
        records.push({
          startedAt,
          endedAt: Date.now(),
          node: client.currentNode(),
          error: null,
          failedNode: undefined,
        });
      } catch (err) {
        const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        const addr: unknown = (err as { addr?: unknown } | null)?.addr;
        records.push({
          startedAt,
          endedAt: Date.now(),
          node: client.currentNode(),
          error,
          failedNode: typeof addr === 'string' ? addr : undefined,
        });
      }
      // Yield so the kill below gets its turn even when calls are answered from the socket
      // buffer without a macrotask in between.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  })();

  // Warm up, then kill the node in use while the loop keeps running.
  const deadline = Date.now() + 30_000;
  while (records.filter((r) => r.error === null).length < warmup) {
    if (Date.now() > deadline) throw new Error(`${options.label}: warm-up calls did not succeed`);
    await new Promise<void>((resolve) => setTimeout(resolve, 10));
  }
  const killedNode = client.currentNode();
  if (killedNode === undefined) throw new Error(`${options.label}: client reports no node in use`);
  const killedAt = Date.now();
  await options.kill(killedNode);
  // The kill resolves once the node is gone (process reaped / container killed); calls answered
  // between the signal and then were legitimately served by the dying node.
  const diedAt = Date.now();
  stopAt = Date.now() + afterKillMs;
  await loop;

  const after = records.filter((r) => r.endedAt >= killedAt);
  const failed = after.filter((r) => r.error !== null);
  const successes = records.filter((r) => r.error === null);
  // Longest stretch without an answer, measured between consecutive successes around the kill.
  let gapMs = 0;
  for (let i = 1; i < successes.length; i += 1) {
    const prev = successes[i - 1]!;
    const next = successes[i]!;
    if (next.endedAt >= killedAt) gapMs = Math.max(gapMs, next.endedAt - prev.endedAt);
  }
  const servedAfterDeath = successes.filter((r) => r.startedAt >= diedAt);
  const firstElsewhere = successes.find((r) => r.endedAt >= killedAt && r.node !== killedNode);
  const report: FailoverReport = {
    killedNode,
    callsBeforeKill: records.length - after.length,
    callsAfterKill: after.length,
    failedCalls: failed.length,
    // Failures of calls started after the first failure ended; not that first one itself, which
    // counts as "started after" when it began and failed within one millisecond.
    failedBeyondInFlight: failed
      .slice(1)
      .filter((r) => r.startedAt >= (failed[0]?.endedAt ?? Infinity)).length,
    failures: failed.map((r) => `${r.failedNode ?? '?'} ${r.error!}`),
    failuresElsewhere: failed
      .filter((r) => r.failedNode !== killedNode)
      .map((r) => `${r.failedNode ?? '?'} ${r.error!}`),
    gapMs: servedAfterDeath.length > 0 ? gapMs : Number.POSITIVE_INFINITY,
    recoveryMs:
      firstElsewhere !== undefined ? firstElsewhere.endedAt - diedAt : Number.POSITIVE_INFINITY,
    nodesAfterKill: [...new Set(servedAfterDeath.map((r) => r.node ?? '?'))],
  };
  console.info(
    `[failover ${options.label}] killed ${killedNode}: ${report.failedCalls} failed call(s) ` +
      `after the kill (${report.failedBeyondInFlight} beyond the one in flight; ` +
      `${report.callsAfterKill} calls), gap ${report.gapMs} ms, ` +
      `recovery ${report.recoveryMs} ms, then served by ${report.nodesAfterKill.join(', ')}` +
      (report.failures.length > 0 ? `; failures: ${report.failures.join(' | ')}` : ''),
  );
  return report;
}

/** The bar: at most the call in flight fails, then another node answers quickly and only it. */
export function expectCleanFailover(report: FailoverReport, maxGapMs: number): void {
  expect(report.failuresElsewhere, 'calls to nodes that stayed up failed').toEqual([]);
  expect(report.failedBeyondInFlight, report.failures.join('\n')).toBe(0);
  expect(report.failedCalls, report.failures.join('\n')).toBeLessThanOrEqual(1);
  expect(report.callsAfterKill).toBeGreaterThan(10);
  expect(report.gapMs).toBeLessThan(maxGapMs);
  expect(report.nodesAfterKill.length).toBeGreaterThan(0);
  expect(report.nodesAfterKill).not.toContain(report.killedNode);
}
