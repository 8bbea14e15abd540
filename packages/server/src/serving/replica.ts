/**
 * A serving worker's copy of the registry: route tables, KV table and config, kept identical to
 * the owner's by replaying its op batches (registry/ops.ts) in order — with the same edit methods,
 * so Map orders, answers and change notifications come out exactly as the owner's would.
 *
 * Batches are applied in slices (`sliceMillis`): a registration of 50,000 topics arrives as
 * hundreds of thousands of ops, and the event loop that answers lookups must never stall on it.
 * Between slices lookups see the batch partly applied, and the write's response is released only
 * after the whole batch is acknowledged. A slice ends only where the owner's own readers could
 * have looked too: between two topic edits (each topic's route is one that existed before or
 * after the write), or at the end of what the owner sent between two of its own slices. Never
 * inside a broker's edits: a slice that ended between DELETE_GROUP and REMOVE_FROM_CLUSTERS
 * showed a cluster listing a broker group that no longer existed (review finding).
 */
import type { NamesrvConfig } from '../config/index.js';
import { ConfigHolder } from '../config-holder.js';
import { KVConfigManager } from '../kvconfig/index.js';
import { opKind, opWidth } from '../registry/ops.js';
import { OpCode } from '../route/index.js';
import type { RegistrySnapshot } from '../registry/registry-owner.js';
import { RouteTables } from '../route/index.js';
import { upkeepRunner } from '../slices/upkeep-runner.js';
import type { ServingReadState } from './serving-node.js';

interface PendingBatch {
  readonly seq: number;
  /** The ops, or how to get them: a part that crossed from the owner is decoded when reached. */
  ops: readonly unknown[] | (() => readonly unknown[]);
  next: number;
  /** The owner's readers may have seen the state after this part: a slice may end after it. */
  readonly end: boolean;
}

/** An op that edits one topic's QueueData: between two of them a slice may end. */
function isTopicEdit(code: unknown): boolean {
  return code === OpCode.PUT_QUEUE || code === OpCode.REMOVE_QUEUE;
}

export interface ReplicaOptions {
  /** Longest stretch of op replay before yielding to the event loop. */
  sliceMillis: number;
  /** Called after batch `seq` is fully applied, in order. */
  onApplied(seq: number): void;
  /** A batch could not be applied: the copy can no longer be trusted (the worker must exit). */
  onCorrupt(err: unknown): void;
}

export class Replica implements ServingReadState {
  routes: RouteTables;
  readonly kv = new KVConfigManager();
  readonly configHolder: ConfigHolder;
  private readonly queue: PendingBatch[] = [];
  /** Parts received since the last `end` part: queued together once that one arrives. */
  private incoming: PendingBatch[] = [];
  /** Code of the last op applied (see isTopicEdit). */
  private lastCode: unknown = undefined;
  private scheduled = false;
  private readonly options: ReplicaOptions;
  private appliedSeq = 0;

  constructor(snapshot: RegistrySnapshot, options: ReplicaOptions) {
    this.options = options;
    this.configHolder = new ConfigHolder(snapshot.config);
    this.routes = new RouteTables({
      supportActingMaster: snapshot.config.supportActingMaster,
      javaLine: snapshot.config.compatibilityLine,
      // After the batches queued, as on the owner: this loop answers lookups meanwhile.
      scheduleTopicOrder: upkeepRunner(() => this.queue.length > 0),
    });
    this.routes.importOps(snapshot.routeOps);
    this.kv.importTable(snapshot.kv);
    this.appliedSeq = snapshot.seq;
  }

  config(): NamesrvConfig {
    return this.configHolder.get();
  }

  onConfigChanged(listener: (next: NamesrvConfig) => void): void {
    this.configHolder.onChange(listener);
  }

  /** Batches received and not fully applied yet (the route watch waits for them). */
  writeInProgress(): boolean {
    return this.queue.length > 0 || this.incoming.length > 0;
  }

  /** Number of the last batch fully applied. */
  get lastApplied(): number {
    return this.appliedSeq;
  }

  /**
   * Queues one batch (batches arrive in order; a batch may come in several parts). `ops` may be a
   * function that decodes them: it is called in the slice that reaches the batch, so parts that
   * arrive together are not all deserialized in one message callback (a 50,000-topic write is
   * dozens of parts, and the channel hands over whatever arrived in one read).
   *
   * `end`: the owner may have been read right after this part (it ends what the owner sent
   * between two of its slices, or the batch). A part without it waits for the part that has it:
   * the channel may hand parts over in separate turns, and applying the first alone would show
   * readers a state the owner never had.
   */
  enqueue(seq: number, ops: readonly unknown[] | (() => readonly unknown[]), end = true): void {
    const part = { seq, ops, next: 0, end };
    if (!end) {
      this.incoming.push(part);
      return;
    }
    for (const held of this.incoming) this.queue.push(held);
    this.incoming = [];
    this.queue.push(part);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.runSlice();
    });
  }

  private runSlice(): void {
    const deadline = performance.now() + this.options.sliceMillis;
    // Past the deadline, the slice ends at the next point where it may (see the file comment).
    let overdue = false;
    let budgetCheck = 0;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue[0]!;
        if (typeof batch.ops === 'function') batch.ops = batch.ops();
        const ops = batch.ops;
        let i = batch.next;
        while (i < ops.length) {
          if (overdue && isTopicEdit(ops[i]) && isTopicEdit(this.lastCode)) break;
          this.lastCode = ops[i];
          i = this.applyOne(ops, i);
          // performance.now() is cheap, but not free: look at the clock every 256 ops.
          if (!overdue && ++budgetCheck === 256) {
            budgetCheck = 0;
            overdue = performance.now() >= deadline;
          }
        }
        batch.next = i;
        if (i < ops.length) break;
        this.queue.shift();
        // A batch may be one part of a write: only the last part carries the write's number.
        if (batch.seq > this.appliedSeq) {
          this.routes.flushChanges();
          this.appliedSeq = batch.seq;
          this.options.onApplied(batch.seq);
        }
        if (batch.end && (overdue || performance.now() >= deadline)) break;
      }
      // Readers between slices must not be served routes cached before this slice's edits.
      this.routes.flushChanges();
    } catch (err) {
      this.options.onCorrupt(err);
      return;
    }
    if (this.queue.length > 0) this.schedule();
  }

  private applyOne(ops: readonly unknown[], i: number): number {
    const code = ops[i] as number;
    switch (opKind(code)) {
      case 'route':
        return this.routes.applyOps(ops, i, i + opWidth(ops, i));
      case 'kv':
        return this.kv.applyOp(ops, i);
      case 'config':
        this.configHolder.set(ops[i + 1] as NamesrvConfig);
        return i + 2;
    }
  }
}
