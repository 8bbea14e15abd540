/**
 * writeFileAtomicSync against system calls that fail where a real disk or process limit makes
 * them fail (node:fs mocked around the real calls): what is made durable before the answer, and
 * what a failure after the rename leaves behind.
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KVConfigError } from './kv-config-errors.js';
import { writeFileAtomicOrRestoreSync, writeFileAtomicSync } from './kv-config-store.js';

/** Errno codes to inject, by call; null lets the real call run. */
const faults = vi.hoisted(() => ({
  open: null as ((path: string, flags: unknown) => string | null) | null,
  fsync: null as ((path: string) => string | null) | null,
  write: null as (() => string | null) | null,
  /** The most bytes one write takes (a short write, as a full disk or a signal can make); null: all. */
  maxWrite: null as number | null,
  /** Every path fsynced, in order. */
  fsynced: [] as string[],
}));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const pathOfFd = new Map<number, string>();
  const fail = (code: string, what: string): never => {
    throw Object.assign(new Error(`${code}: injected, ${what}`), { code });
  };
  return {
    ...fs,
    openSync: (path: string, flags?: unknown, mode?: unknown) => {
      const code = faults.open?.(path, flags) ?? null;
      if (code !== null) fail(code, `open '${path}'`);
      const fd = fs.openSync(path, flags as string, mode as number);
      pathOfFd.set(fd, path);
      return fd;
    },
    fsyncSync: (fd: number) => {
      const path = pathOfFd.get(fd) ?? `fd ${fd}`;
      faults.fsynced.push(path);
      const code = faults.fsync?.(path) ?? null;
      if (code !== null) fail(code, `fsync '${path}'`);
      fs.fsyncSync(fd);
    },
    writeSync: (...args: Parameters<typeof fs.writeSync>) => {
      const code = faults.write?.() ?? null;
      if (code !== null) fail(code, 'write');
      const [fd, data, offset, length] = args as unknown as [
        number,
        NodeJS.ArrayBufferView | string,
        unknown,
        unknown,
      ];
      if (faults.maxWrite !== null && typeof data !== 'string' && typeof offset === 'number') {
        const len = Math.min(
          typeof length === 'number' ? length : data.byteLength - offset,
          faults.maxWrite,
        );
        return fs.writeSync(fd, data, offset, len);
      }
      return fs.writeSync(...args);
    },
  };
});

const dirs: string[] = [];
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ns-kv-syscalls-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  faults.open = null;
  faults.fsync = null;
  faults.write = null;
  faults.maxWrite = null;
  faults.fsynced.length = 0;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function thrown(fn: () => void): KVConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(KVConfigError);
    return err as KVConfigError;
  }
  throw new Error('expected a throw');
}

describe('writeFileAtomicSync and failing system calls', () => {
  it('fails a write whose directory cannot be opened for its fsync (EMFILE): the rename is not known durable', () => {
    const dir = scratch();
    const path = join(dir, 'kv.json');
    faults.open = (p, flags) => (p === dir && flags === 'r' ? 'EMFILE' : null);
    const err = thrown(() => writeFileAtomicSync(path, 'x'));
    expect(err.afterRename).toBe(true);
    expect(err.message).toContain('EMFILE');
    expect(err.message).toContain('after the new file replaced the old one');
  });

  it('writes all of the data through short writes', () => {
    const path = join(scratch(), 'kv.json');
    const data = `{"configTable":{"ns":{"k":"${'v'.repeat(1000)}"}}}`;
    faults.maxWrite = 7;
    writeFileAtomicSync(path, data);
    expect(readFileSync(path, 'utf8')).toBe(data);
  });

  it('goes on where a directory cannot be opened at all (EACCES): the rename is all there is', () => {
    const dir = scratch();
    const path = join(dir, 'kv.json');
    faults.open = (p, flags) => (p === dir && flags === 'r' ? 'EACCES' : null);
    writeFileAtomicSync(path, 'x');
    expect(readFileSync(path, 'utf8')).toBe('x');
  });

  it('makes the directories it creates durable in their parents before the data goes, whatever becomes of the write', () => {
    const dir = scratch();
    const path = join(dir, 'a', 'b', 'kv.json');
    faults.write = () => 'ENOSPC';
    expect(thrown(() => writeFileAtomicSync(path, 'x')).afterRename).toBe(false);
    // a is an entry of dir, b of a: both fsynced though the write failed (a later write into
    // the existing directories never makes them again, so it would never fsync them).
    expect(faults.fsynced).toEqual(expect.arrayContaining([dir, join(dir, 'a')]));
    expect(existsSync(join(dir, 'a', 'b'))).toBe(true);
  });
});

describe('writeFileAtomicOrRestoreSync', () => {
  it('puts the previous file back when the write fails after its rename', () => {
    const dir = scratch();
    const path = join(dir, 'namesrv.properties');
    writeFileAtomicSync(path, 'orderMessageEnable=false\n');
    let dirFsyncs = 0;
    faults.fsync = (p) => (p === dir && dirFsyncs++ === 0 ? 'EIO' : null);
    const err = thrown(() => writeFileAtomicOrRestoreSync(path, 'orderMessageEnable=true\n'));
    expect(err.afterRename).toBe(true);
    expect(err.restoreFailure).toBeNull();
    expect(readFileSync(path, 'utf8')).toBe('orderMessageEnable=false\n');
  });

  it('removes the new file when there was none before', () => {
    const dir = scratch();
    const path = join(dir, 'namesrv.properties');
    let dirFsyncs = 0;
    faults.fsync = (p) => (p === dir && dirFsyncs++ === 0 ? 'EIO' : null);
    thrown(() => writeFileAtomicOrRestoreSync(path, 'orderMessageEnable=true\n'));
    expect(existsSync(path)).toBe(false);
  });

  it('removes the new file, not the link, when the path is a link to a file not made yet', () => {
    // An entrypoint that links configStorePath into a volume at each start: the refused file
    // must go, and the link stay (removing it let the next start re-link the refused file).
    const dir = scratch();
    mkdirSync(join(dir, 'vol'));
    const target = join(dir, 'vol', 'namesrv.properties');
    const path = join(dir, 'namesrv.properties');
    symlinkSync(target, path);
    let dirFsyncs = 0;
    faults.fsync = (p) => (p === join(dir, 'vol') && dirFsyncs++ === 0 ? 'EIO' : null);
    const err = thrown(() => writeFileAtomicOrRestoreSync(path, 'orderMessageEnable=true\n'));
    expect(err.restoreFailure).toBeNull();
    expect(lstatSync(path).isSymbolicLink()).toBe(true);
    expect(existsSync(target)).toBe(false);
  });

  it('says so when putting the previous file back fails too', () => {
    const dir = scratch();
    const path = join(dir, 'namesrv.properties');
    writeFileAtomicSync(path, 'a=1\n');
    faults.fsync = (p) => (p === dir ? 'EIO' : null);
    const err = thrown(() => writeFileAtomicOrRestoreSync(path, 'a=2\n'));
    // The restore's own rename happened: the old bytes are there, not durable.
    expect(err.restoreFailure).toBe(
      'the previous file is back in place, but its directory could not be synced',
    );
    expect(readFileSync(path, 'utf8')).toBe('a=1\n');
    // A restore that cannot even write its temporary file.
    let writes = 0;
    faults.fsync = (p) => (p === dir ? 'EIO' : null);
    faults.write = () => (writes++ === 1 ? 'ENOSPC' : null);
    const worse = thrown(() => writeFileAtomicOrRestoreSync(path, 'a=3\n'));
    expect(worse.message).toContain('putting the previous file back failed too');
    expect(worse.message).toContain('ENOSPC');
  });

  it('leaves a write that failed before its rename as it is (the old file was never replaced)', () => {
    const dir = scratch();
    const path = join(dir, 'namesrv.properties');
    writeFileAtomicSync(path, 'a=1\n');
    faults.write = () => 'ENOSPC';
    expect(thrown(() => writeFileAtomicOrRestoreSync(path, 'a=2\n')).afterRename).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe('a=1\n');
  });
});
