/**
 * Reference figures of the Java NameServer (RocketMQ 4.9.7 `mqnamesrv`) that issue 11's targets
 * are stated against, as the issue quotes them. They come from a 16-core machine; the harness
 * never measures Java itself.
 */

/** Route lookups (GET_ROUTEINFO_BY_TOPIC) at connections × in flight. */
export interface JavaRouteFigure {
  connections: number;
  inflight: number;
  qps: number;
  /** Server CPU time per request, µs. */
  cpuUsPerRequest: number;
  p99Ms: number;
}

export const JAVA_ROUTE: readonly JavaRouteFigure[] = [
  { connections: 16, inflight: 1, qps: 71_914, cpuUsPerRequest: 87.0, p99Ms: 0.78 },
  { connections: 64, inflight: 1, qps: 111_387, cpuUsPerRequest: 65.4, p99Ms: 2.2 },
  { connections: 256, inflight: 1, qps: 175_705, cpuUsPerRequest: 53.8, p99Ms: 5.0 },
  { connections: 64, inflight: 8, qps: 240_328, cpuUsPerRequest: 42.7, p99Ms: 5.5 },
];

/** Cores of the machine the Java figures were taken on; the QPS/CPU/p99 targets apply there. */
export const JAVA_CORES = 16;

/** Route targets relative to Java: QPS ≥ 1.5×, CPU per request ≤ ½, p99 ≤ Java's. */
export const ROUTE_QPS_FACTOR = 1.5;
export const ROUTE_CPU_FACTOR = 0.5;

/** REGISTER_BROKER time (ms) by topic count, as a broker sees it. */
export interface JavaRegisterFigure {
  /** New broker. Target ≤ ½. */
  firstMs: number;
  /** Same DataVersion (the periodic heartbeat). Reference only. */
  unchangedMs: number;
  /** Changed DataVersion, ≤ 1 % of topics changed. Target ≤ ¼. */
  changedMs: number;
}

export const JAVA_REGISTER: Readonly<Record<number, JavaRegisterFigure>> = {
  10_000: { firstMs: 33.0, unchangedMs: 6.3, changedMs: 12.5 },
  50_000: { firstMs: 182.1, unchangedMs: 46.4, changedMs: 42.6 },
};

export const REGISTER_FIRST_FACTOR = 0.5;
export const REGISTER_CHANGED_FACTOR = 0.25;

/**
 * The single-process node before the serving split (bench results of commit 17cda18,
 * 2026-11-23, this 2-core machine): node / baseline req/s at 16×1, one generator. The 2-core
 * target ("nothing worse than today") compares the ratio measured now against it; a ratio to the
 * baseline of the same run is what survives a change in machine load, absolute req/s do not.
 */
export const PRE_SPLIT_16X1 = {
  commit: '17cda18',
  date: '2026-11-23',
  nodeQps: 46_656,
  baselineQps: 71_981,
  ratio: 46_656 / 71_981,
};

/** "Within 5 %" of the single-process figure. */
export const TWO_CORE_TOLERANCE = 0.95;
