/**
 * Notices a peer process that stopped answering: the owner watches each serving worker, and each
 * worker watches its owner, over their IPC channel. A crashed peer closes the channel and is
 * noticed at once; a stopped or wedged one (SIGSTOP, a hung system call, swapping) keeps it open,
 * and without this a worker went on answering lookups from a registry no longer kept up to date
 * (expired brokers kept being routed to), or a wedged worker went on being handed connections.
 *
 * Each side pings every `intervalMillis`; anything heard from the peer counts. Silence for
 * `limitMillis` is reported once. The watcher's own stalls do not count against the peer: after a
 * check that ran late (this process was stopped or starved), whatever the peer sent meanwhile may
 * still wait unread in the channel, so the count starts over.
 */
export interface SilenceWatchOptions {
  readonly limitMillis: number;
  readonly intervalMillis: number;
  readonly now?: () => number;
}

export class SilenceWatch {
  private readonly limit: number;
  private readonly interval: number;
  private readonly now: () => number;
  private lastHeard: number;
  private lastCheck: number;
  private reported = false;

  constructor(options: SilenceWatchOptions) {
    this.limit = options.limitMillis;
    this.interval = options.intervalMillis;
    this.now = options.now ?? Date.now;
    this.lastHeard = this.now();
    this.lastCheck = this.lastHeard;
  }

  /** The peer said something. */
  heard(): void {
    this.lastHeard = this.now();
  }

  /**
   * Milliseconds since the peer was last heard; 0 while our own checks run late (this process was
   * stalled: what the peer sent may still wait unread, as in check()).
   */
  silentMillis(): number {
    const now = this.now();
    if (now - this.lastCheck > 2 * this.interval) return 0;
    return Math.max(0, now - this.lastHeard);
  }

  /**
   * Called every `intervalMillis`: the ms of silence once it passed the limit (reported once),
   * else null.
   */
  check(): number | null {
    const now = this.now();
    const late = now - this.lastCheck > 2 * this.interval;
    this.lastCheck = now;
    if (this.reported) return null;
    if (late) {
      this.lastHeard = now;
      return null;
    }
    const silent = now - this.lastHeard;
    if (silent < this.limit) return null;
    this.reported = true;
    return silent;
  }
}

/** Ping interval for a silence limit: often enough to be heard a few times within it. */
export function pingIntervalFor(limitMillis: number): number {
  return Math.max(50, Math.min(1000, Math.floor(limitMillis / 4)));
}
