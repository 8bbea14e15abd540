/**
 * KV write-behind (main-thread side): makes the registry owner's KV op batches durable in the KV
 * persistence thread (kv-persist-thread.ts), so a PUT or DELETE never writes a file on the event
 * loop that answers lookups. It is the owner's `KVDurability` (registry/registry-owner.ts).
 *
 * Durability is unchanged from the synchronous store: `write(ops)` resolves only once a file
 * containing `ops` has been written atomically and fsynced (temp file, fsync, rename, directory
 * fsync), and the owner holds the request's response until then, so an acknowledged write
 * survives kill -9. It rejects when that write failed; the owner then undoes the ops in memory,
 * answers SYSTEM_ERROR, and sends the reverting ops here as its next batch, which puts the
 * thread's copy of the table back in step with the owner's (see the thread's header).
 *
 * Batches go to the thread in order, numbered; the thread coalesces those that arrive while it
 * writes into its next write, and reports the highest number each write covered. A write that
 * changed nothing (a DELETE of an absent key) never comes here: the owner writes no file for it
 * (Java rewrites the unchanged file) but answers it in its turn.
 *
 * Thread crash: the pending writes fail (their requests answer SYSTEM_ERROR and are undone), the
 * crash is logged, and a new thread starts from the owner's current table (`currentTable`); a
 * thread that dies within `restartDelayMillis` of its start is restarted only after that delay,
 * and writes in between fail at once. Replaying a batch the new table already reflects is
 * harmless: every op sets a key (or drops an emptied namespace) to a given state.
 *
 * `close(grace)` refuses new writes, waits at most `grace` for the pending ones, fails the rest
 * and terminates the thread without waiting more than `grace` for it either. A system call that
 * never returns (a hung network mount, a FIFO) would still keep the process from exiting, since
 * Node joins its threads at exit: while a write is in flight, or after a thread that did not end,
 * the process leaves by SIGKILL instead (stdio-exit.ts, blocksExit).
 *
 * The thread runs the compiled file next to this one (cluster/built-module.ts): from TypeScript
 * sources (vitest) that is dist/, so `tsc -b` must have run.
 */
import { Worker } from 'node:worker_threads';
import { builtModuleUrl } from '../cluster/built-module.js';
import { blocksExit } from '../stdio-exit.js';
import type { Logger } from '../logging.js';
import { KVConfigError } from './kv-config-errors.js';
import type { KVTableExport } from './kv-config-manager.js';
import type { KVConfigFileStore } from './kv-config-store.js';
import type { KVPersistBatch, KVPersistReport, KVPersistThreadData } from './kv-persist-thread.js';

export interface KVWriteBehindOptions {
  /** The store the table was loaded through: its file is written, unless it refuses writes. */
  store: KVConfigFileStore;
  /** The table the owner starts from (what the store loaded). */
  initial: KVTableExport;
  /** The owner's table now: a thread restarted after a crash starts from it. */
  currentTable: () => KVTableExport;
  logger: Logger;
  /** A thread that crashed sooner than this after its start is restarted this long after it started. Default 1000 ms. */
  restartDelayMillis?: number;
}

export interface KVWriteBehindStats {
  /** Batches handed to the thread. */
  batches: number;
  /** Files the thread wrote (each covering one or more batches). */
  fileWrites: number;
  /** Writes the thread attempted and that failed. */
  failedWrites: number;
  /** Threads that died other than by close(). */
  crashes: number;
  /** Duration of the thread's last successful write (serialize + write + fsyncs + rename). */
  lastWriteMillis: number | null;
  /** Whether a thread is running (false between a crash and its restart, and after close). */
  threadRunning: boolean;
}

interface Pending {
  seq: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

const DEFAULT_RESTART_DELAY_MILLIS = 1000;

function persistError(message: string): KVConfigError {
  return new KVConfigError('NS_KV_CONFIG_PERSIST_FAILED', message);
}

/** The least close() waits for the thread to end once its writes are done or failed. */
const THREAD_END_MIN_MILLIS = 1000;

/** At most one "changed outside the node" warning per this interval. */
const OUTSIDE_WARN_INTERVAL_MS = 60_000;

export class KVWriteBehind {
  private readonly path: string;
  private readonly entry: URL;
  private readonly currentTable: () => KVTableExport;
  private readonly log: Logger;
  private readonly restartDelayMillis: number;
  private worker: Worker | null = null;
  /** performance.now() when the thread was started (a wall-clock step must not stretch a restart). */
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  /** Written batches not yet reported, in seq order. */
  private readonly pending: Pending[] = [];
  /** When the thread last finished a file, or got work while idle (see stalledMillis). */
  private progressAt = 0;
  private outsideWarnedAt: number | null = null;
  private outsideUnlogged = 0;
  private readonly drainWaiters: (() => void)[] = [];
  private seq = 0;
  private state: 'open' | 'closing' | 'closed' = 'open';
  private closing: Promise<void> | null = null;
  /** close() is ending the thread, or found it did not end: it may be stuck in a system call. */
  private threadStuck = false;
  /**
   * While a write is in flight (or the thread did not end), leaving the process waits for the
   * thread, which may never come back: it then leaves by SIGKILL (stdio-exit.ts).
   */
  private readonly releaseExit = blocksExit(
    () => this.threadStuck || (this.worker !== null && this.pending.length > 0),
  );
  private readonly counters = {
    batches: 0,
    fileWrites: 0,
    failedWrites: 0,
    crashes: 0,
    lastWriteMillis: null as number | null,
  };

  constructor(options: KVWriteBehindOptions) {
    // A file that failed to load is never overwritten: no thread is started for it.
    options.store.assertWritable();
    this.path = options.store.path;
    this.currentTable = options.currentTable;
    this.log = options.logger;
    // Before the first write: temp files of this host's dead processes (kill -9 mid-write) would
    // otherwise pile up next to the file, each as large as the table.
    const removed = options.store.removeStaleTempFiles();
    if (removed.length > 0) {
      this.log.warn(
        { kvConfigPath: this.path, removed },
        'removed temp files left by earlier processes that died while writing the KV config file',
      );
    }
    this.restartDelayMillis = options.restartDelayMillis ?? DEFAULT_RESTART_DELAY_MILLIS;
    this.entry = builtModuleUrl('./kv-persist-thread.js', import.meta.url);
    this.worker = this.startThread(options.initial);
  }

  stats(): KVWriteBehindStats {
    return { ...this.counters, threadRunning: this.worker !== null };
  }

  /** Resolves once a file holding `ops` (and every earlier batch) is durable. */
  write(ops: readonly unknown[]): Promise<void> {
    if (this.state !== 'open') {
      return Promise.reject(persistError('the KV persistence thread is closed (shutting down)'));
    }
    const worker = this.worker;
    if (worker === null) {
      return Promise.reject(
        persistError('the KV persistence thread crashed and has not been restarted yet'),
      );
    }
    const batch: KVPersistBatch = { seq: ++this.seq, ops: ops as unknown[] };
    worker.postMessage(batch);
    this.counters.batches++;
    // Only while writes are pending does the thread keep the process alive.
    if (this.pending.length === 0) {
      worker.ref();
      this.progressAt = performance.now();
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ seq: batch.seq, resolve, reject });
    });
  }

  /**
   * Refuses new writes, waits at most `graceMillis` for the pending ones, fails the rest and ends
   * the thread (waiting at most `graceMillis` for that too). Idempotent; a later call with a
   * shorter grace does not shorten the first.
   */
  close(graceMillis: number): Promise<void> {
    this.closing ??= this.doClose(graceMillis);
    return this.closing;
  }

  private async doClose(graceMillis: number): Promise<void> {
    this.state = 'closing';
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    if (this.pending.length > 0) {
      const drained = new Promise<void>((resolve) => this.drainWaiters.push(resolve));
      await withDeadline(drained, graceMillis);
    }
    this.state = 'closed';
    if (this.pending.length > 0) {
      this.log.error(
        { kvConfigPath: this.path, pendingWrites: this.pending.length, graceMillis },
        'the KV persistence thread did not finish its writes in time; they fail',
      );
      this.failAll(
        persistError(`the KV file was not written within ${graceMillis} ms of shutdown`),
      );
    }
    const worker = this.worker;
    this.worker = null;
    if (worker === null) {
      this.releaseExit();
      return;
    }
    worker.unref();
    // Until it has ended, the thread may be the one stuck (see releaseExit); it is not once it
    // has, however late that is (close(0) when shutdown gives up waits for nothing).
    this.threadStuck = true;
    const gone = (): true => {
      this.threadStuck = false;
      this.releaseExit();
      return true;
    };
    // At least a moment even when the writes got no grace (shutdown giving up: close(0)): an
    // idle thread ends in milliseconds, and only one that does not is called stuck.
    const endMillis = Math.max(graceMillis, THREAD_END_MIN_MILLIS);
    const ended = await withDeadline(worker.terminate().then(gone, gone), endMillis);
    if (ended !== true) {
      this.log.error(
        { kvConfigPath: this.path, graceMillis: endMillis },
        'the KV persistence thread did not end (stuck in a system call on kvConfigPath?)',
      );
    }
  }

  private startThread(table: KVTableExport): Worker {
    const workerData: KVPersistThreadData = { path: this.path, table };
    // No execArgv of ours (loaders, probes, profilers): the thread is plain compiled JavaScript.
    const worker = new Worker(this.entry, { workerData, execArgv: [] });
    worker.unref();
    this.startedAt = performance.now();
    let crash: Error | null = null;
    worker.on('message', (report: KVPersistReport) => {
      if (worker === this.worker) this.onReport(report);
    });
    worker.on('error', (err) => {
      crash = err;
    });
    worker.on('exit', (code) => {
      this.onExit(worker, code, crash);
    });
    return worker;
  }

  /** How long the thread has had writes pending without finishing a file (0 when it has none). */
  stalledMillis(): number {
    return this.pending.length === 0 ? 0 : performance.now() - this.progressAt;
  }

  private onReport(report: KVPersistReport): void {
    this.progressAt = performance.now();
    if (report.outside !== undefined) this.warnOutside(report.outside);
    if (report.kind === 'written') {
      this.counters.fileWrites++;
      this.counters.lastWriteMillis = report.millis;
      this.settle(report.upTo, null);
      return;
    }
    this.counters.failedWrites++;
    this.log.error(
      { kvConfigPath: this.path, error: report.message },
      'writing the KV config file failed',
    );
    this.settle(report.upTo, persistError(report.message));
  }

  /**
   * The file was changed or removed by something else since the node last wrote it: that edit is
   * gone now (the node's table replaced it). Once a minute at most, with how many were not logged.
   */
  private warnOutside(what: 'changed' | 'removed'): void {
    const now = performance.now();
    if (this.outsideWarnedAt !== null && now - this.outsideWarnedAt < OUTSIDE_WARN_INTERVAL_MS) {
      this.outsideUnlogged++;
      return;
    }
    this.log.warn(
      {
        kvConfigPath: this.path,
        ...(this.outsideUnlogged > 0 ? { linesLeftOut: this.outsideUnlogged } : {}),
      },
      `the KV config file was ${what} by something other than this node since its last write, ` +
        "and has been replaced with the node's table: edit a running node's KV config with " +
        'nsadmin updateKvConfig / deleteKvConfig, or stop the node first; no two nodes may share the file',
    );
    this.outsideWarnedAt = now;
    this.outsideUnlogged = 0;
  }

  /** Settles every pending write with seq ≤ upTo: resolved, or rejected with `err`. */
  private settle(upTo: number, err: Error | null): void {
    while (this.pending.length > 0 && this.pending[0]!.seq <= upTo) {
      const p = this.pending.shift()!;
      if (err === null) p.resolve();
      else p.reject(err);
    }
    if (this.pending.length === 0) this.drained();
  }

  private failAll(err: Error): void {
    for (const p of this.pending.splice(0)) p.reject(err);
    this.drained();
  }

  private drained(): void {
    this.worker?.unref();
    for (const w of this.drainWaiters.splice(0)) w();
  }

  private onExit(worker: Worker, code: number, crash: Error | null): void {
    if (worker !== this.worker) return; // closed, or already replaced
    this.worker = null;
    this.counters.crashes++;
    const reason = crash?.message ?? `exit code ${code}`;
    this.log.error(
      { err: crash, exitCode: code, kvConfigPath: this.path, pendingWrites: this.pending.length },
      'the KV persistence thread died; its pending KV writes fail and it is restarted',
    );
    this.failAll(persistError(`the KV persistence thread died (${reason})`));
    if (this.state !== 'open') return;
    const wait = Math.max(0, this.startedAt + this.restartDelayMillis - performance.now());
    const restart = (): void => {
      this.restartTimer = null;
      if (this.state !== 'open') return;
      // The owner's table now: everything it sent, with undone writes undone (or about to be:
      // their reverting batch then arrives at the new thread and changes nothing).
      this.worker = this.startThread(this.currentTable());
      this.log.info({ kvConfigPath: this.path }, 'KV persistence thread restarted');
    };
    if (wait === 0) restart();
    else {
      this.restartTimer = setTimeout(restart, wait);
      this.restartTimer.unref();
    }
  }
}

/** `promise`'s value, or undefined once `millis` passed. */
function withDeadline<T>(promise: Promise<T>, millis: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      resolve(undefined);
    }, millis);
  });
  return Promise.race([promise, deadline]).finally(() => {
    clearTimeout(timer);
  });
}
