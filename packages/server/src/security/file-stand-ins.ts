/**
 * How the credentials and certificate files are read when access control and TLS are set up,
 * with stand-ins for their bytes while a serving worker is built from the last good ones.
 *
 * A running node keeps its last good credentials when a file turns bad (each reload is checked
 * first). A serving worker started meanwhile (a replacement after a crash or an ack timeout) had
 * none: it read the bad file, exited, and was restarted again and again, until the node had no
 * worker left (review finding). The registry owner now sends each new worker the bytes of the
 * files as they were when they last passed its check, and a worker that cannot start from the
 * files on disk starts from those. Only its first load reads them: its file watches and reloads
 * read the disk, so a fixed file is picked up as usual.
 */
import { readFileSync } from 'node:fs';

let standIns: ReadonlyMap<string, Uint8Array> | null = null;

/** The file's bytes: its stand-in while `withStandIns` runs, else what is on disk. */
export function readSecurityFile(path: string): Buffer {
  const standIn = standIns?.get(path);
  if (standIn !== undefined) return Buffer.from(standIn);
  return readFileSync(path);
}

/** Runs `build` (synchronous) with `files` read in place of the disk's. */
export function withStandIns<T>(files: Readonly<Record<string, Uint8Array>>, build: () => T): T {
  standIns = new Map(Object.entries(files));
  try {
    return build();
  } finally {
    standIns = null;
  }
}

/** The bytes of each of `paths` that can be read now (a missing file is left out). */
export function snapshotFiles(paths: Iterable<string>): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const path of paths) {
    try {
      out[path] = readFileSync(path);
    } catch {
      // Not there: the worker's own read then fails as the owner's would have.
    }
  }
  return out;
}
