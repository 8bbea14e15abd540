import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { Registry } from 'prom-client';
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
