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
 * The CPU quota of the cgroup this process runs in, in whole cores, or undefined when it has none
 * (or it cannot be read). `root` is where the cgroup filesystem is mounted.
 */
export function cgroupCpuLimit(
  root = '/sys/fs/cgroup',
  read: ReadText = readTextFile,
): number | undefined {
  const v2 = read(join(root, 'cpu.max'));
  if (v2 !== undefined) {
    const [quota, period] = v2.trim().split(/\s+/);
    if (quota === undefined || quota === 'max') return undefined;
    return coresOf(Number(quota), Number(period ?? '100000'));
  }
  for (const dir of ['cpu', 'cpu,cpuacct']) {
    const quota = read(join(root, dir, 'cpu.cfs_quota_us'));
    const period = read(join(root, dir, 'cpu.cfs_period_us'));
    if (quota !== undefined && period !== undefined) {
      return coresOf(Number(quota.trim()), Number(period.trim()));
    }
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
