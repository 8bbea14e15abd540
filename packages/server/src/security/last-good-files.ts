/**
 * The security files (ACL file, TLS certificates, keys, trust) as they last passed the node's
 * check, for serving workers to start from. A worker started while a file on disk is broken (a
 * bad edit, a half-written ConfigMap) starts from these instead of failing.
 *
 * They follow the files as they change, not only when a worker starts: a review found that an
 * account revoked in the file (every running worker reloaded it) came back in a worker restarted
 * later while the file was broken, because the copy kept was the one from before the revocation.
 * A change is taken once the files read the same twice, RELOAD_SETTLE_MS apart (as the workers
 * reload them), and the very bytes kept are the ones checked.
 */
import { RELOAD_SETTLE_MS } from './acl-config.js';
import { snapshotFiles } from './file-stand-ins.js';
import { FileWatch } from './file-watch.js';

export type FileSnapshot = Record<string, Uint8Array>;

export class LastGoodFiles {
  #good: FileSnapshot;
  #settle: NodeJS.Timeout | undefined;
  /** Changes of the files taken (checked and kept) since the start; for tests. */
  changesTaken = 0;
  readonly #watch: FileWatch;

  /** `check` throws when the node would refuse `snapshot`'s files. */
  constructor(
    private readonly paths: readonly string[],
    private readonly check: (snapshot: FileSnapshot) => void,
    private readonly settleMs = RELOAD_SETTLE_MS,
  ) {
    // The node checked the files on disk just before: the first snapshot starts as the good one.
    this.#good = snapshotFiles(paths);
    this.#watch = new FileWatch({ files: paths, onChange: () => this.#settleThenTake() });
  }

  /** Checks the files as they are now; returns the latest snapshot that passed. */
  current(): FileSnapshot {
    this.#take(snapshotFiles(this.paths));
    return this.#good;
  }

  close(): void {
    this.#watch.close();
    clearTimeout(this.#settle);
  }

  #settleThenTake(): void {
    clearTimeout(this.#settle);
    let before = snapshotFiles(this.paths);
    const again = (): void => {
      const now = snapshotFiles(this.paths);
      if (sameFiles(before, now)) {
        this.#settle = undefined;
        if (this.#take(now)) this.changesTaken++;
        return;
      }
      before = now;
      this.#settle = setTimeout(again, this.settleMs);
      this.#settle.unref();
    };
    this.#settle = setTimeout(again, this.settleMs);
    this.#settle.unref();
  }

  #take(snapshot: FileSnapshot): boolean {
    try {
      this.check(snapshot);
      this.#good = snapshot;
      return true;
    } catch {
      // Refused: the last files that passed stay the ones to start from.
      return false;
    }
  }
}

function sameFiles(a: FileSnapshot, b: FileSnapshot): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) {
    const other = b[k];
    if (other === undefined || !Buffer.from(a[k]!).equals(other)) return false;
  }
  return true;
}
