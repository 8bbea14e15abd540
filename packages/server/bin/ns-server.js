#!/usr/bin/env -S node --initial-old-space-size=256
// The `ns-server` bin. Its node flag is the old-space floor of src/node-flags.ts (why it matters:
// there); pnpm's and npm's bin shims pass a shebang's flags on, and `env -S` does when the file is
// run itself.
//
// It is this committed launcher, not the compiled file itself, because pnpm links
// bins at install time, before `pnpm build` has created dist/: a bin that points into dist/ is
// skipped with a warning and the command does not exist.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/main.js', import.meta.url);
if (existsSync(entry)) {
  await import(entry.href);
} else {
  process.stderr.write(
    'ns-server: not built yet: run `npx -y pnpm@10.34.8 build` in the nameserver-ts checkout first\n',
  );
  process.exitCode = 1;
}
