/**
 * The KV persistence thread (a worker_threads thread started by kv-write-behind.ts, from the
 * compiled file): the only place a running node writes kvConfig.json, so the serving event loop
 * never waits for a disk.
 *
 * It holds its own copy of the KV table, started from the table the registry owner had when the
 * thread started (`workerData.table`), and receives the owner's KV op batches in order
 * (`{ seq, ops }`, ops as kv-config-manager.ts records them: PUT, DELETE, DROP_NAMESPACE). Each
 * batch is replayed on the copy at once (KVConfigManager.applyOp); the whole table is then written
 * with writeFileAtomicSync (temp file, fsync, rename, directory fsync), synchronously: this thread
 * has nothing else to do. Batches that arrive while a write runs wait in the message port and are
 * all applied before the next write, which covers them together (coalescing). After each write it
 * answers `{ kind: 'written', upTo }` or `{ kind: 'failed', upTo, message }`: every batch with
 * seq ≤ upTo is in that file, or was in the write that failed.
 *
 * A failed write leaves the failed ops in the copy; the owner undoes them in memory and sends the
 * reverting ops as its next batch, which brings the copy back in step (and rewrites the file, in
 * case the failed write got as far as the rename). Anything unexpected (an unknown op) is not
 * caught: the thread dies, the main side fails the pending writes and starts a new thread from
 * the owner's current table.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { serializeKVConfigFile } from './kv-config-file-format.js';
import { KVConfigManager } from './kv-config-manager.js';
import type { KVTableExport } from './kv-config-manager.js';
import { writeFileAtomicSync } from './kv-config-store.js';

/** What the thread starts from. */
export interface KVPersistThreadData {
  path: string;
  table: KVTableExport;
}

/** Main → thread: one batch of KV ops, `seq` increasing by one per batch. */
export interface KVPersistBatch {
  seq: number;
  ops: unknown[];
}

/**
 * Thread → main, after each file write. `outside`: the file was changed or removed by something
 * else since this thread last wrote it (or started): a hand edit of a running node's file, or a
 * second node given the same file. The write replaces it anyway, as Java's does.
 */
export type KVPersistReport = (
  | { kind: 'written'; upTo: number; millis: number; bytes: number }
  | { kind: 'failed'; upTo: number; message: string }
) & { outside?: 'changed' | 'removed' };

const port = ((): MessagePort => {
  if (parentPort === null) throw new Error('kv-persist-thread.js runs only as a worker thread');
  return parentPort;
})();
const { path, table } = workerData as KVPersistThreadData;
const kv = new KVConfigManager();
kv.importTable(table);
/** The file as this thread last left it (or found it at start): see KVPersistReport.outside. */
let known = identityOf(path);
/**
 * A digest of the bytes behind `known` (null: none, or unreadable). When the file's identity
 * moved but its bytes did not (a `touch`, a backup tool restoring the same bytes), nothing else
 * wrote it in any way that matters: no warning.
 */
let knownDigest = known === null ? null : digestOfFile(path);
let applied = 0;
let scheduled = false;

port.on('message', (batch: KVPersistBatch) => {
  for (let i = 0; i < batch.ops.length;) i = kv.applyOp(batch.ops, i);
  applied = batch.seq;
  if (!scheduled) {
    scheduled = true;
    // After the messages already waiting in the port: one write covers all of them.
    setImmediate(writeNow);
  }
});

function writeNow(): void {
  scheduled = false;
  const upTo = applied;
  const started = performance.now();
  let report: KVPersistReport;
  const outside = outsideChange();
  try {
    const text = serializeKVConfigFile(kv.snapshot());
    writeFileAtomicSync(path, text);
    knownDigest = digestOf(text);
    report = { kind: 'written', upTo, millis: performance.now() - started, bytes: text.length };
  } catch (err) {
    // The failed write may or may not have replaced the file (kv-config-store.ts restores what
    // it can): take whatever is there now as this thread's last known state.
    knownDigest = digestOfFile(path);
    report = { kind: 'failed', upTo, message: err instanceof Error ? err.message : String(err) };
  }
  if (outside !== null) report.outside = outside;
  known = identityOf(path);
  port.postMessage(report);
}

/**
 * Whether something else changed or removed the file since this thread last left it. Its
 * identity is checked first (a stat); only when that moved are its bytes read and compared.
 */
function outsideChange(): 'changed' | 'removed' | null {
  const found = identityOf(path);
  if (found === known) return null;
  if (found === null) return 'removed';
  return knownDigest !== null && digestOfFile(path) === knownDigest ? null : 'changed';
}

function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('base64');
}

/** The digest of the file's bytes; null when it cannot be read. */
function digestOfFile(file: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('base64');
  } catch {
    return null;
  }
}

/** Device, inode, size and modification time of the file (a link's target), null when absent. */
function identityOf(file: string): string | null {
  try {
    const st = statSync(file, { bigint: true });
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
  } catch {
    return null;
  }
}
