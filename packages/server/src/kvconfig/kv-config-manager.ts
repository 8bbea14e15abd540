/**
 * KVConfigManager (§5): namespace → key → value, pure.
 *
 * Two ways to make changes durable:
 * - `persist` (synchronous): called with the whole table after every PUT and DELETE (Java persists
 *   even a delete that changed nothing), before the caller acknowledges the request. If it throws,
 *   the in-memory change is rolled back and a KVConfigError (NS_KV_CONFIG_PERSIST_FAILED) is
 *   thrown, so memory never holds an acknowledged-looking value the file lacks. Tests use it.
 * - write-behind (the registry owner, what a running node uses): no `persist`; every change is
 *   recorded as an op (`recordOpsInto`) with the value it replaced, the owner hands the ops to
 *   the KV persistence thread (kv-write-behind.ts, kv-persist-thread.ts) and holds the response
 *   until they are on disk, and undoes them (`undo`) if that fails; the reverting ops go to the
 *   thread too, whose copy of the table replays every op with `applyOp`. A delete that changed
 *   nothing records an op too, so that it is answered in its turn, but no file is written for it
 *   (kvOpsChangeNothing; Java and `persist` rewrite the unchanged file).
 *
 * The recorded ops are also what serving workers replay (`applyOp`) to keep their read copy
 * identical; `onChanged` listeners (the route cache: ORDER_TOPIC_CONFIG entries are part of routes)
 * hear about every change, wherever it came from.
 */
import { javaHashMapCapacity } from '@ns/protocol';
import type { KVTable } from '@ns/protocol';
import { KVConfigError } from './kv-config-errors.js';
import type { KVConfigTable } from './kv-config-file-format.js';

/** Receives the live table (read-only view); must not keep it past the call. */
export type KVConfigPersist = (snapshot: KVConfigTable) => void;

/** Op codes of the KV edits in the shared op log (route ops use 1–99). */
export const KvOpCode = {
  /** [PUT, namespace, key, value, previous (undefined = absent), namespaceCreated] */
  PUT: 100,
  /** [DELETE, namespace, key, previous (undefined = absent)] */
  DELETE: 101,
  /** [DROP_NAMESPACE, namespace]: only when undoing the put that created it. */
  DROP_NAMESPACE: 102,
} as const;

/** How many array entries each KV op takes (its code included). */
export const KV_OP_WIDTH: Readonly<Record<number, number>> = {
  [KvOpCode.PUT]: 6,
  [KvOpCode.DELETE]: 4,
  [KvOpCode.DROP_NAMESPACE]: 2,
};

/**
 * Whether KV ops `ops` (a write's, as recorded) change nothing: deletes of absent keys only. The
 * owner writes no file for them (a flood of such deletes would otherwise rewrite the whole file
 * each time) but still answers them after the KV writes before them.
 */
export function kvOpsChangeNothing(ops: readonly unknown[]): boolean {
  for (let i = 0; i < ops.length; i += KV_OP_WIDTH[ops[i] as number]!) {
    if (ops[i] !== KvOpCode.DELETE || ops[i + 3] !== undefined) return false;
  }
  return true;
}

/**
 * Every namespace with its entries, in table order (a replica's starting point), and the most
 * entries it has held when that is more than its table needs now (see namespaceTableCapacity).
 */
export type KVTableExport = [
  namespace: string,
  entries: [key: string, value: string | null][],
  highWater?: number,
][];

export type KVChangeListener = (namespace: string, key: string) => void;

export interface KVConfigManagerOptions {
  /** Initial content, e.g. from `KVConfigFileStore.load()`. Copied. */
  initial?: ReadonlyMap<string, ReadonlyMap<string, string | null>>;
  persist?: KVConfigPersist;
}

export class KVConfigManager {
  private readonly configTable = new Map<string, Map<string, string | null>>();
  /** Namespace → the most entries it has held (Java's per-namespace HashMap never shrinks). */
  private readonly highWater = new Map<string, number>();
  private readonly persistFn: KVConfigPersist | null;
  private readonly listeners = new Set<KVChangeListener>();
  private ops: unknown[] | null = null;
  /** Bumped by every change of the table (see `version`, `namespaceStamp`). */
  private changes = 0;
  /** Namespace → `changes` at its last change; absent: unchanged since the last import. */
  private readonly stamps = new Map<string, number>();
  private importStamp = 0;

  constructor(options: KVConfigManagerOptions = {}) {
    this.persistFn = options.persist ?? null;
    if (options.initial !== undefined) {
      // Java fills its HashMap from the file, so each namespace's table starts grown to its size.
      for (const [ns, entries] of options.initial) {
        this.configTable.set(ns, new Map(entries));
        this.highWater.set(ns, entries.size);
      }
    }
  }

  /** Hears every put and delete that was applied (also replayed and undone ones). */
  onChanged(listener: KVChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts appending every edit to `sink` (the owner's op log); null stops. */
  recordOpsInto(sink: unknown[] | null): void {
    this.ops = sink;
  }

  /**
   * PUT_KV_CONFIG: creates the namespace on demand. A null value is stored (Java does) and then
   * reads as "not found" and is left out of the file.
   */
  putKVConfig(namespace: string, key: string, value: string | null): void {
    checkArgs(namespace, key);
    let entries = this.configTable.get(namespace);
    const createdNamespace = entries === undefined;
    if (entries === undefined) {
      entries = new Map();
      this.configTable.set(namespace, entries);
    }
    const had = entries.has(key);
    const previous = entries.get(key);
    entries.set(key, value);
    this.persistOrRollback(() => {
      if (createdNamespace) this.configTable.delete(namespace);
      else if (had) entries.set(key, previous ?? null);
      else entries.delete(key);
    });
    if (entries.size > (this.highWater.get(namespace) ?? 0)) {
      this.highWater.set(namespace, entries.size);
    }
    this.ops?.push(
      KvOpCode.PUT,
      namespace,
      key,
      value,
      had ? previous : undefined,
      createdNamespace,
    );
    this.changed(namespace, key);
  }

  /** GET_KV_CONFIG: null when the namespace or key is missing or the value is null. */
  getKVConfig(namespace: string, key: string): string | null {
    return this.configTable.get(namespace)?.get(key) ?? null;
  }

  /** DELETE_KV_CONFIG: never removes an emptied namespace; persists even when nothing changed. */
  deleteKVConfig(namespace: string, key: string): void {
    checkArgs(namespace, key);
    const entries = this.configTable.get(namespace);
    const had = entries !== undefined && entries.has(key);
    const previous = entries?.get(key) ?? null;
    if (had) entries.delete(key);
    this.persistOrRollback(() => {
      if (had) entries.set(key, previous);
    });
    // Recorded even when the key was absent (see kvOpsChangeNothing): the owner answers such a
    // delete in its turn, after the KV writes before it, and fails it with them. Unrecorded, it
    // was answered at once: the key could be absent only because an earlier write not yet on
    // disk removed it, and that write's undo brought the value back after the answer.
    this.ops?.push(KvOpCode.DELETE, namespace, key, had ? previous : undefined);
    if (had) this.changed(namespace, key);
  }

  /**
   * Applies one recorded op at `ops[i]` (a replica replaying the owner's log) and returns the
   * index after it.
   */
  applyOp(ops: readonly unknown[], i: number): number {
    const namespace = ops[i + 1] as string;
    const key = ops[i + 2] as string;
    if (ops[i] === KvOpCode.PUT) {
      this.putKVConfig(namespace, key, ops[i + 3] as string | null);
      return i + 6;
    }
    if (ops[i] === KvOpCode.DELETE) {
      this.deleteKVConfig(namespace, key);
      return i + 4;
    }
    if (ops[i] === KvOpCode.DROP_NAMESPACE) {
      this.dropNamespace(namespace);
      return i + 2;
    }
    throw new Error(`unknown KV op ${String(ops[i])} at ${i}`);
  }

  /**
   * Reverts the ops in `ops[from..to)` (newest first): what the owner does when persisting them
   * failed. The reverting edits are recorded like any other, so replicas follow.
   */
  undo(ops: readonly unknown[], from: number, to: number): void {
    const starts: number[] = [];
    for (let i = from; i < to; i += KV_OP_WIDTH[ops[i] as number]!) starts.push(i);
    for (let j = starts.length - 1; j >= 0; j--) {
      const i = starts[j]!;
      if (ops[i] === KvOpCode.DROP_NAMESPACE) continue;
      const namespace = ops[i + 1] as string;
      const key = ops[i + 2] as string;
      const previous = ops[i] === KvOpCode.PUT ? ops[i + 4] : ops[i + 3];
      if (previous === undefined) this.deleteKVConfig(namespace, key);
      else this.putKVConfig(namespace, key, previous as string | null);
      // The put created the namespace: an emptied one goes too (DELETE never removes one).
      if (ops[i] === KvOpCode.PUT && ops[i + 5] === true) this.dropNamespace(namespace);
    }
  }

  private dropNamespace(namespace: string): void {
    const entries = this.configTable.get(namespace);
    if (entries === undefined || entries.size !== 0) return;
    this.configTable.delete(namespace);
    this.highWater.delete(namespace);
    // The table changed (version), but a namespace that does not exist has no stamp
    // (namespaceStamp answers null): kept, every undone namespace-creating put (a full disk)
    // left an entry behind for good. Re-created, it gets a fresh one from `changed`.
    this.changes++;
    this.stamps.delete(namespace);
    this.ops?.push(KvOpCode.DROP_NAMESPACE, namespace);
  }

  exportTable(): KVTableExport {
    return [...this.configTable].map(([ns, entries]) => {
      const highWater = this.highWater.get(ns) ?? 0;
      return javaHashMapCapacity(highWater) > javaHashMapCapacity(entries.size)
        ? [ns, [...entries], highWater]
        : [ns, [...entries]];
    });
  }

  /** Replaces the whole table (a replica starting late); no listener hears it. */
  importTable(table: KVTableExport): void {
    this.configTable.clear();
    this.highWater.clear();
    this.stamps.clear();
    this.importStamp = ++this.changes;
    for (const [ns, entries, highWater] of table) {
      this.configTable.set(ns, new Map(entries));
      this.highWater.set(ns, Math.max(highWater ?? 0, entries.length));
    }
  }

  /**
   * Buckets of the Java `HashMap` of a namespace: grown with its entries (null values count)
   * and never shrunk, so after deletes it can be larger than its size needs. The KVTable bodies
   * (GET_KVLIST_BY_NAMESPACE, a registration's ORDER_TOPIC_CONFIG) list keys in its order.
   */
  namespaceTableCapacity(namespace: string): number {
    const size = this.configTable.get(namespace)?.size ?? 0;
    return javaHashMapCapacity(Math.max(this.highWater.get(namespace) ?? 0, size));
  }

  /**
   * Changes whenever the table does (a put, a delete that removed something, an undo, an
   * import): what was built from the table at one version (an encoded view) is still right while
   * the version is the same.
   */
  get version(): number {
    return this.changes;
  }

  /**
   * Changes whenever the namespace's entries or its Java table capacity may have: the encoded
   * GET_KVLIST_BY_NAMESPACE body of the namespace stays right while the stamp is the same. Null
   * when the namespace does not exist.
   */
  namespaceStamp(namespace: string): number | null {
    if (!this.configTable.has(namespace)) return null;
    return this.stamps.get(namespace) ?? this.importStamp;
  }

  private changed(namespace: string, key: string): void {
    this.stamps.set(namespace, ++this.changes);
    for (const listener of this.listeners) listener(namespace, key);
  }

  /**
   * GET_KVLIST_BY_NAMESPACE: a copy of the namespace (null values left out, as fastjson omits
   * them), `{table:{}}` for an existing empty one, null when it does not exist.
   */
  getKVListByNamespace(namespace: string): KVTable | null {
    const entries = this.configTable.get(namespace);
    if (entries === undefined) return null;
    const table = new Map<string, string>();
    for (const [k, v] of entries) if (v !== null) table.set(k, v);
    return { table };
  }

  /**
   * The namespace's live entries, null values included (GET_KVLIST_BY_NAMESPACE built in slices
   * copies them a step at a time, checking `namespaceStamp` in between); null when it does not
   * exist. Read-only: writes go through put and delete.
   */
  namespaceEntries(namespace: string): ReadonlyMap<string, string | null> | null {
    return this.configTable.get(namespace) ?? null;
  }

  /** Read-only view of everything (for the periodic log line and the admin page). */
  snapshot(): KVConfigTable {
    return this.configTable;
  }

  private persistOrRollback(rollback: () => void): void {
    if (this.persistFn === null) return;
    try {
      this.persistFn(this.configTable);
    } catch (err) {
      rollback();
      throw new KVConfigError(
        'NS_KV_CONFIG_PERSIST_FAILED',
        `persisting the KV config failed: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
}

function checkArgs(namespace: unknown, key: unknown): void {
  // Header fields are not enforced on the wire (§1.10); the handler may pass what it got.
  if (typeof namespace !== 'string' || typeof key !== 'string') {
    throw new KVConfigError('NS_KV_CONFIG_BAD_ARGUMENT', 'namespace or key is null');
  }
}
