/**
 * Node's process metrics (prom-client's default set: CPU, memory, event-loop lag, GC, heap), less
 * the ones whose collection costs the event loop time in proportion to the open connections.
 *
 * A scrape runs on the process's event loop — the one that answers lookups with servingWorkers =
 * 1, and each serving worker's otherwise — and prom-client collects these synchronously:
 * `process_open_fds` lists /proc/self/fd (readdirSync), and `nodejs_active_handles`,
 * `nodejs_active_resources` and their `_total`s build an array of every handle or resource. With
 * 2,000 connections (4,000 sockets, client and server side in one test process) that was 9 ms of a
 * 1.4 ms scrape on the 2-core VM: every lookup arriving meanwhile waited, every 15 s or so.
 *
 * `process_open_fds` stays, read asynchronously (the directory is listed on libuv's thread pool);
 * the handle and resource counts are left out: `namesrv_connections_open` counts what they mostly
 * count here, at no cost.
 */
import { readdir } from 'node:fs/promises';
import { Gauge, collectDefaultMetrics } from 'prom-client';
import type { Aggregator, Registry } from 'prom-client';

/** The default metrics dropped, because collecting them walks every handle (see above). */
export const DROPPED_DEFAULT_METRICS = [
  'process_open_fds',
  'nodejs_active_handles',
  'nodejs_active_handles_total',
  'nodejs_active_resources',
  'nodejs_active_resources_total',
] as const;

/**
 * How the owner combines these across serving processes where prom-client's own choice is wrong
 * for one node: its start time is its first process's (prom-client omits it, so a node with
 * serving workers had none and uptime alerts saw nothing), a descriptor limit is per process
 * (prom-client adds them up: 4 processes showed 4 × the limit), and event-loop lag is the worst
 * process's (prom-client averages it: one stalled worker of four showed as a quarter of its lag).
 */
const NODE_AGGREGATORS: Readonly<Record<string, Aggregator>> = {
  process_start_time_seconds: 'min',
  process_max_fds: 'max',
  nodejs_eventloop_lag_seconds: 'max',
  nodejs_eventloop_lag_min_seconds: 'min',
  nodejs_eventloop_lag_max_seconds: 'max',
  nodejs_eventloop_lag_mean_seconds: 'max',
  nodejs_eventloop_lag_stddev_seconds: 'max',
  nodejs_eventloop_lag_p50_seconds: 'max',
  nodejs_eventloop_lag_p90_seconds: 'max',
  nodejs_eventloop_lag_p99_seconds: 'max',
};

export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of DROPPED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  for (const [name, aggregator] of Object.entries(NODE_AGGREGATORS)) {
    // prom-client reads `aggregator` from the metric object when it exports it.
    const metric = registry.getSingleMetric(name) as { aggregator: Aggregator } | undefined;
    if (metric !== undefined) metric.aggregator = aggregator;
  }
  if (process.platform !== 'linux') return;
  new Gauge({
    name: 'process_open_fds',
    help: 'Number of open file descriptors.',
    registers: [registry],
    async collect() {
      try {
        // The listing opened one more descriptor while it ran: not counted.
        this.set((await readdir('/proc/self/fd')).length - 1);
      } catch {
        // Not readable (a sandbox): the gauge keeps its last value.
      }
    },
  });
}
