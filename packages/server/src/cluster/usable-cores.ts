/**
 * How many CPU cores this process may really use, for `servingWorkers=0` (automatic).
 *
 * `os.availableParallelism()` counts the cores the scheduler lets us run on, but not a container's
 * CPU quota: a pod limited to 2 CPUs on a 64-core host would otherwise start 8 serving workers,
 * each holding a whole replica of the tables (memory grows with W), and share 2 CPUs among 9
 * processes. So the cgroup's quota caps the count, as the JVM's container support does for
 * `availableProcessors()`: cgroup v2 `cpu.max` ("<quota> <period>" or "max <period>"), else
 * cgroup v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us` (-1 = no quota). A quota is rounded up to
 * whole cores (1.5 CPUs may use 2 cores in bursts). Unreadable or absent files mean no quota.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

/** Reads a small text file, or undefined when it cannot be read. */
export type ReadText = (path: string) => string | undefined;

function readTextFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Cores the quota allows (rounded up), or undefined when the files say there is no quota. */
function coresOf(quota: number, period: number): number | undefined {
  if (!Number.isFinite(quota) || !Number.isFinite(period) || quota <= 0 || period <= 0) {
    return undefined;
  }
  return Math.max(1, Math.ceil(quota / period));
}

/**
 * The directories from the process's own cgroup up to the hierarchy's root, for one hierarchy of
 * /proc/self/cgroup: the v2 line (`0::/path`) or the v1 line naming `controller`. Inside a cgroup
 * namespace (a container) the path is `/`, so only the mount's root is read, as before; outside
 * one (a systemd unit with CPUQuota=, `docker run --cgroupns=host`, this process moved into a
 * child cgroup) the root is not this process's cgroup, and reading only it missed the quota.
 */
function cgroupDirs(selfCgroup: string | undefined, controller: string | null): string[] {
  let path = '/';
  for (const line of (selfCgroup ?? '').split('\n')) {
    const [, controllers, p] = /^\d+:([^:]*):(.*)$/.exec(line.trim()) ?? [];
    if (p === undefined || controllers === undefined) continue;
    const match =
      controller === null ? controllers === '' : controllers.split(',').includes(controller);
    if (match) {
      path = p;
      break;
    }
  }
  const dirs: string[] = [];
  for (let d = path; ; d = d.slice(0, Math.max(d.lastIndexOf('/'), 0))) {
    dirs.push(d === '' ? '/' : d);
    if (d === '' || d === '/') break;
  }
  return dirs;
}

function smallest(values: (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length === 0 ? undefined : Math.min(...known);
}

/**
 * The CPU quota of the cgroup this process runs in (the smallest of its own and its parents'),
 * in whole cores, or undefined when it has none (or it cannot be read). `root` is where the
 * cgroup filesystem is mounted.
 */
export function cgroupCpuLimit(
  root = '/sys/fs/cgroup',
  read: ReadText = readTextFile,
  selfCgroup: string | undefined = read('/proc/self/cgroup'),
): number | undefined {
  const v2Dirs = cgroupDirs(selfCgroup, null);
  const v2Files = v2Dirs.map((d) => read(join(root, d, 'cpu.max')));
  if (v2Files.some((f) => f !== undefined)) {
    return smallest(
      v2Files.map((f) => {
        if (f === undefined) return undefined;
        const [quota, period] = f.trim().split(/\s+/);
        if (quota === undefined || quota === 'max') return undefined;
        return coresOf(Number(quota), Number(period ?? '100000'));
      }),
    );
  }
  const v1Dirs = cgroupDirs(selfCgroup, 'cpu');
  for (const mount of ['cpu', 'cpu,cpuacct']) {
    const found = v1Dirs.map((d) => {
      const quota = read(join(root, mount, d, 'cpu.cfs_quota_us'));
      const period = read(join(root, mount, d, 'cpu.cfs_period_us'));
      return quota === undefined || period === undefined
        ? null
        : coresOf(Number(quota.trim()), Number(period.trim()));
    });
    if (found.some((c) => c !== null)) return smallest(found.map((c) => c ?? undefined));
  }
  return undefined;
}

/** Cores this process may use: the schedulable ones, capped by the cgroup's CPU quota. */
export function usableCores(
  schedulable = availableParallelism(),
  quota: number | undefined = cgroupCpuLimit(),
): number {
  return quota === undefined ? schedulable : Math.min(schedulable, quota);
}
