#!/usr/bin/env node
// Entry of `pnpm bench` and `pnpm bench:smoke` (both run `tsc -b` first). The harness is
// TypeScript (type-checked by tsconfig.test.json), loaded through tsx; it imports the built
// dist/ of the packages, so it measures exactly what the ns-server bin runs.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
const code = await main(process.argv.slice(2));
// Children are killed on exit (bench/lib/processes.ts); exit explicitly so a stray handle
// cannot keep a finished run alive.
process.exit(code);
