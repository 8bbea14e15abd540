/**
 * A child process of the suite: spawned with `node <entry>`, its stdout and stderr captured line
 * by line, machine-readable JSON lines on stdout (`{"event":…}`) collected as events, and a
 * SIGTERM-then-SIGKILL stop. Starting fails fast with the captured stderr when the child exits
 * early or the ready event does not come in time.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { LogBuffer } from './log-buffer.js';
import { REPO_ROOT } from './paths.js';

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** One parsed stdout JSON line with an `event` field. */
export type ProcessEvent = Readonly<Record<string, unknown>> & { readonly event: string };

export interface SpawnManagedOptions {
  /** Label in logs and errors, e.g. `ns-1`. */
  readonly name: string;
  /** Absolute path of the script run by `node`. */
  readonly entry: string;
  readonly args: readonly string[];
  /** Flags for node itself, before the script (e.g. the Docker entrypoint's). */
  readonly nodeArgs?: readonly string[];
  /** Added to the parent's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Start it as the leader of a new process group, and send every signal to the whole group, as a
   * terminal's Ctrl-C does (needed to test launchers such as `pnpm start` that run children).
   */
  readonly processGroup?: boolean;
}

const DEFAULT_STOP_GRACE_MS = 5_000;
const STDERR_TAIL_LINES = 40;

export class ManagedProcess {
  readonly name: string;
  readonly entry: string;
  readonly args: readonly string[];
  readonly child: ChildProcess;
  readonly stdout = new LogBuffer();
  readonly stderr = new LogBuffer();
  readonly startedAt = Date.now();
  /** Resolves once the child has exited (never rejects). */
  readonly exited: Promise<ProcessExit>;
  readonly #events: ProcessEvent[] = [];
  readonly #eventWaiters = new Set<() => void>();
  #exit: ProcessExit | null = null;
  readonly #processGroup: boolean;

  constructor(options: SpawnManagedOptions) {
    this.name = options.name;
    this.entry = options.entry;
    this.args = options.args;
    this.#processGroup = options.processGroup === true;
    this.child = spawn(
      process.execPath,
      [...(options.nodeArgs ?? []), options.entry, ...options.args],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: this.#processGroup,
      },
    );
    this.child.stdout?.setEncoding('utf8');
    this.child.stderr?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => {
      for (const line of this.stdout.push(chunk)) this.#onStdoutLine(line);
    });
    this.child.stderr?.on('data', (chunk: string) => {
      this.stderr.push(chunk);
    });
    // 'close' (not 'exit'): every byte of stdout/stderr has been read by then.
    this.exited = new Promise<ProcessExit>((resolve) => {
      this.child.once('close', (code, signal) => {
        this.stdout.end();
        this.stderr.end();
        this.#exit = { code, signal };
        this.#notify();
        resolve(this.#exit);
      });
      this.child.once('error', (err) => {
        this.stderr.push(`[harness] spawn error: ${err.message}\n`);
        if (this.child.pid === undefined) {
          this.#exit = { code: null, signal: null };
          this.#notify();
          resolve(this.#exit);
        }
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Null while running. */
  get exit(): ProcessExit | null {
    return this.#exit;
  }

  get isRunning(): boolean {
    return this.#exit === null;
  }

  events(): readonly ProcessEvent[] {
    return this.#events;
  }

  /**
   * Waits for a stdout event matching `event` (and `match`, when given) that arrived at or after
   * index `fromIndex` of events(). Rejects, with the stderr tail, when the child exits first or
   * the timeout passes.
   */
  async waitForEvent(
    event: string,
    timeoutMs: number,
    options: { readonly fromIndex?: number; readonly match?: (e: ProcessEvent) => boolean } = {},
  ): Promise<ProcessEvent> {
    const fromIndex = options.fromIndex ?? 0;
    const find = (): ProcessEvent | undefined =>
      this.#events.slice(fromIndex).find((e) => e.event === event && (options.match?.(e) ?? true));
    return new Promise<ProcessEvent>((resolve, reject) => {
      const immediate = find();
      if (immediate !== undefined) {
        resolve(immediate);
        return;
      }
      const finish = (): void => {
        clearTimeout(timer);
        this.#eventWaiters.delete(onChange);
      };
      const onChange = (): void => {
        const found = find();
        if (found !== undefined) {
          finish();
          resolve(found);
        } else if (this.#exit !== null) {
          finish();
          reject(this.#failure(`exited (${describeExit(this.#exit)}) before "${event}"`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(this.#failure(`no "${event}" line within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#eventWaiters.add(onChange);
      // The child may have exited before we started waiting.
      onChange();
    });
  }

  /**
   * SIGTERM, then SIGKILL if still running after `graceMs`. Resolves with how it exited; safe to
   * call more than once and on an already exited child.
   */
  async stop(graceMs = DEFAULT_STOP_GRACE_MS): Promise<ProcessExit> {
    if (this.#exit !== null) return this.#exit;
    this.signal('SIGTERM');
    const timer = setTimeout(() => {
      if (this.#exit === null) {
        this.stderr.push(`[harness] still running ${graceMs} ms after SIGTERM, sending SIGKILL\n`);
        this.signal('SIGKILL');
      }
    }, graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL (a crash: no shutdown hooks run) and wait for the exit. */
  async kill(): Promise<ProcessExit> {
    if (this.#exit !== null) return this.#exit;
    this.signal('SIGKILL');
    return this.exited;
  }

  /** Sends a signal to the child, or to its whole group when started with `processGroup`. */
  signal(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (!this.#processGroup || pid === undefined) {
      this.child.kill(signal);
      return;
    }
    try {
      process.kill(-pid, signal);
    } catch (err) {
      // ESRCH: the group is gone already (every member exited).
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }

  /** Everything captured, for printing when a test fails. */
  describe(): string {
    const status = this.#exit === null ? 'running' : describeExit(this.#exit);
    return [
      `===== ${this.name} (pid ${this.pid ?? '?'}, ${status}) node ${this.entry} ${this.args.join(' ')}`,
      '----- stdout',
      this.stdout.text(),
      '----- stderr',
      this.stderr.text(),
    ].join('\n');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  #onStdoutLine(line: string): void {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{')) return;
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (
        typeof parsed === 'object' &&
        parsed !== null &&
        typeof (parsed as { event?: unknown }).event === 'string'
      ) {
        this.#events.push(parsed as ProcessEvent);
        this.#notify();
      }
    } catch {
      // Not a machine-readable line; it stays in the stdout buffer.
    }
  }

  #notify(): void {
    for (const waiter of [...this.#eventWaiters]) waiter();
  }

  #failure(what: string): Error {
    const tail = this.stderr.lines().slice(-STDERR_TAIL_LINES).join('\n');
    return new Error(
      `${this.name}: ${what}\n--- stderr (last ${STDERR_TAIL_LINES} lines):\n${tail}`,
    );
  }
}

export function describeExit(exit: ProcessExit): string {
  return exit.signal !== null ? `signal ${exit.signal}` : `exit code ${exit.code ?? '?'}`;
}

/** Result of a short-lived command such as `nsadmin`. */
export interface CommandResult extends ProcessExit {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a short command to completion (killed after `timeoutMs`). The process is registered with
 * `track` before anything is awaited, so a failing test still gets its output printed.
 */
export async function runToCompletion(
  options: SpawnManagedOptions & { readonly timeoutMs: number },
  track: (p: ManagedProcess) => void,
): Promise<CommandResult> {
  const proc = new ManagedProcess(options);
  track(proc);
  const timer = setTimeout(() => {
    proc.stderr.push(`[harness] killed after ${options.timeoutMs} ms\n`);
    proc.child.kill('SIGKILL');
  }, options.timeoutMs);
  try {
    const exit = await proc.exited;
    return { ...exit, stdout: proc.stdout.text(), stderr: proc.stderr.text() };
  } finally {
    clearTimeout(timer);
  }
}
