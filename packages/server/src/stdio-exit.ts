/**
 * Leaving the process when stdout or stderr may be a dead or stuck pipe (`ns-server | tee log`
 * after tee died, a supervisor that stopped reading): every wait for them is bounded, and a write
 * error on them never becomes a crash. Nor may a thread stuck in a system call hold the exit
 * (blocksExit).
 *
 * packages/client/src/stdio-exit.ts is the CLIs' copy of the rest (neither package depends on
 * the other): a fix to one belongs in both.
 */

import { writeSync } from 'node:fs';

/** The longest `exitAfterDrain` waits for stdout and stderr before exiting anyway. */
export const STDIO_DRAIN_TIMEOUT_MS = 500;

type StdStream = NodeJS.WriteStream;

/**
 * Swallows write errors (EPIPE) on stdout and stderr. Without a listener they are uncaught
 * exceptions, and the crash report could not be written anywhere either.
 */
export function ignoreStdioErrors(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', () => {
      // The reader is gone; what we print is lost either way.
    });
  }
}

/** Resolves once `stream` has written everything queued so far, or the write failed. */
function drained(stream: StdStream): Promise<void> {
  if (stream.writableLength === 0 || stream.destroyed) return Promise.resolve();
  // Write callbacks run in order: this one runs after every earlier write completed or failed.
  return new Promise((resolve) => {
    stream.write('', () => {
      resolve();
    });
  });
}

/**
 * Exits with `code` once stdout and stderr are written out, or after `timeoutMs`: on a pipe
 * nobody reads, the rest is dropped rather than kept waiting for.
 */
export function exitAfterDrain(code: number, timeoutMs = STDIO_DRAIN_TIMEOUT_MS): void {
  const timer = setTimeout(() => leave(code), timeoutMs);
  void Promise.all([drained(process.stdout), drained(process.stderr)]).then(() => {
    clearTimeout(timer);
    leave(code);
  });
}

/** Checks of threads that may never end (see blocksExit). */
const exitBlockers = new Set<() => boolean>();

/**
 * Registers `mayNotEnd`: true while a thread of this process may be stuck in a system call that
 * never returns (a KV write on a hung mount or a FIFO). Node joins its threads at exit, so
 * process.exit would then never return: the node stayed, unkillable but by SIGKILL, after its
 * shutdown or a second signal. Returns the unregistration.
 */
export function blocksExit(mayNotEnd: () => boolean): () => void {
  exitBlockers.add(mayNotEnd);
  return () => exitBlockers.delete(mayNotEnd);
}

/** Whether leaving now would wait for a thread that may never end. */
export function exitBlocked(): boolean {
  return [...exitBlockers].some((mayNotEnd) => mayNotEnd());
}

function leave(code: number): void {
  if (exitBlocked()) {
    // The 'exit' listeners still run (serving workers are killed with the node), then the one
    // way out that does not wait for the thread. The supervisor sees a SIGKILL (137).
    process.emit('exit', code);
    // The kernel ignores a SIGKILL that PID 1 of a PID namespace sends itself: say so, since the
    // process then stays (a container whose entrypoint runs node directly, with no init).
    const asPid1 =
      process.pid === 1
        ? ' (as PID 1 the kernel ignores it and the process may hang: run it under an init, e.g. tini or docker run --init)'
        : '';
    writeSync2(
      `ns-server: a thread is stuck in a system call (see the log); ending with SIGKILL instead of exit code ${code}${asPid1}\n`,
    );
    process.kill(process.pid, 'SIGKILL');
  }
  process.exit(code);
}

function writeSync2(text: string): void {
  try {
    writeSync(2, text);
  } catch {
    // stderr is gone: nothing to tell.
  }
}
