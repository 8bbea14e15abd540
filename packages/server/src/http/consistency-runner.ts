/**
 * Runs consistency checks in a thread (a check is rare: an operator's console every 2 s at most,
 * shared by requests for the same node list) and hands back their encoded answers. The thread's
 * heap is bounded, so a check over hostile peers costs at most that much memory and never the
 * node: a thread that dies answers its checks as failed, and the next check starts another.
 *
 * The thread stays while checks keep coming (one per owner: the abort signal that ends it), with
 * the topic lists it read (consistency-thread.ts); idle for `idleMs`, it goes, and its lists
 * with it. Starting a thread per check cost its start-up and every list read again each time.
 */
import { Worker } from 'node:worker_threads';
import type { DigestNode } from '@ns/protocol';
import { builtModuleUrl } from '../cluster/built-module.js';
import type { FetchJsonOptions } from './fetch-json.js';
import type {
  ConsistencyThreadData,
  ConsistencyThreadReport,
  ConsistencyThreadRequest,
} from './consistency-thread.js';

/** Estimated heap of the topic lists kept between checks: 40,000 topics a list, about 28 lists. */
const TOPIC_LIST_BYTES = 128 << 20;
/**
 * Heap of the check thread: 16 parsed digests of up to 32 MiB each, with room to compare, and
 * the kept topic lists (their estimate, with room for it being off).
 */
const THREAD_HEAP_MB = 1024 + 256;
/** A thread with no check for this long ends (an open console rechecks every 2 s). */
export const CONSISTENCY_THREAD_IDLE_MS = 60_000;

export type ConsistencyRun =
  { readonly ok: true; readonly body: Buffer } | { readonly ok: false; readonly error: string };

export interface ConsistencyRunOptions {
  /** How long the thread waits for the next check before ending (CONSISTENCY_THREAD_IDLE_MS). */
  readonly idleMs?: number;
}

class CheckThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, (run: ConsistencyRun) => void>();
  private nextId = 0;
  private idle: NodeJS.Timeout | null = null;
  private gone = false;

  constructor(
    private readonly idleMs: number,
    onExit: () => void,
  ) {
    const entry = builtModuleUrl('./consistency-thread.js', import.meta.url);
    const workerData: ConsistencyThreadData = { topicListBytes: TOPIC_LIST_BYTES };
    threadsStarted++;
    // No execArgv of ours (loaders, probes, profilers): the thread is plain compiled JavaScript.
    this.worker = new Worker(entry, {
      workerData,
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: THREAD_HEAP_MB },
    });
    // A check in flight, or a thread waiting for the next, must not keep a closing node alive.
    this.worker.unref();
    this.worker.on('message', (report: ConsistencyThreadReport) => {
      this.settle(
        report.id,
        report.ok
          ? {
              ok: true,
              body: Buffer.from(report.body.buffer, report.body.byteOffset, report.body.length),
            }
          : { ok: false, error: report.error },
      );
    });
    this.worker.on('error', (err) => {
      this.settleAll({ ok: false, error: err.stack ?? err.message });
    });
    this.worker.on('exit', (code) => {
      this.gone = true;
      if (this.idle !== null) clearTimeout(this.idle);
      onExit();
      this.settleAll({ ok: false, error: `the consistency check thread exited (code ${code})` });
    });
  }

  get usable(): boolean {
    return !this.gone;
  }

  run(nodes: readonly DigestNode[], limits: FetchJsonOptions, deadlineMs: number) {
    if (this.idle !== null) {
      clearTimeout(this.idle);
      this.idle = null;
    }
    const id = this.nextId++;
    const request: ConsistencyThreadRequest = { id, nodes, limits, deadlineMs };
    return new Promise<ConsistencyRun>((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage(request);
    });
  }

  end(): void {
    this.gone = true;
    void this.worker.terminate();
  }

  private settle(id: number, run: ConsistencyRun): void {
    const resolve = this.pending.get(id);
    if (resolve === undefined) return;
    this.pending.delete(id);
    resolve(run);
    if (this.pending.size === 0 && !this.gone) {
      this.idle = setTimeout(() => {
        this.end();
      }, this.idleMs);
      this.idle.unref();
    }
  }

  private settleAll(run: ConsistencyRun): void {
    for (const id of [...this.pending.keys()]) this.settle(id, run);
  }
}

/** The thread of each owner (its abort signal), and of callers that give none. */
const threads = new WeakMap<AbortSignal, CheckThread>();
let unowned: CheckThread | null = null;
let threadsStarted = 0;

/** Check threads started in this process so far (tests: one serves many checks). */
export function consistencyThreadsStarted(): number {
  return threadsStarted;
}

/**
 * `signal` ends the thread (the node closing): the runs in flight then answer as failed checks,
 * and so do later ones with the same signal.
 */
export function runConsistencyCheck(
  nodes: readonly DigestNode[],
  limits: FetchJsonOptions,
  deadlineMs: number,
  signal?: AbortSignal,
  options: ConsistencyRunOptions = {},
): Promise<ConsistencyRun> {
  if (signal?.aborted === true) {
    return Promise.resolve({ ok: false, error: 'the consistency check thread was ended' });
  }
  let thread = signal === undefined ? unowned : threads.get(signal);
  if (thread === undefined || thread === null || !thread.usable) {
    const started: CheckThread = new CheckThread(
      options.idleMs ?? CONSISTENCY_THREAD_IDLE_MS,
      () => {
        if (signal === undefined) {
          if (unowned === started) unowned = null;
        } else {
          if (threads.get(signal) === started) threads.delete(signal);
          signal.removeEventListener('abort', end);
        }
      },
    );
    const end = (): void => {
      started.end();
    };
    thread = started;
    if (signal === undefined) unowned = started;
    else {
      threads.set(signal, started);
      signal.addEventListener('abort', end, { once: true });
    }
  }
  return thread.run(nodes, limits, deadlineMs);
}
