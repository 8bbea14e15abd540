/**
 * Leaving a CLI process when stdout or stderr may be a dead or stuck pipe (`ns-addr-service |
 * tee log` after tee died, a supervisor that stopped reading). Node writes to a pipe without
 * blocking and keeps what the reader has not taken in memory, so a process that just returns from
 * main() stays alive as long as those writes are pending, i.e. forever; and EPIPE on them is an
 * uncaught exception. Every wait here is bounded and write errors are swallowed.
 *
 * packages/server/src/stdio-exit.ts is the server's copy (plus `blocksExit`): neither package
 * depends on the other at run time. A fix to one belongs in both.
 */

/** The longest `exitAfterDrain` waits for stdout and stderr before exiting anyway. */
export const STDIO_DRAIN_TIMEOUT_MS = 500;

/**
 * Swallows write errors (EPIPE) on stdout and stderr: the reader is gone, what we print is lost
 * either way, and a crash report could not be written anywhere either.
 */
export function ignoreStdioErrors(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', () => undefined);
  }
}

function drained(stream: NodeJS.WriteStream): Promise<void> {
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
 * nobody reads, the rest is dropped rather than waited for.
 */
export function exitAfterDrain(code: number, timeoutMs = STDIO_DRAIN_TIMEOUT_MS): void {
  const timer = setTimeout(() => process.exit(code), timeoutMs);
  void Promise.all([drained(process.stdout), drained(process.stderr)]).then(() => {
    clearTimeout(timer);
    process.exit(code);
  });
}
