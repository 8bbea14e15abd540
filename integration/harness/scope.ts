/**
 * Per-test ownership of everything a test starts. `useScope()` registers, before the test does
 * anything else, a cleanup (onTestFinished: stop every process and close every resource, newest
 * first) and a failure hook (onTestFailed: print every captured process log), so no test can leak
 * a process or fail without its logs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFailed, onTestFinished } from 'vitest';
import { ManagedProcess } from './managed-process.js';
import type { SpawnManagedOptions } from './managed-process.js';

type Cleanup = () => unknown;

const SLOW_CLEANUP_MS = 1_000;

export class TestScope {
  readonly #cleanups: { what: string; run: Cleanup }[] = [];
  readonly #processes: ManagedProcess[] = [];
  readonly #notes: string[] = [];
  #disposed = false;

  /** Spawns a process and registers its stop before returning. */
  spawn(options: SpawnManagedOptions): ManagedProcess {
    this.#assertOpen();
    const proc = new ManagedProcess(options);
    this.adopt(proc);
    return proc;
  }

  /** Registers a process started elsewhere (e.g. by runToCompletion). */
  adopt(proc: ManagedProcess): void {
    this.#processes.push(proc);
    this.defer(`stop ${proc.name}`, () => proc.stop());
  }

  /** Registers a cleanup; cleanups run newest first, each one even if an earlier one failed. */
  defer(what: string, run: Cleanup): void {
    this.#assertOpen();
    this.#cleanups.push({ what, run });
  }

  /** Extra lines printed with the process logs when the test fails (e.g. client logs). */
  note(line: string): void {
    this.#notes.push(`${new Date().toISOString()} ${line}`);
  }

  /** A fresh temporary directory removed at cleanup. */
  async tempDir(prefix: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `ns-it-${prefix}-`));
    this.defer(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
    return dir;
  }

  processes(): readonly ManagedProcess[] {
    return this.#processes;
  }

  /** Every captured log, one block per process. */
  describe(): string {
    const blocks = this.#processes.map((p) => p.describe());
    if (this.#notes.length > 0) blocks.push(['===== test notes', ...this.#notes].join('\n'));
    return blocks.join('\n');
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    const errors: unknown[] = [];
    for (const { what, run } of this.#cleanups.reverse()) {
      const startedAt = Date.now();
      try {
        await run();
      } catch (err) {
        errors.push(new Error(`cleanup "${what}" failed`, { cause: err }));
      }
      // Slow cleanups are what make the suite slow; say which.
      const ms = Date.now() - startedAt;
      if (ms > SLOW_CLEANUP_MS) console.warn(`[integration] cleanup "${what}" took ${ms} ms`);
    }
    if (errors.length > 0) throw new AggregateError(errors, 'test cleanup failed');
  }

  #assertOpen(): void {
    if (this.#disposed) throw new Error('TestScope used after cleanup');
  }
}

/** Call first thing in a test body. */
export function useScope(): TestScope {
  const scope = new TestScope();
  onTestFailed(() => {
    console.error(`\n[integration] test failed; captured process logs follow\n${scope.describe()}`);
  });
  onTestFinished(() => scope.dispose());
  return scope;
}

let counter = 0;

/** A name unique to this run and call: kafkajs-style random suffix plus a counter. */
export function uniqueName(prefix: string): string {
  counter += 1;
  const random = Math.random().toString(36).slice(2, 8);
  return `${prefix}-${process.pid}-${random}-${counter}`;
}
