// KV config: the public surface of packages/server/src/kvconfig.
export { KV_OP_WIDTH, KVConfigManager, KvOpCode, kvOpsChangeNothing } from './kv-config-manager.js';
export type {
  KVChangeListener,
  KVConfigManagerOptions,
  KVConfigPersist,
  KVTableExport,
} from './kv-config-manager.js';
export {
  KVConfigFileStore,
  tempPathOf,
  writeFileAtomicOrRestoreSync,
  writeFileAtomicSync,
} from './kv-config-store.js';
export { parseKVConfigFile, serializeKVConfigFile } from './kv-config-file-format.js';
export type { KVConfigTable } from './kv-config-file-format.js';
export { KVConfigCorruptError, KVConfigError } from './kv-config-errors.js';
export { kvTableSummary } from './kv-dump-summary.js';
export type { KVTableSummary } from './kv-dump-summary.js';
export type { KVConfigErrorCode } from './kv-config-errors.js';
export { KVWriteBehind } from './kv-write-behind.js';
export type { KVWriteBehindOptions, KVWriteBehindStats } from './kv-write-behind.js';
export { unwritableReason } from './writable-dir.js';
