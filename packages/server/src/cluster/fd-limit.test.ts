import { describe, expect, it } from 'vitest';
import {
  FD_HEADROOM,
  fdLimitWarning,
  fdsNeeded,
  readProcessLimits,
  softOpenFilesLimit,
} from './fd-limit.js';

function limits(soft: string, hard = '1048576'): string {
  return [
    'Limit                     Soft Limit           Hard Limit           Units     ',
    'Max processes             96367                96367                processes ',
    `Max open files            ${soft.padEnd(20)} ${hard.padEnd(20)} files     `,
    'Max locked memory         8388608              8388608              bytes     ',
    '',
  ].join('\n');
}

describe('softOpenFilesLimit', () => {
  it('reads the soft value of "Max open files"', () => {
    expect(softOpenFilesLimit(limits('1024'))).toBe(1024);
    expect(softOpenFilesLimit(limits('unlimited'))).toBeNull();
    expect(softOpenFilesLimit('garbage')).toBeNull();
    expect(softOpenFilesLimit('')).toBeNull();
  });
});

describe('fdLimitWarning', () => {
  it('asks for maxConnections plus headroom with one serving process', () => {
    expect(fdsNeeded(20_000, 1)).toBe(20_000 + FD_HEADROOM);
    expect(fdLimitWarning(limits(String(20_000 + FD_HEADROOM)), 20_000, 1)).toBeNull();
    const w = fdLimitWarning(limits('1024'), 20_000, 1);
    expect(w).not.toBeNull();
    expect(w!.fields).toEqual({
      openFilesSoftLimit: 1024,
      neededPerProcess: 20_256,
      maxConnections: 20_000,
      servingProcesses: 1,
    });
    expect(w!.message).toContain('ulimit -n');
    expect(w!.message).toContain('LimitNOFILE');
    expect(w!.message).toContain('maxConnections');
    expect(w!.message).toContain('1024');
    expect(w!.message).toContain('20256');
  });

  it('asks for a share of maxConnections plus headroom per worker', () => {
    expect(fdsNeeded(20_000, 4)).toBe(5_000 + FD_HEADROOM);
    expect(fdsNeeded(10, 3)).toBe(4 + FD_HEADROOM);
    expect(fdLimitWarning(limits('5256'), 20_000, 4)).toBeNull();
    const w = fdLimitWarning(limits('5255'), 20_000, 4);
    expect(w?.fields.neededPerProcess).toBe(5_256);
    expect(w?.message).toContain('each of 4 serving processes');
  });

  it('says nothing when the limit cannot be known', () => {
    expect(fdLimitWarning(null, 20_000, 1)).toBeNull();
    expect(fdLimitWarning(limits('unlimited'), 20_000, 1)).toBeNull();
    expect(fdLimitWarning('no such line', 20_000, 1)).toBeNull();
  });

  it('reads nothing where /proc/self/limits is unreadable', () => {
    expect(
      readProcessLimits(() => {
        throw new Error('ENOENT');
      }),
    ).toBeNull();
    if (process.platform === 'linux') {
      expect(softOpenFilesLimit(readProcessLimits() ?? '')).not.toBeNull();
    }
  });
});
