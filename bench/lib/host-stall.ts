/**
 * Stalls the machine made, beside the ones the node made: an idle canary process's longest gap
 * between two turns of its 1 ms timer (bench/lib/host-canary.mjs), and the hypervisor's steal
 * time over the same interval (/proc/stat, all CPUs). The churn scenario's serving and owner
 * stalls can read 60–100 ms once in a run on the 2-core VM; the canary and steal counter show
 * such a stall in every process at once, with the VM descheduled (`steal`), so the report can
 * tell it from one the node's own work made.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { clockTicksPerSecond } from './proc.js';

const CANARY = new URL('./host-canary.mjs', import.meta.url);

export interface HostStall {
  /** Longest gap between two 1 ms turns of the idle canary, ms (1 = never delayed). */
  canaryGapMs: number | undefined;
  /** Time the hypervisor ran something else instead of this VM's CPUs, summed over them, ms. */
  stealMs: number | undefined;
}

/** Steal ticks (field 8 of the aggregate cpu line of /proc/stat), undefined off Linux. */
function stealTicks(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const f = line.trim().split(/\s+/);
    const v = Number(f[8]);
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export class HostProbe {
  private constructor(
    private readonly child: ChildProcess,
    private steal: number | undefined,
  ) {}

  static async start(): Promise<HostProbe> {
    const child = fork(CANARY, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] });
    await once(child, 'spawn');
    const probe = new HostProbe(child, stealTicks());
    await probe.read();
    return probe;
  }

  /** What happened since the previous read (or the start), and resets. */
  async read(timeoutMs = 5000): Promise<HostStall> {
    const steal = stealTicks();
    const stealMs =
      steal === undefined || this.steal === undefined
        ? undefined
        : ((steal - this.steal) * 1000) / clockTicksPerSecond();
    this.steal = steal;
    let canaryGapMs: number | undefined;
    if (this.child.connected) {
      const answer = once(this.child, 'message', { signal: AbortSignal.timeout(timeoutMs) });
      this.child.send('read');
      canaryGapMs = await answer.then(
        ([gap]) => gap as number,
        () => undefined,
      );
    }
    return { canaryGapMs, stealMs };
  }

  stop(): void {
    if (this.child.connected) this.child.disconnect();
    this.child.kill();
  }
}
