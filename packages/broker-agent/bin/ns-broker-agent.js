#!/usr/bin/env node
// The `ns-broker-agent` bin. It is this committed launcher, not the compiled file itself, because pnpm links
// bins at install time, before `pnpm build` has created dist/: a bin that points into dist/ is
// skipped with a warning and the command does not exist.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli.js', import.meta.url);
if (existsSync(entry)) {
  await import(entry.href);
} else {
  process.stderr.write(
    'ns-broker-agent: not built yet: run `npx -y pnpm@10.34.8 build` in the nameserver-ts checkout first\n',
  );
  process.exitCode = 1;
}
