/**
 * One serving worker process, as the owner process sees it: forks it, brings it up (config, then a
 * snapshot of the registry), hands it connections, sends it op batches, runs the writes it
 * forwards, and notices when it dies.
 */
import { fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { encodeCommand } from '@ns/protocol';
import type { NamesrvConfig } from '../config/index.js';
import type { Logger } from '../logging.js';
import { OLD_SPACE_FLOOR_FLAG, nodeFlagSet } from '../node-flags.js';
import type { MetricsExport } from '../metrics.js';
import type { RegistryOwner } from '../registry/registry-owner.js';
import type { ReplicaPeer } from '../registry/replica-set.js';
import type { IssuedCertificate } from '../security/tls/certificate-factory.js';
import type { ConnectionSink } from '../transport/acceptor.js';
import type { LimitName } from '../transport/types.js';
import { fromWire } from './messages.js';
import type { OwnerToWorker, WorkerToOwner } from './messages.js';
import { pingIntervalFor, SilenceWatch } from './silence-watch.js';

/**
 * How long a worker may take from its fork to serving (boot, snapshot, catching up); one that
 * takes longer is ended and replaced. Generous: a snapshot of hundreds of thousands of queue
 * entries loads in seconds on a busy machine.
 */
export const START_TIMEOUT_MILLIS = 60_000;

/**
 * How long the owner waits for a worker to confirm ('adopted') a connection handed to it. A worker
 * at its file-descriptor limit (`ulimit -n`) cannot take the socket in: Node's channel drops the
 * message without a word on either side (the send still reports success), and the owner's copy
 * stayed open for ever — the client's connection never ended, and once enough had piled up the
 * owner's own descriptors ran out and it refused every connection. A healthy worker confirms
 * within one trip through its event loop (milliseconds, its slices are kept under 5 ms); 5 s is
 * far past that, yet bounds what the owner holds to 5 s of accepts and lets the client see its
 * connection end soon enough to reconnect. A worker silent for longer is ended anyway
 * (servingWorkerAckTimeoutMillis, 10 s by default).
 */
export const HANDOVER_TIMEOUT_MILLIS = 5_000;

/** At most one warning line per worker this often about hand-overs given up (the rest counted). */
const HANDOVER_LOG_INTERVAL_MILLIS = 10_000;

export interface ServingWorkerInit {
  workerId: number;
  owner: RegistryOwner;
  config: NamesrvConfig;
  selfSigned: IssuedCertificate | null;
  servingProcesses: number;
  /** When the node started (see the init message). */
  nodeStartedAt: number;
  /** The node's clock anchor (steady-clock.ts): the worker reads the owner's time. */
  clockAnchor: number;
  /** The last good credentials and certificate files (see the init message). */
  securityFiles: Record<string, Uint8Array> | null;
  /** Whether it logs the security startup lines (see the init message); default false. */
  announce?: boolean;
  logger: Logger;
  entry: URL;
  /** A connection this worker served (or was being handed) ended. */
  onConnectionClosed(id: number): void;
  /** The process ended (crash, kill or shutdown); `connections` are the ids it was serving. */
  onExit(worker: ServingWorker, code: number | null, signal: NodeJS.Signals | null): void;
  /**
   * A connection could not be handed to this worker (its channel closed: it is dying): the
   * socket never reached it, so another worker may still serve it.
   */
  onHandOverFailed(worker: ServingWorker, socket: Socket, id: number): void;
  /** Counts hand-overs given up (`handover_timeout`); absent in tests. */
  metrics?: { limitEnforced(limit: LimitName): void } | undefined;
  /** HANDOVER_TIMEOUT_MILLIS unless set (tests). */
  handOverTimeoutMillis?: number | undefined;
}

/** Errors of a send to a worker whose channel closed (the process is exiting or gone). */
const CHANNEL_GONE: ReadonlySet<string> = new Set([
  'EPIPE',
  'ECONNRESET',
  'ERR_IPC_CHANNEL_CLOSED',
]);

export class ServingWorker implements ConnectionSink, ReplicaPeer {
  readonly name: string;
  readonly workerId: number;
  /** Ids of the connections this worker serves. */
  readonly connections = new Set<number>();
  /**
   * Ids given up (HANDOVER_TIMEOUT_MILLIS) that the worker confirmed afterwards: it was stalled,
   * not out of descriptors. It is told to close them, but whatever it applied from them meanwhile
   * (a registration read before the close) must still be undone by their close: the registry
   * hears that close again (connectionClosed is idempotent), the acceptor does not (it released
   * them when they were given up).
   */
  readonly lateAdopted = new Set<number>();
  /** How long it had been silent when it was ended for that (0: it was not): a stall to report. */
  endedSilentMillis = 0;
  /**
   * This process's copy of each socket handed over and not yet confirmed by the worker
   * ('adopted'). Sent with keepOpen, so closing our copy is up to us: on confirmation, or when the
   * worker dies first — otherwise a client whose socket was still on its way would never see its
   * connection end (Node's channel holds handles until the child acknowledges them) —, or when
   * the worker has not confirmed within HANDOVER_TIMEOUT_MILLIS (`timer`).
   */
  private readonly handingOver = new Map<
    number,
    { socket: Socket; timer: NodeJS.Timeout; since: number }
  >();
  /** Hand-overs given up since the last warning line, and when that line was written. */
  private abandonedUnlogged = 0;
  private abandonLoggedAt = -Infinity;
  private readonly init: ServingWorkerInit;
  private readonly child: ChildProcess;
  private isReady = false;
  private exited = false;
  private readonly readyWaiters: { resolve(): void; reject(err: Error): void }[] = [];
  private readonly metricsWaiters = new Map<number, (m: MetricsExport | null) => void>();
  private nextRid = 1;
  private readonly exitPromise: Promise<void>;
  /** Pings the worker once it serves, and ends it when it stops answering (silence-watch.ts). */
  private pinger: NodeJS.Timeout | null = null;
  private silence: SilenceWatch | null = null;
  /**
   * Silent for 3 ping intervals, judged after a poll phase of this process (so a pong that waits
   * unread behind this process's own stalls does not count); cleared by anything heard.
   */
  private seenSilent = false;

  constructor(init: ServingWorkerInit) {
    this.init = init;
    this.workerId = init.workerId;
    this.name = `serving-worker-${init.workerId}`;
    this.child = fork(init.entry, [], {
      execArgv: servingExecArgv(process.execArgv, process.env['NODE_OPTIONS']),
      serialization: 'advanced',
      // stdout stays free for the owner's one machine-readable line. The worker's logs come
      // through a pipe of its own and the owner copies them to its stderr line by line: an
      // inherited stderr would be shared, and each child's libuv setup and exit reset the shared
      // descriptor's O_NONBLOCK flag, so the owner's writes could block on a slow reader.
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: process.env,
    });
    const workerStderr = this.child.stderr;
    if (workerStderr !== null) {
      createInterface({ input: workerStderr, crlfDelay: Infinity }).on('line', (line) => {
        process.stderr.write(`${line}\n`);
      });
    }
    this.child.on('message', (msg: WorkerToOwner) => {
      this.onMessage(msg);
    });
    this.exitPromise = new Promise((resolve) => {
      const gone = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (this.exited) return;
        this.exited = true;
        this.isReady = false;
        if (this.pinger !== null) clearInterval(this.pinger);
        this.pinger = null;
        for (const { socket, timer } of this.handingOver.values()) {
          clearTimeout(timer);
          socket.destroy();
        }
        this.handingOver.clear();
        for (const w of this.readyWaiters.splice(0)) {
          w.reject(new Error(`${this.name} exited during start (code ${code}, signal ${signal})`));
        }
        for (const answer of this.metricsWaiters.values()) answer(null);
        this.metricsWaiters.clear();
        init.onExit(this, code, signal);
        resolve();
      };
      this.child.once('exit', gone);
      // A process that could not be started (EAGAIN, EMFILE…) emits 'error' and 'close', never
      // 'exit': without this it would count as a worker for ever, and never be replaced.
      this.child.once('close', gone);
    });
    this.child.on('error', (err: NodeJS.ErrnoException) => {
      // A message sent to a worker that just died (its exit not seen yet) fails with EPIPE: the
      // exit that follows is what reports and replaces it, so that one is no error of its own.
      const level = err.code !== undefined && CHANNEL_GONE.has(err.code) ? 'debug' : 'error';
      init.logger[level]({ err, worker: this.workerId }, 'serving worker process error');
    });
    this.post({
      t: 'init',
      workerId: init.workerId,
      config: init.config,
      selfSigned: init.selfSigned,
      servingProcesses: init.servingProcesses,
      nodeStartedAt: init.nodeStartedAt,
      clockAnchor: init.clockAnchor,
      securityFiles: init.securityFiles,
      announce: init.announce ?? false,
    });
    this.post({ t: 'ping' });
    this.startPinging();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** False once its process is gone (see ReplicaPeer.alive). */
  get alive(): boolean {
    return !this.exited;
  }

  /**
   * Whether a connection handed to it has waited `millis` or more to be taken in: it is stalled
   * (stopped, wedged, at its open-files limit), so new connections had better go elsewhere until
   * it confirms or its ping deadline ends it. (Map order is hand-over order: the first is oldest.)
   */
  handOverWaitingFor(millis: number): boolean {
    for (const pending of this.handingOver.values()) {
      return performance.now() - pending.since >= millis;
    }
    return false;
  }

  get ready(): boolean {
    return this.isReady && !this.exited;
  }

  /**
   * Ready and heard from within a few ping intervals: one silent longer (stopped, wedged) is not
   * ended before servingWorkerAckTimeoutMillis, but meanwhile it is handed no new connection and
   * does not count for /readyz (review: half the new connections hung on a stopped worker, and
   * /readyz said 200 with every worker stopped).
   */
  get responsive(): boolean {
    return this.ready && !this.seenSilent;
  }

  /** How long nothing was heard from it over its channel (0 before it is ready). */
  get silentMillis(): number {
    return this.silence?.silentMillis() ?? 0;
  }

  /**
   * Sends the snapshot and joins the replica set; once the worker has loaded it, writes wait for
   * it too, and once it has caught up with every write answered meanwhile, it is ready for
   * connections (`ready`) and this resolves. Rejects if the process ends first; a worker not
   * ready within START_TIMEOUT_MILLIS is ended (a replacement follows through its exit).
   */
  async start(): Promise<void> {
    const loaded = new Promise<void>((resolve, reject) => {
      this.readyWaiters.push({ resolve, reject });
    });
    // Awaited only after joinReplica, which waits for its turn behind the writes in progress: a
    // worker that died meanwhile rejected it with nobody listening yet, and Node treats that as
    // an uncaught error: the whole node went down with one replacement worker (review finding).
    loaded.catch(() => undefined);
    const timer = setTimeout(() => {
      this.terminate(`not ready ${START_TIMEOUT_MILLIS} ms after it was started`);
    }, START_TIMEOUT_MILLIS);
    timer.unref();
    try {
      await this.init.owner.joinReplica(this, (snapshot) => {
        this.post({ t: 'snapshot', snapshot });
      });
      await loaded;
      const caughtUp = await this.init.owner.admitReplica(this);
      if (!caughtUp || this.exited) throw new Error(`${this.name} exited during start`);
    } finally {
      clearTimeout(timer);
    }
    this.isReady = true;
    // Judged from now on: before, START_TIMEOUT_MILLIS bounds it (a large snapshot may keep it
    // from answering for a while).
    this.silence = new SilenceWatch({
      limitMillis: this.init.config.servingWorkerAckTimeoutMillis,
      intervalMillis: pingIntervalFor(this.init.config.servingWorkerAckTimeoutMillis),
    });
  }

  /**
   * A worker that is stopped or wedged keeps its channel open and is never noticed otherwise
   * until a write waits for it (and a node without writes has none): /readyz said ready and new
   * connections went on being handed to it. Silent for servingWorkerAckTimeoutMillis once it
   * serves: ended and replaced, as for a write it did not apply. Pinged from its start on; it
   * watches its owner from its snapshot on (worker-main.ts).
   */
  private startPinging(): void {
    const intervalMillis = pingIntervalFor(this.init.config.servingWorkerAckTimeoutMillis);
    this.pinger = setInterval(() => {
      const silent = this.silence?.check() ?? null;
      if (silent !== null) {
        this.isReady = false;
        this.endedSilentMillis = silent;
        this.terminate(`no answer over its channel for ${silent} ms (stopped or wedged)`);
        return;
      }
      this.post({ t: 'ping' });
      const silentFor = (): number => this.silence?.silentMillis() ?? 0;
      if (!this.seenSilent && silentFor() >= 3 * intervalMillis) {
        // Timers run before the poll phase that reads the channel: decide after it.
        setImmediate(() => {
          if (silentFor() >= 3 * intervalMillis) this.seenSilent = true;
        });
      }
    }, intervalMillis);
    this.pinger.unref();
  }

  /** Ends the process at once (see ReplicaPeer.terminate); its exit is handled as a crash. */
  terminate(reason: string): void {
    if (this.exited) return;
    this.init.logger.error(
      { worker: this.workerId, pid: this.pid, reason },
      'ending serving worker',
    );
    this.child.kill('SIGKILL');
  }

  adopt(socket: Socket, id: number): void {
    this.connections.add(id);
    const timer = setTimeout(() => {
      this.abandonHandOver(id);
    }, this.init.handOverTimeoutMillis ?? HANDOVER_TIMEOUT_MILLIS);
    timer.unref();
    this.handingOver.set(id, { socket, timer, since: performance.now() });
    this.child.send(
      { t: 'conn', id } satisfies OwnerToWorker,
      socket,
      { keepOpen: true },
      (err) => {
        if (err !== null) {
          this.connections.delete(id);
          const pending = this.forgetHandOver(id, false);
          // Its channel is gone: it is dying, and must not be picked again meanwhile. (Ended
          // outright should it not be: a worker never handed connections again must not stay.)
          this.isReady = false;
          const dying =
            (err as NodeJS.ErrnoException).code === 'ERR_IPC_CHANNEL_CLOSED' ||
            !this.child.connected ||
            this.child.exitCode !== null ||
            this.child.signalCode !== null;
          if (dying) {
            // Its process is exiting (killed, crashed): its exit line says why; no stack, and no
            // "ending" line for a process already gone. Killed all the same should it linger.
            this.init.logger.info(
              { worker: this.workerId, connectionId: id },
              'connection not handed over: the serving worker is exiting',
            );
            this.child.kill('SIGKILL');
          } else {
            this.init.logger.warn(
              { err, worker: this.workerId },
              'handing a connection over failed',
            );
            this.terminate('a connection could not be handed over to it');
          }
          // Already given up (its deadline, or the worker's exit): its close was reported then.
          if (!pending) return;
          if (socket.destroyed) this.init.onConnectionClosed(id);
          else this.init.onHandOverFailed(this, socket, id);
        }
      },
    );
  }

  /**
   * Ends the hand-over of `id` (confirmed, closed, given up): stops its deadline and, when
   * `destroy`, closes this process's copy of the socket. False when none was in progress.
   */
  private forgetHandOver(id: number, destroy: boolean): boolean {
    const pending = this.handingOver.get(id);
    if (pending === undefined) return false;
    this.handingOver.delete(id);
    clearTimeout(pending.timer);
    if (destroy) pending.socket.destroy();
    return true;
  }

  /**
   * The worker did not confirm `id` within the deadline: the socket most likely never reached it
   * (see HANDOVER_TIMEOUT_MILLIS). Closed here, so the client sees its connection end, and to the
   * node it closed (as a worker's 'conn-closed'). Should the worker confirm it later after all, it
   * is told to close its copy (onMessage 'adopted').
   */
  private abandonHandOver(id: number): void {
    if (this.exited || !this.forgetHandOver(id, true)) return;
    this.connections.delete(id);
    this.init.metrics?.limitEnforced('handover_timeout');
    this.init.onConnectionClosed(id);
    void this.init.owner.connectionClosed(id);
    this.abandonedUnlogged++;
    const now = performance.now();
    if (now - this.abandonLoggedAt < HANDOVER_LOG_INTERVAL_MILLIS) return;
    this.abandonLoggedAt = now;
    const timeoutMillis = this.init.handOverTimeoutMillis ?? HANDOVER_TIMEOUT_MILLIS;
    this.init.logger.warn(
      {
        worker: this.workerId,
        workerPid: this.pid,
        abandoned: this.abandonedUnlogged,
        timeoutMillis,
        connections: this.connections.size,
      },
      `connections handed to serving worker ${this.workerId} not taken in within ${timeoutMillis} ms, closed; ` +
        'most likely the worker is at its open-files limit (ulimit -n): raise it or lower maxConnections',
    );
    this.abandonedUnlogged = 0;
  }

  sendOps(seq: number, encoded: unknown, final: boolean): void {
    const parts = encoded as Uint8Array[];
    for (let i = 0; i < parts.length; i++) {
      const last = i === parts.length - 1;
      this.post({ t: 'ops', seq, final: final && last, end: last, bytes: parts[i]! });
    }
  }

  closeConnection(id: number): void {
    this.post({ t: 'close-conn', id });
  }

  sendFrame(id: number, frame: Buffer): void {
    this.post({ t: 'send', id, frame });
  }

  /** The worker's metrics, or null when it does not answer within `timeoutMillis` (or exits). */
  metrics(timeoutMillis: number): Promise<MetricsExport | null> {
    const rid = this.nextRid++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.metricsWaiters.delete(rid);
        resolve(null);
      }, timeoutMillis);
      timer.unref();
      this.metricsWaiters.set(rid, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.post({ t: 'metrics', rid });
    });
  }

  /** Asks for a graceful stop; kills the process if it is not gone `graceMillis` + 2 s later. */
  async shutdown(graceMillis: number): Promise<void> {
    if (this.exited) return;
    this.post({ t: 'shutdown', graceMillis });
    const timer = setTimeout(
      () => this.child.kill('SIGKILL'),
      // Past 2^31-1 ms Node fires a timer after 1 ms: the worker was killed at once.
      Math.min(graceMillis + 2000, 2_147_483_647),
    );
    await this.exitPromise;
    clearTimeout(timer);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child.kill(signal);
  }

  private post(msg: OwnerToWorker): void {
    if (this.exited || !this.child.connected) return;
    this.child.send(msg);
  }

  private onMessage(msg: WorkerToOwner): void {
    this.silence?.heard();
    this.seenSilent = false;
    const owner = this.init.owner;
    switch (msg.t) {
      case 'pong':
        return;
      case 'ready':
        // Its snapshot is loaded; start() makes it ready for connections once it caught up.
        for (const w of this.readyWaiters.splice(0)) w.resolve();
        return;
      case 'ack':
        owner.replicas.ack(this, msg.seq);
        return;
      case 'adopted':
        // Confirmed after its deadline: given up here already (the client saw it end, the node
        // counted it closed), so the worker must not serve it on.
        if (!this.forgetHandOver(msg.id, true) && !this.connections.has(msg.id)) {
          this.lateAdopted.add(msg.id);
          this.post({ t: 'close-conn', id: msg.id });
        }
        return;
      case 'exec': {
        // Delivered after its worker's exit (a message still in the channel): its connection is
        // gone and already reported lost, so a registration applied now would bind its broker to
        // a connection nothing will ever close; nobody can read the answer either.
        if (this.exited) return;
        const request = fromWire(msg.cmd);
        const ctx = {
          connectionId: msg.connectionId,
          remoteAddress: msg.remoteAddress,
          receivedAt: msg.receivedAt,
        };
        const rid = msg.rid;
        const run =
          msg.decoded === undefined
            ? owner.execute(request, ctx)
            : owner.register(request, ctx, msg.decoded);
        void run.then((response) => {
          if (response === 'resend') {
            this.post({ t: 'result', rid, code: 0, frame: null, resend: true });
            return;
          }
          this.post({
            t: 'result',
            rid,
            code: response?.code ?? 0,
            frame: response === null ? null : (response.encodedFrame ?? encodeCommand(response)),
          });
        });
        return;
      }
      case 'conn-closed':
        this.forgetHandOver(msg.id, true);
        if (!this.connections.delete(msg.id)) {
          // A hand-over given up (abandonHandOver), whose close was reported then; if the worker
          // took it in late, the registry hears the real close too (see lateAdopted).
          if (this.lateAdopted.delete(msg.id)) void owner.connectionClosed(msg.id);
          return;
        }
        this.init.onConnectionClosed(msg.id);
        void owner.connectionClosed(msg.id);
        return;
      case 'metrics': {
        const resolve = this.metricsWaiters.get(msg.rid);
        this.metricsWaiters.delete(msg.rid);
        resolve?.(msg.metrics as MetricsExport);
        return;
      }
      case 'corrupt':
        this.init.logger.error(
          { worker: this.workerId, reason: msg.reason },
          'serving worker replica corrupt; it exits and is replaced',
        );
        return;
    }
  }
}

/**
 * The young generation's cap for a serving worker, in MiB. V8 grows a semi-space up to 16 MiB
 * (Node 20, 64-bit) when most young objects survive — as they do while a worker replays a large
 * registration into its replica — and a scavenge then copies up to that much in one pause of
 * 10–20 ms (measured on the 2-core machine), longer than any other task on a serving loop. At
 * 2 MiB the pauses are about a quarter of that for about a third more GC time in all; the short-
 * lived garbage of lookups dies young either way.
 */
export const SERVING_SEMI_SPACE_MIB = 2;

/**
 * A worker's node flags: the owner's, plus the semi-space cap and the old-space floor
 * (node-flags.ts), each unless the operator set it.
 */
export function servingExecArgv(
  execArgv: readonly string[],
  nodeOptions: string | undefined,
): string[] {
  const argv = [...execArgv];
  if (!nodeFlagSet('--max-semi-space-size', execArgv, nodeOptions)) {
    argv.push(`--max-semi-space-size=${SERVING_SEMI_SPACE_MIB}`);
  }
  if (!nodeFlagSet('--initial-old-space-size', execArgv, nodeOptions)) {
    argv.push(OLD_SPACE_FLOOR_FLAG);
  }
  return argv;
}
