/**
 * What /proc says about a process tree and the machine: CPU time and memory of a node (the
 * owner process plus its serving workers) or a baseline (primary plus cluster workers), and how
 * busy the whole machine was. Linux only; elsewhere every reader returns undefined and the
 * report shows '–'.
 *
 * CPU comes in clock ticks (normally 100 per second): over a window of a few seconds that is
 * precise to about a percent, and it covers every process of the tree, which the IPC probe
 * (owner only) cannot.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** USER_HZ (getconf CLK_TCK), 100 when it cannot be read. */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    } catch {
      ticksPerSecond = 100;
    }
    if (!(ticksPerSecond > 0)) ticksPerSecond = 100;
  }
  return ticksPerSecond;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

interface Stat {
  ppid: number;
  /** utime + stime of the process (all its threads), ticks. */
  ownTicks: number;
  /** cutime + cstime: children it has reaped (a worker that died and was replaced), ticks. */
  reapedTicks: number;
}

function stat(pid: number): Stat | undefined {
  const text = read(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  // The command name is in parentheses and may hold spaces: fields start after the last ')'.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state): ppid = field 4, utime..cstime = fields 14..17.
  return {
    ppid: Number(f[1]),
    ownTicks: Number(f[11]) + Number(f[12]),
    reapedTicks: Number(f[13]) + Number(f[14]),
  };
}

/** Direct children of `pid` (the node's serving workers, the baseline's cluster workers). */
export function childPids(pid: number): number[] {
  const out = new Set<number>();
  const tasks = (() => {
    try {
      return readdirSync(`/proc/${pid}/task`);
    } catch {
      return [];
    }
  })();
  let haveChildrenFiles = false;
  for (const tid of tasks) {
    const text = read(`/proc/${pid}/task/${tid}/children`);
    if (text === undefined) continue;
    haveChildrenFiles = true;
    for (const c of text.trim().split(/\s+/)) if (c !== '') out.add(Number(c));
  }
  if (!haveChildrenFiles) {
    // Kernels without CONFIG_PROC_CHILDREN: scan every process for its parent.
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      if (stat(Number(name))?.ppid === pid) out.add(Number(name));
    }
  }
  return [...out];
}

/** `pid` and its direct children. */
export function processTree(pid: number): number[] {
  return [pid, ...childPids(pid)];
}

/**
 * CPU seconds used so far by `pid`, its live children and the children it reaped. Differences of
 * two readings give the tree's CPU over the interval.
 */
export function treeCpuSeconds(pid: number): number | undefined {
  const root = stat(pid);
  if (root === undefined) return undefined;
  let ticks = root.ownTicks + root.reapedTicks;
  for (const c of childPids(pid)) ticks += stat(c)?.ownTicks ?? 0;
  return ticks / clockTicksPerSecond();
}

/**
 * How long the main thread of `pid` (its thread id is the pid) has waited so far, runnable, for a
 * CPU: run_delay of /proc/<pid>/task/<pid>/schedstat, ms; undefined where the kernel keeps no
 * such figure. The difference of two readings tells how much of an event-loop stall between
 * them was the thread not running at all (another thread or process had its core), not work.
 */
export function mainThreadRunDelayMs(pid: number): number | undefined {
  const fields = read(`/proc/${pid}/task/${pid}/schedstat`)?.trim().split(/\s+/);
  const ns = fields === undefined ? NaN : Number(fields[1]);
  return Number.isFinite(ns) ? ns / 1e6 : undefined;
}

export interface MachineCpu {
  /** Ticks the machine's CPUs were busy (not idle, not waiting for I/O), all CPUs together. */
  busy: number;
  total: number;
}

/** The aggregate line of /proc/stat. */
export function machineCpu(): MachineCpu | undefined {
  const line = read('/proc/stat')?.split('\n')[0];
  if (line === undefined || !line.startsWith('cpu ')) return undefined;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = v[3]! + v[4]!;
  return { busy: total - idle, total };
}

/** % of the whole machine's CPU capacity busy between two readings (everything on it). */
export function machineBusyPct(a: MachineCpu | undefined, b: MachineCpu | undefined): number {
  if (a === undefined || b === undefined || b.total <= a.total) return NaN;
  return ((b.busy - a.busy) / (b.total - a.total)) * 100;
}

function statusKiB(pid: number, key: string): number | undefined {
  const text = read(`/proc/${pid}/status`);
  const m = text === undefined ? null : new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
  return m === null ? undefined : Number(m[1]);
}

function pssKiB(pid: number): number | undefined {
  const text = read(`/proc/${pid}/smaps_rollup`);
  const m = text === undefined ? null : /^Pss:\s+(\d+) kB/m.exec(text);
  return m === null ? undefined : Number(m[1]);
}

export interface TreeMemory {
  /** Resident set of each process, pid order as processTree (root first), bytes. */
  rssBytes: number[];
  /** Sum of the RSS: counts pages the processes share once per process. */
  rssSumBytes: number;
  /** Sum of the proportional set sizes (shared pages split among their sharers); NaN if unknown. */
  pssSumBytes: number;
}

/** Memory of `pid` and its direct children, from /proc/<pid>/status and smaps_rollup. */
export function treeMemory(pid: number): TreeMemory | undefined {
  const pids = processTree(pid);
  const rss = pids.map((p) => (statusKiB(p, 'VmRSS') ?? NaN) * 1024);
  if (rss.some((x) => Number.isNaN(x))) return undefined;
  const pss = pids.map((p) => (pssKiB(p) ?? NaN) * 1024);
  return {
    rssBytes: rss,
    rssSumBytes: rss.reduce((a, b) => a + b, 0),
    pssSumBytes: pss.reduce((a, b) => a + b, 0),
  };
}

/** The serving processes of a node of `workers` serving processes (W = 1: the node itself). */
export function servingPids(nodePid: number, workers: number): number[] {
  return workers === 1 ? [nodePid] : childPids(nodePid);
}

/** Each serving thread's CPU wait so far (mainThreadRunDelayMs per pid). */
export function waitsOf(pids: readonly number[]): Map<number, number | undefined> {
  return new Map(pids.map((pid) => [pid, mainThreadRunDelayMs(pid)]));
}

/** The most any serving thread waited for a CPU between two `waitsOf` readings, ms. */
export function waitedMs(
  a: Map<number, number | undefined>,
  b: Map<number, number | undefined>,
): number | undefined {
  let most: number | undefined;
  for (const [pid, before] of a) {
    const after = b.get(pid);
    if (before === undefined || after === undefined) continue;
    most = Math.max(most ?? 0, after - before);
  }
  return most;
}
