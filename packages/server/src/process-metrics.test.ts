import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { AggregatorRegistry, Registry } from 'prom-client';
import { DROPPED_DEFAULT_METRICS, collectProcessMetrics } from './process-metrics.js';

if (process.platform !== 'linux') {
  console.warn(
    `SKIPPED part of process-metrics.test: process_open_fds is read from /proc/self/fd, which ${process.platform} lacks`,
  );
}

describe('collectProcessMetrics', () => {
  it("keeps Node's process metrics, less those that walk every handle", async () => {
    const registry = new Registry();
    collectProcessMetrics(registry);
    const text = await registry.metrics();
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes']) {
      expect(text).toContain(`\n${name} `);
    }
    expect(text).toContain('nodejs_eventloop_lag_p99_seconds');
    for (const name of DROPPED_DEFAULT_METRICS) {
      if (name === 'process_open_fds') continue;
      expect(text).not.toMatch(new RegExp(`^${name}[ {]`, 'm'));
    }
  });

  it('adds up across serving processes as one node: its start time kept, a per-process fd limit not summed', async () => {
    const processes = [new Registry(), new Registry()];
    for (const r of processes) collectProcessMetrics(r);
    const own = await processes[0]!.metrics();
    const all = await AggregatorRegistry.aggregate(
      await Promise.all(processes.map((r) => r.getMetricsAsJSON())),
    ).metrics();
    const value = (text: string, name: string): string | undefined =>
      new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1];
    expect(value(all, 'process_start_time_seconds')).toBeDefined();
    expect(value(all, 'process_start_time_seconds')).toBe(value(own, 'process_start_time_seconds'));
    // /proc/self/limits: Linux only.
    if (process.platform === 'linux') {
      expect(value(all, 'process_max_fds')).toBe(value(own, 'process_max_fds'));
    }
    // Lag is the worst process's, not the average.
    const lag = all
      .split('\n')
      .filter((l) => l.startsWith('# TYPE nodejs_eventloop_lag'))
      .map((l) => l.split(' ')[2]!);
    expect(lag).toContain('nodejs_eventloop_lag_p99_seconds');
    const json = await Promise.all(processes.map((r) => r.getMetricsAsJSON()));
    for (const name of lag) {
      const aggregator = json[0]!.find((m) => m.name === name)!.aggregator;
      expect(aggregator, name).toBe(name.endsWith('_min_seconds') ? 'min' : 'max');
    }
    // Counters still add up.
    expect(Number(value(all, 'process_cpu_seconds_total'))).toBeGreaterThanOrEqual(
      Number(value(own, 'process_cpu_seconds_total')),
    );
  });

  it.runIf(process.platform === 'linux')(
    'reads process_open_fds off the event loop, as many as /proc/self/fd lists',
    async () => {
      const registry = new Registry();
      collectProcessMetrics(registry);
      const line = (await registry.metrics())
        .split('\n')
        .find((l) => l.startsWith('process_open_fds '));
      expect(line).toBeDefined();
      const reported = Number(line!.split(' ')[1]);
      // Other tests' files may open or close meanwhile: about the same count, not exactly.
      const listed = readdirSync('/proc/self/fd').length - 1;
      expect(reported).toBeGreaterThan(2);
      expect(Math.abs(reported - listed)).toBeLessThan(20);
    },
  );
});
