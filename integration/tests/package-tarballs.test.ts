/**
 * What `pnpm pack` puts in each package's tarball, i.e. what a project installing it from the
 * tarballs (README, "In your own project") gets: the licence, every entry point and bin its
 * package.json names, and the sources its source maps point at; no tests, build state or
 * fixtures. Packed into a temporary directory (its prepack build is a no-op on a built tree).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness/paths.js';
import { locatePnpm } from '../harness/pnpm.js';

const PACKAGES = ['protocol', 'client', 'broker-agent', 'server', 'console'] as const;

interface Manifest {
  exports?: Record<string, string | Record<string, string>>;
  bin?: Record<string, string>;
}

let pnpm = '';
beforeAll(async () => {
  pnpm = await locatePnpm();
}, 120_000);

/** The paths in the tarball `pnpm pack` makes of the package (made in a temporary directory). */
async function packedFiles(pkg: string): Promise<Set<string>> {
  const dest = mkdtempSync(join(tmpdir(), 'ns-pack-'));
  try {
    const run = promisify(execFile);
    const { stdout } = await run(
      process.execPath,
      [pnpm, 'pack', '--pack-destination', dest, '--json'],
      { cwd: join(REPO_ROOT, 'packages', pkg), timeout: 120_000, maxBuffer: 16 << 20 },
    );
    // The prepack script's own output comes first. (--dry-run would not list the LICENSE pnpm
    // copies in from the repository root.)
    const { filename } = JSON.parse(stdout.slice(stdout.search(/^\{/m))) as { filename: string };
    const listing = await run('tar', ['-tzf', filename], { maxBuffer: 16 << 20 });
    return new Set(
      listing.stdout
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.replace(/^package\//, '')),
    );
  } finally {
    rmSync(dest, { recursive: true, force: true });
  }
}

/** Every file path package.json points at (exports, bins), without the leading `./`. */
function namedFiles(manifest: Manifest): string[] {
  const out: string[] = [];
  for (const target of Object.values(manifest.exports ?? {})) {
    out.push(...(typeof target === 'string' ? [target] : Object.values(target)));
  }
  out.push(...Object.values(manifest.bin ?? {}));
  return out.map((p) => posix.normalize(p));
}

describe.each(PACKAGES)('the @ns/%s tarball', (pkg) => {
  it('holds the licence and everything package.json names; no tests, build state or fixtures; the sources of its source maps', async () => {
    const files = await packedFiles(pkg);
    const root = join(REPO_ROOT, 'packages', pkg);
    expect(files.has('LICENSE')).toBe(true);
    expect(files.has('package.json')).toBe(true);
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
    for (const named of namedFiles(manifest)) expect(files, named).toContain(named);
    const stray = [...files].filter((f) =>
      /(^|\/)(test|tests|fixtures)\/|\.test\.[cm]?[jt]s$|tsbuildinfo/.test(f),
    );
    expect(stray).toEqual([]);
    // A map naming a source that is not shipped sends stack traces (--enable-source-maps) and
    // editors' go-to-definition to files that do not exist.
    const missing: string[] = [];
    for (const map of [...files].filter((f) => f.endsWith('.map'))) {
      const { sources } = JSON.parse(readFileSync(join(root, map), 'utf8')) as {
        sources: string[];
      };
      for (const source of sources) {
        const shipped = posix.normalize(posix.join(dirname(map), source));
        if (!files.has(shipped)) missing.push(`${map} → ${shipped}`);
      }
    }
    expect(missing.slice(0, 5)).toEqual([]);
  }, 180_000);
});
