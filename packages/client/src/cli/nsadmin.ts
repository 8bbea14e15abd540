#!/usr/bin/env node
// The nsadmin bin: process glue only; everything else is in main.ts (tested in-process).
import { main } from './main.js';

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
