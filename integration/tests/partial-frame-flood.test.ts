/**
 * Issue 12, "Limits": a node with default settings, 2,000 connections each sending 15 MiB of an
 * announced 16 MiB frame (and reopened whenever the node closes one, for 40 s: past the 30 s
 * frame deadline), while a well-behaved client looks a route up every 5 ms. Before the limits,
 * 400 such connections took a node to 5.1 GiB and a lookup timed out.
 *
 * Checked here: the node's resident memory stays under 1 GiB (peak sampled every 50 ms, and the
 * kernel's VmHWM), every lookup is answered correctly within 5 s, the node answers after the
 * flood. The latency bound of the issue (p99 under 10 ms) is printed here and judged by
 * `pnpm bench` (scenario `flood`): on the shared 2-core CI machine, where the attacker, the node
 * and the client compete for the same cores with other jobs, it holds in some runs and not in
 * others (README "Limits" gives measured figures).
 *
 * Linux only: /proc and the 127.0.0.x source addresses of the loopback interface.
 */
import { describe, expect, it } from 'vitest';
import { runFlood } from '../../bench/scenarios/flood.js';

describe.skipIf(process.platform !== 'linux')('partial-frame flood, default settings', () => {
  it('2,000 half-sent 16 MiB frames: RSS under 1 GiB, every route lookup answered', async () => {
    const lines: string[] = [];
    const result = await runFlood(
      {
        connections: 2000,
        sendBytes: 15 * 1024 * 1024,
        durationMs: 40_000,
        probeIntervalMs: 5,
        reconnect: true,
        // Past the 30 s frame deadline of the last first-wave connection, however slowly the
        // (shared, 2-core) machine opened them.
        minAfterConnectedMs: 35_000,
      },
      (line) => {
        lines.push(line);
        console.log(`[flood] ${line}`);
      },
    );
    expect(result.attacker.opened).toBeGreaterThanOrEqual(2000);
    expect(result.probeFailures, result.probeFailureSamples.join(' | ')).toBe(0);
    expect(result.probes).toBeGreaterThan(100);
    expect(result.answersAfter).toBe(true);
    expect(result.peakRssMiB).toBeLessThan(1024);
    expect(result.hwmRssMiB).toBeLessThan(1024);
    // The frame deadline (30 s) closed the first wave; the attacker opened a second one.
    expect(result.attacker.closedByNode).toBeGreaterThanOrEqual(1000);
  }, 180_000);
});
