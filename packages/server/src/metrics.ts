/**
 * Prometheus metrics of one NameServer, behind a small typed facade so handlers and the
 * transport never touch prom-client. Each server gets its own Registry (never the global one), so
 * several servers in one process (tests) do not collide.
 *
 * Label values are bounded: request codes we do not know are counted as `UNKNOWN` rather than by
 * number, so a client sending random codes cannot create unbounded series.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Metric } from 'prom-client';
import { RequestCode, ResponseCode } from '@ns/protocol';
import type { ProtocolErrorCode } from '@ns/protocol';
import type { WatchRejectReason, WatchResponseReason } from './watch/index.js';

/** Read-side views the gauges sample at scrape time. */
export interface MetricsViews {
  brokerCount(): number;
  topicCount(): number;
  /** Route watches held now (0 when the watch is off). */
  routeWatchers?(): number;
}

export interface CreateMetricsOptions {
  /** Also export prom-client's default Node process metrics (default true). */
  readonly defaultMetrics?: boolean;
  /** Labels added to every series, e.g. `{ instance: 'ns-1' }`. */
  readonly defaultLabels?: Readonly<Record<string, string>>;
}

export type KvWriteOp = 'put' | 'delete';

/** Why a broker left the routing table without unregistering. */
export type BrokerExpiryReason = 'timeout' | 'channel_closed';

export interface NamesrvMetrics {
  readonly registry: Registry;
  /**
   * One request handled. `responseCode` is null when nothing was sent back (one-way requests,
   * unknown codes in 4.9 mode), 'deferred' when the response is sent later (long polls). Hot
   * path: two Map lookups and two cached children.
   */
  observeRequest(
    requestCode: number,
    responseCode: number | null | 'deferred',
    seconds: number,
  ): void;
  connectionOpened(): void;
  connectionClosed(): void;
  brokerRegistered(): void;
  brokerExpired(reason: BrokerExpiryReason): void;
  kvConfigWritten(op: KvWriteOp): void;
  frameError(code: ProtocolErrorCode): void;
  /** Route watches answered, by why (see watch/types.ts). */
  watchResponded(reason: WatchResponseReason, count: number): void;
  /** Seconds from a route change to a woken watch's response being sent. */
  watchWakeup(seconds: number): void;
  watchRejected(reason: WatchRejectReason): void;
  /** The Prometheus text exposition and its content type. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

/** Buckets in seconds: most namesrv requests finish well under a millisecond. */
export const REQUEST_DURATION_BUCKETS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
];

/** Buckets in seconds for change → wakeup: a wave of thousands of watches takes milliseconds. */
export const WATCH_WAKEUP_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
];

const UNKNOWN = 'UNKNOWN';
const NO_RESPONSE = 'NO_RESPONSE';
const DEFERRED_RESULT = 'DEFERRED';

const REQUEST_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(RequestCode).map(([name, code]) => [code, name]),
);
const RESPONSE_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(ResponseCode).map(([name, code]) => [code, name]),
);

/** One `namesrv_requests_total` series, counted in a plain number and handed over at scrape. */
interface RequestCell {
  readonly code: string;
  readonly result: string;
  value: number;
  reported: number;
}

/** One `namesrv_request_duration_seconds` series: per-bucket (not cumulative) counts. */
interface DurationSeries {
  readonly code: string;
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

interface CodeEntry {
  readonly name: string;
  readonly duration: DurationSeries;
  readonly byResult: Map<number, RequestCell>;
  unknownResult: RequestCell | null;
  noResponse: RequestCell | null;
  deferred: RequestCell | null;
}

/**
 * A histogram with one `code` label, exposed to the registry through prom-client's metric
 * interface. prom-client's own Histogram validates and hashes the label set on every observe()
 * (microseconds); this one is a Map lookup done once per code and a short bucket scan.
 */
class RequestDurationHistogram {
  readonly name = 'namesrv_request_duration_seconds';
  readonly help = 'Time from a decoded request to its response being written, by request code name';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly bounds: readonly number[];
  private readonly series: DurationSeries[] = [];

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
  }

  create(code: string): DurationSeries {
    const s: DurationSeries = {
      code,
      counts: new Float64Array(this.bounds.length),
      sum: 0,
      count: 0,
    };
    this.series.push(s);
    return s;
  }

  observe(s: DurationSeries, seconds: number): void {
    // A clock glitch must not poison the sum with NaN or a negative value.
    if (!(seconds >= 0 && seconds < Infinity)) return;
    s.sum += seconds;
    s.count++;
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= bounds[i]!) {
        s.counts[i]!++;
        return;
      }
    }
  }

  /** Same shape as prom-client's Histogram#get (cumulative buckets, then +Inf, sum, count). */
  get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: { labels: Record<string, string | number>; value: number; metricName: string }[];
  }> {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] =
      [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.series) {
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += s.counts[i]!;
        values.push({
          labels: { le: this.bounds[i]!, code: s.code },
          value: acc,
          metricName: bucket,
        });
      }
      values.push({ labels: { le: '+Inf', code: s.code }, value: s.count, metricName: bucket });
      values.push({ labels: { code: s.code }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { code: s.code }, value: s.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    });
  }

  reset(): void {
    for (const s of this.series) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}

export function createMetrics(
  views: MetricsViews,
  options: CreateMetricsOptions = {},
): NamesrvMetrics {
  const registry = new Registry();
  if (options.defaultLabels !== undefined) registry.setDefaultLabels({ ...options.defaultLabels });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  // Request counts live in plain cells (hot path: one increment) and are handed to prom-client
  // when it collects.
  const cells: RequestCell[] = [];
  new Counter({
    name: 'namesrv_requests_total',
    help: 'Requests handled, by request code name and response code name',
    labelNames: ['code', 'result'] as const,
    registers,
    collect() {
      for (const c of cells) {
        if (c.value !== c.reported) {
          this.inc({ code: c.code, result: c.result }, c.value - c.reported);
          c.reported = c.value;
        }
      }
    },
  });
  const duration = new RequestDurationHistogram(REQUEST_DURATION_BUCKETS);
  registry.registerMetric(duration as unknown as Metric);
  const connections = new Gauge({
    name: 'namesrv_connections_open',
    help: 'Open remoting connections',
    registers,
  });
  new Gauge({
    name: 'namesrv_brokers',
    help: 'Live brokers in the routing table',
    registers,
    collect() {
      this.set(views.brokerCount());
    },
  });
  new Gauge({
    name: 'namesrv_topics',
    help: 'Topics in the routing table',
    registers,
    collect() {
      this.set(views.topicCount());
    },
  });
  const registrations = new Counter({
    name: 'namesrv_broker_registrations_total',
    help: 'REGISTER_BROKER requests applied',
    registers,
  });
  const expiries = new Counter({
    name: 'namesrv_broker_expiries_total',
    help: 'Brokers removed without unregistering, by reason',
    labelNames: ['reason'] as const,
    registers,
  });
  const kvWrites = new Counter({
    name: 'namesrv_kv_config_writes_total',
    help: 'KV config table changes, by operation',
    labelNames: ['op'] as const,
    registers,
  });
  const frameErrors = new Counter({
    name: 'namesrv_frame_errors_total',
    help: 'Connections closed because a frame could not be decoded, by error code',
    labelNames: ['code'] as const,
    registers,
  });

  new Gauge({
    name: 'namesrv_route_watchers',
    help: 'Route watches (WATCH_TOPIC_ROUTE) held now',
    registers,
    collect() {
      this.set(views.routeWatchers?.() ?? 0);
    },
  });
  const watchResponses = new Counter({
    name: 'namesrv_route_watch_responses_total',
    help: 'Route watches answered, by reason (immediate, changed, timeout, superseded, shutdown)',
    labelNames: ['reason'] as const,
    registers,
  });
  const watchWakeup = new Histogram({
    name: 'namesrv_route_watch_wakeup_seconds',
    help: 'Time from a route change to a woken watch being answered',
    buckets: [...WATCH_WAKEUP_BUCKETS],
    registers,
  });
  const watchRejected = new Counter({
    name: 'namesrv_route_watch_rejected_total',
    help: 'Route watches refused, by reason (max_watchers, max_topics, bad_request, not_ready)',
    labelNames: ['reason'] as const,
    registers,
  });

  const byCode = new Map<number, CodeEntry>();
  let unknownCode: CodeEntry | null = null;

  const newEntry = (name: string): CodeEntry => ({
    name,
    duration: duration.create(name),
    byResult: new Map(),
    unknownResult: null,
    noResponse: null,
    deferred: null,
  });
  const newCell = (code: string, result: string): RequestCell => {
    const cell: RequestCell = { code, result, value: 0, reported: 0 };
    cells.push(cell);
    return cell;
  };
  // Slow paths: first sighting of a request code, or of a result for it.
  const entryFor = (requestCode: number): CodeEntry => {
    const name = REQUEST_NAMES.get(requestCode);
    if (name === undefined) return (unknownCode ??= newEntry(UNKNOWN));
    const entry = newEntry(name);
    byCode.set(requestCode, entry);
    return entry;
  };
  const cellFor = (entry: CodeEntry, responseCode: number | null | 'deferred'): RequestCell => {
    if (responseCode === null) return (entry.noResponse ??= newCell(entry.name, NO_RESPONSE));
    if (responseCode === 'deferred') {
      return (entry.deferred ??= newCell(entry.name, DEFERRED_RESULT));
    }
    const resultName = RESPONSE_NAMES.get(responseCode);
    if (resultName === undefined) return (entry.unknownResult ??= newCell(entry.name, UNKNOWN));
    const cell = newCell(entry.name, resultName);
    entry.byResult.set(responseCode, cell);
    return cell;
  };

  return {
    registry,
    observeRequest(requestCode, responseCode, seconds) {
      const entry = byCode.get(requestCode) ?? entryFor(requestCode);
      const cell =
        (typeof responseCode === 'number' ? entry.byResult.get(responseCode) : undefined) ??
        cellFor(entry, responseCode);
      cell.value++;
      duration.observe(entry.duration, seconds);
    },
    connectionOpened() {
      connections.inc();
    },
    connectionClosed() {
      connections.dec();
    },
    brokerRegistered() {
      registrations.inc();
    },
    brokerExpired(reason) {
      expiries.inc({ reason });
    },
    kvConfigWritten(op) {
      kvWrites.inc({ op });
    },
    frameError(code) {
      frameErrors.inc({ code });
    },
    watchResponded(reason, count) {
      watchResponses.inc({ reason }, count);
    },
    watchWakeup(seconds) {
      watchWakeup.observe(seconds);
    },
    watchRejected(reason) {
      watchRejected.inc({ reason });
    },
    async scrape() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
