#!/usr/bin/env node
// The nsadmin bin: process glue only; everything else is in main.ts (tested in-process).
import { ignoreStdioErrors } from '../stdio-exit.js';
import { main } from './main.js';

// `nsadmin … | head -1`: once the reader is gone, what is left to print is lost either way, and
// an EPIPE must not turn into an uncaught exception with a stack trace.
ignoreStdioErrors();

// SIGINT/SIGTERM end long-running verbs (watchTopicRoute) cleanly: exit 0. A second signal
// is left to Node's default handling (immediate exit) once ours is removed.
const interrupted = new AbortController();
const onSignal = (): void => {
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  interrupted.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// Nobody reads stdout any more: a long-running verb stops as if interrupted instead of printing
// into the void forever.
process.stdout.once('error', onSignal);

main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: interrupted.signal,
})
  .then((code) => {
    process.exitCode = code;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  })
  .catch((err: unknown) => {
    // A bug, not an operational failure: still one line, but with the stack for the report.
    process.stderr.write(
      `nsadmin: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 70;
  });
