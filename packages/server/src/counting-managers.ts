/**
 * The state managers with the composition root's counters attached: the managers stay free of
 * metrics, and the handlers do not need to know which of their calls are worth counting.
 * Subclasses rather than wrappers so the hot read paths keep calling the real methods directly.
 */
import type { RegisterBrokerResult } from '@ns/protocol';
import { KV_OP_WIDTH, KVConfigManager, KvOpCode } from './kvconfig/index.js';
import type { KVConfigManagerOptions } from './kvconfig/index.js';
import type { KvWriteOp } from './metrics.js';
import { RouteInfoManager } from './route/index.js';
import type {
  RegisterBrokerRequest,
  RouteInfoManagerDeps,
  RouteInfoManagerOptions,
} from './route/index.js';

/** Counts applied registrations (not the ones the single-topic guard refused, nor failures). */
export class CountingRouteInfoManager extends RouteInfoManager {
  private readonly onRegistered: () => void;

  constructor(
    deps: RouteInfoManagerDeps,
    options: RouteInfoManagerOptions,
    onRegistered: () => void,
  ) {
    super(deps, options);
    this.onRegistered = onRegistered;
  }

  // registerBroker runs these steps too.
  override *registerBrokerInSteps(
    req: RegisterBrokerRequest,
    pause: () => boolean,
  ): Generator<void, RegisterBrokerResult | null, void> {
    const result = yield* super.registerBrokerInSteps(req, pause);
    if (result !== null) this.onRegistered();
    return result;
  }
}

/**
 * When a KV change is counted:
 * - `applied` (synchronous persistence: a failed persist throws before the count; also what a
 *   write-behind owner gets until it reports its writes): after the change is applied;
 * - `persisted` (write-behind): only what `persisted(ops)` reports, i.e. a KV write's ops once
 *   they are on disk and answered. A write that failed is not counted, nor are its undo's edits.
 *
 * In both, the edits `undo` makes (reverting a failed write) are not counted: they are no
 * PUT or DELETE of a client (a reviewer's 5 puts and 3 deletes persisted, one put failed on a
 * full disk, counted 6 puts and 4 deletes).
 */
export type KVCountWhen = 'applied' | 'persisted';

/** Counts KV changes that were persisted (see KVCountWhen). */
export class CountingKVConfigManager extends KVConfigManager {
  private readonly onWritten: (op: KvWriteOp) => void;
  private readonly countWhen: KVCountWhen;
  /** Inside `undo`: its edits are not counted. */
  private undoing = 0;

  constructor(
    options: KVConfigManagerOptions,
    onWritten: (op: KvWriteOp) => void,
    countWhen: KVCountWhen = 'applied',
  ) {
    super(options);
    this.onWritten = onWritten;
    this.countWhen = countWhen;
  }

  override putKVConfig(namespace: string, key: string, value: string | null): void {
    super.putKVConfig(namespace, key, value);
    if (this.countWhen === 'applied' && this.undoing === 0) this.onWritten('put');
  }

  override deleteKVConfig(namespace: string, key: string): void {
    super.deleteKVConfig(namespace, key);
    if (this.countWhen === 'applied' && this.undoing === 0) this.onWritten('delete');
  }

  override undo(ops: readonly unknown[], from: number, to: number): void {
    this.undoing++;
    try {
      super.undo(ops, from, to);
    } finally {
      this.undoing--;
    }
  }

  /**
   * `persisted` mode: a KV write's ops (as recorded) are on disk and were answered SUCCESS (a
   * DELETE of an absent key, answered without a file, counts too: Java rewrites the file for
   * it). Ignored in `applied` mode, which counted them already.
   */
  persisted(ops: readonly unknown[]): void {
    if (this.countWhen !== 'persisted') return;
    for (let i = 0; i < ops.length; i += KV_OP_WIDTH[ops[i] as number]!) {
      if (ops[i] === KvOpCode.PUT) this.onWritten('put');
      else if (ops[i] === KvOpCode.DELETE) this.onWritten('delete');
    }
  }
}
