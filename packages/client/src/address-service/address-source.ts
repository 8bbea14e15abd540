/**
 * Where the address service gets the list it serves: a fixed list (e.g. from an environment
 * variable) or a file that is reloaded when it changes. fs.watch is fast but unreliable (editors
 * replace files by rename, network file systems send no events), so a stat poll backs it up and
 * both feed one debounced reload. A malformed file keeps the last good list.
 */
import type { FSWatcher } from 'node:fs';
import { watch } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { InvalidAddressListError, InvalidOptionError } from '../errors.js';
import type { Logger } from '../logger.js';
import { NOOP_LOGGER } from '../logger.js';
import { checkTimerLimit } from '../timer-limit.js';
import { parseNameServerAddressOption } from '../address/address-list.js';
import { parseAddressFile } from './address-file.js';

export interface AddressSource {
  /** The list to serve; empty while none is known. */
  current(): readonly string[];
  start(): Promise<void>;
  close(): Promise<void>;
}

/** A fixed, validated list (the `--env` mode). */
export class FixedAddressSource implements AddressSource {
  readonly #list: readonly string[];
  constructor(list: string | readonly string[]) {
    this.#list = Object.freeze(parseNameServerAddressOption(list));
  }
  current(): readonly string[] {
    return this.#list;
  }
  start(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Reads a list from the environment variable `name`; a clear error when unset or malformed. */
export function addressSourceFromEnv(
  name: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): FixedAddressSource {
  const value = env[name];
  if (value === undefined || value.trim().length === 0) {
    throw new InvalidAddressListError('', `environment variable ${name} is not set or empty`);
  }
  try {
    return new FixedAddressSource(value);
  } catch (err) {
    if (err instanceof InvalidAddressListError) {
      throw new InvalidAddressListError(value, `environment variable ${name}: ${err.message}`);
    }
    throw err;
  }
}

export interface FileAddressSourceOptions {
  /** Interval of the stat poll that backs up fs.watch. Default 2 000 ms. */
  readonly pollIntervalMs?: number;
  /** Quiet time before a reload, so a burst of events gives one read. Default 100 ms. */
  readonly debounceMs?: number;
  /** Use fs.watch besides polling. Default true; false for file systems where it misbehaves. */
  readonly useFsWatch?: boolean;
  readonly logger?: Logger;
}

export class FileAddressSource implements AddressSource {
  readonly file: string;
  readonly #log: Logger;
  readonly #pollIntervalMs: number;
  readonly #debounceMs: number;
  readonly #useFsWatch: boolean;
  #list: readonly string[] = Object.freeze([]);
  #watcher: FSWatcher | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #debounceTimer: NodeJS.Timeout | undefined;
  #lastStamp = '';
  #reloading: Promise<void> = Promise.resolve();
  #closed = false;
  #reloads = 0;

  constructor(file: string, options: FileAddressSourceOptions = {}) {
    this.file = file;
    this.#log = (options.logger ?? NOOP_LOGGER).child({ component: 'address-file', file });
    this.#pollIntervalMs = options.pollIntervalMs ?? 2_000;
    this.#debounceMs = options.debounceMs ?? 100;
    if (!Number.isInteger(this.#pollIntervalMs) || this.#pollIntervalMs <= 0) {
      throw new InvalidOptionError(
        'pollIntervalMs',
        `pollIntervalMs must be a positive integer (ms), got ${this.#pollIntervalMs}`,
      );
    }
    checkTimerLimit('pollIntervalMs', this.#pollIntervalMs);
    if (!Number.isInteger(this.#debounceMs) || this.#debounceMs < 0) {
      throw new InvalidOptionError(
        'debounceMs',
        `debounceMs must be an integer >= 0 (ms), got ${this.#debounceMs}`,
      );
    }
    checkTimerLimit('debounceMs', this.#debounceMs);
    this.#useFsWatch = options.useFsWatch ?? true;
  }

  current(): readonly string[] {
    return this.#list;
  }

  /** How many reloads produced a new list (for tests and diagnostics). */
  get reloads(): number {
    return this.#reloads;
  }

  /**
   * Loads the file once; rejects if it cannot be read or is malformed at start (a service with no
   * list would answer nothing useful). Then watches it.
   */
  async start(): Promise<void> {
    const text = await readFile(this.file, 'utf8');
    this.#list = Object.freeze(parseAddressFile(text, this.file));
    this.#lastStamp = await this.#stamp();
    this.#log.info({ addresses: this.#list }, 'address list loaded');
    if (this.#useFsWatch) this.#watch();
    this.#pollTimer = setInterval(() => {
      void this.#stamp().then((stamp) => {
        if (stamp !== this.#lastStamp) this.#scheduleReload();
      });
    }, this.#pollIntervalMs);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#watcher?.close();
    this.#watcher = undefined;
    if (this.#pollTimer !== undefined) clearInterval(this.#pollTimer);
    if (this.#debounceTimer !== undefined) clearTimeout(this.#debounceTimer);
    await this.#reloading;
  }

  #watch(): void {
    try {
      // Watch the directory, not the file: a rename-replace (editors, atomic writes) would leave a
      // file watcher on the old inode.
      const name = basename(this.file);
      this.#watcher = watch(dirname(this.file), (_event, changed) => {
        if (changed === null || changed === name) this.#scheduleReload();
      });
      this.#watcher.on('error', (err) => {
        this.#log.warn({ err }, 'fs.watch failed; relying on polling');
        this.#watcher?.close();
        this.#watcher = undefined;
      });
    } catch (err) {
      this.#log.warn({ err }, 'fs.watch unavailable; relying on polling');
    }
  }

  async #stamp(): Promise<string> {
    try {
      const st = await stat(this.file);
      return `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      return 'missing';
    }
  }

  #scheduleReload(): void {
    if (this.#closed) return;
    if (this.#debounceTimer !== undefined) clearTimeout(this.#debounceTimer);
    this.#debounceTimer = setTimeout(() => {
      this.#debounceTimer = undefined;
      this.#reloading = this.#reloading.then(() => this.#reload());
    }, this.#debounceMs);
  }

  async #reload(): Promise<void> {
    if (this.#closed) return;
    const stamp = await this.#stamp();
    this.#lastStamp = stamp;
    let list: string[];
    try {
      list = parseAddressFile(await readFile(this.file, 'utf8'), this.file);
    } catch (err) {
      this.#log.warn(
        { err, kept: this.#list },
        'address file unreadable or malformed; keeping the last good list',
      );
      return;
    }
    if (list.length === this.#list.length && list.every((a, i) => a === this.#list[i])) return;
    this.#list = Object.freeze(list);
    this.#reloads++;
    this.#log.info({ addresses: this.#list }, 'address list reloaded');
  }
}
