/**
 * What the owner adds up for /metrics from its serving workers, kept so the node's counters only
 * ever go up. Prometheus reads a counter that goes down as a reset and counts everything again:
 * a worker left out of one scrape (it did not answer in time, busy with a large registration) or
 * replaced after a crash (its successor starts from zero) used to make every `*_total` of the
 * node drop, and `increase()` over it report about a worker's whole history as new.
 *
 * - A worker that does not answer in time counts with its last answer, except its stall: the
 *   longest stall since the previous scrape is its silence so far (a stopped or wedged worker
 *   showed the stall of its last answer again on every scrape, however long it stayed stopped),
 *   and the stall window is at least that silence.
 * - A worker that exits leaves its last counters and histograms behind ("retired"), added to
 *   every later scrape; its gauges (connections, memory) go with it. What it counted after its
 *   last answer is lost: the total then grows a little slower, never backwards.
 * - Its longest recent stall stays in the 60 s stall window for the rest of that window, and a
 *   worker ended for silence counts its silence as a stall: a wedged worker that was replaced
 *   took its stall away with it, so the window gauge never showed it.
 */
import { STALL_METRIC, STALL_WINDOW_METRIC, STALL_WINDOW_SECONDS } from '../metrics.js';
import type { MetricsExport } from '../metrics.js';

/** Retired exports kept one by one before they are folded together (see `exited`). */
const MAX_RETIRED = 8;
/** What a worker leaves behind: what only ever grows. */
const KEPT_TYPES = new Set(['counter', 'histogram']);

export class WorkerMetrics<W> {
  private readonly last = new Map<W, MetricsExport>();
  private retired: MetricsExport[] = [];
  /** Stalls of exited workers still inside the stall window (seconds, until when). */
  private retiredStalls: { seconds: number; until: number }[] = [];
  /**
   * The stall window gauge as workers export it, to report retired stalls in: taken from any
   * answer, so a scrape has it from its live workers before it asks for the retired exports.
   */
  private stallMetric: MetricsExport['prom'][number] | null = null;
  private readonly now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.now = now;
  }

  /**
   * Worker `w`'s answer to this scrape (null: none in time; `silentMillis`: how long it has not
   * been heard from): what to add up for it.
   */
  answered(w: W, answer: MetricsExport | null, silentMillis = 0): MetricsExport | null {
    if (answer === null) {
      const last = this.last.get(w);
      return last === undefined ? null : withSilenceAsStall(last, silentMillis / 1000);
    }
    this.last.set(w, answer);
    this.stallMetric ??= answer.prom.find((m) => m.name === STALL_WINDOW_METRIC) ?? null;
    return answer;
  }

  /**
   * Worker `w` is gone: its last counters stay in the node's totals, and its last stall (or
   * `silentMillis`, when it was ended for that silence) in the stall window.
   */
  exited(w: W, silentMillis = 0): void {
    const last = this.last.get(w);
    this.last.delete(w);
    const stall = last?.prom.find((m) => m.name === STALL_WINDOW_METRIC);
    const seconds = Math.max(silentMillis / 1000, ...(stall?.values.map((v) => v.value) ?? []));
    if (seconds > 0) {
      this.retiredStalls.push({ seconds, until: this.now() + STALL_WINDOW_SECONDS * 1000 });
    }
    if (last === undefined) return;
    this.retired.push({
      prom: last.prom.filter((m) => KEPT_TYPES.has(String(m.type))),
      durations: last.durations,
    });
    // A worker crashing again and again must not grow this without end: fold the oldest into one.
    if (this.retired.length > MAX_RETIRED) this.retired = [foldRetired(this.retired)];
  }

  /**
   * The counters of the workers that exited, and their stalls still in the window, to add up with
   * the live workers' exports.
   */
  retiredExports(): readonly MetricsExport[] {
    const now = this.now();
    this.retiredStalls = this.retiredStalls.filter((s) => s.until > now);
    if (this.retiredStalls.length === 0 || this.stallMetric === null) return this.retired;
    const seconds = Math.max(...this.retiredStalls.map((s) => s.seconds));
    const stalls: MetricsExport = {
      prom: [{ ...this.stallMetric, values: [{ labels: { role: 'serving' }, value: seconds }] }],
      durations: [],
    };
    return [...this.retired, stalls];
  }
}

/**
 * `last` with its stall gauges saying that the worker has been silent `seconds` now: the stall
 * since the previous scrape is that silence, the window's is at least it.
 */
function withSilenceAsStall(last: MetricsExport, seconds: number): MetricsExport {
  return {
    ...last,
    prom: last.prom.map((m) =>
      m.name === STALL_METRIC
        ? { ...m, values: m.values.map((v) => ({ ...v, value: seconds })) }
        : m.name === STALL_WINDOW_METRIC
          ? { ...m, values: m.values.map((v) => ({ ...v, value: Math.max(v.value, seconds) })) }
          : m,
    ),
  };
}

/**
 * Several retired exports as one: counter and histogram values with the same name and labels
 * summed (what the aggregation of a scrape would do with them anyway), request durations summed
 * per code and bucket.
 */
function foldRetired(exports: readonly MetricsExport[]): MetricsExport {
  const metrics = new Map<string, MetricsExport['prom'][number]>();
  const values = new Map<string, Map<string, MetricsExport['prom'][number]['values'][number]>>();
  for (const e of exports) {
    for (const m of e.prom) {
      if (!metrics.has(m.name)) {
        metrics.set(m.name, m);
        values.set(m.name, new Map());
      }
      const byLabels = values.get(m.name)!;
      for (const v of m.values) {
        const name = (v as { metricName?: string }).metricName ?? '';
        const key = `${name}|${JSON.stringify(sortedLabels(v.labels))}`;
        const seen = byLabels.get(key);
        // As the scrape's aggregation would combine them (security reloads: max, not sum).
        const agg = (m as { aggregator?: string }).aggregator;
        const combined =
          seen === undefined
            ? v.value
            : agg === 'max'
              ? Math.max(seen.value, v.value)
              : agg === 'min'
                ? Math.min(seen.value, v.value)
                : seen.value + v.value;
        byLabels.set(key, { ...(seen ?? v), value: combined });
      }
    }
  }
  const prom = [...metrics.values()].map((m) => ({
    ...m,
    values: [...values.get(m.name)!.values()],
  }));
  const durations = new Map<string, MetricsExport['durations'][number]>();
  for (const e of exports) {
    for (const d of e.durations) {
      const seen = durations.get(d.code);
      durations.set(
        d.code,
        seen === undefined
          ? d
          : {
              code: d.code,
              counts: seen.counts.map((c, i) => c + (d.counts[i] ?? 0)),
              sum: seen.sum + d.sum,
              count: seen.count + d.count,
            },
      );
    }
  }
  return { prom, durations: [...durations.values()] };
}

function sortedLabels(
  labels: Readonly<Partial<Record<string, string | number>>>,
): [string, unknown][] {
  return Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
