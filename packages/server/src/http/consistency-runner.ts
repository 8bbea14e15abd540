/**
 * Starts one consistency-check thread per check (a check is rare: an operator's console every
 * 2 s at most, shared by requests for the same node list) and hands back its encoded answer.
 * The thread's heap is bounded, so a check over hostile peers costs at most that much memory and
 * never the node: a thread that dies answers as a failed check.
 */
import { Worker } from 'node:worker_threads';
import type { DigestNode } from '@ns/protocol';
import { builtModuleUrl } from '../cluster/built-module.js';
import type { FetchJsonOptions } from './fetch-json.js';
import type { ConsistencyThreadData, ConsistencyThreadReport } from './consistency-thread.js';

/** Heap of a check's thread: 16 parsed digests of up to 32 MiB each, with room to compare. */
const THREAD_HEAP_MB = 1024;

export type ConsistencyRun =
  { readonly ok: true; readonly body: Buffer } | { readonly ok: false; readonly error: string };

/** `signal` ends the thread (the node closing): the run then answers as a failed check. */
export function runConsistencyCheck(
  nodes: readonly DigestNode[],
  limits: FetchJsonOptions,
  deadlineMs: number,
  signal?: AbortSignal,
): Promise<ConsistencyRun> {
  const entry = builtModuleUrl('./consistency-thread.js', import.meta.url);
  const workerData: ConsistencyThreadData = { nodes, limits, deadlineMs };
  return new Promise((resolve) => {
    let settled = false;
    const settle = (run: ConsistencyRun): void => {
      if (settled) return;
      settled = true;
      resolve(run);
    };
    // No execArgv of ours (loaders, probes, profilers): the thread is plain compiled JavaScript.
    const worker = new Worker(entry, {
      workerData,
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: THREAD_HEAP_MB },
    });
    // A check in flight must not keep a closing node alive.
    worker.unref();
    worker.on('message', (report: ConsistencyThreadReport) => {
      settle(
        report.ok
          ? {
              ok: true,
              body: Buffer.from(report.body.buffer, report.body.byteOffset, report.body.length),
            }
          : report,
      );
      void worker.terminate();
    });
    worker.on('error', (err) => settle({ ok: false, error: err.stack ?? err.message }));
    worker.on('exit', (code) => {
      signal?.removeEventListener('abort', end);
      settle({ ok: false, error: `the consistency check thread exited (code ${code})` });
    });
    const end = (): void => {
      void worker.terminate();
    };
    if (signal?.aborted === true) end();
    else signal?.addEventListener('abort', end, { once: true });
  });
}
