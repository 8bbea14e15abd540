import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureDirSync } from './ensure-dir.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) {
    chmodSync(d, 0o755);
    rmSync(d, { recursive: true, force: true });
  }
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ns-ensure-dir-'));
  dirs.push(d);
  return d;
}

/** True when this process may write into a directory it has made read-only (root does). */
function ignoresDirectoryPermissions(dir: string): boolean {
  try {
    writeFileSync(join(dir, 'probe'), '');
    rmSync(join(dir, 'probe'));
    return true;
  } catch {
    return false;
  }
}

describe('ensureDirSync', () => {
  it('creates missing parents and accepts an existing directory', () => {
    const base = tempDir();
    const deep = join(base, 'a', 'b', 'c');
    // What it made, parents first (whose parents a durable write then fsyncs).
    expect(ensureDirSync(deep)).toEqual([join(base, 'a'), join(base, 'a', 'b'), deep]);
    expect(statSync(deep).isDirectory()).toBe(true);
    expect(ensureDirSync(deep)).toEqual([]);
    expect(ensureDirSync(base)).toEqual([]);
  });

  it('throws the OS error when a file is in the way', () => {
    const base = tempDir();
    writeFileSync(join(base, 'file'), '');
    expect(() => {
      ensureDirSync(join(base, 'file'));
    }).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(() => {
      ensureDirSync(join(base, 'file', 'sub'));
    }).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
  });

  it('throws EACCES under a read-only directory', ({ skip }) => {
    const base = tempDir();
    chmodSync(base, 0o555);
    if (ignoresDirectoryPermissions(base)) {
      console.warn(
        '[ensure-dir] SKIPPED the read-only directory case: this process ignores directory permissions (root / CAP_DAC_OVERRIDE)',
      );
      skip();
    }
    expect(() => {
      ensureDirSync(join(base, 'a', 'b'));
    }).toThrow(expect.objectContaining({ code: 'EACCES' }));
  });

  // In a child process with a deadline: the bug this guards against spins inside one C++ call,
  // which no timeout in this process could interrupt.
  it('fails at once under /proc, where mkdir answers ENOENT below an existing parent', ({
    skip,
  }) => {
    if (process.platform !== 'linux') {
      console.warn('[ensure-dir] SKIPPED the /proc case: not Linux, there is no procfs');
      skip();
    }
    const source = fileURLToPath(new URL('./ensure-dir.ts', import.meta.url));
    const script = `import { ensureDirSync } from ${JSON.stringify(source)};
try { ensureDirSync('/proc/ns-ensure-dir-test/sub'); console.log('created'); }
catch (err) { console.log(JSON.stringify({ code: err.code, message: err.message })); }`;
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { encoding: 'utf8', timeout: 15_000, killSignal: 'SIGKILL' },
    );
    expect(child.signal, `still running after 15 s; stderr: ${child.stderr}`).toBeNull();
    expect(JSON.parse(child.stdout)).toEqual({
      code: 'ENOENT',
      message: "ENOENT: no such file or directory, mkdir '/proc/ns-ensure-dir-test'",
    });
  });
});
