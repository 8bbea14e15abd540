#!/usr/bin/env node
/**
 * `pnpm start [--<configKey>=<value>]...`: builds the packages (the server, its console and codec,
 * and the client and broker agent, so that `pnpm nsadmin` and the other CLIs work next to it), then
 * runs the server. Not the integration project: `tsc -b` of the whole workspace also type-checks
 * the integration tests, which have no build output to be up to date against, so it would cost
 * seconds on every start.
 *
 * The server runs inside this process (imported, not spawned), so there is exactly one process to
 * signal. With the former `tsc -b && node …` script, a terminal Ctrl-C (SIGINT to the whole
 * foreground process group) also killed the intermediate `sh`, so pnpm reported exit 130 and a red
 * ELIFECYCLE although the server itself stopped cleanly with 0. A spawning launcher would instead
 * have to forward signals, and the server would see Ctrl-C twice (its own and the forwarded one),
 * which it treats as "force exit" (exit 3). Here the server's own signal handling and exit code
 * are the process's.
 *
 * A leading `--` is dropped: `pnpm start -- --listenPort=9877` (npm habit) passes the `--` through.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

const PACKAGES = [
  'packages/server',
  'packages/console',
  'packages/client',
  'packages/broker-agent',
];
process.stderr.write(
  `building (tsc -b ${PACKAGES.join(' ')}; the first run takes a few seconds)…\n`,
);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const build = spawnSync(process.execPath, [tsc, '-b', ...PACKAGES], {
  cwd: root,
  stdio: 'inherit',
});
if (build.status !== 0) {
  process.stderr.write(
    build.error === undefined
      ? `build failed (tsc -b ${PACKAGES.join(' ')} exited with ${build.status ?? build.signal}); not starting\n`
      : `cannot run tsc: ${build.error.message}\n`,
  );
  process.exit(build.status ?? 1);
}

if (process.argv[2] === '--') process.argv.splice(2, 1);
await import(new URL('../packages/server/dist/main.js', import.meta.url).href);
