#!/usr/bin/env node
// The nsadmin bin: process glue only; everything else is in main.ts (tested in-process).
import { main } from './main.js';

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env })
  .then((code) => {
    process.exitCode = code;
  })
  .catch((err: unknown) => {
    // A bug, not an operational failure: still one line, but with the stack for the report.
    process.stderr.write(
      `nsadmin: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 70;
  });
