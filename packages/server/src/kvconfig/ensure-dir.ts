/**
 * `mkdir -p` with a bounded number of system calls.
 *
 * Not `mkdirSync(dir, { recursive: true })`: Node's recursive mkdir takes ENOENT to mean "the
 * parent is missing", creates the parent and tries again. Under /proc, mkdir of a new entry
 * answers ENOENT while its parent exists, so that retry never ends: the call spins a core
 * inside C++, the event loop stops, and even SIGTERM goes unhandled (configStorePath=/proc/x/…
 * froze the whole node on UPDATE_NAMESRV_CONFIG). Here every directory on the path is tried at
 * most twice: ENOENT after its parent exists is final.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

function codeOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/**
 * Creates `dir` and any missing parents; throws the OS error of the first that cannot be made.
 * Returns the directories it created, parents first (their entries are not durable until their
 * own parents are fsynced: see writeFileAtomicSync).
 */
export function ensureDirSync(dir: string): string[] {
  try {
    mkdirSync(dir);
    return [dir];
  } catch (err) {
    if (codeOf(err) === 'EEXIST') {
      if (statSync(dir).isDirectory()) return [];
      throw err;
    }
    if (codeOf(err) !== 'ENOENT') throw err;
  }
  const parent = dirname(dir);
  if (parent === dir) throw new Error(`cannot create ${dir}: the root does not exist`);
  const created = ensureDirSync(parent);
  // The parent exists now: a second ENOENT is final (procfs, sysfs and the like).
  mkdirSync(dir);
  return [...created, dir];
}
