#!/usr/bin/env node
// The nsadmin bin: process glue only; everything else is in main.ts (tested in-process).
import { ignoreStdioErrors } from '../stdio-exit.js';
import { Interrupted, main } from './main.js';

// `nsadmin … | head -1`: once the reader is gone, what is left to print is lost either way, and
// an EPIPE must not turn into an uncaught exception with a stack trace.
ignoreStdioErrors();

// SIGINT/SIGTERM: a verb that runs until interrupted (watchTopicRoute, clusterList -i) stops
// cleanly, exit 0; any other verb ends at once with 130/143, as the JVM's mqadmin. A second
// signal is left to Node's default handling (immediate exit) once ours is removed.
const interrupted = new AbortController();
const offSignals = (): void => {
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
};
function onSignal(signal: NodeJS.Signals): void {
  offSignals();
  interrupted.abort(new Interrupted(signal === 'SIGTERM' ? 'SIGTERM' : 'SIGINT'));
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// Nobody reads stdout any more: a long-running verb stops as if interrupted instead of printing
// into the void forever (a one-shot verb finishes: what it changed on the nodes is done anyway).
process.stdout.once('error', () => {
  offSignals();
  interrupted.abort(new Error('stdout closed'));
});

main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: interrupted.signal,
})
  .then((code) => {
    offSignals();
    const reason: unknown = interrupted.signal.reason;
    if (reason instanceof Interrupted && code === reason.exitCode) {
      // What the interrupted verb had in flight (an HTTP request of checkNodes, a timer) must
      // not hold the process until its timeout.
      process.exit(code);
    }
    process.exitCode = code;
  })
  .catch((err: unknown) => {
    // A bug, not an operational failure: still one line, but with the stack for the report.
    process.stderr.write(
      `nsadmin: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 70;
  });
