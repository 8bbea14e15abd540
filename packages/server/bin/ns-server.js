#!/bin/sh
':' //; exec node --initial-old-space-size=256 "$0" "$@"
// The `ns-server` bin. Its node flag is the old-space floor of src/node-flags.ts (why it matters:
// there). The two lines above are read by two languages: sh (which runs this file when it is
// executed, through npm's bin link or pnpm's shim) runs `:` and then execs node with the flag on
// this same file; node sees a string and a comment. A `#!/usr/bin/env -S node <flag>` line would
// be simpler, but BusyBox's env (Alpine images) has no -S and the bin would not start there.
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
