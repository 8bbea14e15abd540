/**
 * File persistence of the KV config. Synchronous on purpose: a PUT or DELETE is acknowledged only
 * after its bytes are durable. A running node calls `writeFileAtomicSync` from its KV persistence
 * thread (kv-persist-thread.ts), never on the event loop; `persist` is the synchronous path
 * (tests, tools).
 *
 * Write = temp file `<path>.tmp` in the same directory, write all, fsync, rename over `<path>`,
 * fsync the directory. A crash at any point leaves either the old or the new complete file
 * (rename is atomic on POSIX file systems); at worst a stray `.tmp`, which the next write
 * truncates. Java's `.bak` copy is not kept: with an atomic rename there is no half-written file
 * for it to rescue.
 *
 * Load at start: missing file → empty; unreadable or corrupt → KVConfigCorruptError naming the
 * path and problem. (Java treats an unreadable file as missing and would then overwrite it with
 * the next PUT; a permission problem must not cost the operator their KV data.) After a failed
 * load the store refuses every write (and no persistence thread is started for it), so a corrupt
 * file is never overwritten (nor renamed): an operator has to look at it.
 */
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import { ensureDirSync } from './ensure-dir.js';
import { KVConfigCorruptError, KVConfigError } from './kv-config-errors.js';
import { parseKVConfigFile, serializeKVConfigFile } from './kv-config-file-format.js';
import type { KVConfigTable } from './kv-config-file-format.js';

export class KVConfigFileStore {
  readonly path: string;
  private refuseWrites = false;

  constructor(path: string) {
    this.path = path;
  }

  /** Reads the file; missing → empty table. Throws KVConfigCorruptError otherwise. */
  load(): Map<string, Map<string, string>> {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      this.refuseWrites = true;
      throw new KVConfigCorruptError(this.path, `cannot read it (${(err as Error).message})`, {
        cause: err,
      });
    }
    try {
      return parseKVConfigFile(text, this.path);
    } catch (err) {
      this.refuseWrites = true;
      throw err;
    }
  }

  /** Throws KVConfigError when the file failed to load: then it must never be overwritten. */
  assertWritable(): void {
    if (this.refuseWrites) {
      throw new KVConfigError(
        'NS_KV_CONFIG_PERSIST_FAILED',
        `refusing to overwrite ${this.path}: it failed to load`,
      );
    }
  }

  /**
   * Writes the whole table atomically and durably; throws KVConfigError on failure. (A running
   * node writes through its KV persistence thread instead, kv-write-behind.ts, after asking
   * `assertWritable`.)
   */
  persist(table: KVConfigTable): void {
    this.assertWritable();
    writeFileAtomicSync(this.path, serializeKVConfigFile(table));
  }
}

/**
 * temp file + fsync + rename + directory fsync; creates parent directories. Fails fast on a path
 * that cannot be written (read-only, under /proc, a file where a directory should be): the
 * error's cause is the OS error.
 *
 * The new file keeps the permission bits of the one it replaces (an operator's 0600 on a
 * config file that holds tlsServerKeyPassword must survive a runtime update); a file written
 * for the first time gets `newFileMode` less the process's umask.
 *
 * The temp file's name is the process's own (tempPathOf), and it is removed when the write
 * fails: with one fixed name, two nodes given the same file truncated and wrote each other's
 * temp file and published a mix of both, and a failed write's leftover (read-only like the file
 * it was to replace) failed every later write (review findings).
 */
export function writeFileAtomicSync(path: string, data: string, newFileMode = 0o644): void {
  const dir = dirname(path);
  const tmp = tempPathOf(path);
  let renamed = false;
  try {
    const created = ensureDirSync(dir);
    const existing = existingMode(path);
    const fd = openSync(tmp, 'w', existing ?? newFileMode);
    try {
      // Exactly the replaced file's bits: open() applies the umask (a new file gets it, as any
      // file the process creates), and a leftover temp file would keep its own.
      if (existing !== undefined) fchmodSync(fd, existing);
      const buf = Buffer.from(data, 'utf8');
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    renamed = true;
    fsyncDir(dir);
    // A directory made for this write is itself an entry of its parent: without these, the
    // first write into a new directory could vanish with it on power loss.
    for (const made of created.reverse()) fsyncDir(dirname(made));
  } catch (err) {
    if (!renamed) removeQuietly(tmp);
    const code = (err as NodeJS.ErrnoException).code;
    // rename() onto a file bind-mounted on its own (docker -v host.json:/…/kvConfig.json).
    const hint =
      code === 'EBUSY' || code === 'EXDEV'
        ? ' (the file is a mount point of its own and cannot be replaced: mount its directory instead)'
        : '';
    throw new KVConfigError(
      'NS_KV_CONFIG_PERSIST_FAILED',
      `writing ${path} failed: ${(err as Error).message}${hint}`,
      { cause: err },
    );
  }
}

/**
 * The temp file a write of `path` goes through: named after the host and the process, so that
 * two nodes sharing the file (same machine, or one volume mounted in two containers) never write
 * the same temp file, while a restarted container (same host name, same pid) reuses its own.
 */
export function tempPathOf(path: string): string {
  return `${path}.${hostname()}-${process.pid}.tmp`;
}

/** Best effort: the write's error is what gets reported. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // left for the operator (it does not stop later writes: their temp names differ)
  }
}

/** Permission bits of the file at `path`, or undefined when there is none. */
function existingMode(path: string): number | undefined {
  try {
    return statSync(path).mode & 0o7777;
  } catch {
    return undefined;
  }
}

function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return; // platforms that cannot open directories (Windows): rename is all we get
  }
  try {
    fsyncSync(fd);
  } catch (err) {
    // Some file systems reject fsync on a directory; the rename itself has happened.
    if (
      (err as NodeJS.ErrnoException).code !== 'EINVAL' &&
      (err as NodeJS.ErrnoException).code !== 'EPERM'
    )
      throw err;
  } finally {
    closeSync(fd);
  }
}
