/**
 * Prometheus metrics of one NameServer, behind a small typed facade so handlers and the
 * transport never touch prom-client. Each server gets its own Registry (never the global one), so
 * several servers in one process (tests) do not collide.
 *
 * Label values are bounded: request codes we do not know are counted as `UNKNOWN` rather than by
 * number, so a client sending random codes cannot create unbounded series.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import { RequestCode, ResponseCode } from '@ns/protocol';
import type { ProtocolErrorCode } from '@ns/protocol';
import type { WatchRejectReason, WatchResponseReason } from './watch/index.js';
import { collectProcessMetrics } from './process-metrics.js';
import { createSecurityMetrics } from './security/security-metrics.js';
import type { SecurityMetrics } from './security/security-metrics.js';
import type { LimitName } from './transport/types.js';

/**
 * Views the gauges sample at scrape time; each gauge exists only where its view is given: the
 * registry's state in the owner process, the held route watches where connections are served.
 */
export interface MetricsViews {
  brokerCount?: () => number;
  topicCount?: () => number;
  /**
   * The route digest as an unsigned 32-bit number (GET /digest's `digest`). Every node of a
   * NameServer cluster should expose the same value; see the README for the alert rule.
   */
  routeDigest?: () => number | Promise<number>;
  /** Route watches held now (0 when the watch is off). */
  routeWatchers?: () => number;
  /** The KV file's persistence thread (kvconfig/kv-write-behind.ts); null while none runs. */
  kvPersistence?: () => KVPersistenceView | null;
}

/** What the KV persistence metrics read (KVWriteBehind.stats()); counts since that thread's owner started. */
export interface KVPersistenceView {
  /** What counts (one per start of the node): when it changes, the counts start again from 0. */
  readonly source: object;
  readonly fileWrites: number;
  readonly failedWrites: number;
  readonly crashes: number;
  readonly lastWriteMillis: number | null;
  readonly threadRunning: boolean;
}

export interface CreateMetricsOptions {
  /** Also export prom-client's default Node process metrics (default true). */
  readonly defaultMetrics?: boolean;
  /** Labels added to every series, e.g. `{ instance: 'ns-1' }`. */
  readonly defaultLabels?: Readonly<Record<string, string>>;
  /**
   * What this process does, the `role` label of the stall gauge: `serving` answers clients (a
   * single-process node, or a serving worker), `owner` is the registry owner of a node whose
   * clients are served by worker processes. Default `serving`.
   */
  readonly role?: ProcessRole;
}

export type ProcessRole = 'serving' | 'owner';

/**
 * Tick of the event-loop stall monitor (perf_hooks.monitorEventLoopDelay), in milliseconds. The
 * monitor is a native timer, no work per request; it records the interval between its ticks, and
 * the stall is the excess over this tick: a stall reads to within about one tick, and a stall
 * shorter than one tick may go unseen. 2 ms: fine enough against a 5 ms serving-stall budget,
 * coarse enough that an idle node does not wake each process a thousand times a second.
 */
export const STALL_MONITOR_RESOLUTION_MS = 2;

/** The gauge of the longest event-loop stall since the previous scrape (max over processes). */
export const STALL_METRIC = 'namesrv_event_loop_stall_max_seconds';

/** The gauge of the longest event-loop stall in a trailing window, which no scrape resets. */
export const STALL_WINDOW_METRIC = 'namesrv_event_loop_stall_window_max_seconds';
export const STALL_WINDOW_SECONDS = 60;
const STALL_WINDOW_HELP =
  `Longest event-loop stall in the last ${STALL_WINDOW_SECONDS} s (not reset by scrapes), in ` +
  'seconds, max over the processes of each role';
const STALL_WINDOW_SLOT_SECONDS = 5;

/**
 * The counter of the time the event-loop thread has spent runnable but not running: waiting for
 * a CPU that other threads or processes held (summed over the processes of each role).
 */
export const CPU_WAIT_METRIC = 'namesrv_event_loop_cpu_wait_seconds_total';

/**
 * How long the calling thread has waited, runnable, for a CPU since it started (run_delay, the
 * second field of Linux's /proc/thread-self/schedstat), in seconds; null where the kernel keeps
 * no such figure (other systems, kernels without schedstats). Beside the stall gauge it tells a
 * stall the node's own work made from one the machine made: on a host with fewer free cores than
 * busy threads the loop stalls without doing anything.
 */
export function threadCpuWaitSeconds(
  read: () => string = () => readFileSync('/proc/thread-self/schedstat', 'utf8'),
): number | null {
  let text: string;
  try {
    text = read();
  } catch {
    return null;
  }
  const ns = Number(text.trim().split(/\s+/)[1]);
  return Number.isFinite(ns) && ns >= 0 ? ns / 1e9 : null;
}

export type KvWriteOp = 'put' | 'delete';

/**
 * What a serving side's decode thread made of a REGISTER_BROKER body: the whole table (`full`),
 * what changed since the broker's previous body (`delta`), nothing (`unchanged`), or a refusal
 * (`invalid`: CRC mismatch or undecodable). `resend`: the owner asked for a full decode again.
 */
export type RegisterDecodeKind = 'full' | 'delta' | 'unchanged' | 'invalid' | 'resend';

/** Why a broker left the routing table without unregistering. */
export type BrokerExpiryReason = 'timeout' | 'channel_closed';

export interface NamesrvMetrics {
  readonly registry: Registry;
  /**
   * One request handled (answered, or settled without an answer). `responseCode` is null when
   * nothing was sent back (one-way requests, unknown codes in 4.9 mode). Hot path: two Map
   * lookups and two cached children.
   */
  observeRequest(requestCode: number, responseCode: number | null, seconds: number): void;
  connectionOpened(): void;
  connectionClosed(): void;
  brokerRegistered(): void;
  brokerExpired(reason: BrokerExpiryReason): void;
  kvConfigWritten(op: KvWriteOp): void;
  frameError(code: ProtocolErrorCode): void;
  /** Route watches answered, by why (see watch/types.ts). */
  watchResponded(reason: WatchResponseReason, count: number): void;
  /** Seconds from a route change to a woken watch's response being handed to its connection. */
  watchWakeup(seconds: number): void;
  watchRejected(reason: WatchRejectReason): void;
  /** A REGISTER_BROKER body decoded by a serving side's decode thread, by outcome. */
  registerBodyDecoded(kind: RegisterDecodeKind): void;
  /** The decode thread's time for one body (CRC, inflate, decode), by outcome. */
  registerBodyDecodeTime(kind: RegisterDecodeKind, seconds: number): void;
  /** A resource limit closed or refused something (README "Limits"). */
  limitEnforced(limit: LimitName): void;
  /** A serving worker process ended (owner only): by a signal (killed, ended), its own exit code, or a shutdown. */
  servingWorkerExited(how: 'signal' | 'code' | 'shutdown'): void;
  /** Adds a source of `namesrv_partial_frame_bytes` (a serving process's frame budget). */
  trackPartialFrameBytes(read: () => number): void;
  /** Access-control and TLS counters. */
  readonly security: SecurityMetrics;
  /** The Prometheus text exposition and its content type. */
  scrape(): Promise<{ contentType: string; body: string }>;
  /** Everything, as data another process can add up (`scrapeAll`). */
  export(): Promise<MetricsExport>;
  /** Stops the event-loop stall monitor (the server is closing). */
  close(): void;
}

/** One process's metrics in a form that crosses the IPC channel and adds up. */
export interface MetricsExport {
  readonly prom: MetricObjectWithValues<MetricValue<string>>[];
  readonly durations: readonly DurationExport[];
}

interface DurationExport {
  readonly code: string;
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
}

/** Buckets in seconds: most namesrv requests finish well under a millisecond. */
export const REQUEST_DURATION_BUCKETS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
];

/** Buckets in seconds for change → wakeup: a wave of thousands of watches takes milliseconds. */
export const WATCH_WAKEUP_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
];

/** Buckets of namesrv_register_body_decode_seconds: 1 ms to 2 s (a new broker of 50,000 topics). */
export const REGISTER_DECODE_BUCKETS: readonly number[] = [
  0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2,
];

const UNKNOWN = 'UNKNOWN';
const NO_RESPONSE = 'NO_RESPONSE';

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
}

/**
 * The request-duration histogram (one `code` label). prom-client's own Histogram validates and
 * hashes the label set on every observe() (microseconds, on every request); this one is a Map
 * lookup done once per code and a short bucket scan. It is not registered with prom-client: it
 * writes its own lines of the text exposition format, so nothing depends on prom-client's
 * internals, and it adds up across processes by plain per-bucket sums.
 */
class RequestDurationHistogram {
  static readonly NAME = 'namesrv_request_duration_seconds';
  static readonly HELP =
    'Time from a decoded request to its response being written, by request code name';
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

  export(): DurationExport[] {
    return this.series.map((s) => ({
      code: s.code,
      counts: [...s.counts],
      sum: s.sum,
      count: s.count,
    }));
  }

  /** Text exposition (cumulative buckets, +Inf, sum, count) of the series of several processes. */
  expose(parts: readonly (readonly DurationExport[])[], labels: string): string {
    const merged = new Map<string, { counts: number[]; sum: number; count: number }>();
    for (const part of parts) {
      for (const s of part) {
        let m = merged.get(s.code);
        if (m === undefined) {
          m = { counts: new Array<number>(this.bounds.length).fill(0), sum: 0, count: 0 };
          merged.set(s.code, m);
        }
        for (let i = 0; i < this.bounds.length; i++) m.counts[i]! += s.counts[i] ?? 0;
        m.sum += s.sum;
        m.count += s.count;
      }
    }
    const name = RequestDurationHistogram.NAME;
    let out = `# HELP ${name} ${RequestDurationHistogram.HELP}\n# TYPE ${name} histogram\n`;
    for (const [code, m] of merged) {
      const l = `${labels}code="${code}"`;
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += m.counts[i]!;
        out += `${name}_bucket{le="${this.bounds[i]!}",${l}} ${acc}\n`;
      }
      out += `${name}_bucket{le="+Inf",${l}} ${m.count}\n`;
      out += `${name}_sum{${l}} ${m.sum}\n`;
      out += `${name}_count{${l}} ${m.count}\n`;
    }
    return out;
  }
}

/** `key="value",` pairs of the default labels, for the hand-written exposition lines. */
function labelPrefix(labels: Readonly<Record<string, string>> | undefined): string {
  if (labels === undefined) return '';
  return Object.entries(labels)
    .map(
      ([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}",`,
    )
    .join('');
}

/**
 * The /metrics text of a node whose requests are served by several processes: the owner's own
 * metrics plus every worker's, added up (prom-client's aggregator for its metrics, per-bucket sums
 * for the request-duration histogram). Gauges that must not add up say how they combine (the
 * stall gauge: the max over the processes of each role).
 */
export async function scrapeAll(
  exports: readonly MetricsExport[],
): Promise<{ contentType: string; body: string }> {
  const registry = AggregatorRegistry.aggregate(exports.map((e) => e.prom));
  const histogram = new RequestDurationHistogram(REQUEST_DURATION_BUCKETS);
  const body =
    (await registry.metrics()) +
    histogram.expose(
      exports.map((e) => e.durations),
      '',
    );
  return { contentType: registry.contentType, body };
}

/**
 * Keeps the counters (and histogram buckets, sums and counts) of a multi-process exposition from
 * ever going down. The owner adds up float values (seconds) of several processes in an order that
 * changes when a worker exits (its last counts move to the retired part): the same numbers added
 * in another order can come out one ulp lower, which Prometheus reads as a counter reset.
 */
export class MonotonicCounters {
  private readonly last = new Map<string, number>();

  apply(body: string): string {
    const types = new Map<string, string>();
    const lines = body.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.startsWith('#')) {
        const m = /^# TYPE (\S+) (\S+)/.exec(line);
        if (m !== null) types.set(m[1]!, m[2]!);
        continue;
      }
      const space = line.lastIndexOf(' ');
      if (space <= 0) continue;
      const series = line.slice(0, space);
      const brace = series.indexOf('{');
      const name = brace === -1 ? series : series.slice(0, brace);
      const family = /_(bucket|sum|count)$/.test(name)
        ? name.replace(/_(bucket|sum|count)$/, '')
        : name;
      const type = types.get(name) ?? types.get(family);
      if (type !== 'counter' && type !== 'histogram') continue;
      const value = Number(line.slice(space + 1));
      if (Number.isNaN(value)) continue;
      const before = this.last.get(series);
      if (before !== undefined && value < before) lines[i] = `${series} ${before}`;
      else this.last.set(series, value);
    }
    return lines.join('\n');
  }
}

/**
 * `views` feed the registry-state gauges (brokers, topics); null in a serving worker, whose
 * process does not own that state.
 */
export function createMetrics(
  views: MetricsViews,
  options: CreateMetricsOptions = {},
): NamesrvMetrics {
  const registry = new Registry();
  if (options.defaultLabels !== undefined) registry.setDefaultLabels({ ...options.defaultLabels });
  if (options.defaultMetrics ?? true) collectProcessMetrics(registry);
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
  const durationLabels = labelPrefix(options.defaultLabels);
  // One event-loop delay monitor (a timer every STALL_MONITOR_RESOLUTION_MS) feeds two gauges:
  // the longest stall since the last scrape (each scrape reports its own interval: the harness
  // brackets a registration with two scrapes), and the longest in a trailing window that no
  // scrape resets (any number of scrapers — Prometheus HA pairs, the console's Metrics page every
  // 2 s — see every stall, and a serving worker's answer too late for one scrape is not lost).
  // The histogram is reset at each scrape and each window slot's end, its max folded into both.
  const role = options.role ?? 'serving';
  const stalls = monitorEventLoopDelay({ resolution: STALL_MONITOR_RESOLUTION_MS });
  stalls.enable();
  const windowSlots = new Float64Array(STALL_WINDOW_SECONDS / STALL_WINDOW_SLOT_SECONDS);
  let windowSlot = 0;
  /** Longest stall folded out of the histogram (at a slot's end) since the last scrape, in ns. */
  let sinceScrapeNs = 0;
  const fold = (): number => {
    const ns = stalls.max;
    stalls.reset();
    windowSlots[windowSlot] = Math.max(windowSlots[windowSlot]!, ns);
    return ns;
  };
  const rollWindow = setInterval(() => {
    sinceScrapeNs = Math.max(sinceScrapeNs, fold());
    windowSlot = (windowSlot + 1) % windowSlots.length;
    windowSlots[windowSlot] = 0;
  }, STALL_WINDOW_SLOT_SECONDS * 1000);
  rollWindow.unref();
  // Empty histogram: max is 0. Intervals include the tick itself.
  const stallSeconds = (ns: number): number =>
    Math.max(0, ns / 1e9 - STALL_MONITOR_RESOLUTION_MS / 1000);
  new Gauge({
    name: STALL_METRIC,
    help:
      'Longest event-loop stall since the previous scrape, in seconds (max over the processes of ' +
      'each role: serving = answering clients, owner = registry owner of a multi-process node); ' +
      `resolution ${STALL_MONITOR_RESOLUTION_MS} ms`,
    labelNames: ['role'] as const,
    aggregator: 'max',
    registers,
    collect() {
      const ns = Math.max(sinceScrapeNs, fold());
      sinceScrapeNs = 0;
      this.set({ role }, stallSeconds(ns));
    },
  });
  new Gauge({
    name: STALL_WINDOW_METRIC,
    help: STALL_WINDOW_HELP,
    labelNames: ['role'] as const,
    aggregator: 'max',
    registers,
    collect() {
      let maxNs = stalls.max;
      for (const v of windowSlots) if (v > maxNs) maxNs = v;
      this.set({ role }, stallSeconds(maxNs));
    },
  });
  // Read where the scrape runs: on this process's event-loop thread.
  if (threadCpuWaitSeconds() !== null) {
    let reported = 0;
    const cpuWait = new Counter({
      name: CPU_WAIT_METRIC,
      help:
        'Time the event-loop thread spent runnable but waiting for a CPU (Linux run_delay), in ' +
        'seconds since the process started, summed over the processes of each role: stalls with ' +
        'no work of the node behind them',
      labelNames: ['role'] as const,
      registers,
      collect() {
        const total = threadCpuWaitSeconds();
        if (total === null || total <= reported) return;
        this.inc({ role }, total - reported);
        reported = total;
      },
    });
    cpuWait.inc({ role }, 0); // the series exists from the first scrape, even at 0
  }
  const connections = new Gauge({
    name: 'namesrv_connections_open',
    help: 'Open remoting connections',
    registers,
  });
  const brokerCount = views.brokerCount;
  if (brokerCount !== undefined) {
    new Gauge({
      name: 'namesrv_brokers',
      help: 'Live brokers in the routing table',
      registers,
      collect() {
        this.set(brokerCount());
      },
    });
  }
  const topicCount = views.topicCount;
  if (topicCount !== undefined) {
    new Gauge({
      name: 'namesrv_topics',
      help: 'Topics in the routing table',
      registers,
      collect() {
        this.set(topicCount());
      },
    });
  }
  const routeDigest = views.routeDigest;
  if (routeDigest !== undefined) {
    new Gauge({
      name: 'namesrv_route_digest',
      help: 'Route digest (GET /digest) as a 32-bit number: equal on nodes that agree on routes',
      registers,
      // One node's digest: the same in every process that reports it (only the owner does).
      aggregator: 'max',
      async collect() {
        this.set(await routeDigest());
      },
    });
  }
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

  const registerDecodes = new Counter({
    name: 'namesrv_register_body_decodes_total',
    help: 'REGISTER_BROKER bodies decoded off the event loop, by outcome (full, delta, unchanged, invalid, resend)',
    labelNames: ['kind'] as const,
    registers,
  });
  // Where a registration's round trip goes: this part runs in the serving processes' decode
  // threads, off every event loop (a new broker's 50,000 topics: tens of ms; a re-registration
  // with a few changed: the CRC and a comparison of the bytes).
  const registerDecodeTime = new Histogram({
    name: 'namesrv_register_body_decode_seconds',
    help: 'Decode-thread time per REGISTER_BROKER body (CRC check, inflate, decode against the broker previous body), by outcome',
    labelNames: ['kind'] as const,
    buckets: [...REGISTER_DECODE_BUCKETS],
    registers,
  });

  const kvPersistence = views.kvPersistence;
  if (kvPersistence !== undefined) addKVPersistenceMetrics(registers, kvPersistence);

  const routeWatchers = views.routeWatchers;
  if (routeWatchers !== undefined) {
    new Gauge({
      name: 'namesrv_route_watchers',
      help: 'Route watches (WATCH_TOPIC_ROUTE) held now',
      registers,
      collect() {
        this.set(routeWatchers());
      },
    });
  }
  const watchResponses = new Counter({
    name: 'namesrv_route_watch_responses_total',
    help: 'Route watches answered, by reason (immediate, changed, timeout, superseded, shutdown)',
    labelNames: ['reason'] as const,
    registers,
  });
  const watchWakeup = new Histogram({
    name: 'namesrv_route_watch_wakeup_seconds',
    help: "Time from a route change reaching the route watch to a woken watch's answer being handed to its connection (the socket write comes after)",
    buckets: [...WATCH_WAKEUP_BUCKETS],
    registers,
  });
  const watchRejected = new Counter({
    name: 'namesrv_route_watch_rejected_total',
    help: 'Route watches refused, by reason (max_watchers, max_topics, max_held_topics, bad_request, not_ready)',
    labelNames: ['reason'] as const,
    registers,
  });
  const limits = new Counter({
    name: 'namesrv_limit_enforced_total',
    help: 'Connections refused or closed, or requests refused, by a resource limit',
    labelNames: ['limit'] as const,
    registers,
  });
  const workerExits = new Counter({
    name: 'namesrv_serving_worker_exits_total',
    help: 'Serving worker processes that ended (each is replaced unless the node is stopping), by how: signal (killed or aborted: ended for silence, kernel OOM kill), code (exited with a code: an uncaught error, its owner went silent), shutdown',
    labelNames: ['how'] as const,
    registers,
  });
  // Every series from the start: increase() cannot count the first exit of a series that only
  // appears with it.
  for (const how of ['signal', 'code', 'shutdown'] as const) workerExits.inc({ how }, 0);
  const partialFrameSources: (() => number)[] = [];
  new Gauge({
    name: 'namesrv_partial_frame_bytes',
    help: 'Bytes held in frames not complete yet (charged to the maxPartialFrameBytes budget)',
    registers,
    collect() {
      let total = 0;
      for (const read of partialFrameSources) total += read();
      this.set(total);
    },
  });
  const security = createSecurityMetrics(registry);

  const byCode = new Map<number, CodeEntry>();
  let unknownCode: CodeEntry | null = null;

  const newEntry = (name: string): CodeEntry => ({
    name,
    duration: duration.create(name),
    byResult: new Map(),
    unknownResult: null,
    noResponse: null,
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
  const cellFor = (entry: CodeEntry, responseCode: number | null): RequestCell => {
    if (responseCode === null) return (entry.noResponse ??= newCell(entry.name, NO_RESPONSE));
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
        (responseCode === null ? undefined : entry.byResult.get(responseCode)) ??
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
    registerBodyDecodeTime(kind, seconds) {
      registerDecodeTime.observe({ kind }, seconds);
    },
    registerBodyDecoded(kind) {
      registerDecodes.inc({ kind });
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
    limitEnforced(limit) {
      limits.inc({ limit });
    },
    servingWorkerExited(how) {
      workerExits.inc({ how });
    },
    trackPartialFrameBytes(read) {
      partialFrameSources.push(read);
    },
    security,
    async scrape() {
      const body =
        (await registry.metrics()) + duration.expose([duration.export()], durationLabels);
      return { contentType: registry.contentType, body };
    },
    async export() {
      return { prom: await registry.getMetricsAsJSON(), durations: duration.export() };
    },
    close() {
      stalls.disable();
      clearInterval(rollWindow);
    },
  };
}

/**
 * The KV persistence thread's counters as Prometheus counters: each collect adds what the view's
 * count grew by since the last one (a new `source`, after a restart of the node, counts from 0).
 */
function addKVPersistenceMetrics(
  registers: Registry[],
  view: () => KVPersistenceView | null,
): void {
  const counter = (name: string, help: string, read: (v: KVPersistenceView) => number): Counter => {
    let source: object | null = null;
    let reported = 0;
    return new Counter({
      name,
      help,
      registers,
      collect() {
        const v = view();
        if (v === null) return;
        if (v.source !== source) {
          source = v.source;
          reported = 0;
        }
        const now = read(v);
        if (now > reported) this.inc(now - reported);
        reported = now;
      },
    });
  };
  counter(
    'namesrv_kv_persist_file_writes_total',
    'KV config files written by the persistence thread (each covering one or more KV writes)',
    (v) => v.fileWrites,
  );
  counter(
    'namesrv_kv_persist_failures_total',
    'KV config file writes that failed (the KV writes they carried were undone and answered SYSTEM_ERROR)',
    (v) => v.failedWrites,
  );
  counter(
    'namesrv_kv_persist_thread_crashes_total',
    'KV persistence threads that died and were restarted',
    (v) => v.crashes,
  );
  new Gauge({
    name: 'namesrv_kv_persist_last_write_seconds',
    help: 'Duration of the last successful KV config file write (serialize, write, fsyncs, rename)',
    registers,
    collect() {
      const ms = view()?.lastWriteMillis ?? null;
      if (ms !== null) this.set(ms / 1000);
    },
  });
  new Gauge({
    name: 'namesrv_kv_persist_thread_up',
    help: '1 while the KV persistence thread runs, 0 between a crash and its restart',
    registers,
    collect() {
      const v = view();
      this.set(v === null || !v.threadRunning ? 0 : 1);
    },
  });
}
