/**
 * Leaving the process when stdout or stderr may be a dead or stuck pipe (`ns-server | tee log`
 * after tee died, a supervisor that stopped reading): every wait for them is bounded, and a write
 * error on them never becomes a crash.
 */

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
  const timer = setTimeout(() => process.exit(code), timeoutMs);
  void Promise.all([drained(process.stdout), drained(process.stderr)]).then(() => {
    clearTimeout(timer);
    process.exit(code);
  });
}
