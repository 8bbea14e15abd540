/**
 * Whether the files the node writes (kvConfigPath, configStorePath) can be written where they
 * are, checked once at start. A data volume the node's user cannot write (a bind mount owned by
 * root, a storage driver that ignores fsGroup) or a read-only file system was otherwise found
 * only by the first PUT_KV_CONFIG or UPDATE_NAMESRV_CONFIG, possibly days later (deploy review).
 * Only a warning: the node serves routes without either file, and Java starts too.
 *
 * access(2) answers for the process's real permissions and for a read-only mount (EROFS); it
 * cannot see a full disk, which the write itself reports.
 */
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Why `file` cannot be written, or null when it can (as far as access(2) tells). A write goes to
 * a temporary file renamed onto it, so what must be writable is its directory (a link's target's:
 * a link is written through), or when that does not exist yet the nearest directory above it,
 * where the missing ones would be made.
 */
export function unwritableReason(
  file: string,
  access: (dir: string, mode: number) => void = accessSync,
): string | null {
  let target = resolve(file);
  try {
    target = realpathSync(target);
  } catch {
    // Not there yet (or a dangling link): where it would be made.
  }
  try {
    // A directory where the file should be (Docker makes one for a bind mount of a missing host
    // file): the rename onto it fails.
    if (statSync(target).isDirectory()) return `${target} is a directory`;
  } catch {
    // Not there yet.
  }
  let dir = dirname(target);
  for (;;) {
    try {
      if (!statSync(dir).isDirectory()) return `${dir} is not a directory`;
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') return `${dir}: ${(err as Error).message}`;
      const up = dirname(dir);
      if (up === dir) return null;
      dir = up;
    }
  }
  try {
    access(dir, constants.W_OK | constants.X_OK);
    return null;
  } catch (err) {
    return `${dir} is not writable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
}
