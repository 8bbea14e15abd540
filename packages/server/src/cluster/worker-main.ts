/**
 * Entry point of a serving worker process (forked by cluster/serving-worker.ts; never run by hand).
 *
 * It receives its config, then a snapshot of the registry, builds a Replica and a ServingNode —
 * the same serving code a single-process node runs — and from then on: takes the connections the
 * owner hands over, answers reads from the replica, forwards writes to the owner, replays the
 * owner's op batches and acknowledges them.
 *
 * If the owner goes away (the IPC channel closes) there is nothing left to serve consistently:
 * the worker drops its connections and exits at once, so a node is never half alive. So it does
 * when the owner stops answering with the channel still open (silence-watch.ts).
 */
import { Socket } from 'node:net';
import { createResponse } from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import type { NamesrvConfig } from '../config/index.js';
import { createLogger } from '../logging.js';
import type { Logger } from '../logging.js';
import { createMetrics } from '../metrics.js';
import type { NamesrvMetrics } from '../metrics.js';
import { Replica } from '../serving/replica.js';
import { ignoreStdioErrors } from '../stdio-exit.js';
import { AUDIT_LOGGER_NAME } from '../security/audit-record.js';
import type { IssuedCertificate } from '../security/tls/certificate-factory.js';
import { ServingNode } from '../serving/serving-node.js';
import { describeSecurityError, ServingSecurity } from '../serving/serving-security.js';
import { withStandIns } from '../security/file-stand-ins.js';
import type { RegistryPort } from '../serving/serving-node.js';
import type { RequestContext } from '../handlers/request-context.js';
import type { DecodedRegistration } from '../serving/decode/decoded-registration.js';
import { transportOptionsOf } from '../transport/transport-options.js';
import { asBuffer, decodeOpPart, toWire } from './messages.js';
import type { OwnerToWorker, WorkerToOwner } from './messages.js';
import { pingIntervalFor, SilenceWatch } from './silence-watch.js';
import { steadyClock } from '../steady-clock.js';
import type { SteadyClock } from '../steady-clock.js';

/** Exit codes of a worker (the owner logs them). */
const EXIT_OWNER_GONE = 10;
const EXIT_CORRUPT = 11;
/** The access control or TLS setup failed here (files changed since the owner checked them). */
const EXIT_SECURITY = 12;
/** The owner stopped answering (stopped or wedged) with its channel still open. */
const EXIT_OWNER_SILENT = 13;

/** Longest op replay stretch on this event loop (the serving-stall budget is 5 ms). */
const REPLAY_SLICE_MILLIS = 2;

interface Pending {
  readonly request: RemotingCommand;
  readonly resolve: (response: RemotingCommand | null | 'resend') => void;
}

class ServingWorker {
  private workerId = 0;
  private config: NamesrvConfig | null = null;
  private selfSigned: IssuedCertificate | null = null;
  /** The credentials and certificate files as they last passed the owner's check. */
  private securityFiles: Record<string, Uint8Array> | null = null;
  private servingProcesses = 1;
  /** Whether this worker logs the security startup lines (the init message says). */
  private announce = false;
  /** The owner's clock once 'init' came (steady-clock.ts). */
  private clock: SteadyClock = steadyClock();
  private nodeStartedAt = this.clock.now();
  private logger: Logger | null = null;
  private readonly loggers: Logger[] = [];
  private metrics: NamesrvMetrics | null = null;
  private replica: Replica | null = null;
  private serving: ServingNode | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextRid = 1;
  /** Connections handed over before the snapshot made us ready (cannot happen, but be safe). */
  private readonly early: [Socket, number][] = [];
  /** Watches the owner once the snapshot is loaded (see watchOwner). */
  private ownerSilence: SilenceWatch | null = null;

  private readonly registry: RegistryPort = {
    execute: (request, ctx) =>
      this.exec(request, ctx, undefined) as Promise<RemotingCommand | null>,
    register: (request, ctx, decoded) => this.exec(request, ctx, decoded),
    connectionClosed: (id) => {
      send({ t: 'conn-closed', id });
    },
  };

  /** A write (with `decoded`: a REGISTER_BROKER whose body was decoded here), run at the owner. */
  private exec(
    request: RemotingCommand,
    ctx: RequestContext,
    decoded: DecodedRegistration | undefined,
  ): Promise<RemotingCommand | null | 'resend'> {
    return new Promise((resolve) => {
      const rid = this.nextRid++;
      this.pending.set(rid, { request, resolve });
      send({
        t: 'exec',
        rid,
        connectionId: ctx.connectionId,
        remoteAddress: ctx.remoteAddress,
        receivedAt: ctx.receivedAt ?? this.clock.now(),
        cmd: toWire(request),
        ...(decoded === undefined ? {} : { decoded }),
      });
    });
  }

  onMessage(msg: OwnerToWorker, handle: unknown): void {
    this.ownerSilence?.heard();
    switch (msg.t) {
      case 'ping':
        send({ t: 'pong' });
        return;
      case 'init':
        this.selfSigned = msg.selfSigned;
        this.servingProcesses = msg.servingProcesses;
        this.clock = steadyClock(msg.clockAnchor);
        this.nodeStartedAt = msg.nodeStartedAt;
        this.securityFiles = msg.securityFiles;
        this.announce = msg.announce;
        this.init(msg.workerId, msg.config);
        return;
      case 'snapshot':
        this.start(msg.snapshot);
        return;
      case 'ops':
        this.replica?.enqueue(msg.final ? msg.seq : 0, () => decodeOpPart(msg.bytes), msg.end);
        return;
      case 'conn':
        // No handle: the owner gave this hand-over up (HANDOVER_TIMEOUT_MILLIS) and closed its
        // copy while Node's channel still queued it behind an earlier handle this (stalled)
        // process had not acknowledged; Node then sends the message without the socket. The
        // owner has released the connection already: nothing to serve, nothing to report.
        if (!(handle instanceof Socket)) return;
        this.adopt(handle, msg.id);
        return;
      case 'result':
        this.result(msg.rid, msg.code, msg.frame, msg.resend === true);
        return;
      case 'close-conn':
        this.serving?.closeConnection(msg.id);
        return;
      case 'send':
        this.serving?.pool.send(msg.id, asBuffer(msg.frame));
        return;
      case 'metrics':
        void this.reportMetrics(msg.rid);
        return;
      case 'shutdown':
        void this.shutdown(msg.graceMillis);
        return;
    }
  }

  /**
   * An owner that is stopped or wedged keeps the channel open: this worker went on answering
   * from a replica nobody updated any more (brokers that should have expired stayed in routes)
   * for as long as the owner stayed stopped. Silent for servingWorkerAckTimeoutMillis, it is
   * treated as gone; the clients fail over to other nodes.
   */
  private watchOwner(): void {
    const limitMillis = this.config?.servingWorkerAckTimeoutMillis ?? 10_000;
    const intervalMillis = pingIntervalFor(limitMillis);
    const silence = new SilenceWatch({ limitMillis, intervalMillis });
    this.ownerSilence = silence;
    setInterval(() => {
      const silent = silence.check();
      if (silent === null) return;
      this.logger?.error(
        { silentMillis: silent },
        'registry owner silent (stopped or wedged), serving worker exits',
      );
      this.logger?.flush();
      process.exit(EXIT_OWNER_SILENT);
    }, intervalMillis).unref();
  }

  /** The owner is gone: no consistent answer is possible any more. */
  ownerGone(): void {
    this.logger?.error({}, 'registry owner gone, serving worker exits');
    process.exit(EXIT_OWNER_GONE);
  }

  private init(workerId: number, config: NamesrvConfig): void {
    this.workerId = workerId;
    this.config = config;
    this.logger = createLogger({
      level: config.logLevel,
      base: { name: 'ns-server', worker: workerId },
    });
    // Registry state gauges (brokers, topics) are the owner's to report; watches are served here.
    this.metrics = createMetrics(
      { routeWatchers: () => this.serving?.routeWatch?.service.stats().held ?? 0 },
      { defaultMetrics: true, role: 'serving' },
    );
  }

  private start(snapshot: ConstructorParameters<typeof Replica>[0]): void {
    // The config as of the snapshot, not of the fork: an update in between (logLevel, limits)
    // reached the owner after this worker's init was sent, and no change event will repeat it.
    const config = snapshot.config;
    this.config = config;
    const logger = this.logger!;
    logger.level = config.logLevel;
    this.replica = new Replica(snapshot, {
      sliceMillis: REPLAY_SLICE_MILLIS,
      onApplied: (seq) => {
        send({ t: 'ack', seq });
      },
      onCorrupt: (err) => {
        logger.fatal({ err }, 'op batch could not be applied, replica corrupt');
        send({ t: 'corrupt', reason: err instanceof Error ? err.message : String(err) });
        process.exit(EXIT_CORRUPT);
      },
    });
    this.replica.configHolder.onChange((next) => {
      for (const l of this.loggers) l.level = next.logLevel;
      logger.level = next.logLevel;
      audit.level = next.logLevel === 'silent' ? 'silent' : 'info';
    });
    const loggerFor = (component: string): Logger => {
      const child = logger.child({ component });
      this.loggers.push(child);
      return child;
    };
    const audit = logger.child({ component: AUDIT_LOGGER_NAME });
    audit.level = logger.level === 'silent' ? 'silent' : 'info';
    const build = (): ServingSecurity =>
      new ServingSecurity({
        config,
        logger: loggerFor('security'),
        auditLogger: audit,
        metrics: this.metrics!.security,
        selfSigned: this.selfSigned,
        servingProcesses: this.servingProcesses,
        announce: this.announce,
      });
    let security: ServingSecurity;
    try {
      try {
        security = build();
      } catch (err) {
        const lastGood = this.securityFiles;
        if (lastGood === null || Object.keys(lastGood).length === 0) throw err;
        // The files turned bad since they last passed: start from those bytes, as the workers
        // already running keep theirs (security/file-stand-ins.ts).
        security = withStandIns(lastGood, build);
        logger.warn(
          { reason: describeSecurityError(err), files: Object.keys(lastGood) },
          'credentials or certificate files refused; this worker starts on the last good ones (the previous credentials stay in force)',
        );
      }
    } catch (err) {
      logger.fatal(
        { err, reason: describeSecurityError(err) },
        'access control or TLS could not be set up in this serving worker',
      );
      logger.flush();
      process.exit(EXIT_SECURITY);
    }
    this.serving = new ServingNode({
      state: this.replica,
      registry: this.registry,
      loggerFor,
      metrics: this.metrics!,
      clock: this.clock,
      startedAt: this.nodeStartedAt,
      servingProcesses: this.servingProcesses,
      transport: transportOptionsOf(config, this.servingProcesses),
      name: `w${this.workerId}`,
      security,
    });
    for (const [socket, id] of this.early.splice(0)) this.serving.adopt(socket, id);
    send({ t: 'ready' });
    // From now on: the snapshot may take longer than the limit to come through the channel, and
    // the owner's pings wait behind it.
    this.watchOwner();
  }

  private adopt(socket: Socket, id: number): void {
    if (this.serving === null) this.early.push([socket, id]);
    else this.serving.adopt(socket, id);
    send({ t: 'adopted', id });
  }

  private result(rid: number, code: number, frame: Uint8Array | null, resend: boolean): void {
    const p = this.pending.get(rid);
    if (p === undefined) return;
    this.pending.delete(rid);
    if (resend) {
      p.resolve('resend');
      return;
    }
    if (frame === null) {
      p.resolve(null);
      return;
    }
    const response = createResponse(p.request, { code });
    response.encodedFrame = asBuffer(frame);
    p.resolve(response);
  }

  private async reportMetrics(rid: number): Promise<void> {
    send({ t: 'metrics', rid, metrics: await this.metrics!.export() });
  }

  private async shutdown(graceMillis: number): Promise<void> {
    await this.serving?.close(graceMillis);
    this.logger?.flush();
    process.exit(0);
  }
}

function send(msg: WorkerToOwner): void {
  // A closed channel means the owner is gone; 'disconnect' handles that.
  if (process.connected) process.send!(msg);
}

// stderr may be a pipe whose reader is gone: losing log lines must not kill or hang the worker.
ignoreStdioErrors();
const worker = new ServingWorker();
process.on('message', (msg: OwnerToWorker, handle: unknown) => {
  worker.onMessage(msg, handle);
});
process.on('disconnect', () => {
  worker.ownerGone();
});
// The owner decides when this process stops; a terminal's Ctrl-C (or its closing: SIGHUP)
// reaches the whole process group, and the owner then sends 'shutdown'.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);
process.on('SIGHUP', () => undefined);
