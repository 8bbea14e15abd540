/**
 * bench/device: the scripts that run the bench on a machine without Node.js (README there). The
 * real pack (npm install, 24 MB of xz) and run (minutes of bench) are done by hand; this checks
 * what can go stale cheaply: both scripts parse, run.sh refuses a tree without a kit and names the
 * fix, and the pnpm pin in pack.sh is the repository's.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, copyFile, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness/paths.js';
import { pnpmSpec } from '../harness/pnpm.js';

const run = promisify(execFile);
const SCRIPTS = ['bench/device/pack.sh', 'bench/device/run.sh'];

describe('bench/device scripts', () => {
  it.each(SCRIPTS)('%s parses (bash -n)', async (script) => {
    await expect(run('bash', ['-n', join(REPO_ROOT, script)])).resolves.toBeDefined();
  });

  it('run.sh without a packed kit stops at once and says to pack and carry it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'device-kit-'));
    try {
      await mkdir(join(dir, 'bench', 'device'), { recursive: true });
      await copyFile(join(REPO_ROOT, 'bench/device/run.sh'), join(dir, 'bench/device/run.sh'));
      const result = await run('bash', [join(dir, 'bench/device/run.sh'), join(dir, 'out')]).then(
        () => null,
        (err: unknown) => err as { code: number; stderr: string },
      );
      expect(result?.code).toBe(1);
      expect(result?.stderr).toContain('run bench/device/pack.sh first, and carry .device-kit');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("pack.sh fetches the repository's pinned pnpm", async () => {
    const pack = await readFile(join(REPO_ROOT, 'bench/device/pack.sh'), 'utf8');
    expect(pack).toContain(`npx -y ${pnpmSpec()}`);
  });
});
