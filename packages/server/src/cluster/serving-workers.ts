/**
 * The serving worker processes of a node (servingWorkers > 1), supervised by the owner process.
 *
 * - Connections go to the ready worker serving the fewest (`pick`), so load spreads even when
 *   clients connect in bursts; one that leaves a connection untaken is passed over meanwhile.
 * - A worker that dies is replaced (after a short back-off that grows while it keeps dying); only
 *   its own connections dropped. The brokers registered over them did not leave: the registry
 *   detaches them (RegistryOwner.connectionLost) and keeps them routed until they register again
 *   or expire. The others serve on.
 * - `close` stops them gracefully: each finishes its answered requests within the grace period.
 */
import type { NamesrvConfig } from '../config/index.js';
import type { Logger } from '../logging.js';
import type { MetricsExport } from '../metrics.js';
import type { RegistryOwner } from '../registry/registry-owner.js';
import type { IssuedCertificate } from '../security/tls/certificate-factory.js';
import type { ConnectionSink } from '../transport/acceptor.js';
import type { LimitName } from '../transport/types.js';
import { builtModuleUrl } from './built-module.js';
import { ServingWorker } from './serving-worker.js';
import { WorkerMetrics } from './worker-metrics.js';

export interface ServingWorkersInit {
  count: number;
  owner: RegistryOwner;
  config: NamesrvConfig;
  /** The node's self-signed certificate (being made), when TLS needs one; workers get it. */
  selfSigned: Promise<IssuedCertificate> | null;
  /** When the node started: every worker, replacements too, counts needWaitForService from it. */
  nodeStartedAt: number;
  /** The node's clock anchor (steady-clock.ts), for every worker. */
  clockAnchor: number;
  /** The credentials and certificate files as they last passed a check (asked at each start). */
  securityFiles?: () => Record<string, Uint8Array> | null;
  logger: Logger;
  /** A worker (first start or replacement) is ready to take connections. */
  onWorkerReady(): void;
  /** A connection a worker served (or was being handed) ended, or died with its worker. */
  onConnectionClosed(id: number): void;
  /** Counts connections a worker did not take in within the hand-over deadline. */
  metrics?:
    | {
        limitEnforced(limit: LimitName): void;
        servingWorkerExited?(how: 'signal' | 'code' | 'shutdown'): void;
      }
    | undefined;
  /** The hand-over deadline (HANDOVER_TIMEOUT_MILLIS unless set; tests). */
  handOverTimeoutMillis?: number | undefined;
}

/** A hand-over untaken this long marks its worker stalled for `pick` (healthy ones take ~1 ms). */
const SLOW_HANDOVER_MILLIS = 1000;
const RESTART_MIN_MILLIS = 100;
const RESTART_MAX_MILLIS = 5000;
/** A worker that lived this long before dying resets the back-off. */
const STABLE_MILLIS = 30_000;

export class ServingWorkers {
  private readonly init: ServingWorkersInit;
  private readonly entry: URL;
  private readonly workers = new Map<number, ServingWorker>();
  /** performance.now() at each worker's start (its back-off; monotonic, see steady-clock.ts). */
  private readonly startedAt = new Map<number, number>();
  private readonly backoff = new Map<number, number>();
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  /** Last answers and the counters of exited workers: /metrics counters never go down. */
  private readonly workerMetrics = new WorkerMetrics<ServingWorker>();
  private closing = false;
  /** Whether a worker was already told to log the security startup lines (see takeAnnouncement). */
  private announced = false;
  private selfSigned: IssuedCertificate | null = null;
  /** Replacements started, for tests and metrics. */
  restarts = 0;

  constructor(init: ServingWorkersInit) {
    this.init = init;
    this.entry = builtModuleUrl('./worker-main.js', import.meta.url);
    process.on('exit', this.killOnExit);
  }

  /**
   * The owner leaving by process.exit (a second signal, a crash) does not wait for the workers:
   * each would notice the closed channel and leave by itself, but one that is stopped or wedged
   * would not, and stayed, an orphan holding its clients' connections open. Killed here, before
   * the owner is gone (a graceful close has ended them already).
   */
  private readonly killOnExit = (): void => {
    for (const w of this.workers.values()) if (w.alive) w.kill('SIGKILL');
  };

  /** Starts every worker; resolves once all serve. */
  async start(): Promise<void> {
    // Workers serve TLS from their first connection: they start with the certificate.
    this.selfSigned = this.init.selfSigned === null ? null : await this.init.selfSigned;
    const starting: Promise<void>[] = [];
    for (let id = 1; id <= this.init.count; id++) starting.push(this.spawn(id));
    await Promise.all(starting);
  }

  /**
   * The ready worker with the fewest connections, or null when none is ready. A stalled worker
   * (silent for 3 ping intervals, or one that has left a connection untaken for
   * SLOW_HANDOVER_MILLIS) is passed over while another can take it: counted by connections alone,
   * a stopped worker looked the least loaded (its given-up hand-overs no longer counted) and got
   * its share of new connections, each hanging until the hand-over deadline closed it. It is
   * ended only at servingWorkerAckTimeoutMillis.
   */
  pick(): ConnectionSink | null {
    let best: ServingWorker | null = null;
    let bestSlow = true;
    for (const w of this.workers.values()) {
      if (!w.ready) continue;
      // Stalled: silent for a few ping intervals, or leaving a connection untaken.
      const slow = !w.responsive || w.handOverWaitingFor(SLOW_HANDOVER_MILLIS);
      if (
        best === null ||
        (bestSlow && !slow) ||
        (bestSlow === slow && w.connections.size < best.connections.size)
      ) {
        best = w;
        bestSlow = slow;
      }
    }
    return best;
  }

  /** Ready workers heard from lately (see ServingWorker.responsive): what /readyz counts. */
  get responsiveCount(): number {
    let n = 0;
    for (const w of this.workers.values()) if (w.responsive) n++;
    return n;
  }

  get connectionCount(): number {
    let n = 0;
    for (const w of this.workers.values()) n += w.connections.size;
    return n;
  }

  /** Pids of the current workers, in worker-id order (tests kill them). */
  get pids(): number[] {
    return [...this.workers.values()].map((w) => w.pid ?? 0);
  }

  /** Connections per worker, in worker-id order. */
  get connectionCounts(): number[] {
    return [...this.workers.values()].map((w) => w.connections.size);
  }

  get readyCount(): number {
    let n = 0;
    for (const w of this.workers.values()) if (w.ready) n++;
    return n;
  }

  closeConnection(id: number): void {
    for (const w of this.workers.values()) {
      if (w.connections.has(id)) {
        w.closeConnection(id);
        return;
      }
    }
  }

  sendFrame(id: number, frame: Buffer): void {
    for (const w of this.workers.values()) {
      if (w.connections.has(id)) {
        w.sendFrame(id, frame);
        return;
      }
    }
  }

  /**
   * Every ready worker's metrics (one that does not answer in time counts with its last answer,
   * its silence as its stall),
   * and the counters of the workers that exited (see WorkerMetrics).
   */
  async metrics(timeoutMillis = 2000): Promise<MetricsExport[]> {
    const asked = [...this.workers.values()].filter((w) => w.ready);
    const answers = await Promise.all(asked.map((w) => w.metrics(timeoutMillis)));
    // Taken once every worker answered: a worker that answered, then exited while a slower one
    // was awaited, is in the retired counters already (WorkerMetrics.exited), and its answer here
    // too counted it twice in one scrape, then a drop, a counter reset to Prometheus (review
    // finding). Nor may a late answer of an exited worker be kept as its last.
    const live: MetricsExport[] = [];
    asked.forEach((w, i) => {
      if (!w.alive || this.workers.get(w.workerId) !== w) return;
      const m = this.workerMetrics.answered(w, answers[i]!, w.silentMillis);
      if (m !== null) live.push(m);
    });
    return [...live, ...this.workerMetrics.retiredExports()];
  }

  async close(graceMillis: number): Promise<void> {
    this.closing = true;
    for (const t of this.restartTimers) clearTimeout(t);
    this.restartTimers.clear();
    await Promise.all([...this.workers.values()].map((w) => w.shutdown(graceMillis)));
    process.off('exit', this.killOnExit);
  }

  private spawn(id: number): Promise<void> {
    let worker: ServingWorker;
    try {
      worker = this.newWorker(id);
    } catch (err) {
      // fork itself threw (no process at all): as a rejection, so a restart timer's caller can
      // try again later rather than an uncaught exception taking the node down.
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    this.workers.set(id, worker);
    this.startedAt.set(id, performance.now());
    return worker.start().then(() => {
      this.init.onWorkerReady();
    });
  }

  /**
   * True for the node's first worker only: it logs the security startup lines for the node (the
   * owner checked the same settings quietly), replacements and the others do not.
   */
  private takeAnnouncement(): boolean {
    const first = !this.announced;
    this.announced = true;
    return first;
  }

  private newWorker(id: number): ServingWorker {
    return new ServingWorker({
      workerId: id,
      owner: this.init.owner,
      config: this.init.owner.config.get(),
      selfSigned: this.selfSigned,
      servingProcesses: this.init.count,
      nodeStartedAt: this.init.nodeStartedAt,
      clockAnchor: this.init.clockAnchor,
      securityFiles: this.init.securityFiles?.() ?? null,
      announce: this.takeAnnouncement(),
      logger: this.init.logger,
      entry: this.entry,
      metrics: this.init.metrics,
      handOverTimeoutMillis: this.init.handOverTimeoutMillis,
      onConnectionClosed: (connectionId) => {
        this.init.onConnectionClosed(connectionId);
      },
      onExit: (w, code, signal) => {
        this.exited(w, code, signal);
      },
      onHandOverFailed: (_w, socket, connectionId) => {
        // The failed worker is no longer ready, so this tries each other worker at most once.
        const next = this.closing ? null : this.pick();
        if (next !== null) {
          next.adopt(socket, connectionId);
          return;
        }
        socket.destroy();
        this.init.onConnectionClosed(connectionId);
      },
    });
  }

  private exited(worker: ServingWorker, code: number | null, signal: NodeJS.Signals | null): void {
    const owner = this.init.owner;
    owner.removeReplica(worker);
    this.workerMetrics.exited(worker, worker.endedSilentMillis);
    this.init.metrics?.servingWorkerExited?.(
      this.closing ? 'shutdown' : signal !== null ? 'signal' : 'code',
    );
    // Its sockets died with it: to the registry, each of those clients just went away.
    // Their brokers did not leave: the node lost their connections. They stay routed until they
    // register again on a new connection (a Java broker: its next period) or time out.
    for (const id of worker.connections) {
      this.init.onConnectionClosed(id);
      void owner.connectionLost(id);
    }
    worker.connections.clear();
    for (const id of worker.lateAdopted) void owner.connectionClosed(id);
    worker.lateAdopted.clear();
    if (this.closing) {
      // Asked to stop, a worker exits 0 once its connections are drained. Anything else (a
      // signal that reached it — it ignores SIGINT/SIGTERM/SIGHUP —, a crash, or the SIGKILL past
      // the grace period) cut its connections short: say so, the stop was not the clean one.
      if (code !== 0) {
        this.init.logger.warn(
          { worker: worker.workerId, code, signal },
          'serving worker ended abnormally during shutdown',
        );
      }
      return;
    }
    if (this.workers.get(worker.workerId) !== worker) return;
    this.scheduleRestart(worker.workerId, { code, signal });
  }

  /** Starts a replacement for worker `id` after its back-off delay. */
  private scheduleRestart(id: number, why: Record<string, unknown>): void {
    const lived = performance.now() - (this.startedAt.get(id) ?? 0);
    const delay =
      lived > STABLE_MILLIS
        ? RESTART_MIN_MILLIS
        : Math.min(RESTART_MAX_MILLIS, (this.backoff.get(id) ?? RESTART_MIN_MILLIS / 2) * 2);
    this.backoff.set(id, delay);
    this.init.logger.error(
      { worker: id, ...why, restartInMillis: delay },
      'serving worker exited; replacing it',
    );
    const timer = setTimeout(() => {
      this.restartTimers.delete(timer);
      if (this.closing) return;
      this.restarts++;
      const previous = this.workers.get(id);
      this.spawn(id).then(
        () => {
          this.init.logger.info({ worker: id }, 'replacement serving worker ready');
        },
        (err: unknown) => {
          this.init.logger.error({ err, worker: id }, 'replacement serving worker failed to start');
          // No process was made (fork threw): nothing will exit to ask again, so ask here. A
          // worker that started and died is replaced through its own exit.
          if (this.workers.get(id) === previous) this.scheduleRestart(id, { err: String(err) });
        },
      );
    }, delay);
    this.restartTimers.add(timer);
  }
}
