/**
 * KVConfigManager (§5): namespace → key → value, pure. Persistence is a dependency: `persist` is
 * called synchronously with the whole table after every PUT and DELETE (Java persists even a
 * delete that changed nothing), before the caller acknowledges the request. If it throws, the
 * in-memory change is rolled back and a KVConfigError (NS_KV_CONFIG_PERSIST_FAILED) is thrown, so
 * memory never holds an acknowledged-looking value the file lacks.
 */
import type { KVTable } from '@ns/protocol';
import { KVConfigError } from './kv-config-errors.js';
import type { KVConfigTable } from './kv-config-file-format.js';

/** Receives the live table (read-only view); must not keep it past the call. */
export type KVConfigPersist = (snapshot: KVConfigTable) => void;

export interface KVConfigManagerOptions {
  /** Initial content, e.g. from `KVConfigFileStore.load()`. Copied. */
  initial?: ReadonlyMap<string, ReadonlyMap<string, string | null>>;
  persist?: KVConfigPersist;
}

export class KVConfigManager {
  private readonly configTable = new Map<string, Map<string, string | null>>();
  private readonly persistFn: KVConfigPersist | null;

  constructor(options: KVConfigManagerOptions = {}) {
    this.persistFn = options.persist ?? null;
    if (options.initial !== undefined) {
      for (const [ns, entries] of options.initial) this.configTable.set(ns, new Map(entries));
    }
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
