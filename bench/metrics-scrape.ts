/**
 * What a /metrics scrape costs the event loop of the process it runs in, against the number of
 * open sockets: prom-client's whole default set (as the node used before) and the node's process
 * metrics (packages/server/src/process-metrics.ts), side by side in one process. Not part of
 * `pnpm bench`: run by hand after `tsc -b`:
 *
 *   node --import tsx bench/metrics-scrape.ts [connections=2000] [scrapes=40]
 *
 * Opens `connections` loopback connections to a server in the same process (so twice as many
 * sockets), then scrapes both registries in turns, 20 ms apart, and prints the median and the
 * largest event-loop active time of a scrape (performance.eventLoopUtilization around it).
 */
import { createServer, connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import {
  collectDefaultMetrics,
  Registry,
} from '../packages/server/node_modules/prom-client/index.js';
import { collectProcessMetrics } from '../packages/server/dist/process-metrics.js';

const connections = Number(process.argv[2] ?? 2000);
const scrapes = Number(process.argv[3] ?? 40);

const server = createServer(() => undefined);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;
const sockets: Socket[] = [];
for (let i = 0; i < connections; i++) {
  sockets.push(
    await new Promise<Socket>((resolve) => {
      const s = connect(port, '127.0.0.1', () => resolve(s));
    }),
  );
}

const defaults = new Registry();
collectDefaultMetrics({ register: defaults });
const ours = new Registry();
collectProcessMetrics(ours);
const active: Record<'defaults' | 'ours', number[]> = { defaults: [], ours: [] };
for (let i = 0; i < scrapes; i++) {
  for (const [name, registry] of [
    ['defaults', defaults],
    ['ours', ours],
  ] as const) {
    await new Promise((r) => setTimeout(r, 20));
    const before = performance.eventLoopUtilization();
    await registry.metrics();
    active[name].push(performance.eventLoopUtilization(before).active);
  }
}
const summary = (values: number[]): string => {
  const sorted = values.slice().sort((a, b) => a - b);
  return `p50 ${sorted[sorted.length >> 1]!.toFixed(2)} ms, max ${sorted[sorted.length - 1]!.toFixed(2)} ms`;
};
console.log(
  `node ${process.version}; ${connections} connections (${2 * connections} sockets), ${scrapes} scrapes each; event-loop active time per scrape:\n` +
    `  prom-client defaults: ${summary(active.defaults)}\n` +
    `  process-metrics.ts:   ${summary(active.ours)}`,
);
for (const s of sockets) s.destroy();
server.close();
