/**
 * Notices when any of a few files changes content: `fs.watch` on each file's directory for a
 * prompt reaction, plus a poll as the fallback that always works (fs.watch misses events on some
 * file systems, network mounts and containers with bind mounts). Directories are watched rather
 * than files because editors and `kubectl`/ConfigMap updates replace files by rename, which a
 * watch on the old inode never reports.
 *
 * A change is a different SHA-256 of the content (or the file appearing/disappearing), so a
 * `touch` or an identical rewrite causes no reload. Java's FileWatchService works the same way
 * (MD5, 500 ms poll).
 */
import { createHash } from 'node:crypto';
import { readFileSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface FileWatchOptions {
  readonly files: readonly string[];
  /** Called (at most once per burst of events) after the content of any file changed. */
  readonly onChange: (changedFiles: string[]) => void;
  /** Poll period (ms); default 2000. */
  readonly pollIntervalMs?: number;
  /** Delay that merges a burst of watch events (write + rename) into one check; default 50 ms. */
  readonly debounceMs?: number;
}

export const DEFAULT_POLL_INTERVAL_MS = 2000;

/** Content fingerprint of a file; 'absent' when it cannot be read. */
export function fingerprint(file: string): string {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return 'absent';
  }
}

export class FileWatch {
  readonly #options: FileWatchOptions;
  readonly #seen = new Map<string, string>();
  readonly #watchers: FSWatcher[] = [];
  #poll: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: FileWatchOptions) {
    this.#options = options;
    for (const f of options.files) this.#seen.set(f, fingerprint(f));
    const dirs = new Map<string, Set<string>>();
    for (const f of options.files) {
      const names = dirs.get(dirname(f)) ?? new Set<string>();
      names.add(basename(f));
      dirs.set(dirname(f), names);
    }
    for (const [dir, names] of dirs) {
      try {
        const w = watch(dir, { persistent: false }, (_event, name) => {
          if (name === null || names.has(name)) this.#schedule();
        });
        w.on('error', () => {
          // The poll still covers this directory.
        });
        this.#watchers.push(w);
      } catch {
        // Directory missing or fs.watch unsupported: the poll covers it.
      }
    }
    this.#poll = setInterval(() => {
      this.check();
    }, options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS);
    this.#poll.unref();
  }

  #schedule(): void {
    if (this.#closed || this.#debounce !== undefined) return;
    this.#debounce = setTimeout(() => {
      this.#debounce = undefined;
      this.check();
    }, this.#options.debounceMs ?? 50);
    this.#debounce.unref();
  }

  /** Compares every file with its last seen content now; calls onChange if any differs. */
  check(): void {
    if (this.#closed) return;
    const changed: string[] = [];
    for (const [file, before] of this.#seen) {
      const now = fingerprint(file);
      if (now !== before) {
        this.#seen.set(file, now);
        changed.push(file);
      }
    }
    if (changed.length > 0) this.#options.onChange(changed);
  }

  close(): void {
    this.#closed = true;
    if (this.#poll !== undefined) clearInterval(this.#poll);
    if (this.#debounce !== undefined) clearTimeout(this.#debounce);
    for (const w of this.#watchers) w.close();
  }
}
