/**
 * Prometheus metrics of one NameServer, behind a small typed facade so handlers and the
 * transport never touch prom-client. Each server gets its own Registry (never the global one), so
 * several servers in one process (tests) do not collide.
 *
 * Label values are bounded: request codes we do not know are counted as `UNKNOWN` rather than by
 * number, so a client sending random codes cannot create unbounded series.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { RequestCode, ResponseCode } from '@ns/protocol';
import type { ProtocolErrorCode } from '@ns/protocol';

/** Read-side views the gauges sample at scrape time. */
export interface MetricsViews {
  brokerCount(): number;
  topicCount(): number;
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
   * unknown codes in 4.9 mode). Hot path: two Map lookups and two cached children.
   */
  observeRequest(requestCode: number, responseCode: number | null, seconds: number): void;
  connectionOpened(): void;
  connectionClosed(): void;
  brokerRegistered(): void;
  brokerExpired(reason: BrokerExpiryReason): void;
  kvConfigWritten(op: KvWriteOp): void;
  frameError(code: ProtocolErrorCode): void;
  /** The Prometheus text exposition and its content type. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

/** Buckets in seconds: most namesrv requests finish well under a millisecond. */
export const REQUEST_DURATION_BUCKETS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
];

const UNKNOWN = 'UNKNOWN';
const NO_RESPONSE = 'NO_RESPONSE';

const REQUEST_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(RequestCode).map(([name, code]) => [code, name]),
);
const RESPONSE_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(ResponseCode).map(([name, code]) => [code, name]),
);

interface CodeChildren {
  readonly name: string;
  readonly duration: Histogram.Internal<'code'>;
  readonly byResult: Map<number, Counter.Internal>;
  unknownResult: Counter.Internal | null;
  noResponse: Counter.Internal | null;
}

export function createMetrics(
  views: MetricsViews,
  options: CreateMetricsOptions = {},
): NamesrvMetrics {
  const registry = new Registry();
  if (options.defaultLabels !== undefined) registry.setDefaultLabels({ ...options.defaultLabels });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const requests = new Counter({
    name: 'namesrv_requests_total',
    help: 'Requests handled, by request code name and response code name',
    labelNames: ['code', 'result'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'namesrv_request_duration_seconds',
    help: 'Time from a decoded request to its response being written, by request code name',
    labelNames: ['code'] as const,
    buckets: [...REQUEST_DURATION_BUCKETS],
    registers,
  });
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

  // Label children, created on first use and kept: prom-client hashes label values on every
  // labels() call, which is too slow for the request path.
  const byCode = new Map<number, CodeChildren>();
  let unknownCode: CodeChildren | null = null;

  const childrenFor = (name: string): CodeChildren => ({
    name,
    duration: duration.labels(name),
    byResult: new Map(),
    unknownResult: null,
    noResponse: null,
  });

  // Slow paths: first sighting of a request code or of a result for it.
  const entryFor = (requestCode: number): CodeChildren => {
    const name = REQUEST_NAMES.get(requestCode);
    if (name === undefined) return (unknownCode ??= childrenFor(UNKNOWN));
    const entry = childrenFor(name);
    byCode.set(requestCode, entry);
    return entry;
  };
  const counterFor = (entry: CodeChildren, responseCode: number | null): Counter.Internal => {
    if (responseCode === null)
      return (entry.noResponse ??= requests.labels(entry.name, NO_RESPONSE));
    const resultName = RESPONSE_NAMES.get(responseCode);
    if (resultName === undefined) {
      return (entry.unknownResult ??= requests.labels(entry.name, UNKNOWN));
    }
    const child = requests.labels(entry.name, resultName);
    entry.byResult.set(responseCode, child);
    return child;
  };

  return {
    registry,
    observeRequest(requestCode, responseCode, seconds) {
      const entry = byCode.get(requestCode) ?? entryFor(requestCode);
      const counter =
        (responseCode === null ? undefined : entry.byResult.get(responseCode)) ??
        counterFor(entry, responseCode);
      counter.inc();
      entry.duration.observe(seconds);
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
    async scrape() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
