import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { unwritableReason } from './writable-dir.js';

const dirs: string[] = [];
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ns-writable-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const erofs = (): never => {
  throw Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
};

describe('unwritableReason', () => {
  it('is null for a file in a writable directory, there or not yet', () => {
    const dir = scratch();
    expect(unwritableReason(join(dir, 'kvConfig.json'))).toBeNull();
    expect(unwritableReason(join(dir, 'a', 'b', 'kvConfig.json'))).toBeNull();
  });

  it('checks the nearest directory that exists, and a link target’s directory', () => {
    const dir = scratch();
    const seen: string[] = [];
    const record = (d: string): void => {
      seen.push(d);
    };
    unwritableReason(join(dir, 'a', 'b', 'kvConfig.json'), record);
    expect(seen).toEqual([dir]);

    mkdirSync(join(dir, 'real'));
    writeFileSync(join(dir, 'real', 'kv.json'), '{}');
    symlinkSync(join(dir, 'real', 'kv.json'), join(dir, 'link.json'));
    seen.length = 0;
    unwritableReason(join(dir, 'link.json'), record);
    expect(seen).toEqual([join(dir, 'real')]);
  });

  it('names the directory and the reason when it cannot be written', () => {
    const dir = scratch();
    expect(unwritableReason(join(dir, 'kvConfig.json'), erofs)).toBe(
      `${dir} is not writable (EROFS)`,
    );
    mkdirSync(join(dir, 'namesrv.properties'));
    expect(unwritableReason(join(dir, 'namesrv.properties'))).toBe(
      `${join(dir, 'namesrv.properties')} is a directory`,
    );
    writeFileSync(join(dir, 'file'), '');
    expect(unwritableReason(join(dir, 'file', 'kvConfig.json'))).toBe(
      `${join(dir, 'file')} is not a directory`,
    );
  });
});
