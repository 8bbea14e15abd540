/**
 * File persistence of the KV config. Synchronous on purpose: a PUT or DELETE is acknowledged only
 * after its bytes are durable. A running node calls `writeFileAtomicSync` from its KV persistence
 * thread (kv-persist-thread.ts), never on the event loop; `persist` is the synchronous path
 * (tests, tools).
 *
 * Write = temp file `<path>.<host>-<pid>.tmp` in the same directory, write all, fsync, rename
 * over `<path>`, fsync the directory. A crash at any point leaves either the old or the new
 * complete file (rename is atomic on POSIX file systems); at worst a stray temp file, which
 * `removeStaleTempFiles` deletes at the next start. Java's `.bak` copy is not kept: with an atomic
 * rename there is no half-written file for it to rescue. A `<path>` that is a symbolic link is
 * followed (Java 5.x overwrites the file in place, through the link): the temp file is written
 * next to the link's target and renamed onto it, and the link stays.
 *
 * Load at start: missing file → empty; unreadable or corrupt → KVConfigCorruptError naming the
 * path and problem. (Java treats an unreadable file as missing and would then overwrite it with
 * the next PUT; a permission problem must not cost the operator their KV data.) Bytes that are
 * not UTF-8 (a file Java wrote with a GBK or ISO-8859-1 default charset) are such a problem:
 * decoded with U+FFFD in their place, the keys no longer matched and the next write destroyed the
 * original bytes. After a failed load the store refuses every write (and no persistence thread is
 * started for it), so a corrupt file is never overwritten (nor renamed): an operator has to look
 * at it.
 */
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
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
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      this.refuseWrites = true;
      throw new KVConfigCorruptError(this.path, `cannot read it (${(err as Error).message})`, {
        cause: err,
      });
    }
    try {
      return parseKVConfigFile(decodeUtf8(bytes, this.path), this.path);
    } catch (err) {
      this.refuseWrites = true;
      throw err;
    }
  }

  /**
   * Deletes the temp files that writes of this host's earlier processes left behind (a crash or
   * kill -9 mid-write): `<file>.<this host>-<pid>.tmp` whose pid is not a live process, next to
   * the file (and next to the link's target, when the path is a link). Never another host's (a
   * volume shared by nodes on several machines: their pids mean nothing here), nor a live
   * process's, nor this process's own (its next write truncates it). Best effort; returns the
   * paths removed. Call it at startup, before the first write, on a store that loaded.
   */
  removeStaleTempFiles(): string[] {
    if (this.refuseWrites) return [];
    const removed: string[] = [];
    const files = new Set([this.path]);
    try {
      files.add(writeTargetOf(this.path));
    } catch {
      // a link loop or an unreadable link: the write will say so
    }
    for (const file of files) {
      const dir = dirname(file);
      const prefix = `${basename(file)}.${hostname()}-`;
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
        const pidText = name.slice(prefix.length, -'.tmp'.length);
        if (!/^[1-9][0-9]{0,9}$/.test(pidText)) continue;
        const pid = Number(pidText);
        if (pid === process.pid || processAlive(pid)) continue;
        const tmp = join(dir, name);
        try {
          if (!lstatSync(tmp).isFile()) continue; // only what a write leaves: a regular file
          rmSync(tmp);
          removed.push(tmp);
        } catch {
          // gone already, or not ours to remove: left as it is
        }
      }
    }
    return removed;
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
 * A `path` that is a symbolic link is followed (writeTargetOf): the link's target is replaced
 * through a temp file next to it, and the link stays (it used to be replaced by a regular file,
 * and the target, say on a mounted volume, went stale).
 *
 * The temp file's name is the process's own (tempPathOf), and it is removed when the write
 * fails: with one fixed name, two nodes given the same file truncated and wrote each other's
 * temp file and published a mix of both, and a failed write's leftover (read-only like the file
 * it was to replace) failed every later write (review findings).
 */
export function writeFileAtomicSync(
  path: string,
  data: string | Buffer,
  newFileMode = 0o644,
): void {
  let renamed = false;
  let tmp: string | null = null;
  try {
    // A link is followed: its target is replaced, the link stays (Java writes through it).
    const target = writeTargetOf(path);
    const dir = dirname(target);
    tmp = tempPathOf(target);
    const created = ensureDirSync(dir);
    // A directory made here is itself an entry of its parent: fsynced now, whatever becomes of
    // this write (made by a write that then failed, it was never fsynced by a later one).
    for (const made of [...created].reverse()) fsyncDir(dirname(made));
    const existing = existingMode(target);
    const fd = openSync(tmp, 'w', existing ?? newFileMode);
    try {
      // Exactly the replaced file's bits: open() applies the umask (a new file gets it, as any
      // file the process creates), and a leftover temp file would keep its own.
      if (existing !== undefined) fchmodSync(fd, existing);
      const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
    renamed = true;
    fsyncDir(dir);
  } catch (err) {
    if (!renamed && tmp !== null) removeQuietly(tmp);
    const code = (err as NodeJS.ErrnoException).code;
    // rename() onto a file bind-mounted on its own (docker -v host.json:/…/kvConfig.json).
    const hint =
      code === 'EBUSY' || code === 'EXDEV'
        ? ' (the file is a mount point of its own and cannot be replaced: mount its directory instead)'
        : '';
    const after = renamed ? ' (after the new file replaced the old one: it may be in place)' : '';
    const failure = new KVConfigError(
      'NS_KV_CONFIG_PERSIST_FAILED',
      `writing ${path} failed: ${(err as Error).message}${hint}${after}`,
      { cause: err },
    );
    failure.afterRename = renamed;
    throw failure;
  }
}

/**
 * writeFileAtomicSync for a write that is refused when it fails: one that failed after its rename
 * (the directory fsync) has its new file in place, which the next start would read, so the
 * previous bytes are put back (or the new file removed when there was none). The error thrown
 * is the write's; a failed restore is added to it (restoreFailure, and its message).
 */
export function writeFileAtomicOrRestoreSync(
  path: string,
  data: string,
  newFileMode = 0o644,
): void {
  let previous: Buffer | null = null;
  let none = false;
  try {
    previous = readFileSync(path);
  } catch (err) {
    // None yet (ENOENT: a new file, or a dangling link's missing target). Unreadable: the write
    // reports what matters, and a restore must not remove a file it could not read.
    none = (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
  try {
    writeFileAtomicSync(path, data, newFileMode);
  } catch (err) {
    if (!(err instanceof KVConfigError) || !err.afterRename) throw err;
    try {
      // The file the write created is the link's target when `path` is a link: remove that,
      // not the operator's link.
      if (previous !== null) writeFileAtomicSync(path, previous, newFileMode);
      else if (none) rmSync(writeTargetOf(path), { force: true });
      else throw new Error('the previous file could not be read, so it was not put back');
    } catch (restoreErr) {
      // The restore is a write too: failing the same directory fsync, its bytes are back anyway.
      err.restoreFailure =
        restoreErr instanceof KVConfigError && restoreErr.afterRename
          ? 'the previous file is back in place, but its directory could not be synced'
          : `putting the previous file back failed too: ${(restoreErr as Error).message}`;
      err.message += `; ${err.restoreFailure}`;
    }
    throw err;
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

/** Most links followed to the file a write replaces (Linux's own limit, ELOOP beyond). */
const MAX_LINKS = 40;

/**
 * The file a write of `path` replaces: `path` itself, or where its symbolic link(s) lead (also a
 * dangling link's target, which the write then creates). Only the last component matters: rename
 * within a directory reached through a linked directory works as it is.
 */
export function writeTargetOf(path: string): string {
  let p = path;
  for (let i = 0; i <= MAX_LINKS; i++) {
    let link: boolean;
    try {
      link = lstatSync(p).isSymbolicLink();
    } catch (err) {
      // Not there (a missing directory, or a file where one should be): the write reports it.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return p;
      throw err;
    }
    if (!link) return p;
    p = resolve(dirname(p), readlinkSync(p));
  }
  const err: NodeJS.ErrnoException = new Error(`too many levels of symbolic links: ${path}`);
  err.code = 'ELOOP';
  throw err;
}

/**
 * The file's text, or KVConfigCorruptError naming the offset of the first byte that is not
 * UTF-8 (Java reads and writes the file in its default charset, UTF-8 wherever it is set up as
 * Apache RocketMQ documents; a GBK or ISO-8859-1 one must be converted, not guessed).
 */
function decodeUtf8(bytes: Uint8Array, path: string): string {
  try {
    // ignoreBOM: the BOM stays in the text; parseKVConfigFile skips it.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (err) {
    const at = invalidUtf8Offset(bytes);
    const byte = (bytes[at] ?? 0).toString(16).toUpperCase().padStart(2, '0');
    throw new KVConfigCorruptError(
      path,
      `it is not UTF-8: byte 0x${byte} at byte offset ${at} (written with another charset, e.g. a Java file.encoding of GBK or ISO-8859-1? convert it to UTF-8, e.g. with iconv)`,
      { cause: err },
    );
  }
}

/**
 * Offset of the first byte of the first ill-formed UTF-8 sequence (as the WHATWG decoder sees
 * it: no overlong forms, surrogates or code points above U+10FFFF; a character cut off by the end
 * of the data counts too); -1 when it is all well-formed.
 */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return i;
      const c = bytes[i + k]!;
      if (c < lo || c > hi) return i;
      lo = 0x80;
      hi = 0xbf;
    }
    i += need + 1;
  }
  return -1;
}

/** Whether a process with this pid exists (on this machine, in this pid namespace). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it belongs to someone else.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
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
  } catch (err) {
    // Windows cannot open a directory, and a directory without read permission (or one a
    // security module keeps from being opened: EPERM) can still be written: rename is all we get
    // there. Anything else (EMFILE, ENFILE, ENOMEM, EIO) means
    // the rename is not known durable: the write fails rather than be acknowledged.
    const code = (err as NodeJS.ErrnoException).code;
    if (
      process.platform === 'win32' ||
      code === 'EACCES' ||
      code === 'EPERM' ||
      code === 'EISDIR'
    ) {
      return;
    }
    throw err;
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
