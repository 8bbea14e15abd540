/**
 * Whether the process's file-descriptor limit (RLIMIT_NOFILE, `ulimit -n`) leaves room for
 * `maxConnections`. Each client connection is a descriptor in the process serving it; serving
 * workers are forked, so they inherit the owner's limit. A process at its limit cannot take another
 * connection: with servingWorkers = 1 the accept fails, with more a hand-over cannot reach the
 * worker (the owner closes it after HANDOVER_TIMEOUT_MILLIS, see serving-worker.ts). Nothing in the
 * config refuses such a setup, so the node says so once at startup.
 *
 * Node raises its soft limit to the hard one when it starts, so the soft value read in-process is
 * in effect the hard limit, and raising the hard limit is the remedy.
 */
import { readFileSync } from 'node:fs';

/**
 * Descriptors a serving process needs besides its clients' connections: the listening sockets,
 * the IPC channel and log pipes, the decode and KV persistence threads' files, the HTTP port's
 * connections, and the imbalance between workers (placement picks the one serving the fewest,
 * but a replaced worker starts empty while the others hold its former clients).
 */
export const FD_HEADROOM = 256;

/** The soft "Max open files" value of a /proc/<pid>/limits text; null if unlimited or absent. */
export function softOpenFilesLimit(limitsText: string): number | null {
  for (const line of limitsText.split('\n')) {
    const m = /^Max open files\s+(\S+)\s+/.exec(line);
    if (m === null) continue;
    const n = Number(m[1]);
    return Number.isSafeInteger(n) && n >= 0 ? n : null;
  }
  return null;
}

/** Descriptors one serving process needs for `maxConnections` over `servingProcesses`. */
export function fdsNeeded(maxConnections: number, servingProcesses: number): number {
  const share =
    servingProcesses > 1 ? Math.ceil(maxConnections / servingProcesses) : maxConnections;
  return share + FD_HEADROOM;
}

export interface FdLimitWarning {
  readonly message: string;
  readonly fields: {
    readonly openFilesSoftLimit: number;
    readonly neededPerProcess: number;
    readonly maxConnections: number;
    readonly servingProcesses: number;
  };
}

/**
 * The startup warning when the soft open-files limit in `limitsText` (a /proc/self/limits text)
 * is below what `maxConnections` needs per serving process; null when it is not, or when the text
 * says nothing usable (not Linux, unreadable, unlimited).
 */
export function fdLimitWarning(
  limitsText: string | null,
  maxConnections: number,
  servingProcesses: number,
): FdLimitWarning | null {
  if (limitsText === null) return null;
  const soft = softOpenFilesLimit(limitsText);
  if (soft === null) return null;
  const needed = fdsNeeded(maxConnections, servingProcesses);
  if (soft >= needed) return null;
  const per = servingProcesses > 1 ? `each of ${servingProcesses} serving processes` : 'the node';
  return {
    message:
      `open-files limit (ulimit -n) ${soft} is below the ${needed} descriptors ${per} may need ` +
      `for maxConnections ${maxConnections}: past it connections are refused or dropped. Raise ` +
      `the hard limit (ulimit -Hn; LimitNOFILE= in a systemd unit, --ulimit nofile= in Docker) ` +
      `or lower maxConnections`,
    fields: {
      openFilesSoftLimit: soft,
      neededPerProcess: needed,
      maxConnections,
      servingProcesses,
    },
  };
}

/** This process's /proc/self/limits; null where there is none (not Linux) or it cannot be read. */
export function readProcessLimits(read: () => string = readLimitsFile): string | null {
  try {
    return read();
  } catch {
    return null;
  }
}

function readLimitsFile(): string {
  return readFileSync('/proc/self/limits', 'utf8');
}
