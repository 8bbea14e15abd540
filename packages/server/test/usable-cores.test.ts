import { describe, expect, it } from 'vitest';
import { cgroupCpuLimit, usableCores } from '../src/cluster/usable-cores.js';
import { resolveServingWorkers } from '../src/name-server.js';

/** A cgroup filesystem made of the given files. */
function files(entries: Record<string, string>) {
  return (path: string): string | undefined => entries[path];
}

describe('the CPU quota of the cgroup', () => {
  it('cgroup v2: cpu.max quota/period, rounded up to whole cores', () => {
    expect(cgroupCpuLimit('/cg', files({ '/cg/cpu.max': '200000 100000\n' }))).toBe(2);
    expect(cgroupCpuLimit('/cg', files({ '/cg/cpu.max': '150000 100000\n' }))).toBe(2);
    expect(cgroupCpuLimit('/cg', files({ '/cg/cpu.max': '25000 100000\n' }))).toBe(1);
  });

  it('cgroup v2 without a quota ("max") or without the file: none', () => {
    expect(cgroupCpuLimit('/cg', files({ '/cg/cpu.max': 'max 100000\n' }))).toBeUndefined();
    expect(cgroupCpuLimit('/cg', files({}))).toBeUndefined();
  });

  it('cgroup v1: cfs quota and period, -1 = none', () => {
    const v1 = (quota: string) =>
      files({
        '/cg/cpu,cpuacct/cpu.cfs_quota_us': `${quota}\n`,
        '/cg/cpu,cpuacct/cpu.cfs_period_us': '100000\n',
      });
    expect(cgroupCpuLimit('/cg', v1('400000'))).toBe(4);
    expect(cgroupCpuLimit('/cg', v1('-1'))).toBeUndefined();
    expect(
      cgroupCpuLimit(
        '/cg',
        files({ '/cg/cpu/cpu.cfs_quota_us': '300000', '/cg/cpu/cpu.cfs_period_us': '100000' }),
      ),
    ).toBe(3);
  });

  it("outside a cgroup namespace: the process's own cgroup (from /proc/self/cgroup) and its parents", () => {
    // cgroup v1, a child cgroup with 1 CPU under an unlimited root (systemd CPUQuota=100%, a moved process).
    const v1 = files({
      '/proc/self/cgroup': '4:memory:/x\n1:cpu:/svc/app\n0::/\n',
      '/cg/cpu/cpu.cfs_quota_us': '-1',
      '/cg/cpu/cpu.cfs_period_us': '100000',
      '/cg/cpu/svc/app/cpu.cfs_quota_us': '100000',
      '/cg/cpu/svc/app/cpu.cfs_period_us': '100000',
    });
    expect(cgroupCpuLimit('/cg', v1)).toBe(1);
    // cgroup v2: the root has no cpu.max; the parent's quota is smaller than the leaf's.
    const v2 = files({
      '/proc/self/cgroup': '0::/system.slice/ns.service\n',
      '/cg/system.slice/cpu.max': '200000 100000',
      '/cg/system.slice/ns.service/cpu.max': 'max 100000',
    });
    expect(cgroupCpuLimit('/cg', v2)).toBe(2);
    // Inside a namespace: "0::/", the mount's root as before.
    expect(
      cgroupCpuLimit(
        '/cg',
        files({ '/proc/self/cgroup': '0::/\n', '/cg/cpu.max': '300000 100000' }),
      ),
    ).toBe(3);
  });

  it('garbage in the files means no quota, not a crash', () => {
    expect(cgroupCpuLimit('/cg', files({ '/cg/cpu.max': 'lots 0' }))).toBeUndefined();
    expect(cgroupCpuLimit('/cg', files({ '/cg/cpu.max': '' }))).toBeUndefined();
  });
});

describe('automatic servingWorkers', () => {
  it('a quota caps the schedulable cores', () => {
    expect(usableCores(64, 2)).toBe(2);
    expect(usableCores(4, 16)).toBe(4);
    expect(usableCores(16, undefined)).toBe(16);
  });

  it('one worker per core beyond the first, at most 8; an explicit count is kept', () => {
    expect(resolveServingWorkers(0, usableCores(64, 2))).toBe(1);
    expect(resolveServingWorkers(0, usableCores(64, 3))).toBe(2);
    expect(resolveServingWorkers(0, usableCores(64, undefined))).toBe(8);
    expect(resolveServingWorkers(0, 1)).toBe(1);
    expect(resolveServingWorkers(3, 1)).toBe(3);
  });

  it('this machine: a readable answer', () => {
    const cores = usableCores();
    expect(Number.isInteger(cores) && cores >= 1).toBe(true);
  });
});
