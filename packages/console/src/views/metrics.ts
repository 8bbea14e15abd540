/**
 * Live request rates and latencies from the node's own /metrics, scraped every SCRAPE_MS: rates
 * are counter deltas between two scrapes, latencies the p50/p99 of the observations in between
 * (histogram bucket deltas). Nothing is stored on the node; the history lives in this page.
 */
import { getText } from '../api.js';
import { lineChart } from '../chart.js';
import type { Series } from '../chart.js';
import { h, replace } from '../dom.js';
import { formatBytes, formatNumber } from '../format.js';
import { liveStatus } from '../live-status.js';
import { poll } from '../poll.js';
import { buckets, parsePrometheusText, quantileBetween, sum, sumBy } from '../prom-text.js';
import type { Sample } from '../prom-text.js';
import type { View } from './view.js';

export const SCRAPE_MS = 2000;
const POINTS = 90;
const TOP_CODES = 4;

interface Scrape {
  readonly at: number;
  readonly samples: readonly Sample[];
}

function push(list: number[], v: number): void {
  list.push(v);
  if (list.length > POINTS) list.shift();
}

const fmtRate = (v: number): string => (v >= 100 ? formatNumber(Math.round(v)) : v.toFixed(1));
const fmtMs = (v: number): string =>
  v >= 10 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(2);
const fmtMiB = (v: number): string => v.toFixed(0);

export const metricsView: View = (root) => {
  const statusLine = h('p', { class: 'status', id: 'live-status' }, 'Collecting…');
  const status = liveStatus(statusLine);
  const cards = h('div', { class: 'stats', id: 'metric-stats' });
  const charts = h('div', { class: 'charts', id: 'charts' });
  replace(root, h('h1', null, 'Requests'), statusLine, cards, charts);
  let last: Scrape | null = null;
  const total: number[] = [];
  const byCode = new Map<string, number[]>();
  const p50: number[] = [];
  const p99: number[] = [];
  const rss: number[] = [];
  const heap: number[] = [];

  return poll(async (signal) => {
    let samples: Sample[];
    try {
      samples = parsePrometheusText(await getText('/metrics', signal));
    } catch (err) {
      if (!signal.aborted) status.failed(err, 'Cannot read /metrics');
      return;
    }
    const now: Scrape = { at: performance.now(), samples };
    const gauge = (name: string): number => sum(samples, name);
    replace(
      cards,
      ...[
        ['connections', formatNumber(gauge('namesrv_connections_open'))],
        ['live brokers', formatNumber(gauge('namesrv_brokers'))],
        ['topics', formatNumber(gauge('namesrv_topics'))],
        ['registrations', formatNumber(gauge('namesrv_broker_registrations_total'))],
        ['expiries', formatNumber(gauge('namesrv_broker_expiries_total'))],
        ['resident memory', formatBytes(gauge('process_resident_memory_bytes'))],
      ].map(([label, value]) =>
        h(
          'div',
          { class: 'card stat' },
          h('div', { class: 'stat-value' }, value),
          h('div', { class: 'stat-label' }, label),
        ),
      ),
    );
    if (last !== null) {
      const dt = (now.at - last.at) / 1000;
      const before = sumBy(last.samples, 'namesrv_requests_total', 'code');
      const after = sumBy(samples, 'namesrv_requests_total', 'code');
      let all = 0;
      for (const [code, v] of after) {
        const rate = Math.max(0, v - (before.get(code) ?? 0)) / dt;
        all += rate;
        let list = byCode.get(code);
        if (list === undefined) {
          list = Array<number>(total.length).fill(NaN);
          byCode.set(code, list);
        }
        push(list, rate);
      }
      push(total, all);
      const b0 = buckets(last.samples, 'namesrv_request_duration_seconds');
      const b1 = buckets(samples, 'namesrv_request_duration_seconds');
      push(p50, quantileBetween(b0, b1, 0.5) * 1000);
      push(p99, quantileBetween(b0, b1, 0.99) * 1000);
      push(rss, gauge('process_resident_memory_bytes') / 1024 ** 2);
      push(heap, gauge('nodejs_heap_size_used_bytes') / 1024 ** 2);
      const busiest = [...byCode]
        .map(([code, values]) => ({
          code,
          total: values.reduce((a, v) => a + (Number.isFinite(v) ? v : 0), 0),
        }))
        .filter((c) => c.total > 0)
        .sort((a, b) => b.total - a.total)
        .slice(0, TOP_CODES);
      const rateSeries: Series[] = [
        { name: 'all', values: total },
        ...busiest.map((c) => ({ name: c.code, values: byCode.get(c.code)! })),
      ];
      replace(
        charts,
        lineChart('Requests per second', 'req/s', rateSeries, POINTS, fmtRate),
        lineChart(
          'Latency',
          'ms',
          [
            { name: 'p50', values: p50 },
            { name: 'p99', values: p99 },
          ],
          POINTS,
          fmtMs,
        ),
        lineChart(
          'Memory',
          'MiB',
          [
            { name: 'resident', values: rss },
            { name: 'heap used', values: heap },
          ],
          POINTS,
          fmtMiB,
        ),
      );
      status.ok(
        `Live · one scrape every ${SCRAPE_MS / 1000} s · last ${(POINTS * SCRAPE_MS) / 60_000} min`,
      );
    } else {
      status.ok('Collecting… (rates need two scrapes)');
    }
    last = now;
  }, SCRAPE_MS);
};
