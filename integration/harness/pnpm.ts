/**
 * The pnpm the README tells people to use (`npx -y pnpm@<version>`), located once so tests can run
 * the documented root commands (`pnpm start`, `pnpm nsadmin …`) as one process each. Going through
 * `npx` every time would add npm's own `sh -c` layer, which has nothing to do with this project
 * (and reports a terminal Ctrl-C as exit 130 whatever pnpm returns).
 */
import { execFile } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './paths.js';

/** `pnpm@10.34.8`, from the root package.json's packageManager field (what `.ci/run` uses). */
export function pnpmSpec(): string {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    packageManager?: unknown;
  };
  if (typeof pkg.packageManager !== 'string' || !pkg.packageManager.startsWith('pnpm@')) {
    throw new Error(
      `package.json: packageManager should be pnpm@<version>, got ${String(pkg.packageManager)}`,
    );
  }
  return pkg.packageManager;
}

let located: Promise<string> | undefined;

/** Absolute path of pnpm's JavaScript entry (run it with `node`). */
export function locatePnpm(): Promise<string> {
  located ??= (async () => {
    const { stdout } = await promisify(execFile)(
      'npx',
      ['-y', '-p', pnpmSpec(), '-c', 'command -v pnpm'],
      { cwd: REPO_ROOT, timeout: 60_000 },
    );
    const bin = stdout.trim();
    if (bin === '') throw new Error(`npx -p ${pnpmSpec()}: no pnpm on its PATH`);
    // node_modules/.bin/pnpm is a link to pnpm/bin/pnpm.cjs.
    return realpathSync(bin);
  })();
  return located;
}
