/**
 * The state managers with the composition root's counters attached: the managers stay free of
 * metrics, and the handlers do not need to know which of their calls are worth counting.
 * Subclasses rather than wrappers so the hot read paths keep calling the real methods directly.
 */
import type { RegisterBrokerResult } from '@ns/protocol';
import { KVConfigManager } from './kvconfig/index.js';
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

/** Counts KV changes that were persisted (a failed persist throws and is not counted). */
export class CountingKVConfigManager extends KVConfigManager {
  private readonly onWritten: (op: KvWriteOp) => void;

  constructor(options: KVConfigManagerOptions, onWritten: (op: KvWriteOp) => void) {
    super(options);
    this.onWritten = onWritten;
  }

  override putKVConfig(namespace: string, key: string, value: string | null): void {
    super.putKVConfig(namespace, key, value);
    this.onWritten('put');
  }

  override deleteKVConfig(namespace: string, key: string): void {
    super.deleteKVConfig(namespace, key);
    this.onWritten('delete');
  }
}
