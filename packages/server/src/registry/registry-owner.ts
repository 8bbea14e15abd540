/**
 * The registry owner (Java: NamesrvController's RouteInfoManager + KVConfigManager + config, with
 * their write locks): the one place where state changes, one write at a time, in arrival order.
 *
 * Every state change comes here: writes forwarded by serving workers (`execute`), connection
 * closes (`connectionClosed`), broker expiry (`scanNotActiveBroker`). Each runs on the write
 * queue; its edits are recorded into one op batch, the batch goes to every serving worker's
 * replica, and the response is released only once every replica has applied it (read-your-writes
 * from any connection). A write with KV edits also hands them to the KV persistence thread and
 * its response waits for them to be on disk, but the write queue does not (see `startKvWrite`).
 *
 * The owner answers no reads itself: a serving side in the same process (servingWorkers = 1) reads
 * the owner's own tables (`routes.tables`, `kv`, `config`), workers in other processes read their
 * replicas.
 */
import { createResponse, ResponseCode } from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import type { ConfigKey, NamesrvConfig } from '../config/index.js';
import { ConfigHolder } from '../config-holder.js';
import { CountingKVConfigManager, CountingRouteInfoManager } from '../counting-managers.js';
import { createDispatcher } from '../handlers/handler-sets.js';
import type { LocalDispatcher } from '../handlers/handler-sets.js';
import type { PreDecodedBody, RequestContext, WritePace } from '../handlers/request-context.js';
import { kvOpsChangeNothing } from '../kvconfig/index.js';
import type { KVConfigPersist, KVTableExport } from '../kvconfig/index.js';
import type { Logger } from '../logging.js';
import type { NamesrvMetrics } from '../metrics.js';
import type { Clock, RemovedBroker } from '../route/index.js';
import { configOp, kvOpsOf, onlyKvOps, onlyRouteOps } from './ops.js';
import { RegistrationBases } from './registration-bases.js';
import type { DecodedRegistration } from '../serving/decode/decoded-registration.js';
import { liveKey } from '../route/broker-live-info.js';
import { ReplicaSet } from './replica-set.js';
import type { ReplicaPeer } from './replica-set.js';
import { WriteQueue } from './write-queue.js';
import { youngCollector } from './young-collector.js';
import type { YoungCollector } from './young-collector.js';
import { upkeepRunner } from '../slices/upkeep-runner.js';

/**
 * Brokers removed per slice of a connection close or an expiry scan: a few milliseconds of work
 * (a removal is a few microseconds), so a close of 40,000 broker names never holds the event loop
 * for long (issue 16). The topics of a removed broker name count apart: TOPIC_REMOVAL_SLICE.
 */
export const REMOVAL_SLICE = 512;

/**
 * Longest stretch of a registration's work on the event loop before reads get a turn (see
 * `register`). Serving workers replay op batches in slices of the same length.
 */
export const WRITE_SLICE_MILLIS = 2;

/**
 * QueueData a removal (connection close, expiry, unregister of a broker hosting tens of thousands
 * of topics) removes per slice: about two milliseconds of work with the route-change listeners'
 * share (2,048 made slices of 4-5 ms on the 2-core machine; issue 11).
 */
export const TOPIC_REMOVAL_SLICE = 1024;

/**
 * How long a KV write's response waits, with no KV file finished meanwhile, before its edits count
 * as failed (undone, SYSTEM_ERROR): a disk that hangs (a stuck NFS mount, a multi-second fsync)
 * must not leave PUT_KV_CONFIG unanswered for ever. Route writes never wait for it
 * (`startKvWrite`). A healthy disk takes milliseconds (about 100 ms for a file of 100,000 keys).
 */
export const KV_PERSIST_DEADLINE_MILLIS = 5000;

/** Lets pending I/O (reads on every connection) run before the next slice. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A WritePace of `sliceMillis` slices (closures: `due` is handed around as a bare function).
 * Between two slices, once pending I/O has run, `young` collects the young generation if the
 * write has filled it past its threshold (young-collector.ts), in a turn of its own: reads wait
 * for a slice or for that collection, never for both.
 */
export function slicedPace(sliceMillis: number, young: YoungCollector | null): WritePace {
  let deadline = performance.now() + sliceMillis;
  return {
    removalsPerSlice: TOPIC_REMOVAL_SLICE,
    due: () => performance.now() >= deadline,
    breathe: async () => {
      await nextTurn();
      if (young !== null && young.due()) {
        young.collect();
        await nextTurn();
      }
      deadline = performance.now() + sliceMillis;
    },
  };
}

/**
 * Makes KV ops durable; the write's response waits for it (see kvconfig/kv-write-behind.ts).
 * Batches handed over while an earlier one is being written must be covered by one later file
 * write together (group commit): the owner hands them over without waiting.
 */
export interface KVDurability {
  /**
   * Resolves once `ops` are on disk; rejects when they could not be written. Every batch of KV
   * ops the owner records reaches it, in order, including the reverting ops of an undo (so a
   * copy of the table kept there stays equal to the owner's).
   */
  write(ops: readonly unknown[]): Promise<void>;
  /**
   * How long it has had writes to do without finishing one (0: idle, or a file just written).
   * Absent: the deadline counts from each hand-over.
   */
  stalledMillis?(): number;
}

export interface RegistryOwnerInit {
  config: NamesrvConfig;
  clock: Clock;
  /** A logger per component ('registry', 'route', 'handlers'), so live level changes reach them. */
  loggerFor(component: string): Logger;
  metrics: NamesrvMetrics;
  /** The KV table loaded at start. */
  initialKV: Map<string, Map<string, string>>;
  /**
   * How KV changes reach the disk: `write-behind` (the owner waits for `durability` before
   * answering; nothing blocks) or a synchronous `persist` of the whole table (tests).
   */
  kvPersistence:
    | { mode: 'write-behind'; durability: KVDurability }
    | { mode: 'sync'; persist: KVConfigPersist }
    | { mode: 'none' };
  /** Writes UPDATE_NAMESRV_CONFIG's result to configStorePath; throws on failure. */
  persistConfig: (config: NamesrvConfig, changed: readonly ConfigKey[]) => void;
  /** How op batches are encoded for replicas in other processes (default: as they are). */
  encodeOps?: (ops: readonly unknown[]) => unknown;
  /**
   * Collects the young generation between slices of a large write (default: this process's,
   * young-collector.ts; null: never).
   */
  youngCollector?: YoungCollector | null;
}

/** A write's response, and when it has KV edits, their outcome (null: on disk). */
interface Applied {
  response: RemotingCommand | null;
  durable: Promise<Error | null> | null;
  /** Every worker has the write's edits (null: had them before the write queue moved on). */
  acked: Promise<void> | null;
}

/** A KV write not answered yet (see `startKvWrite`). */
interface KvWrite {
  readonly ops: readonly unknown[];
  /** Its ops are in a file on disk. */
  durable: boolean;
  finished: boolean;
  timer: NodeJS.Timeout | undefined;
  readonly done: (err: Error | null) => void;
}

/** Everything a replica needs to start: the tables as ops, the KV table, the config, its seq. */
export interface RegistrySnapshot {
  seq: number;
  routeOps: unknown[];
  kv: KVTableExport;
  config: NamesrvConfig;
}

export class RegistryOwner {
  readonly routes: CountingRouteInfoManager;
  readonly kv: CountingKVConfigManager;
  readonly config: ConfigHolder;
  readonly replicas: ReplicaSet;
  private readonly dispatcher: LocalDispatcher;
  private readonly queue = new WriteQueue();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly metrics: NamesrvMetrics;
  private readonly durability: KVDurability | null;
  private readonly young: YoungCollector | null;
  /** The edits of the write in progress (route, KV and config ops, in order). */
  private readonly batch: unknown[] = [];
  /** Part of the write in progress went to the replicas already (see `pace`). */
  private streamed = false;
  /** Each broker's last registered topic table (incremental registrations). */
  private readonly bases = new RegistrationBases();
  /** KV writes applied in memory and not answered yet, in order (see `startKvWrite`). */
  private readonly kvWrites: KvWrite[] = [];
  /** Set from a KV write's failure until `undoKvWrites` has run. */
  private kvFailure: Error | null = null;

  constructor(init: RegistryOwnerInit) {
    this.clock = init.clock;
    this.log = init.loggerFor('registry');
    this.metrics = init.metrics;
    this.config = new ConfigHolder(init.config);
    this.replicas = new ReplicaSet({
      ...(init.encodeOps === undefined ? {} : { encode: init.encodeOps }),
      lateAfterMillis: init.config.servingWorkerAckTimeoutMillis,
      onLate: (peer, seq) => {
        // Every write of the node waits for it: end it, and its exit lets them go on.
        this.log.error(
          { replica: peer.name, seq, waitedMillis: init.config.servingWorkerAckTimeoutMillis },
          'serving worker did not apply a write in time; ending it',
        );
        peer.terminate?.(`did not apply write ${seq} in time`);
      },
    });
    this.young = init.youngCollector === undefined ? youngCollector() : init.youngCollector;
    const persistence = init.kvPersistence;
    this.durability = persistence.mode === 'write-behind' ? persistence.durability : null;
    this.kv = new CountingKVConfigManager(
      {
        initial: init.initialKV,
        ...(persistence.mode === 'sync' ? { persist: persistence.persist } : {}),
      },
      (op) => {
        this.metrics.kvConfigWritten(op);
      },
      // Write-behind: counted once on disk and answered (answerDurableKvWrites), not when applied.
      persistence.mode === 'write-behind' ? 'persisted' : 'applied',
    );
    const kv = this.kv;
    const config = init.config;
    this.routes = new CountingRouteInfoManager(
      {
        clock: this.clock,
        logger: init.loggerFor('route'),
        // Only for a reader of a result's kvTable: the REGISTER_BROKER handler sends the body it
        // keeps per namespace stamp (handlers/broker.ts), so a registration copies nothing.
        kvLookup: (namespace) => kv.getKVListByNamespace(namespace),
        onLiveBrokerRemoved: (key) => {
          this.bases.forget(key);
        },
        // After the writes queued: a new broker's round trip does not wait for it.
        scheduleTopicOrder: upkeepRunner(() => this.queue.length > 0),
      },
      {
        supportActingMaster: config.supportActingMaster,
        deleteTopicWithBrokerRegistration: config.deleteTopicWithBrokerRegistration,
        defaultHeartbeatTimeoutMillis: config.heartbeatTimeoutMillis,
        javaLine: config.compatibilityLine,
        notifyMinBrokerIdChanged: config.notifyMinBrokerIdChanged,
      },
      () => {
        this.metrics.brokerRegistered();
      },
    );
    // Route edits are recorded only while a replica needs them (see `listenForRouteOps`); KV
    // edits always, for their durability.
    this.kv.recordOpsInto(this.batch);
    this.config.onChange((next, _previous, changed) => {
      this.batch.push(...configOp(next));
      this.onConfigChanged(next, changed);
    });
    this.dispatcher = createDispatcher({
      routeInfoManager: this.routes,
      kvConfigManager: this.kv,
      config: this.config,
      persistConfig: init.persistConfig,
      metrics: {
        // The serving side counts requests; the owner's part is inside that duration.
        observeRequest: () => undefined,
        limitEnforced: (limit) => {
          this.metrics.limitEnforced(limit);
        },
      },
      logger: init.loggerFor('handlers'),
      clock: this.clock,
    });
  }

  /** Writes submitted and not finished (for metrics and tests). */
  get queuedWrites(): number {
    return this.queue.length;
  }

  /** Runs a write request (forwarded by a serving side) and resolves to its response. */
  async execute(request: RemotingCommand, ctx: RequestContext): Promise<RemotingCommand | null> {
    const applied = await this.queue.run(async () => {
      const paced: RequestContext = { ...ctx, pace: this.pace() };
      const done = await this.apply(() => this.dispatcher.dispatch(request, paced));
      // An UNREGISTER_BROKER of a broker with many topics removes them in slices: its answer
      // waits for the last one (read-your-writes), and no other write comes in between.
      await this.finishRemovals();
      return done;
    });
    return whenDone(request, applied);
  }

  /** Removes, slice by slice, the QueueData that bounded removals left (see RouteInfoManager). */
  private async finishRemovals(): Promise<void> {
    while (this.routes.hasPendingRemovals()) {
      await nextTurn();
      await this.apply(() => {
        this.routes.removePendingTopics(TOPIC_REMOVAL_SLICE);
        return null;
      });
    }
  }

  /**
   * REGISTER_BROKER whose body the serving side decoded (`decoded`; the request carries no body).
   * 'resend' when it is a delta against a base this owner does not hold: the serving side then
   * decodes the body in full and registers again.
   */
  async register(
    request: RemotingCommand,
    ctx: RequestContext,
    decoded: DecodedRegistration,
  ): Promise<RemotingCommand | null | 'resend'> {
    const applied = await this.queue.run<Applied | 'resend'>(async () => {
      // A body of tens of thousands of topics is worked through in slices of the event loop
      // (rebuilding the broker's table here, then editing the route tables), so the reads this
      // process serves (servingWorkers = 1) and its IPC never wait for a whole body.
      const pace = this.pace();
      const key = brokerKeyOf(request);
      let pre: PreDecodedBody | 'resend' | null = null;
      if (key !== null) {
        const steps = this.bases.resolveInSteps(key, decoded, pace.due);
        for (let step = steps.next(); ; step = steps.next()) {
          if (step.done === true) {
            pre = step.value;
            break;
          }
          await pace.breathe();
        }
      }
      if (pre === 'resend') return 'resend';
      const withBody: RequestContext =
        pre === null ? { ...ctx, pace } : { ...ctx, preDecoded: pre, pace };
      return this.apply(() => this.dispatcher.dispatch(request, withBody));
    });
    return applied === 'resend' ? 'resend' : whenDone(request, applied);
  }

  /**
   * The pace of a write worked through in slices: between two slices, the edits made so far go to
   * the replicas ahead of the write's batch (ReplicaSet.stream), so with serving workers the
   * replay of a registration of 50,000 topics runs alongside the owner's work, not after it.
   * Route edits only: a KV edit waits for its durability, and a config replacement is rare and
   * small, so a batch holding either goes out whole at the end (`apply`).
   */
  private pace(): WritePace {
    const sliced = slicedPace(WRITE_SLICE_MILLIS, this.young);
    return {
      removalsPerSlice: sliced.removalsPerSlice,
      due: sliced.due,
      breathe: () => {
        if (this.replicas.size > 0 && this.batch.length > 0 && onlyRouteOps(this.batch)) {
          this.replicas.stream(this.batch.splice(0));
          this.streamed = true;
        }
        return sliced.breathe();
      },
    };
  }

  /**
   * A connection closed: drop the brokers whose latest registration used it (§4.5), in slices of
   * REMOVAL_SLICE brokers. The write queue stays held from the first slice to the last (no write
   * sees half of it), but the event loop is handed back between slices, so reads go on being
   * answered while a connection carrying tens of thousands of broker names is emptied.
   */
  connectionClosed(connectionId: number): Promise<RemovedBroker[]> {
    return this.queue.run(async () => {
      const removed: RemovedBroker[] = [];
      for (;;) {
        await this.apply(() => {
          const slice = this.routes.onConnectionClosed(
            connectionId,
            REMOVAL_SLICE,
            TOPIC_REMOVAL_SLICE,
          );
          for (const b of slice) removed.push(b);
          return null;
        });
        if (!this.routes.isConnectionInUse(connectionId) && !this.routes.hasPendingRemovals()) {
          break;
        }
        await nextTurn();
      }
      for (let i = 0; i < removed.length; i++) this.metrics.brokerExpired('channel_closed');
      return removed;
    });
  }

  /** A connection the node lost itself (its serving worker died): detach its brokers, keep them. */
  connectionLost(connectionId: number): Promise<void> {
    return this.queue.run(async () => {
      let unregisters: ReturnType<RegistryOwner['routes']['takeLostConnection']>['unregisters'] =
        [];
      await this.apply(() => {
        unregisters = this.routes.takeLostConnection(connectionId).unregisters;
        return null;
      });
      // Held UNREGISTER_BROKERs: applied one by one, their topics in slices, as from a client.
      for (const u of unregisters) {
        await nextTurn();
        await this.apply(() => {
          this.routes.unregisterBroker(u.identity, {
            ...u.ctx,
            maxTopicEdits: TOPIC_REMOVAL_SLICE,
          });
          return null;
        });
        await this.finishRemovals();
      }
    });
  }

  /** §4.6: expires silent brokers, in slices like `connectionClosed`; returns them (the caller closes their connections). */
  scanNotActiveBroker(): Promise<RemovedBroker[]> {
    return this.queue.run(async () => {
      const now = this.clock.now();
      const expired: RemovedBroker[] = [];
      for (;;) {
        let slice: RemovedBroker[] = [];
        await this.apply(() => {
          slice = this.routes.scanNotActiveBroker(now, REMOVAL_SLICE, TOPIC_REMOVAL_SLICE);
          return null;
        });
        for (const b of slice) expired.push(b);
        if (slice.length < REMOVAL_SLICE && !this.routes.hasPendingRemovals()) break;
        await nextTurn();
      }
      for (let i = 0; i < expired.length; i++) this.metrics.brokerExpired('timeout');
      return expired;
    });
  }

  /** Whether a live broker still uses the connection (then an expiry must not close it). */
  isConnectionInUse(connectionId: number): boolean {
    return this.routes.isConnectionInUse(connectionId);
  }

  /**
   * Adds a replica at the current state, counted at once (a replica in this process, which has
   * loaded the snapshot when `sendSnapshot` returns): `sendSnapshot` runs between two writes,
   * right before the peer starts receiving batches, so it gets exactly the state the next batch
   * applies to.
   */
  addReplica(peer: ReplicaPeer, sendSnapshot: (snapshot: RegistrySnapshot) => void): Promise<void> {
    return this.attachReplica(peer, sendSnapshot, true);
  }

  /**
   * As addReplica for a replica in another process, still booting: it gets the snapshot and
   * every later batch, but writes wait for it only once it is admitted (`admitReplica`), when it
   * has loaded the snapshot.
   */
  joinReplica(
    peer: ReplicaPeer,
    sendSnapshot: (snapshot: RegistrySnapshot) => void,
  ): Promise<void> {
    return this.attachReplica(peer, sendSnapshot, false);
  }

  /**
   * Counts a joined replica: writes wait for it from now on. Resolves true once it has applied
   * every write answered so far (it may then serve), false if it left first.
   */
  admitReplica(peer: ReplicaPeer): Promise<boolean> {
    return this.replicas.admit(peer);
  }

  private attachReplica(
    peer: ReplicaPeer,
    sendSnapshot: (snapshot: RegistrySnapshot) => void,
    counted: boolean,
  ): Promise<void> {
    return this.queue.run(() => {
      // It may have died while this waited for its turn (its removeReplica found nothing to
      // remove then): added now, it would hold every later write waiting for its ack.
      if (peer.alive === false) return;
      sendSnapshot({
        seq: this.replicas.lastSeq,
        routeOps: this.routes.tables.exportOps(),
        kv: this.kv.exportTable(),
        config: this.config.get(),
      });
      if (counted) this.replicas.add(peer);
      else this.replicas.join(peer);
      this.listenForRouteOps();
    });
  }

  removeReplica(peer: ReplicaPeer): void {
    this.replicas.remove(peer);
    this.listenForRouteOps();
  }

  /**
   * Route edits go into the op batch only while a replica is there to replay them. With
   * servingWorkers = 1 there is none, and recording was pure waste: a registration of 50,000
   * topics built an op array of 350,000 entries, kept alive to the end of the write (young
   * generation survivors to copy), then copied and scanned once more in one piece after the
   * last slice (`apply`), a serving-loop stall of 4-7 ms on the 2-core machine. Switching off
   * mid-write (the last replica left) loses nothing: no one is left to send the rest to, and a
   * replica added later starts from a snapshot, between two writes.
   */
  private listenForRouteOps(): void {
    this.routes.tables.recordOpsInto(this.replicas.size > 0 ? this.batch : null);
  }

  /** Resolves once every write submitted so far has finished. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /**
   * One write: run it, hand its KV edits to the persistence side, publish its edits, wait for
   * every replica, then hand back the response and, for KV edits, when they are on disk. Runs on
   * the write queue.
   */
  private async apply(
    run: () => RemotingCommand | null | Promise<RemotingCommand | null>,
  ): Promise<Applied> {
    // The dispatcher never throws nor rejects; a failed write is a SYSTEM_ERROR response, and
    // whatever edits it made before failing are real: they go to the disk and the replicas.
    const response = await run();
    const ops = this.batch.splice(0);
    const kvOps = this.durability === null ? [] : kvOpsOf(ops);
    const durable = kvOps.length > 0 ? this.startKvWrite(kvOps) : null;
    // A streamed write ends with its final part even when nothing is left to send: that part
    // carries the number the replicas acknowledge.
    let acked: Promise<void> | null = null;
    if (ops.length > 0 || this.streamed) {
      this.streamed = false;
      const seq = this.replicas.publish(ops);
      acked = this.replicas.whenAcked(seq);
      // A write of KV edits only (a few small ops) lets the next write start while the workers
      // apply it; its response still waits for them (whenDone). Under a flood of PUT_KV_CONFIG a
      // registration waited for one round trip to every worker per PUT ahead of it (review: p99
      // 174–455 ms at W = 2). Route writes keep the queue until every worker has them: that paces
      // the owner to its workers under a flood of large registrations.
      if (!onlyKvOps(ops)) {
        await acked;
        acked = null;
      }
    }
    return { response, durable, acked };
  }

  /**
   * Hands a write's KV ops to the persistence thread and resolves once they are on disk (null)
   * or have failed (the error; the write is undone by then). The write queue does not wait for
   * it: a KV write used to hold the queue until its file was written (about 90 ms at 100,000
   * keys), so every registration, heartbeat and expiry waited behind each PUT_KV_CONFIG (a flood
   * of PUTs: a broker's registration round trip 2.8 → 1,300 ms), and only one KV batch was ever
   * in flight, so the thread never covered two with one file (quadratic fills). Now the next
   * writes run at once, and KV batches handed over while the thread writes are covered together
   * by its next file.
   *
   * The value is in memory (and read) before it is on disk, as in Java, whose KVConfigManager
   * persists after releasing its lock. Answers go out in order. A failure (or the deadline)
   * undoes every KV write not answered yet, newest first, and fails them all: the later ones
   * were applied on top of the failed one, so undoing it alone could restore a value over a
   * newer one. Memory is then what the last acknowledged KV write left.
   */
  private startKvWrite(ops: readonly unknown[]): Promise<Error | null> {
    return new Promise((resolve) => {
      const w: KvWrite = { ops, durable: false, finished: false, timer: undefined, done: resolve };
      this.kvWrites.push(w);
      if (kvOpsChangeNothing(ops)) {
        // Nothing to write (a DELETE of an absent key), but answered in its turn: the key may be
        // absent only because a KV write before it, not on disk yet, removed it.
        w.durable = true;
        this.answerDurableKvWrites();
        return;
      }
      // The deadline is for a disk that stopped, not for a queue: while the persistence side
      // keeps finishing files (each of a 170 MB table takes seconds, and a write handed over
      // during one waits for it, then for its own), the write waits on. Counted from each
      // hand-over, writes of such a table failed under load though every file got written.
      const arm = (millis: number): void => {
        w.timer = setTimeout(() => {
          const stalled = this.durability!.stalledMillis?.() ?? KV_PERSIST_DEADLINE_MILLIS;
          if (stalled < KV_PERSIST_DEADLINE_MILLIS) {
            arm(KV_PERSIST_DEADLINE_MILLIS - stalled);
            return;
          }
          this.kvWriteFailed(
            w,
            new Error(
              `the KV config was not on disk within ${KV_PERSIST_DEADLINE_MILLIS} ms of the last file written (the disk is slow or hung)`,
            ),
          );
        }, millis);
      };
      arm(KV_PERSIST_DEADLINE_MILLIS);
      this.durability!.write(ops).then(
        () => {
          w.durable = true;
          this.answerDurableKvWrites();
        },
        (err: unknown) => {
          this.kvWriteFailed(w, err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  /** Answers the KV writes at the head that are on disk, unless a failure is being undone. */
  private answerDurableKvWrites(): void {
    if (this.kvFailure !== null) return;
    while (this.kvWrites.length > 0 && this.kvWrites[0]!.durable) {
      const w = this.kvWrites.shift()!;
      this.kv.persisted(w.ops);
      finishKvWrite(w, null);
    }
  }

  private kvWriteFailed(w: KvWrite, err: Error): void {
    if (w.finished || this.kvFailure !== null) return; // answered, or in the undo to come
    this.kvFailure = err;
    // On the queue: the undo edits the tables and goes to the replicas like any write.
    void this.queue.run(() => this.undoKvWrites(err));
  }

  /** Undoes and fails every KV write not answered yet (see `startKvWrite`). Runs on the queue. */
  private async undoKvWrites(err: Error): Promise<void> {
    const failed = this.kvWrites.splice(0);
    this.log.error(
      { err, writes: failed.length },
      'persisting the KV config failed, the unanswered KV writes are undone',
    );
    for (let j = failed.length - 1; j >= 0; j--) {
      const ops = failed[j]!.ops;
      this.kv.undo(ops, 0, ops.length);
    }
    const undone = this.batch.splice(0);
    // The persistence side already applied the failed ops to its copy of the table: the
    // reverting ops (DROP_NAMESPACE included) bring it back in step, and rewrite the file in
    // case the failed write got as far as the rename (a timed-out one may still get there: the
    // undo, queued behind it, then follows it to the file). Nothing waits for it (a hung disk
    // would hold the queue); its own failure changes nothing more.
    const undoKvOps = kvOpsOf(undone);
    if (undoKvOps.length > 0) {
      this.durability!.write(undoKvOps).catch((undoErr: unknown) => {
        this.log.error({ err: undoErr }, 'persisting the undo of a failed KV write failed');
      });
    }
    if (undone.length > 0) {
      const seq = this.replicas.publish(undone);
      await this.replicas.whenAcked(seq);
    }
    this.kvFailure = null;
    // Answered once no replica serves the undone values any more.
    for (const w of failed) finishKvWrite(w, err);
  }

  private onConfigChanged(next: NamesrvConfig, changed: readonly ConfigKey[]): void {
    if (changed.includes('deleteTopicWithBrokerRegistration')) {
      this.routes.setDeleteTopicWithBrokerRegistration(next.deleteTopicWithBrokerRegistration);
    }
  }
}

/**
 * The key a REGISTER_BROKER's bases are kept under (liveKey of its cluster and address), or null
 * when the header lacks them (the handler then answers the missing field).
 */
function brokerKeyOf(request: RemotingCommand): string | null {
  const cluster = request.extFields?.['clusterName'];
  const addr = request.extFields?.['brokerAddr'];
  return cluster === undefined || addr === undefined ? null : liveKey(cluster, addr);
}

function finishKvWrite(w: KvWrite, err: Error | null): void {
  w.finished = true;
  clearTimeout(w.timer);
  w.done(err);
}

/**
 * A write's response once every worker has it and its KV edits are on disk; SYSTEM_ERROR when
 * they failed (undone).
 */
async function whenDone(
  request: RemotingCommand,
  applied: Applied,
): Promise<RemotingCommand | null> {
  if (applied.acked !== null) await applied.acked;
  if (applied.durable === null) return applied.response;
  const err = await applied.durable;
  if (err === null) return applied.response;
  return createResponse(request, {
    code: ResponseCode.SYSTEM_ERROR,
    remark: `persisting the KV config failed: ${err.message}`,
  });
}
